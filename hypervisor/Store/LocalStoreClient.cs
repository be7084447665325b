// A store client inside the hypervisor process, for domain 0's own code (backends such as a
// future netback watching its frontends' state, the toolstack side of device setup). It speaks
// the same requests as every other client, so permissions, transactions and watches behave the
// same; it just skips the transport. Watch callbacks run on the thread whose request caused the
// change (a guest's store thread, a socket client, the caller): keep them short.
using System.Text;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

public sealed class LocalStoreClient : IDisposable
{
    private readonly XenStore _store;
    private readonly StoreConnection _conn;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, (XsdSockMsgType, byte[])> _replies = [];
    private readonly Dictionary<string, Action<string, string>> _watches = new(StringComparer.Ordinal);
    private uint _reqId;

    public LocalStoreClient(XenStore store, uint domid = 0, string name = "domain0")
    {
        _store = store;
        _conn = new StoreConnection(domid, name);
        _conn.OutputQueued += _ => Deliver();
        store.Attach(_conn);
    }

    /// <summary>One request; the reply's type and payload (ERROR carries the error name).</summary>
    public (XsdSockMsgType Type, byte[] Payload) Request(XsdSockMsgType type, ReadOnlySpan<byte> payload, uint tx = 0)
    {
        uint id;
        lock (_lock)
            id = ++_reqId;
        var h = new XsdSockMsg { Type = (uint)type, ReqId = id, TxId = tx, Len = (uint)payload.Length };
        _store.Process(_conn, h, payload);
        Deliver();
        lock (_lock)
        {
            return _replies.Remove(id, out var r) ? r : (XsdSockMsgType.Error, "EIO\0"u8.ToArray());
        }
    }

    /// <summary>Sorts queued messages into replies and watch events; runs watch callbacks outside the lock.</summary>
    private void Deliver()
    {
        List<(Action<string, string>, string, string)>? calls = null;
        lock (_lock)
        {
            while (_conn.TakeOutput() is { } msg)
            {
                if (XsCodec.TryDecode(msg, out var h, out var p, out _) != XsDecodeStatus.Ok)
                    continue;
                if (h.Type != (uint)XsdSockMsgType.WatchEvent)
                {
                    _replies[h.ReqId] = ((XsdSockMsgType)h.Type, p.ToArray());
                    continue;
                }
                if (XsCodec.TryParseWatch(p, out var path, out var token) == XsDecodeStatus.Ok
                    && _watches.TryGetValue(Encoding.Latin1.GetString(token), out var cb))
                    (calls ??= []).Add((cb, Encoding.ASCII.GetString(path), Encoding.Latin1.GetString(token)));
            }
        }
        if (calls is null)
            return;
        foreach (var (cb, path, token) in calls)
            cb(path, token);
    }

    private static byte[] Arg(string path) => [.. Encoding.ASCII.GetBytes(path), 0];

    private static XsError ErrorOf(XsdSockMsgType t, byte[] p) =>
        t != XsdSockMsgType.Error ? XsError.None : XsCodec.TryParseError(p, out var e) == XsDecodeStatus.Ok ? e : XsError.EIO;

    /// <summary>The value, or null (ENOENT, EACCES...).</summary>
    public string? Read(string path, uint tx = 0)
    {
        var (t, p) = Request(XsdSockMsgType.Read, Arg(path), tx);
        return t == XsdSockMsgType.Error ? null : Encoding.UTF8.GetString(p);
    }

    public XsError Write(string path, string value, uint tx = 0)
    {
        var (t, p) = Request(XsdSockMsgType.Write, [.. Encoding.ASCII.GetBytes(path), 0, .. Encoding.UTF8.GetBytes(value)], tx);
        return ErrorOf(t, p);
    }

    public XsError Mkdir(string path, uint tx = 0) => ErrorOf(Request(XsdSockMsgType.Mkdir, Arg(path), tx));
    public XsError Remove(string path, uint tx = 0) => ErrorOf(Request(XsdSockMsgType.Rm, Arg(path), tx));

    public string[]? Directory(string path, uint tx = 0)
    {
        var (t, p) = Request(XsdSockMsgType.Directory, Arg(path), tx);
        return t == XsdSockMsgType.Error ? null : Encoding.ASCII.GetString(p).Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    public XsError SetPerms(string path, NodePerms perms, uint tx = 0) =>
        ErrorOf(Request(XsdSockMsgType.SetPerms, [.. Encoding.ASCII.GetBytes(path), 0, .. perms.ToWire()], tx));

    public NodePerms? GetPerms(string path, uint tx = 0)
    {
        var (t, p) = Request(XsdSockMsgType.GetPerms, Arg(path), tx);
        return t != XsdSockMsgType.Error && NodePerms.TryParseWire(p, out var perms) ? perms : null;
    }

    /// <summary>Registers <paramref name="callback"/>(path, token); it runs once right away (as every new watch fires).</summary>
    public XsError Watch(string path, string token, Action<string, string> callback)
    {
        lock (_lock)
        {
            if (_watches.ContainsKey(token))
                return XsError.EEXIST;
            _watches[token] = callback;
        }
        XsError e = ErrorOf(Request(XsdSockMsgType.Watch, [.. Encoding.ASCII.GetBytes(path), 0, .. Encoding.Latin1.GetBytes(token), 0]));
        if (e != XsError.None)
        {
            lock (_lock)
                _watches.Remove(token);
        }
        return e;
    }

    public XsError Unwatch(string path, string token)
    {
        XsError e = ErrorOf(Request(XsdSockMsgType.Unwatch, [.. Encoding.ASCII.GetBytes(path), 0, .. Encoding.Latin1.GetBytes(token), 0]));
        lock (_lock)
            _watches.Remove(token);
        return e;
    }

    /// <summary>A new transaction id (0 with the error on failure).</summary>
    public (XsError Error, uint Id) TransactionStart()
    {
        var (t, p) = Request(XsdSockMsgType.TransactionStart, [0]);
        if (t == XsdSockMsgType.Error)
            return (ErrorOf(t, p), 0);
        return XsCodec.TryParseUInt(p, out uint id) ? (XsError.None, id) : (XsError.EIO, 0);
    }

    /// <summary>Commit or abort; EAGAIN means: start again.</summary>
    public XsError TransactionEnd(uint tx, bool commit) =>
        ErrorOf(Request(XsdSockMsgType.TransactionEnd, commit ? "T\0"u8 : "F\0"u8, tx));

    /// <summary>Runs <paramref name="body"/> inside a transaction and commits it, starting
    /// again on EAGAIN (a conflicting write) up to <paramref name="attempts"/> times; an error
    /// from the body aborts the transaction and is returned.</summary>
    public XsError InTransaction(Func<uint, XsError> body, int attempts = 16)
    {
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            var (e, tx) = TransactionStart();
            if (e != XsError.None)
                return e;
            e = body(tx);
            if (e != XsError.None)
            {
                TransactionEnd(tx, commit: false);
                return e;
            }
            e = TransactionEnd(tx, commit: true);
            if (e != XsError.EAGAIN)
                return e;
        }
        return XsError.EAGAIN;
    }

    private static XsError ErrorOf((XsdSockMsgType T, byte[] P) r) => ErrorOf(r.T, r.P);

    public void Dispose() => _store.Close(_conn);
}
