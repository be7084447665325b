// System.Collections.Generic.Queue<T> (a circular buffer) and Stack<T> (an array), each with a
// struct enumerator in .NET's order: the queue from its head, the stack from its top.
namespace System.Collections.Generic;

public class Queue<T> : IEnumerable<T>, IReadOnlyCollection<T>
{
    private T[] _array = Array.Empty<T>();
    private int _head;
    private int _size;
    private int _version;

    public Queue() { }
    public Queue(int capacity) { _array = new T[capacity]; }

    public Queue(IEnumerable<T> items)
    {
        foreach (T item in items)
            Enqueue(item);
    }

    public int Count => _size;

    public void Enqueue(T item)
    {
        if (_size == _array.Length)
        {
            T[] larger = new T[_array.Length == 0 ? 4 : _array.Length * 2];
            for (int i = 0; i < _size; i++)
                larger[i] = _array[(_head + i) % _array.Length];
            _array = larger;
            _head = 0;
        }
        _array[(_head + _size) % _array.Length] = item;
        _size++;
        _version++;
    }

    public T Dequeue()
    {
        if (_size == 0)
            throw new InvalidOperationException("Queue empty.");
        T item = _array[_head];
        _array[_head] = default!;
        _head = (_head + 1) % _array.Length;
        _size--;
        _version++;
        return item;
    }

    public bool TryDequeue(out T result)
    {
        if (_size == 0)
        {
            result = default!;
            return false;
        }
        result = Dequeue();
        return true;
    }

    public T Peek()
    {
        if (_size == 0)
            throw new InvalidOperationException("Queue empty.");
        return _array[_head];
    }

    public bool TryPeek(out T result)
    {
        result = _size == 0 ? default! : _array[_head];
        return _size != 0;
    }

    public bool Contains(T item)
    {
        EqualityComparer<T> eq = EqualityComparer<T>.Default;
        for (int i = 0; i < _size; i++)
            if (eq.Equals(_array[(_head + i) % _array.Length], item))
                return true;
        return false;
    }

    public void Clear()
    {
        Array.Clear(_array, 0, _array.Length);
        _head = 0;
        _size = 0;
        _version++;
    }

    public T[] ToArray()
    {
        T[] result = new T[_size];
        for (int i = 0; i < _size; i++)
            result[i] = _array[(_head + i) % _array.Length];
        return result;
    }

    public Enumerator GetEnumerator() => new Enumerator(this);
    IEnumerator<T> IEnumerable<T>.GetEnumerator() => new Enumerator(this);
    IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

    public struct Enumerator : IEnumerator<T>
    {
        private readonly Queue<T> _q;
        private readonly int _version;
        private int _index;
        private T _current;

        internal Enumerator(Queue<T> q)
        {
            _q = q;
            _version = q._version;
            _index = 0;
            _current = default!;
        }

        public bool MoveNext()
        {
            if (_version != _q._version)
                throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
            if (_index >= _q._size)
                return false;
            _current = _q._array[(_q._head + _index++) % _q._array.Length];
            return true;
        }

        public T Current => _current;
        object? IEnumerator.Current => _current;
        public void Reset() { _index = 0; }
        public void Dispose() { }
    }
}

public class Stack<T> : IEnumerable<T>, IReadOnlyCollection<T>
{
    private T[] _array = Array.Empty<T>();
    private int _size;
    private int _version;

    public Stack() { }
    public Stack(int capacity) { _array = new T[capacity]; }

    public Stack(IEnumerable<T> items)
    {
        foreach (T item in items)
            Push(item);
    }

    public int Count => _size;

    public void Push(T item)
    {
        if (_size == _array.Length)
        {
            T[] larger = new T[_array.Length == 0 ? 4 : _array.Length * 2];
            Array.Copy(_array, 0, larger, 0, _size);
            _array = larger;
        }
        _array[_size++] = item;
        _version++;
    }

    public T Pop()
    {
        if (_size == 0)
            throw new InvalidOperationException("Stack empty.");
        T item = _array[--_size];
        _array[_size] = default!;
        _version++;
        return item;
    }

    public bool TryPop(out T result)
    {
        if (_size == 0)
        {
            result = default!;
            return false;
        }
        result = Pop();
        return true;
    }

    public T Peek()
    {
        if (_size == 0)
            throw new InvalidOperationException("Stack empty.");
        return _array[_size - 1];
    }

    public bool TryPeek(out T result)
    {
        result = _size == 0 ? default! : _array[_size - 1];
        return _size != 0;
    }

    public bool Contains(T item) => _size > 0 && Array.IndexOf(_array, item, 0, _size) >= 0;

    public void Clear()
    {
        Array.Clear(_array, 0, _size);
        _size = 0;
        _version++;
    }

    public T[] ToArray()
    {
        T[] result = new T[_size];
        for (int i = 0; i < _size; i++)
            result[i] = _array[_size - 1 - i];
        return result;
    }

    public Enumerator GetEnumerator() => new Enumerator(this);
    IEnumerator<T> IEnumerable<T>.GetEnumerator() => new Enumerator(this);
    IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

    public struct Enumerator : IEnumerator<T>
    {
        private readonly Stack<T> _s;
        private readonly int _version;
        private int _index;
        private T _current;

        internal Enumerator(Stack<T> s)
        {
            _s = s;
            _version = s._version;
            _index = s._size;
            _current = default!;
        }

        public bool MoveNext()
        {
            if (_version != _s._version)
                throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
            if (_index <= 0)
                return false;
            _current = _s._array[--_index];
            return true;
        }

        public T Current => _current;
        object? IEnumerator.Current => _current;
        public void Reset() { _index = _s._size; }
        public void Dispose() { }
    }
}
