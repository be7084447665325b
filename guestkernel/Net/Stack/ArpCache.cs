// The ARP cache (RFC 826, timers as RFC 1122 2.3.2.1 asks): a fixed number of entries, each
// Free, Incomplete (a request is out, retried until it gives up) or Resolved (valid until it
// expires), and a bounded pool of frames waiting for their next hop to resolve. Everything is
// allocated up front, so a flood of ARP or of packets to unknown hosts costs no memory, only
// evictions and drops the stack counts. Pure data: the stack sends the requests it is told to.
using System;

namespace ParaKit.Net.Stack;

public sealed class ArpCache
{
    private const byte Free = 0, Incomplete = 1, Resolved = 2;

    private readonly uint[] _ip;
    private readonly ulong[] _mac;
    private readonly byte[] _state;
    private readonly ulong[] _deadline;   // Resolved: expiry; Incomplete: next retry
    private readonly int[] _requests;     // Incomplete: requests sent so far

    private readonly byte[][] _pending;
    private readonly int[] _pendingLength;
    private readonly uint[] _pendingHop;  // 0 = slot free (0.0.0.0 is never a next hop)

    public ulong EntryLifetimeNs { get; }
    public ulong RetryIntervalNs { get; }
    public int MaxRequests { get; }

    public ArpCache(int entries, int pendingFrames, int frameSize, ulong entryLifetimeNs, ulong retryIntervalNs, int maxRequests)
    {
        _ip = new uint[entries];
        _mac = new ulong[entries];
        _state = new byte[entries];
        _deadline = new ulong[entries];
        _requests = new int[entries];
        _pending = new byte[pendingFrames][];
        for (int i = 0; i < pendingFrames; i++)
            _pending[i] = new byte[frameSize];
        _pendingLength = new int[pendingFrames];
        _pendingHop = new uint[pendingFrames];
        EntryLifetimeNs = entryLifetimeNs;
        RetryIntervalNs = retryIntervalNs;
        MaxRequests = maxRequests;
    }

    public int Capacity => _ip.Length;

    private int Find(uint ip)
    {
        for (int i = 0; i < _ip.Length; i++)
            if (_state[i] != Free && _ip[i] == ip)
                return i;
        return -1;
    }

    /// <summary>The MAC of a resolved, unexpired entry.</summary>
    public bool TryLookup(uint ip, ulong nowNs, out ulong mac)
    {
        mac = 0;
        int i = Find(ip);
        if (i < 0 || _state[i] != Resolved)
            return false;
        if (nowNs >= _deadline[i])
        {
            _state[i] = Free;
            return false;
        }
        mac = _mac[i];
        return true;
    }

    /// <summary>True while a request for <paramref name="ip"/> is outstanding.</summary>
    public bool IsResolving(uint ip)
    {
        int i = Find(ip);
        return i >= 0 && _state[i] == Incomplete;
    }

    /// <summary>RFC 826's merge: refreshes an existing entry; creates one only when
    /// <paramref name="create"/> (the packet was for us), so unsolicited ARP chatter from the
    /// whole segment cannot churn the cache. Returns true when an Incomplete entry resolved
    /// (its waiting frames can go). <paramref name="evicted"/> counts a resolved entry pushed out.</summary>
    public bool Update(uint ip, ulong mac, ulong nowNs, bool create, ref ulong evicted)
    {
        int i = Find(ip);
        if (i < 0)
        {
            if (!create)
                return false;
            i = Allocate(ref evicted);
            if (i < 0)
                return false;
            _ip[i] = ip;
        }
        bool wasIncomplete = _state[i] == Incomplete;
        _state[i] = Resolved;
        _mac[i] = mac;
        _deadline[i] = nowNs + EntryLifetimeNs;
        return wasIncomplete;
    }

    /// <summary>Starts resolving <paramref name="ip"/> (the caller sends the first request now).
    /// False when every entry is itself resolving: then the caller drops the packet.</summary>
    public bool StartResolve(uint ip, ulong nowNs, ref ulong evicted)
    {
        int i = Find(ip);
        if (i >= 0 && _state[i] == Incomplete)
            return true;
        if (i < 0)
        {
            i = Allocate(ref evicted);
            if (i < 0)
                return false;
        }
        _ip[i] = ip;
        _state[i] = Incomplete;
        _requests[i] = 1;
        _deadline[i] = nowNs + RetryIntervalNs;
        return true;
    }

    /// <summary>A free entry, else the resolved one closest to expiry; never an Incomplete one
    /// (its frames would be stranded).</summary>
    private int Allocate(ref ulong evicted)
    {
        int victim = -1;
        for (int i = 0; i < _ip.Length; i++)
        {
            if (_state[i] == Free)
                return i;
            if (_state[i] == Resolved && (victim < 0 || _deadline[i] < _deadline[victim]))
                victim = i;
        }
        if (victim >= 0)
        {
            _state[victim] = Free;
            evicted++;
        }
        return victim;
    }

    /// <summary>The timer: expires resolved entries and returns, one per call, an Incomplete
    /// entry whose retry is due. <paramref name="giveUp"/> says its requests are spent: the
    /// entry is freed and the caller drops its waiting frames; otherwise the caller sends
    /// another request. Returns false when nothing more is due.</summary>
    public bool NextDue(ulong nowNs, out uint ip, out bool giveUp)
    {
        ip = 0;
        giveUp = false;
        for (int i = 0; i < _ip.Length; i++)
        {
            if (_state[i] == Free || nowNs < _deadline[i])
                continue;
            if (_state[i] == Resolved)
            {
                _state[i] = Free;
                continue;
            }
            ip = _ip[i];
            if (_requests[i] >= MaxRequests)
            {
                _state[i] = Free;
                giveUp = true;
            }
            else
            {
                _requests[i]++;
                _deadline[i] = nowNs + RetryIntervalNs;
            }
            return true;
        }
        return false;
    }

    /// <summary>Parks a frame until <paramref name="nextHop"/> resolves; false when the pool is
    /// full or the frame does not fit.</summary>
    public bool Enqueue(uint nextHop, ReadOnlySpan<byte> frame)
    {
        for (int s = 0; s < _pending.Length; s++)
        {
            if (_pendingHop[s] != 0)
                continue;
            if (frame.Length > _pending[s].Length)
                return false;
            frame.CopyTo(_pending[s]);
            _pendingLength[s] = frame.Length;
            _pendingHop[s] = nextHop;
            return true;
        }
        return false;
    }

    /// <summary>A parked frame for <paramref name="nextHop"/>, oldest slot first; the caller
    /// sends it (the span stays valid until <see cref="Release"/>).</summary>
    public int TakePending(uint nextHop)
    {
        for (int s = 0; s < _pending.Length; s++)
            if (_pendingHop[s] == nextHop)
                return s;
        return -1;
    }

    public Span<byte> PendingFrame(int slot) => _pending[slot].AsSpan(0, _pendingLength[slot]);

    public void Release(int slot) => _pendingHop[slot] = 0;

    /// <summary>Drops every frame parked for <paramref name="nextHop"/>; returns how many.</summary>
    public int DropPending(uint nextHop)
    {
        int n = 0;
        for (int s = 0; s < _pending.Length; s++)
        {
            if (_pendingHop[s] == nextHop)
            {
                _pendingHop[s] = 0;
                n++;
            }
        }
        return n;
    }

    public int PendingCount
    {
        get
        {
            int n = 0;
            for (int s = 0; s < _pendingHop.Length; s++)
                if (_pendingHop[s] != 0)
                    n++;
            return n;
        }
    }
}
