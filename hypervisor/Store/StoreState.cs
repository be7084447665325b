// A version of the whole store: the tree root plus how many nodes each domain owns (for the
// node quota). Cloning is cheap (the tree is persistent), which is how transactions start.
// Every store operation is a function on a StoreState; the connection-facing daemon
// (XenStore.cs) decides which state it runs on (the live one, or a transaction's copy).
using System.Text;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

/// <summary>A change that watches may fire on. Recursive changes (RM) also fire watches set
/// below <see cref="Path"/>. <see cref="Perms"/> decide who may see it (null: everyone).</summary>
internal readonly record struct StoreChange(string Path, bool Recursive, NodePerms? Perms);

/// <summary>A node domain 0 writes with those below it in one step (StoreState.WriteTree).</summary>
internal readonly record struct StoreSeed(string Name, string Value, NodePerms Perms, StoreSeed[]? Children = null);

/// <summary>Limits on what one unprivileged domain may hold (xenstored's quota-* options).</summary>
public sealed record StoreQuotas
{
    public int NodesPerDomain { get; init; } = 1000;
    public int WatchesPerDomain { get; init; } = 128;
    public int TransactionsPerDomain { get; init; } = 10;
    /// <summary>Largest value a node may hold (xenstored's quota-max-entry-size).</summary>
    public int MaxValueSize { get; init; } = 4096;
    /// <summary>Messages queued for a client that does not read before watch events are dropped.</summary>
    public int MaxQueuedMessages { get; init; } = 1024;
    /// <summary>Replies a client may leave untaken before its next request waits (cxenstored's
    /// quota-outstanding, default 20). Applies to every connection, domain 0's sockets too, so
    /// a client that never reads cannot grow domain 0.</summary>
    public int OutstandingReplies { get; init; } = 20;
}

internal sealed class StoreState
{
    public StoreNode Root;
    public Dictionary<uint, int> NodeCounts;

    public StoreState(StoreNode root, Dictionary<uint, int> counts)
    {
        Root = root;
        NodeCounts = counts;
    }

    public static StoreState Empty()
    {
        // "/" and "/local" and "/local/domain" are domain 0's, readable by nobody else, as in Xen.
        var perms = NodePerms.Owned(0);
        var root = new StoreNode([], perms, StoreNode.NoChildren, 0);
        return new StoreState(root, []);
    }

    public StoreState Clone() => new(Root, new Dictionary<uint, int>(NodeCounts));

    private void Count(uint owner, int delta)
    {
        NodeCounts.TryGetValue(owner, out int n);
        n += delta;
        if (n == 0)
            NodeCounts.Remove(owner);
        else
            NodeCounts[owner] = n;
    }

    public int CountOf(uint owner) => NodeCounts.TryGetValue(owner, out int n) ? n : 0;

    /// <summary>Records which paths (and at which generation of the transaction's base) an
    /// operation depended on. Null outside transactions.</summary>
    public interface IAccessLog
    {
        void Touch(string path);
    }

    // ---- operations: each returns an error or None and appends watch-relevant changes ----

    public XsError Read(uint dom, string path, IAccessLog? log, out byte[] value)
    {
        XsError e = Readable(dom, path, log, out StoreNode? n);
        value = n?.Value ?? [];
        return e;
    }

    public XsError Directory(uint dom, string path, IAccessLog? log, out string[] children)
    {
        XsError e = Readable(dom, path, log, out StoreNode? n);
        children = n is null ? [] : [.. n.Children.Keys];
        return e;
    }

    public XsError GetPerms(uint dom, string path, IAccessLog? log, out NodePerms? perms)
    {
        XsError e = Readable(dom, path, log, out StoreNode? n);
        perms = n?.Perms;
        return e;
    }

    /// <summary>The node at <paramref name="path"/> if <paramref name="dom"/> may read it (null
    /// with ENOENT or EACCES otherwise); the read is logged for transaction conflicts either way.</summary>
    private XsError Readable(uint dom, string path, IAccessLog? log, out StoreNode? node)
    {
        node = null;
        log?.Touch(path);
        var n = StoreTree.Get(Root, path);
        if (n is null)
            return MissingNodeError(dom, path, XsAccess.Read, XsError.ENOENT);
        if (!n.Perms.Allows(dom, XsAccess.Read))
            return XsError.EACCES;
        node = n;
        return XsError.None;
    }

    /// <summary>What a missing node's error may tell <paramref name="dom"/> (cxenstored's
    /// errno_from_parents): <paramref name="error"/> only if the nearest existing ancestor grants
    /// some of <paramref name="wanted"/>, else EACCES, so that a domain cannot learn which of
    /// another domain's nodes exist.</summary>
    private XsError MissingNodeError(uint dom, string path, XsAccess wanted, XsError error)
    {
        var (ancestor, _) = StoreTree.DeepestExisting(Root, path);
        return (ancestor.Perms.AccessOf(dom) & wanted) != 0 ? error : XsError.EACCES;
    }

    /// <summary>WRITE (value non-null) or MKDIR (value null: an existing node is left alone).
    /// Missing parents are created with empty values, inheriting the nearest existing node's
    /// permissions, owned by the writer unless it is domain 0.</summary>
    public XsError Write(uint dom, string path, byte[]? value, StoreQuotas quotas, long gen, IAccessLog? log, List<StoreChange> changes)
    {
        var (deepest, deepestPath) = StoreTree.DeepestExisting(Root, path);
        TouchChain(log, deepestPath, path);
        // Permission first, as in Xen: the node if it exists, else the ancestor that would be
        // its parent's owner; neither the size nor "exists already" may answer before it.
        if (!deepest.Perms.Allows(dom, XsAccess.Write))
            return XsError.EACCES;
        if (value is not null && value.Length > quotas.MaxValueSize && dom != 0)
            return XsError.E2BIG;
        if (deepestPath == path)
        {
            if (value is null)
                return XsError.None; // MKDIR of an existing node the caller may write
            Root = StoreTree.Set(Root, path, deepest.With(value: value, gen: gen), gen);
            changes.Add(new StoreChange(path, false, deepest.Perms));
            return XsError.None;
        }
        var perms = dom == 0 ? deepest.Perms : deepest.Perms.WithOwner(dom);
        string[] all = StoreTree.Split(path);
        int have = deepestPath == "/" ? 0 : StoreTree.Split(deepestPath).Length;
        int created = all.Length - have;
        if (dom != 0 && CountOf(perms.Owner) + created > quotas.NodesPerDomain)
            return XsError.ENOSPC;
        // Build the missing chain bottom-up, then hang it below the deepest existing node.
        var chain = new StoreNode(value ?? [], perms, StoreNode.NoChildren, gen);
        for (int i = all.Length - 1; i > have; i--)
            chain = new StoreNode([], perms, StoreNode.NoChildren.Add(all[i], chain), gen);
        string firstMissing = StoreTree.Join(deepestPath, all[have]);
        Root = StoreTree.Set(Root, firstMissing, chain, gen);
        Count(perms.Owner, created);
        changes.Add(new StoreChange(path, false, perms));
        return XsError.None;
    }

    /// <summary>Domain 0 writes <paramref name="seed"/> below <paramref name="parent"/> (created as
    /// MKDIR would if missing) with everything under it, in one copy of the path from the root: a
    /// domain's home at its introduction, which as a WRITE and a SET_PERMS per node was ~50 µs of
    /// `parakit run`'s start-up. A node that exists takes the seed's value and permissions and
    /// keeps its other children. One change per node written, parents first.</summary>
    public void WriteTree(string parent, StoreSeed seed, StoreQuotas quotas, long gen, List<StoreChange> changes)
    {
        Write(0, parent, null, quotas, gen, null, changes);
        string path = StoreTree.Join(parent, seed.Name);
        Root = StoreTree.Set(Root, path, Merge(StoreTree.Get(Root, path), path, seed, gen, changes), gen);
    }

    private StoreNode Merge(StoreNode? existing, string path, StoreSeed seed, long gen, List<StoreChange> changes)
    {
        if (existing is not null)
            Count(existing.Perms.Owner, -1);
        Count(seed.Perms.Owner, 1);
        changes.Add(new StoreChange(path, false, seed.Perms));
        var children = existing?.Children ?? StoreNode.NoChildren;
        foreach (var c in seed.Children ?? [])
        {
            children.TryGetValue(c.Name, out var old);
            children = children.SetItem(c.Name, Merge(old, StoreTree.Join(path, c.Name), c, gen, changes));
        }
        return new StoreNode(Encoding.ASCII.GetBytes(seed.Value), seed.Perms, children, gen);
    }

    public XsError Remove(uint dom, string path, IAccessLog? log, long gen, List<StoreChange> changes)
    {
        if (path == "/")
            return XsError.EINVAL;
        log?.Touch(path);
        log?.Touch(StoreTree.Parent(path));
        var n = StoreTree.Get(Root, path);
        if (n is null)
        {
            // Already gone is fine if the parent exists (as xenstored answers), but only to a
            // caller who could have written there.
            XsError e = MissingNodeError(dom, path, XsAccess.Write, XsError.ENOENT);
            return e != XsError.ENOENT ? e : StoreTree.Get(Root, StoreTree.Parent(path)) is null ? XsError.ENOENT : XsError.None;
        }
        var parent = StoreTree.Get(Root, StoreTree.Parent(path))!;
        if (!n.Perms.Allows(dom, XsAccess.Write) || !parent.Perms.Allows(dom, XsAccess.Write))
            return XsError.EACCES;
        foreach (var d in n.Subtree())
            Count(d.Perms.Owner, -1);
        Root = StoreTree.Set(Root, path, null, gen);
        changes.Add(new StoreChange(path, true, n.Perms));
        return XsError.None;
    }

    public XsError SetPerms(uint dom, string path, NodePerms perms, StoreQuotas quotas, long gen, IAccessLog? log, List<StoreChange> changes)
    {
        log?.Touch(path);
        var n = StoreTree.Get(Root, path);
        if (n is null)
            return MissingNodeError(dom, path, XsAccess.Write, XsError.ENOENT);
        // Only the owner (or domain 0) may change permissions, and only domain 0 may give a node away.
        if (dom != 0 && (n.Perms.Owner != dom || perms.Owner != dom))
            return XsError.EACCES;
        if (perms.Owner != n.Perms.Owner)
        {
            if (perms.Owner != 0 && CountOf(perms.Owner) + 1 > quotas.NodesPerDomain && dom != 0)
                return XsError.ENOSPC;
            Count(n.Perms.Owner, -1);
            Count(perms.Owner, 1);
        }
        Root = StoreTree.Set(Root, path, n.With(perms: perms, gen: gen), gen);
        changes.Add(new StoreChange(path, false, perms));
        return XsError.None;
    }

    private static void TouchChain(IAccessLog? log, string from, string to)
    {
        if (log is null)
            return;
        log.Touch(from);
        for (string p = to; p.Length > from.Length; p = StoreTree.Parent(p))
            log.Touch(p);
    }

    /// <summary>Every node as "path = value" lines, for debugging and tests.</summary>
    public string Dump()
    {
        var sb = new StringBuilder();
        void Walk(StoreNode n, string path)
        {
            sb.Append(path).Append(" = \"").Append(Encoding.ASCII.GetString(n.Value)).Append("\" (").Append(n.Perms).Append(")\n");
            foreach (var (k, c) in n.Children)
                Walk(c, StoreTree.Join(path, k));
        }
        Walk(Root, "/");
        return sb.ToString();
    }

    /// <summary>Number of nodes in the tree (the root included).</summary>
    public int NodeCount => Root.Subtree().Count();
}
