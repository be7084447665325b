// Half-open connections of every listener (SYN received, SYN-ACK sent, waiting for the ACK).
// An entry is a few numbers, not a connection: a connection and its buffers are only taken when
// the handshake completes. The table is bounded and, when full, the oldest entry makes room for
// the new SYN (counted), so a flood of SYNs from forged addresses ages out instead of locking
// real clients out: a client that answers within one refill of the table gets through.
namespace ParaKit.Net.Stack;

internal struct TcpHalfOpen
{
    public bool InUse;
    public uint RemoteIp;
    public ushort RemotePort, LocalPort;
    public uint Iss, Irs;
    public ushort PeerMss;
    /// <summary>The peer's window-scale shift, -1 when its SYN had none (then neither side scales).</summary>
    public int PeerWindowScale;
    public ushort PeerWindow;
    public ulong CreatedNs, SentNs, NextRetryNs;
    public int Retries;
}

internal sealed class TcpSynQueue
{
    private readonly TcpHalfOpen[] _entries;

    public TcpSynQueue(int entries) => _entries = new TcpHalfOpen[entries];

    public int Capacity => _entries.Length;

    public int InUse
    {
        get
        {
            int n = 0;
            foreach (TcpHalfOpen e in _entries)
                if (e.InUse)
                    n++;
            return n;
        }
    }

    public ref TcpHalfOpen this[int i] => ref _entries[i];

    public int Find(uint remoteIp, ushort remotePort, ushort localPort)
    {
        for (int i = 0; i < _entries.Length; i++)
        {
            ref TcpHalfOpen e = ref _entries[i];
            if (e.InUse && e.RemoteIp == remoteIp && e.RemotePort == remotePort && e.LocalPort == localPort)
                return i;
        }
        return -1;
    }

    /// <summary>A free entry, or the oldest one when all are taken (<paramref name="evicted"/> true).</summary>
    public int Take(out bool evicted)
    {
        int oldest = 0;
        for (int i = 0; i < _entries.Length; i++)
        {
            if (!_entries[i].InUse)
            {
                evicted = false;
                return i;
            }
            if (_entries[i].CreatedNs < _entries[oldest].CreatedNs)
                oldest = i;
        }
        evicted = true;
        return oldest;
    }

    public void Remove(int i) => _entries[i].InUse = false;

    /// <summary>Drops every entry of a listener that stopped.</summary>
    public void RemovePort(ushort localPort)
    {
        for (int i = 0; i < _entries.Length; i++)
            if (_entries[i].LocalPort == localPort)
                _entries[i].InUse = false;
    }
}
