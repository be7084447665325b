// IPv4 fragment reassembly (RFC 791 section 3.2, RFC 815's idea of tracking holes): a fixed
// number of slots, each a preallocated buffer for one datagram plus a bitmap of the 8-byte
// blocks received, so memory is bounded however many fragments arrive, duplicates and overlaps
// cost nothing extra, and completion is a counter compare. A datagram that does not complete
// within the timeout (RFC 1122 suggests 60-120 s is too long for a host; Linux uses 30 s) frees
// its slot; when every slot is busy the oldest datagram is evicted, so a fragment flood can
// delay reassembly but never exhaust memory or wedge it.
using System;

namespace ParaKit.Net.Stack;

public enum ReassemblyResult
{
    /// <summary>Stored; the datagram is still missing pieces.</summary>
    Pending,
    /// <summary>The datagram is whole: the out span holds its payload.</summary>
    Complete,
    /// <summary>A non-final fragment whose length is not a multiple of 8, or an empty one.</summary>
    Bad,
    /// <summary>Would end beyond the largest datagram a slot holds.</summary>
    TooBig,
    /// <summary>Contradicts what arrived before (two different ends, data past the end):
    /// the whole datagram is dropped.</summary>
    Inconsistent,
}

public sealed class Reassembler
{
    private readonly uint[] _src, _dst;
    private readonly ushort[] _id;
    private readonly byte[] _proto;
    private readonly bool[] _used;
    private readonly ulong[] _deadline;
    private readonly int[] _total;       // payload length once the last fragment came, else -1
    private readonly int[] _maxEnd;      // furthest byte any fragment reached
    private readonly int[] _blocks;      // distinct 8-byte blocks received
    private readonly byte[][] _data;
    private readonly byte[][] _bitmap;
    private readonly Ipv4Info[] _first;  // header fields of the datagram (from its first fragment seen)

    public int MaxPayload { get; }
    public ulong TimeoutNs { get; }
    public ulong Timeouts { get; private set; }
    public ulong Evictions { get; private set; }

    public Reassembler(int slots, int maxPayload, ulong timeoutNs)
    {
        MaxPayload = maxPayload;
        TimeoutNs = timeoutNs;
        _src = new uint[slots];
        _dst = new uint[slots];
        _id = new ushort[slots];
        _proto = new byte[slots];
        _used = new bool[slots];
        _deadline = new ulong[slots];
        _total = new int[slots];
        _maxEnd = new int[slots];
        _blocks = new int[slots];
        _first = new Ipv4Info[slots];
        _data = new byte[slots][];
        _bitmap = new byte[slots][];
        int blocks = (maxPayload + 7) / 8;
        for (int i = 0; i < slots; i++)
        {
            _data[i] = new byte[maxPayload];
            _bitmap[i] = new byte[(blocks + 7) / 8];
        }
    }

    public int InUse
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _used.Length; i++)
                if (_used[i])
                    n++;
            return n;
        }
    }

    /// <summary>Adds one fragment (<paramref name="offset"/> in bytes, <paramref name="more"/>
    /// the MF flag). On Complete, <paramref name="datagram"/> is the payload, valid until the
    /// next call.</summary>
    public ReassemblyResult Add(Ipv4Info info, ushort id, int offset, bool more, ReadOnlySpan<byte> data, ulong nowNs, out ReadOnlySpan<byte> datagram)
    {
        datagram = default;
        if (data.Length == 0 || (more && (data.Length & 7) != 0))
            return ReassemblyResult.Bad;
        int end = offset + data.Length;
        int slot = Find(info, id);
        if (end > MaxPayload)
        {
            if (slot >= 0)
                _used[slot] = false;
            return ReassemblyResult.TooBig;
        }
        if (slot < 0)
            slot = Open(info, id, nowNs);

        if (!more)
        {
            if ((_total[slot] >= 0 && _total[slot] != end) || _maxEnd[slot] > end)
            {
                _used[slot] = false;
                return ReassemblyResult.Inconsistent;
            }
            _total[slot] = end;
        }
        else if (_total[slot] >= 0 && end > _total[slot])
        {
            _used[slot] = false;
            return ReassemblyResult.Inconsistent;
        }
        if (end > _maxEnd[slot])
            _maxEnd[slot] = end;
        if (offset == 0)
            _first[slot] = info;   // the first fragment's TTL and flags are the datagram's

        data.CopyTo(_data[slot].AsSpan(offset));
        byte[] bits = _bitmap[slot];
        int lastBlock = (end - 1) >> 3;
        for (int b = offset >> 3; b <= lastBlock; b++)
        {
            int mask = 1 << (b & 7);
            if ((bits[b >> 3] & mask) == 0)
            {
                bits[b >> 3] |= (byte)mask;
                _blocks[slot]++;
            }
        }

        int total = _total[slot];
        if (total < 0 || _blocks[slot] != (total + 7) >> 3)
            return ReassemblyResult.Pending;
        _used[slot] = false;
        LastInfo = _first[slot];
        datagram = _data[slot].AsSpan(0, total);
        return ReassemblyResult.Complete;
    }

    /// <summary>Header fields of the datagram that just completed (from its offset-0 fragment).</summary>
    public Ipv4Info LastInfo { get; private set; }

    private int Find(in Ipv4Info info, ushort id)
    {
        for (int i = 0; i < _used.Length; i++)
            if (_used[i] && _id[i] == id && _src[i] == info.Source && _dst[i] == info.Destination && _proto[i] == info.Protocol)
                return i;
        return -1;
    }

    private int Open(in Ipv4Info info, ushort id, ulong nowNs)
    {
        int slot = -1;
        for (int i = 0; i < _used.Length; i++)
        {
            if (!_used[i])
            {
                slot = i;
                break;
            }
            if (slot < 0 || _deadline[i] < _deadline[slot])
                slot = i;
        }
        if (_used[slot])
            Evictions++;
        _used[slot] = true;
        _src[slot] = info.Source;
        _dst[slot] = info.Destination;
        _proto[slot] = info.Protocol;
        _id[slot] = id;
        _deadline[slot] = nowNs + TimeoutNs;
        _total[slot] = -1;
        _maxEnd[slot] = 0;
        _blocks[slot] = 0;
        _first[slot] = info;
        _bitmap[slot].AsSpan().Clear();
        return slot;
    }

    /// <summary>Frees datagrams whose time is up.</summary>
    public void Tick(ulong nowNs)
    {
        for (int i = 0; i < _used.Length; i++)
        {
            if (_used[i] && nowNs >= _deadline[i])
            {
                _used[i] = false;
                Timeouts++;
            }
        }
    }
}
