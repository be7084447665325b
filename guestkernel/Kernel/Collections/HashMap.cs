// A hash map with open addressing and linear probing (power-of-two table, grows at 3/4 full,
// tombstones on removal). Keys must implement IEquatable<TKey> so lookups call Equals and
// GetHashCode directly, without boxing.
namespace ParaKit.Kernel.Collections;

public sealed class HashMap<TKey, TValue> where TKey : System.IEquatable<TKey>
{
    private const byte Empty = 0, Used = 1, Deleted = 2;

    private TKey[] _keys;
    private TValue[] _values;
    private byte[] _states;
    private int _count;
    private int _occupied; // used + deleted slots: what makes probing slow

    public HashMap(int capacity = 8)
    {
        int size = 8;
        while (size < capacity * 2)
            size *= 2;
        _keys = new TKey[size];
        _values = new TValue[size];
        _states = new byte[size];
    }

    public int Count => _count;

    public TValue this[TKey key]
    {
        get
        {
            if (!TryGetValue(key, out TValue value))
                throw new System.Collections.Generic.KeyNotFoundException();
            return value;
        }
        set => Set(key, value);
    }

    private static int Hash(TKey key)
    {
        // Mix the bits so sequential integer keys do not cluster.
        uint h = (uint)key.GetHashCode();
        h ^= h >> 16;
        h *= 0x7FEB352D;
        h ^= h >> 15;
        return (int)(h & 0x7FFFFFFF);
    }

    private int Find(TKey key)
    {
        int mask = _keys.Length - 1;
        for (int i = Hash(key) & mask; ; i = (i + 1) & mask)
        {
            byte state = _states[i];
            if (state == Empty)
                return -1;
            if (state == Used && _keys[i].Equals(key))
                return i;
        }
    }

    public bool ContainsKey(TKey key) => Find(key) >= 0;

    public bool TryGetValue(TKey key, out TValue value)
    {
        int i = Find(key);
        if (i < 0)
        {
            value = default!;
            return false;
        }
        value = _values[i];
        return true;
    }

    /// <summary>Adds or replaces; returns true if the key was new.</summary>
    public bool Set(TKey key, TValue value)
    {
        int existing = Find(key);
        if (existing >= 0)
        {
            _values[existing] = value;
            return false;
        }
        if ((_occupied + 1) * 4 > _keys.Length * 3)
            Resize(_count * 2 >= _keys.Length / 2 ? _keys.Length * 2 : _keys.Length);
        int mask = _keys.Length - 1;
        int i = Hash(key) & mask;
        while (_states[i] == Used)
            i = (i + 1) & mask;
        if (_states[i] == Empty)
            _occupied++;
        _states[i] = Used;
        _keys[i] = key;
        _values[i] = value;
        _count++;
        return true;
    }

    public bool Remove(TKey key)
    {
        int i = Find(key);
        if (i < 0)
            return false;
        _states[i] = Deleted;
        _keys[i] = default!;
        _values[i] = default!;
        _count--;
        return true;
    }

    private void Resize(int size)
    {
        TKey[] oldKeys = _keys;
        TValue[] oldValues = _values;
        byte[] oldStates = _states;
        _keys = new TKey[size];
        _values = new TValue[size];
        _states = new byte[size];
        _count = 0;
        _occupied = 0;
        for (int i = 0; i < oldKeys.Length; i++)
        {
            if (oldStates[i] == Used)
                Set(oldKeys[i], oldValues[i]);
        }
    }

    /// <summary>Visits every entry (order unspecified).</summary>
    public void ForEach(System.Action<TKey, TValue> visit)
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            if (_states[i] == Used)
                visit(_keys[i], _values[i]);
        }
    }
}
