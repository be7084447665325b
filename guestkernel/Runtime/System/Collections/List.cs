// System.Collections.Generic.List<T>: a growable array with a struct enumerator (foreach does
// not allocate), IList<T>/IReadOnlyList<T> for code that takes interfaces.
namespace System.Collections.Generic;

public class List<T> : IList<T>, IReadOnlyList<T>
{
    private T[] _items;
    private int _size;
    private int _version;

    public List() { _items = Array.Empty<T>(); }

    public List(int capacity)
    {
        if (capacity < 0)
            throw new ArgumentOutOfRangeException("capacity", "Non-negative number required.");
        _items = capacity == 0 ? Array.Empty<T>() : new T[capacity];
    }

    public List(IEnumerable<T> collection) : this()
    {
        AddRange(collection);
    }

    public int Count => _size;
    public bool IsReadOnly => false;

    public int Capacity
    {
        get => _items.Length;
        set
        {
            if (value < _size)
                throw new ArgumentOutOfRangeException("value", "capacity was less than the current size.");
            if (value != _items.Length)
            {
                T[] larger = new T[value];
                Array.Copy(_items, 0, larger, 0, _size);
                _items = larger;
            }
        }
    }

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_size)
                ThrowIndex(index);
            return _items[index];
        }
        set
        {
            if ((uint)index >= (uint)_size)
                ThrowIndex(index);
            _items[index] = value;
            _version++;
        }
    }

    private void ThrowIndex(int index)
        => throw new ArgumentOutOfRangeException("index", "Index " + index.ToString() + " was out of range: the list has " + _size.ToString() + " items.");

    public void Add(T item)
    {
        if (_size == _items.Length)
            Grow(_size + 1);
        _items[_size++] = item;
        _version++;
    }

    public void AddRange(IEnumerable<T> collection)
    {
        if (collection is List<T> list)
        {
            int n = list._size;
            if (_size + n > _items.Length)
                Grow(_size + n);
            Array.Copy(list._items, 0, _items, _size, n);
            _size += n;
            _version++;
            return;
        }
        foreach (T item in collection)
            Add(item);
    }

    public void AddRange(T[] items)
    {
        if (_size + items.Length > _items.Length)
            Grow(_size + items.Length);
        Array.Copy(items, 0, _items, _size, items.Length);
        _size += items.Length;
        _version++;
    }

    public void Insert(int index, T item)
    {
        if ((uint)index > (uint)_size)
            ThrowIndex(index);
        if (_size == _items.Length)
            Grow(_size + 1);
        if (index < _size)
            Array.Copy(_items, index, _items, index + 1, _size - index);
        _items[index] = item;
        _size++;
        _version++;
    }

    public bool Remove(T item)
    {
        int index = IndexOf(item);
        if (index < 0)
            return false;
        RemoveAt(index);
        return true;
    }

    public void RemoveAt(int index)
    {
        if ((uint)index >= (uint)_size)
            ThrowIndex(index);
        _size--;
        if (index < _size)
            Array.Copy(_items, index + 1, _items, index, _size - index);
        _items[_size] = default!;
        _version++;
    }

    public void RemoveRange(int index, int count)
    {
        if (index < 0 || count < 0 || _size - index < count)
            throw new ArgumentOutOfRangeException("index", "index and count do not denote a range of the list.");
        _size -= count;
        Array.Copy(_items, index + count, _items, index, _size - index);
        Array.Clear(_items, _size, count);
        _version++;
    }

    public int RemoveAll(Predicate<T> match)
    {
        int kept = 0;
        for (int i = 0; i < _size; i++)
            if (!match(_items[i]))
                _items[kept++] = _items[i];
        int removed = _size - kept;
        Array.Clear(_items, kept, removed);
        _size = kept;
        _version++;
        return removed;
    }

    public void Clear()
    {
        Array.Clear(_items, 0, _size);
        _size = 0;
        _version++;
    }

    public int IndexOf(T item) => Array.IndexOf(_items, item, 0, _size);

    public int LastIndexOf(T item)
    {
        EqualityComparer<T> eq = EqualityComparer<T>.Default;
        for (int i = _size - 1; i >= 0; i--)
            if (eq.Equals(_items[i], item))
                return i;
        return -1;
    }

    public bool Contains(T item) => IndexOf(item) >= 0;

    public int FindIndex(Predicate<T> match)
    {
        for (int i = 0; i < _size; i++)
            if (match(_items[i]))
                return i;
        return -1;
    }

    public T? Find(Predicate<T> match)
    {
        int i = FindIndex(match);
        return i < 0 ? default : _items[i];
    }

    public List<T> FindAll(Predicate<T> match)
    {
        var result = new List<T>();
        for (int i = 0; i < _size; i++)
            if (match(_items[i]))
                result.Add(_items[i]);
        return result;
    }

    public bool Exists(Predicate<T> match) => FindIndex(match) >= 0;

    public bool TrueForAll(Predicate<T> match)
    {
        for (int i = 0; i < _size; i++)
            if (!match(_items[i]))
                return false;
        return true;
    }

    public void ForEach(Action<T> action)
    {
        for (int i = 0; i < _size; i++)
            action(_items[i]);
    }

    public T[] ToArray()
    {
        T[] array = new T[_size];
        Array.Copy(_items, 0, array, 0, _size);
        return array;
    }

    public void CopyTo(T[] array, int arrayIndex) => Array.Copy(_items, 0, array, arrayIndex, _size);

    public List<T> GetRange(int index, int count)
    {
        if (index < 0 || count < 0 || _size - index < count)
            throw new ArgumentOutOfRangeException("index", "index and count do not denote a range of the list.");
        var result = new List<T>(count);
        Array.Copy(_items, index, result._items, 0, count);
        result._size = count;
        return result;
    }

    public void Reverse()
    {
        Array.Reverse(_items, 0, _size);
        _version++;
    }

    public void Sort()
    {
        ArraySort<T>.Sort(_items, 0, _size, Comparer<T>.Default);
        _version++;
    }

    public void Sort(Comparison<T> comparison)
    {
        ArraySort<T>.Sort(_items, 0, _size, comparison);
        _version++;
    }

    public void Sort(IComparer<T>? comparer)
    {
        ArraySort<T>.Sort(_items, 0, _size, comparer ?? Comparer<T>.Default);
        _version++;
    }

    public int BinarySearch(T item) => Array.BinarySearch(_items, 0, _size, item);

    public Span<T> AsSpan() => new Span<T>(_items, 0, _size);

    private void Grow(int needed)
    {
        int size = _items.Length == 0 ? 4 : _items.Length * 2;
        if (size < needed)
            size = needed;
        Capacity = size;
    }

    public Enumerator GetEnumerator() => new Enumerator(this);
    IEnumerator<T> IEnumerable<T>.GetEnumerator() => new Enumerator(this);
    IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

    public struct Enumerator : IEnumerator<T>
    {
        private readonly List<T> _list;
        private readonly int _version;
        private int _index;
        private T _current;

        internal Enumerator(List<T> list)
        {
            _list = list;
            _version = list._version;
            _index = 0;
            _current = default!;
        }

        public bool MoveNext()
        {
            if (_version != _list._version)
                throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
            if (_index < _list._size)
            {
                _current = _list._items[_index++];
                return true;
            }
            _current = default!;
            return false;
        }

        public T Current => _current;
        object? IEnumerator.Current => _current;
        public void Reset() { _index = 0; _current = default!; }
        public void Dispose() { }
    }
}
