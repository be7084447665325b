// ParaKit's xenstored: the daemon side of docs/misc/xenstore.txt, pure C# and free of KVM so
// every rule is testable. Clients are StoreConnections (a guest's ring, a domain-0 socket, a
// test); each request goes through Process, which answers with exactly one reply (the result or
// an ERROR such as "EACCES\0") and queues WATCH_EVENTs for every connection whose watch the
// request touched. Peer bytes never raise: a malformed request gets EINVAL. One lock guards
// the whole store; operations are microseconds, so one lock keeps the semantics obvious.
using System.Globalization;
using System.Text;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

/// <summary>Counters a user can print (parakit xenstore stats, tests, benchmarks).</summary>
public sealed class StoreStats
{
    public long Requests;
    public long Errors;
    public long WatchEvents;
    public long Commits;
    public long Conflicts;
    public long ClosedConnections;
    /// <summary>Requests that hit a bug in the store (answered EIO). Always 0, or it is a bug.</summary>
    public long InternalErrors;
    /// <summary>Times a client's next request was held back because it had not taken
    /// <see cref="StoreQuotas.OutstandingReplies"/> replies (see <see cref="XenStore.MayRead"/>).</summary>
    public long Stalls;
}

public sealed class XenStore
{
    public const string IntroduceDomainWatch = "@introduceDomain";
    public const string ReleaseDomainWatch = "@releaseDomain";

    private readonly Lock _lock = new();
    private readonly List<StoreConnection> _connections = [];
    private readonly HashSet<uint> _introduced = [];
    private StoreState _live = StoreState.Empty();
    private long _gen;
    private uint _nextTx = 1;

    public StoreQuotas Quotas { get; }
    public StoreStats Stats { get; } = new();

    public XenStore(StoreQuotas? quotas = null)
    {
        Quotas = quotas ?? new StoreQuotas();
        foreach (string p in new[] { DomainsPath, "/tool" })
            _live.Write(0, p, null, Quotas, ++_gen, null, []);
        // Domain 0's own home, as xl writes it.
        _live.Write(0, "/local/domain/0/name", "Domain-0"u8.ToArray(), Quotas, ++_gen, null, []);
        _live.Write(0, "/local/domain/0/domid", "0"u8.ToArray(), Quotas, ++_gen, null, []);
    }

    private const string DomainsPath = "/local/domain";

    public static string DomainPath(uint domid) => DomainsPath + "/" + domid.ToString(CultureInfo.InvariantCulture);

    // ---- connections -------------------------------------------------------------------------

    public void Attach(StoreConnection c)
    {
        lock (_lock)
            _connections.Add(c);
    }

    /// <summary>Drops a connection with its watches and open transactions (a closed socket, a
    /// destroyed domain, a misbehaving ring). The store keeps serving everyone else.</summary>
    public void Close(StoreConnection c)
    {
        lock (_lock)
        {
            if (!_connections.Remove(c))
                return;
            c.IsClosed = true;
            c.Watches.Clear();
            c.Transactions.Clear();
            Stats.ClosedConnections++;
        }
    }

    /// <summary>Whether a transport may read <paramref name="c"/>'s next request now: not while
    /// it has the quota of replies untaken (the request waits in the ring or socket, and the
    /// client's own sends block: nothing grows without bound). Counted in <see cref="StoreStats.Stalls"/>.</summary>
    public bool MayRead(StoreConnection c)
    {
        if (c.MayRead(Quotas.OutstandingReplies))
            return true;
        Interlocked.Increment(ref Stats.Stalls);
        return false;
    }

    public int ConnectionCount
    {
        get { lock (_lock) return _connections.Count; }
    }

    // ---- domain 0's in-process API (the toolstack side, like libxl writing the store) ----------

    /// <summary>Makes the store aware of a new domain and writes the nodes a Xen toolstack writes:
    /// its home (readable by it), name, domid, memory/target, and the directories it owns.
    /// Fires @introduceDomain.</summary>
    public void IntroduceDomain(uint domid, string name, ulong memoryKiB)
    {
        var changes = new List<StoreChange>();
        lock (_lock)
        {
            var ro = new NodePerms([new XsPermEntry(0, XsAccess.None), new XsPermEntry(domid, XsAccess.Read)]);
            var rw = NodePerms.Owned(domid);
            string id = domid.ToString(CultureInfo.InvariantCulture);
            _live.WriteTree(DomainsPath, new StoreSeed(id, "", ro,
            [
                new("name", name, ro),
                new("domid", id, ro),
                new("memory", "", ro, [new("target", memoryKiB.ToString(CultureInfo.InvariantCulture), ro)]),
                new("data", "", rw), new("device", "", rw), new("control", "", rw),
                new("error", "", rw), new("drivers", "", rw), new("attr", "", rw),
            ]), Quotas, ++_gen, changes);
            _introduced.Add(domid);
            changes.Add(new StoreChange(IntroduceDomainWatch, false, null));
            Fire(changes);
        }
        SignalAll();
    }

    /// <summary>The domain is gone: drop its connections, remove its home, fire @releaseDomain.</summary>
    public void ReleaseDomain(uint domid)
    {
        var changes = new List<StoreChange>();
        lock (_lock)
        {
            foreach (var c in _connections.Where(c => c.DomId == domid && domid != 0).ToList())
            {
                _connections.Remove(c);
                c.IsClosed = true;
                c.Watches.Clear();
                c.Transactions.Clear();
            }
            if (!_introduced.Remove(domid))
                return;
            _live.Remove(0, DomainPath(domid), null, ++_gen, changes);
            changes.Add(new StoreChange(ReleaseDomainWatch, false, null));
            Fire(changes);
        }
        SignalAll();
    }

    public bool IsIntroduced(uint domid)
    {
        lock (_lock)
            return _introduced.Contains(domid);
    }

    /// <summary>Domain 0 reads a value (null if absent).</summary>
    public string? Read(string path)
    {
        lock (_lock)
            return _live.Read(0, path, null, out byte[] v) == XsError.None ? Encoding.ASCII.GetString(v) : null;
    }

    /// <summary>Domain 0 writes a value and fires watches.</summary>
    public XsError Write(string path, string value)
    {
        if (!XsPaths.IsValid(Encoding.ASCII.GetBytes(path)) || path[0] != '/')
            return XsError.EINVAL;
        var changes = new List<StoreChange>();
        XsError e;
        lock (_lock)
        {
            e = _live.Write(0, path, Encoding.ASCII.GetBytes(value), Quotas, ++_gen, null, changes);
            Fire(changes);
        }
        SignalAll();
        return e;
    }

    /// <summary>A consistent copy of the whole store, for inspection.</summary>
    public string Dump()
    {
        lock (_lock)
            return _live.Dump();
    }

    internal int NodesOwnedBy(uint domid)
    {
        lock (_lock)
            return _live.CountOf(domid);
    }

    // ---- what XS_CONTROL reports (called with the lock held, from Execute) --------------------

    /// <summary>Inconsistencies between the live tree and the store's books (node counts per
    /// owner); empty when all is well.</summary>
    internal List<string> CheckLocked()
    {
        var problems = new List<string>();
        var counted = new Dictionary<uint, int>();
        foreach (var n in _live.Root.Subtree())
        {
            counted.TryGetValue(n.Perms.Owner, out int k);
            counted[n.Perms.Owner] = k + 1;
        }
        // The root is nobody's quota: it was there before any domain.
        counted[_live.Root.Perms.Owner]--;
        foreach (uint dom in counted.Keys.Union(_live.NodeCounts.Keys).Order())
        {
            counted.TryGetValue(dom, out int want);
            int have = _live.CountOf(dom);
            if (want != have)
                problems.Add($"domain {dom} owns {want} nodes but is charged for {have}");
        }
        foreach (var c in _connections)
        {
            if (c.IsClosed)
                problems.Add($"{c} is closed but still attached");
        }
        return problems;
    }

    /// <summary>What one domain holds in the store (what `xenstore-control quota N` prints),
    /// or null if the store knows no such domain.</summary>
    public (int Connections, int Watches, int Transactions, int Outstanding, long Stalls, int Nodes)? Usage(uint domid)
    {
        lock (_lock)
            return UsageLocked(domid);
    }

    /// <summary><see cref="Usage"/> with the lock held.</summary>
    internal (int Connections, int Watches, int Transactions, int Outstanding, long Stalls, int Nodes)? UsageLocked(uint domid)
    {
        if (domid != 0 && !_introduced.Contains(domid))
            return null;
        int conns = 0, watches = 0, txs = 0, outstanding = 0;
        long stalls = 0;
        foreach (var c in _connections)
        {
            if (c.DomId != domid)
                continue;
            conns++;
            watches += c.Watches.Count;
            txs += c.Transactions.Count;
            outstanding += c.OutstandingReplies;
            stalls += c.Stalls;
        }
        return (conns, watches, txs, outstanding, stalls, _live.CountOf(domid));
    }

    // ---- the wire --------------------------------------------------------------------------

    /// <summary>Handles one request from <paramref name="c"/>: exactly one reply is queued on it,
    /// and watch events on every affected connection. Never throws on peer input.</summary>
    public void Process(StoreConnection c, in XsdSockMsg header, ReadOnlySpan<byte> payload)
    {
        var touched = new HashSet<StoreConnection>();
        lock (_lock)
        {
            if (c.IsClosed)
                return;
            Stats.Requests++;
            var changes = new List<StoreChange>();
            Action? afterReply = null;
            byte[]? reply = null;
            // A length that disagrees with the header is a transport bug; answer it all the same.
            XsError error;
            try
            {
                error = payload.Length != header.Len || payload.Length > XsLimits.PayloadMax
                    ? XsError.EINVAL
                    : Execute(c, header, payload, changes, out reply, out afterReply);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug here must cost one request, not the hypervisor (socket and ring threads
                // would otherwise die). Tests assert that this count stays 0.
                Stats.InternalErrors++;
                System.Console.Error.WriteLine($"parakit: xenstored: internal error on {(XsdSockMsgType)header.Type} from {c}: {e.Message}");
                if (HypervisorEvents.Log.IsEnabled())
                    HypervisorEvents.Log.Error(c.DomId, "xenstored", $"internal error on {(XsdSockMsgType)header.Type}: {e.Message}");
                changes.Clear();
                reply = null;
                afterReply = null;
                error = XsError.EIO;
            }
            Reply(c, header, error, reply);
            if (HypervisorEvents.Log.IsEnabled())
                HypervisorEvents.Log.XenStoreRequest(c.DomId, ((XsdSockMsgType)header.Type).ToString(), header.TxId, payload.Length, (int)error);
            afterReply?.Invoke();
            touched.Add(c);
            foreach (var t in Fire(changes))
                touched.Add(t);
        }
        foreach (var t in touched)
            t.SignalOutput();
    }

    private void Reply(StoreConnection c, in XsdSockMsg h, XsError error, byte[]? reply)
    {
        if (error != XsError.None)
        {
            Stats.Errors++;
            Span<byte> buf = stackalloc byte[16];
            XsCodec.TryBuildError(buf, error, out int n);
            c.Enqueue(XsdSockMsgType.Error, h.ReqId, h.TxId, buf[..n]);
            return;
        }
        c.Enqueue((XsdSockMsgType)h.Type, h.ReqId, h.TxId, reply ?? XsCodec.OkPayload);
    }

    /// <summary>Resolves a client path: absolute paths as given, relative ones below the
    /// client's home. Null if the path breaks xenstore.txt's rules.</summary>
    private static string? Resolve(StoreConnection c, ReadOnlySpan<byte> raw)
    {
        if (!XsPaths.IsValid(raw))
            return null;
        string p = Encoding.ASCII.GetString(raw);
        if (p[0] == '/')
            return p;
        string abs = DomainPath(c.DomId) + "/" + p;
        return abs.Length <= XsLimits.AbsPathMax ? abs : null;
    }

    private static bool TryPathArg(StoreConnection c, ReadOnlySpan<byte> payload, out string path)
    {
        path = "";
        if (XsCodec.TryParsePath(payload, out var raw) != XsDecodeStatus.Ok || Resolve(c, raw) is not { } p)
            return false;
        path = p;
        return true;
    }

    /// <summary>A single nul-terminated argument such as a domain id ("5\0"); the nul is optional.</summary>
    private static bool TryUIntArg(ReadOnlySpan<byte> payload, out uint value)
    {
        value = 0;
        int nul = payload.IndexOf((byte)0);
        return (nul < 0 || nul == payload.Length - 1) && XsCodec.TryParseUInt(payload, out value);
    }

    private XsError Execute(StoreConnection c, in XsdSockMsg h, ReadOnlySpan<byte> payload, List<StoreChange> changes, out byte[]? reply, out Action? afterReply)
    {
        reply = null;
        afterReply = null;
        var type = (XsdSockMsgType)h.Type;

        // Requests that take no transaction.
        switch (type)
        {
            case XsdSockMsgType.Watch:
                return Watch(c, payload, out afterReply);
            case XsdSockMsgType.Unwatch:
                return Unwatch(c, payload);
            case XsdSockMsgType.TransactionStart:
                return TransactionStart(c, h, payload, out reply);
            case XsdSockMsgType.TransactionEnd:
                return TransactionEnd(c, h, payload, changes);
            case XsdSockMsgType.GetDomainPath:
                if (!TryUIntArg(payload, out uint d))
                    return XsError.EINVAL;
                reply = Encoding.ASCII.GetBytes(DomainPath(d) + "\0");
                return XsError.None;
            case XsdSockMsgType.IsDomainIntroduced:
                if (!c.IsPrivileged)
                    return XsError.EACCES;
                if (!TryUIntArg(payload, out d))
                    return XsError.EINVAL;
                reply = _introduced.Contains(d) ? "T\0"u8.ToArray() : "F\0"u8.ToArray();
                return XsError.None;
            case XsdSockMsgType.Introduce:
                return Introduce(c, payload, changes);
            case XsdSockMsgType.Release:
                if (!c.IsPrivileged)
                    return XsError.EACCES;
                if (!TryUIntArg(payload, out d) || d == 0)
                    return XsError.EINVAL;
                if (!_introduced.Remove(d))
                    return XsError.ENOENT;
                // Changes fire after the reply is queued, so the caller sees OK before the event.
                changes.Add(new StoreChange(ReleaseDomainWatch, false, null));
                return XsError.None;
            case XsdSockMsgType.ResetWatches:
                c.Watches.Clear();
                return XsError.None;
            case XsdSockMsgType.Resume or XsdSockMsgType.SetTarget:
                return c.IsPrivileged ? XsError.ENOSYS : XsError.EACCES;
            case XsdSockMsgType.Control:
                if (!c.IsPrivileged)
                    return XsError.EACCES;
                return StoreControl.Execute(this, payload, out reply);
            case XsdSockMsgType.Read or XsdSockMsgType.Directory or XsdSockMsgType.DirectoryPart or XsdSockMsgType.GetPerms
                or XsdSockMsgType.Write or XsdSockMsgType.Mkdir or XsdSockMsgType.Rm or XsdSockMsgType.SetPerms:
                break;
            default:
                // Types this store does not implement (and WATCH_EVENT/ERROR, which only the
                // store sends) get ENOSYS, as C xenstored answers them.
                return XsError.ENOSYS;
        }

        // Tree operations, in a transaction or on the live store.
        StoreTransaction? tx = null;
        if (h.TxId != 0 && (!c.Transactions.TryGetValue(h.TxId, out tx)))
            return XsError.ENOENT;
        StoreState state = tx?.State ?? _live;
        StoreState.IAccessLog? log = tx;
        var txChanges = tx is null ? changes : [];
        XsError result;
        switch (type)
        {
            case XsdSockMsgType.Read:
            {
                if (!TryPathArg(c, payload, out string p))
                    return XsError.EINVAL;
                result = state.Read(c.DomId, p, log, out byte[] v);
                reply = v;
                return result;
            }
            case XsdSockMsgType.Directory:
            {
                if (!TryPathArg(c, payload, out string p))
                    return XsError.EINVAL;
                result = state.Directory(c.DomId, p, log, out string[] names);
                if (result != XsError.None)
                    return result;
                reply = Encoding.ASCII.GetBytes(string.Concat(names.Select(n => n + "\0")));
                return reply.Length > XsLimits.PayloadMax ? XsError.E2BIG : XsError.None;
            }
            case XsdSockMsgType.DirectoryPart:
                return DirectoryPart(c, state, log, payload, out reply);
            case XsdSockMsgType.GetPerms:
            {
                if (!TryPathArg(c, payload, out string p))
                    return XsError.EINVAL;
                result = state.GetPerms(c.DomId, p, log, out var perms);
                reply = perms?.ToWire();
                return result;
            }
            default: // the mutations below
                break;
        }

        // Mutations: parse, then run on the chosen state (and log for replay inside a transaction).
        Func<StoreState, long, List<StoreChange>, XsError> op;
        uint dom = c.DomId;
        var quotas = Quotas;
        switch (type)
        {
            case XsdSockMsgType.Write:
            {
                if (XsCodec.TryParseWrite(payload, out var raw, out var value) != XsDecodeStatus.Ok || Resolve(c, raw) is not { } p)
                    return XsError.EINVAL;
                byte[] v = value.ToArray();
                op = (s, g, ch) => s.Write(dom, p, v, quotas, g, s == tx?.State ? tx : null, ch);
                break;
            }
            case XsdSockMsgType.Mkdir:
            {
                if (!TryPathArg(c, payload, out string p))
                    return XsError.EINVAL;
                op = (s, g, ch) => s.Write(dom, p, null, quotas, g, s == tx?.State ? tx : null, ch);
                break;
            }
            case XsdSockMsgType.Rm:
            {
                if (!TryPathArg(c, payload, out string p))
                    return XsError.EINVAL;
                op = (s, g, ch) => s.Remove(dom, p, s == tx?.State ? tx : null, g, ch);
                break;
            }
            default: // SetPerms: "path\0perm\0perm\0..."
            {
                int nul = payload.IndexOf((byte)0);
                if (nul <= 0 || Resolve(c, payload[..nul]) is not { } p || !NodePerms.TryParseWire(payload[(nul + 1)..], out var perms))
                    return XsError.EINVAL;
                op = (s, g, ch) => s.SetPerms(dom, p, perms!, quotas, g, s == tx?.State ? tx : null, ch);
                break;
            }
        }
        result = op(state, ++_gen, txChanges);
        if (tx is not null && result == XsError.None)
        {
            tx.Log.Add(op);
        }
        return result;
    }

    private XsError DirectoryPart(StoreConnection c, StoreState state, StoreState.IAccessLog? log, ReadOnlySpan<byte> payload, out byte[]? reply)
    {
        // "path\0offset\0" → "<generation>\0" then whole child names from byte offset, and an
        // extra "\0" once the list is complete (docs/misc/xenstore.txt).
        reply = null;
        if (XsCodec.TryParseWatch(payload, out var raw, out var off) != XsDecodeStatus.Ok || Resolve(c, raw) is not { } p
            || !XsCodec.TryParseUInt(off, out uint offset))
            return XsError.EINVAL;
        XsError e = state.Directory(c.DomId, p, log, out string[] names);
        if (e != XsError.None)
            return e;
        var node = StoreTree.Get(state.Root, p)!;
        byte[] all = Encoding.ASCII.GetBytes(string.Concat(names.Select(n => n + "\0")));
        if (offset > all.Length)
            return XsError.EINVAL;
        var sb = new List<byte>(Encoding.ASCII.GetBytes(node.Gen.ToString(CultureInfo.InvariantCulture) + "\0"));
        int at = (int)offset;
        while (at < all.Length)
        {
            int end = Array.IndexOf(all, (byte)0, at) + 1;
            if (sb.Count + (end - at) + 1 > XsLimits.PayloadMax)
                break;
            sb.AddRange(all.AsSpan(at, end - at).ToArray());
            at = end;
        }
        if (at == all.Length)
            sb.Add(0);
        reply = [.. sb];
        return XsError.None;
    }

    private XsError Watch(StoreConnection c, ReadOnlySpan<byte> payload, out Action? afterReply)
    {
        afterReply = null;
        if (XsCodec.TryParseWatch(payload, out var rawPath, out var rawToken) != XsDecodeStatus.Ok || !XsPaths.IsValidWatch(rawPath))
            return XsError.EINVAL;
        string given = Encoding.ASCII.GetString(rawPath);
        string token = Encoding.Latin1.GetString(rawToken);
        string abs = given[0] is '/' or '@' ? given : DomainPath(c.DomId) + "/" + given;
        string prefix = given[0] is '/' or '@' ? "" : DomainPath(c.DomId) + "/";
        if (c.Watches.Any(w => w.Path == abs && w.Token == token))
            return XsError.EEXIST;
        if (!c.IsPrivileged && c.Watches.Count >= Quotas.WatchesPerDomain)
            return XsError.E2BIG;
        var watch = new StoreWatch(abs, token, prefix);
        c.Watches.Add(watch);
        // A watch fires once as soon as it is set, so the client reads the current state.
        afterReply = () => Event(c, watch, abs);
        return XsError.None;
    }

    private static XsError Unwatch(StoreConnection c, ReadOnlySpan<byte> payload)
    {
        if (XsCodec.TryParseWatch(payload, out var rawPath, out var rawToken) != XsDecodeStatus.Ok || !XsPaths.IsValidWatch(rawPath))
            return XsError.EINVAL;
        string given = Encoding.ASCII.GetString(rawPath);
        string token = Encoding.Latin1.GetString(rawToken);
        string abs = given[0] is '/' or '@' ? given : DomainPath(c.DomId) + "/" + given;
        return c.Watches.RemoveAll(w => w.Path == abs && w.Token == token) > 0 ? XsError.None : XsError.ENOENT;
    }

    private XsError TransactionStart(StoreConnection c, in XsdSockMsg h, ReadOnlySpan<byte> payload, out byte[]? reply)
    {
        reply = null;
        if (payload.Length > 1 || (payload.Length == 1 && payload[0] != 0))
            return XsError.EINVAL;
        if (h.TxId != 0)
            return XsError.EBUSY; // no nested transactions
        if (!c.IsPrivileged && c.Transactions.Count >= Quotas.TransactionsPerDomain)
            return XsError.ENOSPC;
        uint id;
        do
        {
            id = _nextTx++;
        }
        while (id == 0 || c.Transactions.ContainsKey(id));
        c.Transactions[id] = new StoreTransaction(id, c, _live);
        reply = Encoding.ASCII.GetBytes(id.ToString(CultureInfo.InvariantCulture) + "\0");
        return XsError.None;
    }

    private XsError TransactionEnd(StoreConnection c, in XsdSockMsg h, ReadOnlySpan<byte> payload, List<StoreChange> changes)
    {
        if (XsCodec.TryParseTransactionEnd(payload, out bool commit) != XsDecodeStatus.Ok)
            return XsError.EINVAL;
        if (h.TxId == 0 || !c.Transactions.Remove(h.TxId, out var tx))
            return XsError.ENOENT;
        if (!commit)
            return XsError.None;
        if (tx.Log.Count == 0)
            return XsError.None; // a read-only transaction saw one consistent snapshot: nothing to check
        if (tx.Conflicts(_live))
        {
            Stats.Conflicts++;
            return XsError.EAGAIN;
        }
        // Replay on a copy so that a failure (a quota reached meanwhile) leaves the live store untouched.
        var next = _live.Clone();
        var replayed = new List<StoreChange>();
        foreach (var op in tx.Log)
        {
            XsError e = op(next, ++_gen, replayed);
            if (e != XsError.None)
                return e;
        }
        _live = next;
        changes.AddRange(replayed);
        Stats.Commits++;
        return XsError.None;
    }

    private XsError Introduce(StoreConnection c, ReadOnlySpan<byte> payload, List<StoreChange> changes)
    {
        // "domid\0mfn\0port\0": ParaKit's domains are introduced by the hypervisor itself, which
        // owns the ring; over the wire, domain 0 can only mark a domain as introduced.
        if (!c.IsPrivileged)
            return XsError.EACCES;
        int nul = payload.IndexOf((byte)0);
        if (nul <= 0 || !XsCodec.TryParseUInt(payload[..nul], out uint d) || d == 0)
            return XsError.EINVAL;
        if (_introduced.Add(d))
            changes.Add(new StoreChange(IntroduceDomainWatch, false, null));
        return XsError.None;
    }

    // ---- watches ------------------------------------------------------------------------------

    /// <summary>Queues WATCH_EVENTs for every change; returns the connections that got some.</summary>
    private List<StoreConnection> Fire(List<StoreChange> changes)
    {
        var hit = new List<StoreConnection>();
        if (changes.Count == 0)
            return hit;
        foreach (var conn in _connections)
        {
            bool any = false;
            foreach (var w in conn.Watches)
            {
                foreach (var ch in changes)
                {
                    if (ch.Path[0] == '@' || w.IsSpecial)
                    {
                        // Special events go only to domain 0 (their nodes are domain 0's in Xen).
                        if (w.Path == ch.Path && conn.IsPrivileged)
                            any |= Event(conn, w, ch.Path);
                        continue;
                    }
                    if (ch.Perms is { } perms && !perms.Allows(conn.DomId, XsAccess.Read))
                        continue;
                    if (StoreTree.IsAtOrBelow(ch.Path, w.Path))
                        any |= Event(conn, w, ch.Path);
                    else if (ch.Recursive && StoreTree.IsAtOrBelow(w.Path, ch.Path))
                        any |= Event(conn, w, w.Path);
                }
            }
            if (any)
                hit.Add(conn);
        }
        return hit;
    }

    private bool Event(StoreConnection conn, StoreWatch w, string absolute)
    {
        if (conn.PendingOutput >= Quotas.MaxQueuedMessages)
        {
            conn.DroppedEvents++;
            return false;
        }
        byte[] path = Encoding.ASCII.GetBytes(w.ClientPath(absolute));
        byte[] token = Encoding.Latin1.GetBytes(w.Token);
        var buf = new byte[path.Length + token.Length + 2];
        if (!XsCodec.TryBuildWatch(buf, path, token, out int n))
            return false;
        conn.Enqueue(XsdSockMsgType.WatchEvent, 0, 0, buf.AsSpan(0, n));
        Stats.WatchEvents++;
        return true;
    }

    private void SignalAll()
    {
        StoreConnection[] all;
        lock (_lock)
            all = [.. _connections];
        foreach (var c in all)
        {
            if (c.PendingOutput > 0)
                c.SignalOutput();
        }
    }
}
