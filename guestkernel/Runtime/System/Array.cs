// System.Array: single-dimensional, zero-based arrays ([MT*][int length][pad][elements...]).
// Multi-dimensional arrays are not supported (ILC would ask for ArrayHelpers.NewObjArray).
using Internal.Runtime;
using System.Runtime.CompilerServices;

namespace System;

public abstract unsafe class Array
{
    // The element count; ILC and the JIT expect it right after the MethodTable pointer.
    private int _numComponents;

    public int Length => _numComponents;

    /// <summary>Number of dimensions (1 for T[]; multi-dimensional arrays store their bounds
    /// after the length, 8 bytes per dimension, which is how BaseSize grows).</summary>
    public int Rank
    {
        get
        {
            MethodTable* mt = m_pEEType;
            int rank = (int)(mt->BaseSize - 3 * sizeof(nint)) / 8;
            return rank == 0 || mt->ElementType == ElementType.SzArray ? 1 : rank;
        }
    }

    public int GetLength(int dimension)
    {
        int rank = Rank;
        if ((uint)dimension >= (uint)rank)
            ThrowHelpers.ThrowIndexOutOfRangeException();
        if (m_pEEType->ElementType == ElementType.SzArray)
            return _numComponents;
        fixed (int* length = &_numComponents)
            return length[2 + dimension];
    }

    public static T[] Empty<T>() => EmptyArray<T>.Value;

    /// <summary>Copies elements between arrays of the same type (overlap-safe).</summary>
    public static void Copy<T>(T[] source, int sourceIndex, T[] destination, int destinationIndex, int length)
    {
        if (length < 0 || sourceIndex < 0 || destinationIndex < 0 ||
            sourceIndex > source.Length - length || destinationIndex > destination.Length - length)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        if (source == destination && sourceIndex < destinationIndex)
        {
            for (int i = length - 1; i >= 0; i--)
                destination[destinationIndex + i] = source[sourceIndex + i];
        }
        else
        {
            for (int i = 0; i < length; i++)
                destination[destinationIndex + i] = source[sourceIndex + i];
        }
    }

    public static void Copy<T>(T[] source, T[] destination, int length) => Copy(source, 0, destination, 0, length);

    public static void Clear<T>(T[] array, int index, int length)
    {
        if (index < 0 || length < 0 || index > array.Length - length)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        for (int i = 0; i < length; i++)
            array[index + i] = default!;
    }

    public static void Clear<T>(T[] array) => Clear(array, 0, array.Length);

    public static int IndexOf<T>(T[] array, T value) => IndexOf(array, value, 0, array.Length);

    public static int IndexOf<T>(T[] array, T value, int startIndex) => IndexOf(array, value, startIndex, array.Length - startIndex);

    public static int IndexOf<T>(T[] array, T value, int startIndex, int count)
    {
        if (startIndex < 0 || count < 0 || startIndex > array.Length - count)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        System.Collections.Generic.EqualityComparer<T> eq = System.Collections.Generic.EqualityComparer<T>.Default;
        for (int i = startIndex; i < startIndex + count; i++)
            if (eq.Equals(array[i], value))
                return i;
        return -1;
    }

    public static int LastIndexOf<T>(T[] array, T value)
    {
        System.Collections.Generic.EqualityComparer<T> eq = System.Collections.Generic.EqualityComparer<T>.Default;
        for (int i = array.Length - 1; i >= 0; i--)
            if (eq.Equals(array[i], value))
                return i;
        return -1;
    }

    public static bool Exists<T>(T[] array, Predicate<T> match) => FindIndex(array, match) >= 0;

    public static int FindIndex<T>(T[] array, Predicate<T> match)
    {
        for (int i = 0; i < array.Length; i++)
            if (match(array[i]))
                return i;
        return -1;
    }

    public static T? Find<T>(T[] array, Predicate<T> match)
    {
        int i = FindIndex(array, match);
        return i < 0 ? default : array[i];
    }

    public static void Fill<T>(T[] array, T value)
    {
        for (int i = 0; i < array.Length; i++)
            array[i] = value;
    }

    public static void Reverse<T>(T[] array) => Reverse(array, 0, array.Length);

    public static void Reverse<T>(T[] array, int index, int length)
    {
        if (index < 0 || length < 0 || index > array.Length - length)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        int i = index, j = index + length - 1;
        while (i < j)
        {
            T t = array[i];
            array[i++] = array[j];
            array[j--] = t;
        }
    }

    /// <summary>Sorts with Comparer&lt;T&gt;.Default: numbers, strings (ordinal), enums, IComparable&lt;T&gt;.</summary>
    public static void Sort<T>(T[] array) => System.Collections.Generic.ArraySort<T>.Sort(array, 0, array.Length, System.Collections.Generic.Comparer<T>.Default);

    public static void Sort<T>(T[] array, Comparison<T> comparison) => System.Collections.Generic.ArraySort<T>.Sort(array, 0, array.Length, comparison);

    public static void Sort<T>(T[] array, System.Collections.Generic.IComparer<T>? comparer)
        => System.Collections.Generic.ArraySort<T>.Sort(array, 0, array.Length, comparer ?? System.Collections.Generic.Comparer<T>.Default);

    public static void Sort<T>(T[] array, int index, int length)
        => System.Collections.Generic.ArraySort<T>.Sort(array, index, length, System.Collections.Generic.Comparer<T>.Default);

    public static int BinarySearch<T>(T[] array, T value) => BinarySearch(array, 0, array.Length, value);

    public static int BinarySearch<T>(T[] array, int index, int length, T value)
    {
        System.Collections.Generic.Comparer<T> cmp = System.Collections.Generic.Comparer<T>.Default;
        int lo = index, hi = index + length - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            int c = cmp.Compare(array[mid], value);
            if (c == 0)
                return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return ~lo;
    }

    public static void Resize<T>(ref T[]? array, int newSize)
    {
        T[] larger = new T[newSize];
        if (array != null)
            Copy(array, 0, larger, 0, array.Length < newSize ? array.Length : newSize);
        array = larger;
    }
}

internal static class EmptyArray<T>
{
    internal static readonly T[] Value = new T[0];
}

// ILC builds the MethodTable of T[] from this type: its interfaces are what every T[]
// implements, so arrays can be passed where IEnumerable<T>/IList<T>/IReadOnlyList<T> is
// expected (string.Join(",", numbers), new List<int>(array)). `this` is the T[] itself.
public class Array<T> : Array, System.Collections.Generic.IList<T>, System.Collections.Generic.IReadOnlyList<T>
{
    private T[] Self => Unsafe.As<T[]>(this);

    public T this[int index]
    {
        get => Self[index];
        set => Self[index] = value;
    }

    public int Count => Self.Length;
    public bool IsReadOnly => false;
    public void Add(T item) => throw new NotSupportedException("Collection was of a fixed size.");
    public void Clear() => throw new NotSupportedException("Collection was of a fixed size.");
    public bool Contains(T item) => IndexOf(Self, item) >= 0;
    public void CopyTo(T[] array, int arrayIndex) => Copy(Self, 0, array, arrayIndex, Self.Length);
    public bool Remove(T item) => throw new NotSupportedException("Collection was of a fixed size.");
    public int IndexOf(T item) => IndexOf(Self, item);
    public void Insert(int index, T item) => throw new NotSupportedException("Collection was of a fixed size.");
    public void RemoveAt(int index) => throw new NotSupportedException("Collection was of a fixed size.");

    public System.Collections.Generic.IEnumerator<T> GetEnumerator() => new ArrayEnumerator<T>(Self);
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => new ArrayEnumerator<T>(Self);
}

internal sealed class ArrayEnumerator<T> : System.Collections.Generic.IEnumerator<T>
{
    private readonly T[] _array;
    private int _index = -1;

    public ArrayEnumerator(T[] array) { _array = array; }

    public bool MoveNext() => ++_index < _array.Length;
    public T Current => _array[_index];
    object? System.Collections.IEnumerator.Current => Current;
    public void Reset() => _index = -1;
    public void Dispose() { }
}
