// A growable array (the BCL's List<T>, reduced): amortized O(1) Add, indexed access with bounds
// checks, Remove/Insert by shifting, and a struct enumerator so foreach does not allocate.
namespace ParaKit.Kernel.Collections;

public sealed class List<T>
{
    private T[] _items;
    private int _count;

    public List(int capacity = 4)
    {
        _items = new T[capacity < 1 ? 1 : capacity];
    }

    public int Count => _count;
    public int Capacity => _items.Length;

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
                throw new System.ArgumentOutOfRangeException(nameof(index));
            return _items[index];
        }
        set
        {
            if ((uint)index >= (uint)_count)
                throw new System.ArgumentOutOfRangeException(nameof(index));
            _items[index] = value;
        }
    }

    public void Add(T item)
    {
        if (_count == _items.Length)
            Grow();
        _items[_count++] = item;
    }

    public void Insert(int index, T item)
    {
        if ((uint)index > (uint)_count)
            throw new System.ArgumentOutOfRangeException(nameof(index));
        if (_count == _items.Length)
            Grow();
        for (int i = _count; i > index; i--)
            _items[i] = _items[i - 1];
        _items[index] = item;
        _count++;
    }

    public void RemoveAt(int index)
    {
        if ((uint)index >= (uint)_count)
            throw new System.ArgumentOutOfRangeException(nameof(index));
        _count--;
        for (int i = index; i < _count; i++)
            _items[i] = _items[i + 1];
        _items[_count] = default!;
    }

    public void Clear()
    {
        for (int i = 0; i < _count; i++)
            _items[i] = default!;
        _count = 0;
    }

    public int IndexOf(System.Func<T, bool> match)
    {
        for (int i = 0; i < _count; i++)
        {
            if (match(_items[i]))
                return i;
        }
        return -1;
    }

    public T[] ToArray()
    {
        T[] result = new T[_count];
        System.Array.Copy(_items, result, _count);
        return result;
    }

    public System.Span<T> AsSpan() => new System.Span<T>(_items, 0, _count);

    private void Grow()
    {
        T[] larger = new T[_items.Length * 2];
        System.Array.Copy(_items, larger, _count);
        _items = larger;
    }

    public Enumerator GetEnumerator() => new Enumerator(this);

    public struct Enumerator
    {
        private readonly List<T> _list;
        private int _index;

        internal Enumerator(List<T> list)
        {
            _list = list;
            _index = -1;
        }

        public bool MoveNext() => ++_index < _list._count;
        public T Current => _list._items[_index];
    }
}
