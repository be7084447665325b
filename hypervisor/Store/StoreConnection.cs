// One client of the store: a guest's ring page, a domain-0 Unix socket client or a test. The
// store appends replies and watch events to its outbox; the transport drains the outbox when
// it can (ring space, socket writes). Watches and open transactions belong to the connection
// and go away with it.
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

public class StoreConnection(uint domId, string name)
{
    /// <summary>Messages (header + payload) waiting for the transport.</summary>
    private readonly Queue<byte[]> _outbox = new();
    private readonly Lock _outLock = new();
    private int _outstanding;

    public uint DomId { get; } = domId;
    public string Name { get; } = name;
    public bool IsPrivileged => DomId == 0;
    /// <summary>Set once the store has given up on this connection (or the transport closed it).</summary>
    public bool IsClosed { get; internal set; }
    /// <summary>Watch events dropped because the client stopped reading (outbox full).</summary>
    public long DroppedEvents { get; internal set; }

    /// <summary>Times the transport held this client's next request back because it had
    /// <see cref="StoreQuotas.OutstandingReplies"/> replies it had not taken yet.</summary>
    public long Stalls { get; private set; }

    internal List<StoreWatch> Watches { get; } = [];
    internal Dictionary<uint, StoreTransaction> Transactions { get; } = [];

    /// <summary>Raised after messages were queued (on the thread that queued them).</summary>
    public event Action<StoreConnection>? OutputQueued;

    public int PendingOutput
    {
        get { lock (_outLock) return _outbox.Count; }
    }

    /// <summary>Replies queued and not yet taken by the transport (watch events not counted):
    /// cxenstored's "outstanding requests".</summary>
    public int OutstandingReplies
    {
        get { lock (_outLock) return _outstanding; }
    }

    /// <summary>Whether the transport may read this client's next request: not while
    /// <paramref name="quota"/> replies wait for it (cxenstored's quota-outstanding; the client
    /// is held back, not refused). Counts each time it says no.</summary>
    internal bool MayRead(int quota)
    {
        lock (_outLock)
        {
            if (_outstanding < quota)
                return true;
            Stalls++;
            return false;
        }
    }

    internal void Enqueue(XsdSockMsgType type, uint reqId, uint txId, ReadOnlySpan<byte> payload)
    {
        var msg = new byte[XsdSockMsg.Size + payload.Length];
        XsCodec.TryEncode(msg, type, reqId, txId, payload, out _);
        lock (_outLock)
        {
            _outbox.Enqueue(msg);
            if (type != XsdSockMsgType.WatchEvent)
                _outstanding++;
        }
    }

    internal void SignalOutput() => OutputQueued?.Invoke(this);

    /// <summary>The next message to send, without removing it (a transport may send it in parts).</summary>
    public byte[]? PeekOutput()
    {
        lock (_outLock)
            return _outbox.Count > 0 ? _outbox.Peek() : null;
    }

    public byte[]? TakeOutput()
    {
        lock (_outLock)
        {
            if (_outbox.Count == 0)
                return null;
            byte[] msg = _outbox.Dequeue();
            if (BitConverter.ToUInt32(msg, 0) != (uint)XsdSockMsgType.WatchEvent)
                _outstanding--;
            return msg;
        }
    }

    public override string ToString() => $"{Name} (domain {DomId})";
}

/// <summary>A registered watch. <see cref="Prefix"/> is non-empty when the client gave a relative
/// path: events then carry paths relative to its home, as Xen does.</summary>
internal sealed record StoreWatch(string Path, string Token, string Prefix)
{
    public bool IsSpecial => Path.StartsWith('@');

    /// <summary>The path as the client would write it.</summary>
    public string ClientPath(string absolute) =>
        Prefix.Length > 0 && absolute.StartsWith(Prefix, StringComparison.Ordinal) ? absolute[Prefix.Length..] : absolute;
}
