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

// ILC builds the MethodTable of T[] from this type (its interfaces would be IList<T> and
// friends; guest arrays implement none).
public class Array<T> : Array
{
}
