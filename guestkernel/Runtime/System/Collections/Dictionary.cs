// System.Collections.Generic.Dictionary<TKey,TValue> and HashSet<T>: chained buckets over an
// entry array, as .NET lays them out, so enumeration follows insertion order until something is
// removed (then freed slots are reused first, as in .NET). Keys hash and compare through
// EqualityComparer<TKey>.Default or the comparer you pass.
namespace System.Collections.Generic;

public readonly struct KeyValuePair<TKey, TValue>
{
    public KeyValuePair(TKey key, TValue value)
    {
        Key = key;
        Value = value;
    }

    public TKey Key { get; }
    public TValue Value { get; }

    public void Deconstruct(out TKey key, out TValue value)
    {
        key = Key;
        value = Value;
    }

    public override string ToString() => "[" + Key?.ToString() + ", " + Value?.ToString() + "]";
}

// The table both collections share: entries with their hash and the next entry in the chain.
internal struct HashEntry<TKey, TValue>
{
    public int HashCode;
    public int Next;          // index of the next entry in the chain, -1 at the end; -3 - next free (<= -2) when free
    public TKey Key;
    public TValue Value;
}

public class Dictionary<TKey, TValue> : IEnumerable<KeyValuePair<TKey, TValue>>, IReadOnlyCollection<KeyValuePair<TKey, TValue>> where TKey : notnull
{
    private int[] _buckets = Array.Empty<int>();           // 1-based entry index, 0 = empty
    private HashEntry<TKey, TValue>[] _entries = Array.Empty<HashEntry<TKey, TValue>>();
    private int _count;                                     // entries used, including freed ones
    private int _freeList = -1;
    private int _freeCount;
    private int _version;
    private readonly IEqualityComparer<TKey> _comparer;

    public Dictionary() : this(0, null) { }
    public Dictionary(int capacity) : this(capacity, null) { }
    public Dictionary(IEqualityComparer<TKey>? comparer) : this(0, comparer) { }

    public Dictionary(int capacity, IEqualityComparer<TKey>? comparer)
    {
        if (capacity < 0)
            throw new ArgumentOutOfRangeException("capacity", "Non-negative number required.");
        _comparer = comparer ?? EqualityComparer<TKey>.Default;
        if (capacity > 0)
            Initialize(capacity);
    }

    public int Count => _count - _freeCount;
    public IEqualityComparer<TKey> Comparer => _comparer;

    public TValue this[TKey key]
    {
        get
        {
            int i = FindEntry(key);
            if (i < 0)
                throw new KeyNotFoundException("The given key '" + key.ToString() + "' was not present in the dictionary.");
            return _entries[i].Value;
        }
        set => Insert(key, value, overwrite: true);
    }

    public void Add(TKey key, TValue value) => Insert(key, value, overwrite: false);

    public bool TryAdd(TKey key, TValue value)
    {
        if (FindEntry(key) >= 0)
            return false;
        Insert(key, value, overwrite: false);
        return true;
    }

    public bool ContainsKey(TKey key) => FindEntry(key) >= 0;

    public bool ContainsValue(TValue value)
    {
        EqualityComparer<TValue> eq = EqualityComparer<TValue>.Default;
        for (int i = 0; i < _count; i++)
            if (_entries[i].Next >= -1 && eq.Equals(_entries[i].Value, value))
                return true;
        return false;
    }

    public bool TryGetValue(TKey key, out TValue value)
    {
        int i = FindEntry(key);
        if (i >= 0)
        {
            value = _entries[i].Value;
            return true;
        }
        value = default!;
        return false;
    }

    public TValue GetValueOrDefault(TKey key, TValue defaultValue = default!)
        => TryGetValue(key, out TValue value) ? value : defaultValue;

    public bool Remove(TKey key) => Remove(key, out _);

    public bool Remove(TKey key, out TValue value)
    {
        if (key is null)
            throw new ArgumentNullException("key");
        if (_buckets.Length > 0)
        {
            int hash = _comparer.GetHashCode(key) & 0x7FFFFFFF;
            int bucket = hash % _buckets.Length;
            int last = -1;
            for (int i = _buckets[bucket] - 1; i >= 0; last = i, i = _entries[i].Next)
            {
                ref HashEntry<TKey, TValue> e = ref _entries[i];
                if (e.HashCode == hash && _comparer.Equals(e.Key, key))
                {
                    if (last < 0)
                        _buckets[bucket] = e.Next + 1;
                    else
                        _entries[last].Next = e.Next;
                    value = e.Value;
                    e.Next = -3 - _freeList;
                    e.Key = default!;
                    e.Value = default!;
                    _freeList = i;
                    _freeCount++;
                    _version++;
                    return true;
                }
            }
        }
        value = default!;
        return false;
    }

    public void Clear()
    {
        if (_count > 0)
        {
            Array.Clear(_buckets, 0, _buckets.Length);
            Array.Clear(_entries, 0, _count);
            _count = 0;
            _freeList = -1;
            _freeCount = 0;
            _version++;
        }
    }

    private void Initialize(int capacity)
    {
        int size = HashPrimes.AtLeast(capacity);
        _buckets = new int[size];
        _entries = new HashEntry<TKey, TValue>[size];
        _freeList = -1;
    }

    private int FindEntry(TKey key)
    {
        if (key is null)
            throw new ArgumentNullException("key");
        if (_buckets.Length == 0)
            return -1;
        int hash = _comparer.GetHashCode(key) & 0x7FFFFFFF;
        for (int i = _buckets[hash % _buckets.Length] - 1; i >= 0; i = _entries[i].Next)
            if (_entries[i].HashCode == hash && _comparer.Equals(_entries[i].Key, key))
                return i;
        return -1;
    }

    private void Insert(TKey key, TValue value, bool overwrite)
    {
        if (key is null)
            throw new ArgumentNullException("key");
        if (_buckets.Length == 0)
            Initialize(0);
        int hash = _comparer.GetHashCode(key) & 0x7FFFFFFF;
        int bucket = hash % _buckets.Length;
        for (int i = _buckets[bucket] - 1; i >= 0; i = _entries[i].Next)
        {
            if (_entries[i].HashCode == hash && _comparer.Equals(_entries[i].Key, key))
            {
                if (!overwrite)
                    throw new ArgumentException("An item with the same key has already been added. Key: " + key.ToString());
                _entries[i].Value = value;
                _version++;
                return;
            }
        }
        int index;
        if (_freeCount > 0)
        {
            index = _freeList;
            _freeList = -3 - _entries[index].Next;
            _freeCount--;
        }
        else
        {
            if (_count == _entries.Length)
            {
                Resize();
                bucket = hash % _buckets.Length;
            }
            index = _count++;
        }
        ref HashEntry<TKey, TValue> e = ref _entries[index];
        e.HashCode = hash;
        e.Next = _buckets[bucket] - 1;
        e.Key = key;
        e.Value = value;
        _buckets[bucket] = index + 1;
        _version++;
    }

    private void Resize()
    {
        int size = HashPrimes.AtLeast(_count * 2);
        var entries = new HashEntry<TKey, TValue>[size];
        Array.Copy(_entries, 0, entries, 0, _count);
        _buckets = new int[size];
        for (int i = 0; i < _count; i++)
        {
            if (entries[i].Next >= -1)
            {
                int bucket = entries[i].HashCode % size;
                entries[i].Next = _buckets[bucket] - 1;
                _buckets[bucket] = i + 1;
            }
        }
        _entries = entries;
    }

    public KeyCollection Keys => new KeyCollection(this);
    public ValueCollection Values => new ValueCollection(this);

    public Enumerator GetEnumerator() => new Enumerator(this);
    IEnumerator<KeyValuePair<TKey, TValue>> IEnumerable<KeyValuePair<TKey, TValue>>.GetEnumerator() => new Enumerator(this);
    IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

    public struct Enumerator : IEnumerator<KeyValuePair<TKey, TValue>>
    {
        private readonly Dictionary<TKey, TValue> _d;
        private readonly int _version;
        private int _index;
        private KeyValuePair<TKey, TValue> _current;

        internal Enumerator(Dictionary<TKey, TValue> d)
        {
            _d = d;
            _version = d._version;
            _index = 0;
            _current = default;
        }

        public bool MoveNext()
        {
            if (_version != _d._version)
                throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
            while (_index < _d._count)
            {
                ref HashEntry<TKey, TValue> e = ref _d._entries[_index++];
                if (e.Next >= -1)
                {
                    _current = new KeyValuePair<TKey, TValue>(e.Key, e.Value);
                    return true;
                }
            }
            _current = default;
            return false;
        }

        public KeyValuePair<TKey, TValue> Current => _current;
        object? IEnumerator.Current => _current;
        public void Reset() { _index = 0; }
        public void Dispose() { }
    }

    public sealed class KeyCollection : IEnumerable<TKey>, IReadOnlyCollection<TKey>
    {
        private readonly Dictionary<TKey, TValue> _d;
        internal KeyCollection(Dictionary<TKey, TValue> d) { _d = d; }
        public int Count => _d.Count;
        public KeyEnumerator GetEnumerator() => new KeyEnumerator(_d);
        IEnumerator<TKey> IEnumerable<TKey>.GetEnumerator() => new KeyEnumerator(_d);
        IEnumerator IEnumerable.GetEnumerator() => new KeyEnumerator(_d);
    }

    public struct KeyEnumerator : IEnumerator<TKey>
    {
        private Enumerator _inner;
        internal KeyEnumerator(Dictionary<TKey, TValue> d) { _inner = new Enumerator(d); }
        public bool MoveNext() => _inner.MoveNext();
        public TKey Current => _inner.Current.Key;
        object? IEnumerator.Current => Current;
        public void Reset() => _inner.Reset();
        public void Dispose() { }
    }

    public sealed class ValueCollection : IEnumerable<TValue>, IReadOnlyCollection<TValue>
    {
        private readonly Dictionary<TKey, TValue> _d;
        internal ValueCollection(Dictionary<TKey, TValue> d) { _d = d; }
        public int Count => _d.Count;
        public ValueEnumerator GetEnumerator() => new ValueEnumerator(_d);
        IEnumerator<TValue> IEnumerable<TValue>.GetEnumerator() => new ValueEnumerator(_d);
        IEnumerator IEnumerable.GetEnumerator() => new ValueEnumerator(_d);
    }

    public struct ValueEnumerator : IEnumerator<TValue>
    {
        private Enumerator _inner;
        internal ValueEnumerator(Dictionary<TKey, TValue> d) { _inner = new Enumerator(d); }
        public bool MoveNext() => _inner.MoveNext();
        public TValue Current => _inner.Current.Value;
        object? IEnumerator.Current => Current;
        public void Reset() => _inner.Reset();
        public void Dispose() { }
    }
}

/// <summary>A set of distinct values: a Dictionary without values.</summary>
public class HashSet<T> : IEnumerable<T>, IReadOnlyCollection<T> where T : notnull
{
    private readonly Dictionary<T, bool> _map;

    public HashSet() { _map = new Dictionary<T, bool>(); }
    public HashSet(IEqualityComparer<T>? comparer) { _map = new Dictionary<T, bool>(comparer); }

    public HashSet(IEnumerable<T> items) : this()
    {
        UnionWith(items);
    }

    public int Count => _map.Count;
    public bool Add(T item) => _map.TryAdd(item, true);
    public bool Remove(T item) => _map.Remove(item);
    public bool Contains(T item) => _map.ContainsKey(item);
    public void Clear() => _map.Clear();

    public void UnionWith(IEnumerable<T> other)
    {
        foreach (T item in other)
            Add(item);
    }

    public void ExceptWith(IEnumerable<T> other)
    {
        foreach (T item in other)
            Remove(item);
    }

    public void IntersectWith(IEnumerable<T> other)
    {
        var keep = new HashSet<T>();
        foreach (T item in other)
            if (Contains(item))
                keep.Add(item);
        var drop = new List<T>();
        foreach (T item in this)
            if (!keep.Contains(item))
                drop.Add(item);
        foreach (T item in drop)
            Remove(item);
    }

    public bool SetEquals(IEnumerable<T> other)
    {
        var seen = new HashSet<T>();
        foreach (T item in other)
        {
            if (!Contains(item))
                return false;
            seen.Add(item);
        }
        return seen.Count == Count;
    }

    public Enumerator GetEnumerator() => new Enumerator(_map);
    IEnumerator<T> IEnumerable<T>.GetEnumerator() => new Enumerator(_map);
    IEnumerator IEnumerable.GetEnumerator() => new Enumerator(_map);

    public struct Enumerator : IEnumerator<T>
    {
        private Dictionary<T, bool>.Enumerator _inner;
        internal Enumerator(Dictionary<T, bool> map) { _inner = map.GetEnumerator(); }
        public bool MoveNext() => _inner.MoveNext();
        public T Current => _inner.Current.Key;
        object? IEnumerator.Current => Current;
        public void Reset() => _inner.Reset();
        public void Dispose() { }
    }
}

internal static class HashPrimes
{
    private static readonly int[] s_primes =
    {
        3, 7, 11, 17, 23, 29, 37, 47, 59, 71, 89, 107, 131, 163, 197, 239, 293, 353, 431, 521, 631, 761, 919,
        1103, 1327, 1597, 1931, 2333, 2801, 3371, 4049, 4861, 5839, 7013, 8419, 10103, 12143, 14591,
        17519, 21023, 25229, 30293, 36353, 43627, 52361, 62851, 75431, 90523, 108631, 130363, 156437,
        187751, 225307, 270371, 324449, 389357, 467237, 560689, 672827, 807403, 968897, 1162687, 1395263,
        1674319, 2009191, 2411033, 2893249, 3471899, 4166287, 4999559, 5999471, 7199369,
    };

    public static int AtLeast(int min)
    {
        foreach (int p in s_primes)
            if (p >= min)
                return p;
        for (int i = min | 1; i < int.MaxValue; i += 2)
        {
            bool prime = true;
            for (int d = 3; d * d <= i; d += 2)
                if (i % d == 0) { prime = false; break; }
            if (prime)
                return i;
        }
        return min;
    }
}
