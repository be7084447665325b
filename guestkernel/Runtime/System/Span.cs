// Span<T> and ReadOnlySpan<T>: a ref to the first element plus a length, bounds-checked.
// csc builds u8 literals and stackalloc spans with the (void*, int) constructor.
using System.Runtime.CompilerServices;

namespace System;

public readonly unsafe ref struct Span<T>
{
    private readonly ref T _reference;
    private readonly int _length;

    public Span(T[]? array)
    {
        if (array == null)
        {
            this = default;
            return;
        }
        _reference = ref MemoryHelpers.GetArrayDataReference(array);
        _length = array.Length;
    }

    public Span(T[] array, int start, int length)
    {
        if ((uint)start > (uint)array.Length || (uint)length > (uint)(array.Length - start))
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        _reference = ref Unsafe.Add(ref MemoryHelpers.GetArrayDataReference(array), start);
        _length = length;
    }

    public Span(void* pointer, int length)
    {
        if (length < 0)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        _reference = ref Unsafe.AsRef<T>(pointer);
        _length = length;
    }

    internal Span(ref T reference, int length)
    {
        _reference = ref reference;
        _length = length;
    }

    public int Length => _length;
    public bool IsEmpty => _length == 0;
    public static Span<T> Empty => default;

    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_length)
                ThrowHelpers.ThrowIndexOutOfRangeException();
            return ref Unsafe.Add(ref _reference, index);
        }
    }

    public ref T GetPinnableReference() => ref (_length != 0 ? ref _reference : ref Unsafe.NullRef<T>());

    /// <summary>The first element's place even when empty (for bulk copies that check the length).</summary>
    internal ref T Reference => ref _reference;

    public Span<T> Slice(int start)
    {
        if ((uint)start > (uint)_length)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        return new Span<T>(ref Unsafe.Add(ref _reference, start), _length - start);
    }

    public Span<T> Slice(int start, int length)
    {
        if ((uint)start > (uint)_length || (uint)length > (uint)(_length - start))
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        return new Span<T>(ref Unsafe.Add(ref _reference, start), length);
    }

    public void Clear()
    {
        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            Buffer.Memset((byte*)Unsafe.AsPointer(ref _reference), 0, (nuint)_length * (nuint)Unsafe.SizeOf<T>());
            return;
        }
        for (int i = 0; i < _length; i++)
            Unsafe.Add(ref _reference, i) = default!;
    }

    public void Fill(T value)
    {
        for (int i = 0; i < _length; i++)
            Unsafe.Add(ref _reference, i) = value;
    }

    public void CopyTo(Span<T> destination)
    {
        if ((uint)_length > (uint)destination.Length)
            ThrowHelpers.ThrowArgumentException();
        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            // Plain data: one memmove (overlap-safe). Element loops cost ~1.5 cycles a byte here,
            // and frames, pages and rings are copied through spans.
            Buffer.Memmove((byte*)Unsafe.AsPointer(ref destination._reference), (byte*)Unsafe.AsPointer(ref _reference), (nuint)_length * (nuint)Unsafe.SizeOf<T>());
            return;
        }
        if (Unsafe.IsAddressLessThan(ref destination._reference, ref _reference))
            for (int i = 0; i < _length; i++)
                Unsafe.Add(ref destination._reference, i) = Unsafe.Add(ref _reference, i);
        else
            for (int i = _length - 1; i >= 0; i--)
                Unsafe.Add(ref destination._reference, i) = Unsafe.Add(ref _reference, i);
    }

    public T[] ToArray()
    {
        T[] array = new T[_length];
        for (int i = 0; i < _length; i++)
            array[i] = Unsafe.Add(ref _reference, i);
        return array;
    }

    public Enumerator GetEnumerator() => new Enumerator(this);

    public static implicit operator Span<T>(T[]? array) => new Span<T>(array);
    public static implicit operator ReadOnlySpan<T>(Span<T> span) => new ReadOnlySpan<T>(ref span._reference, span._length);

    public ref struct Enumerator
    {
        private readonly Span<T> _span;
        private int _index;

        internal Enumerator(Span<T> span)
        {
            _span = span;
            _index = -1;
        }

        public bool MoveNext() => ++_index < _span.Length;
        public ref T Current => ref _span[_index];
    }
}

public readonly unsafe ref struct ReadOnlySpan<T>
{
    private readonly ref T _reference;
    private readonly int _length;

    public ReadOnlySpan(T[]? array)
    {
        if (array == null)
        {
            this = default;
            return;
        }
        _reference = ref MemoryHelpers.GetArrayDataReference(array);
        _length = array.Length;
    }

    public ReadOnlySpan(T[] array, int start, int length)
    {
        if ((uint)start > (uint)array.Length || (uint)length > (uint)(array.Length - start))
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        _reference = ref Unsafe.Add(ref MemoryHelpers.GetArrayDataReference(array), start);
        _length = length;
    }

    public ReadOnlySpan(void* pointer, int length)
    {
        if (length < 0)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        _reference = ref Unsafe.AsRef<T>(pointer);
        _length = length;
    }

    internal ReadOnlySpan(ref T reference, int length)
    {
        _reference = ref reference;
        _length = length;
    }

    public int Length => _length;
    public bool IsEmpty => _length == 0;
    public static ReadOnlySpan<T> Empty => default;

    public ref readonly T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_length)
                ThrowHelpers.ThrowIndexOutOfRangeException();
            return ref Unsafe.Add(ref _reference, index);
        }
    }

    public ref readonly T GetPinnableReference() => ref (_length != 0 ? ref _reference : ref Unsafe.NullRef<T>());

    public ReadOnlySpan<T> Slice(int start)
    {
        if ((uint)start > (uint)_length)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        return new ReadOnlySpan<T>(ref Unsafe.Add(ref _reference, start), _length - start);
    }

    public ReadOnlySpan<T> Slice(int start, int length)
    {
        if ((uint)start > (uint)_length || (uint)length > (uint)(_length - start))
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        return new ReadOnlySpan<T>(ref Unsafe.Add(ref _reference, start), length);
    }

    public void CopyTo(Span<T> destination)
    {
        if ((uint)_length > (uint)destination.Length)
            ThrowHelpers.ThrowArgumentException();
        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            Buffer.Memmove((byte*)Unsafe.AsPointer(ref destination.Reference), (byte*)Unsafe.AsPointer(ref _reference), (nuint)_length * (nuint)Unsafe.SizeOf<T>());
            return;
        }
        for (int i = 0; i < _length; i++)
            destination[i] = Unsafe.Add(ref _reference, i);
    }

    public T[] ToArray()
    {
        T[] array = new T[_length];
        for (int i = 0; i < _length; i++)
            array[i] = Unsafe.Add(ref _reference, i);
        return array;
    }

    public Enumerator GetEnumerator() => new Enumerator(this);

    public static implicit operator ReadOnlySpan<T>(T[]? array) => new ReadOnlySpan<T>(array);

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<T> _span;
        private int _index;

        internal Enumerator(ReadOnlySpan<T> span)
        {
            _span = span;
            _index = -1;
        }

        public bool MoveNext() => ++_index < _span.Length;
        public ref readonly T Current => ref _span[_index];
    }
}

internal static unsafe class MemoryHelpers
{
    // Elements start 16 bytes into an array object on x64 ([MT*][int length][pad]).
    public static ref T GetArrayDataReference<T>(T[] array)
    {
        object o = array;
        byte* p = *(byte**)&o;
        return ref Unsafe.AsRef<T>(p + 16);
    }
}
