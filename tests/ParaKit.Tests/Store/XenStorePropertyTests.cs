// Properties of the store against small models: transactions are serializable (a transaction
// commits iff nothing it read or wrote changed since it started, and the store ends as if the
// committed ones ran alone in commit order); watches fire for exactly the affected paths; the
// tree behaves like a map of paths; random bytes never throw and always get one reply.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Store;

public class XenStorePropertyTests
{
    private const int Keys = 4;

    /// <summary>One step of a transaction: read key or write key := value.</summary>
    public sealed record TxOp(bool IsWrite, int Key, int Value);

    private static Gen<TxOp> OpGen =>
        from w in Gen.Elements(true, false)
        from k in Gen.Choose(0, Keys - 1)
        from v in Gen.Choose(1, 99)
        select new TxOp(w, k, v);

    /// <summary>Transactions (ops + commit or abort), direct writes, and an interleaving of them.</summary>
    private static Gen<(List<(TxOp[] Ops, bool Commit)> Txs, TxOp[] Direct, int[] Order)> ScheduleGen =>
        from n in Gen.Choose(1, 4)
        from txs in Gen.ListOf(Gen.Zip(Gen.ArrayOf(OpGen).Select(a => a.Take(6).ToArray()), Gen.Frequency((5, Gen.Constant(true)), (1, Gen.Constant(false)))), n)
        from direct in Gen.ArrayOf(OpGen.Select(o => o with { IsWrite = true })).Select(a => a.Take(5).ToArray())
        let labels = txs.SelectMany((t, i) => Enumerable.Repeat(i, t.Item1.Length + 2)).Concat(Enumerable.Repeat(-1, direct.Length)).ToArray()
        from order in Gen.Shuffle(labels)
        select (txs.Select(t => (t.Item1, t.Item2)).ToList(), direct, order.ToArray());

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property Transactions_are_serializable() =>
        Prop.ForAll(ScheduleGen.ToArbitrary(), sched =>
        {
            var store = new XenStore();
            var setup = new StoreClient(store, 0);
            for (int k = 0; k < Keys; k++)
                setup.Write($"/t/k{k}", "0");
            var model = Enumerable.Repeat(0, Keys).ToArray();
            long clock = 0;
            var lastWrite = new long[Keys];

            int nTx = sched.Txs.Count;
            var clients = Enumerable.Range(0, nTx).Select(_ => new StoreClient(store, 0)).ToArray();
            var direct = new StoreClient(store, 0);
            var step = new int[nTx];
            var txId = new uint[nTx];
            var startedAt = new long[nTx];
            var snapshot = new int[nTx][];
            var own = new Dictionary<int, int>[nTx];
            var accessed = new HashSet<int>[nTx];
            int directNext = 0;
            bool ok = true;
            string why = "";

            foreach (int label in sched.Order)
            {
                if (label < 0)
                {
                    var w = sched.Direct[directNext++];
                    ok &= direct.Write($"/t/k{w.Key}", w.Value.ToString()) == "OK\0";
                    model[w.Key] = w.Value;
                    lastWrite[w.Key] = ++clock;
                    continue;
                }
                var (ops, commit) = sched.Txs[label];
                int s = step[label]++;
                var c = clients[label];
                if (s == 0)
                {
                    txId[label] = c.Start();
                    startedAt[label] = clock;
                    snapshot[label] = (int[])model.Clone();
                    own[label] = [];
                    accessed[label] = [];
                }
                else if (s <= ops.Length)
                {
                    var op = ops[s - 1];
                    accessed[label].Add(op.Key);
                    if (op.IsWrite)
                    {
                        ok &= c.Write($"/t/k{op.Key}", op.Value.ToString(), txId[label]) == "OK\0";
                        own[label][op.Key] = op.Value;
                    }
                    else
                    {
                        int expect = own[label].TryGetValue(op.Key, out int v) ? v : snapshot[label][op.Key];
                        string got = c.Read($"/t/k{op.Key}", txId[label]);
                        if (got != expect.ToString())
                        {
                            ok = false;
                            why = $"tx {label} read k{op.Key} = {got}, expected {expect} (snapshot isolation)";
                        }
                    }
                }
                else
                {
                    string r = c.End(txId[label], commit);
                    bool writes = own[label].Count > 0;
                    bool conflict = writes && accessed[label].Any(k => lastWrite[k] > startedAt[label]);
                    string expect = commit && conflict ? "EAGAIN" : "OK\0";
                    if (r != expect)
                    {
                        ok = false;
                        why = $"tx {label} end: got {r}, model says {expect}";
                    }
                    if (commit && !conflict)
                    {
                        foreach (var (k, v) in own[label])
                        {
                            model[k] = v;
                            lastWrite[k] = ++clock;
                        }
                    }
                }
            }
            for (int k = 0; k < Keys; k++)
            {
                string got = direct.Read($"/t/k{k}");
                if (got != model[k].ToString())
                {
                    ok = false;
                    why += $" final k{k} = {got}, serial model {model[k]}";
                }
            }
            return (ok && store.Stats.InternalErrors == 0).Label(why);
        });

    private static readonly string[] Universe =
        ["/w", "/w/a", "/w/b", "/w/a/a", "/w/a/b", "/w/b/a", "/w/b/b", "/w/a/a/x"];

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property Watches_fire_for_exactly_the_affected_paths() =>
        Prop.ForAll(
            (from watched in Gen.SubListOf(Universe)
             from target in Gen.Elements(Universe)
             from remove in Gen.Elements(true, false)
             select (watched: watched.ToArray(), target, remove)).ToArbitrary(),
            c =>
            {
                var store = new XenStore();
                var writer = new StoreClient(store, 0);
                foreach (var p in Universe)
                    writer.Write(p, "v");
                var watcher = new StoreClient(store, 0);
                foreach (var w in c.watched)
                    watcher.Watch(w, w);
                watcher.Events.Clear();
                if (c.remove)
                    writer.Rm(c.target);
                else
                    writer.Write(c.target, "new");
                watcher.Drain();
                var expected = new List<(string, string)>();
                foreach (var w in c.watched)
                {
                    if (StoreTree.IsAtOrBelow(c.target, w))
                        expected.Add((c.target, w));
                    else if (c.remove && StoreTree.IsAtOrBelow(w, c.target))
                        expected.Add((w, w));
                }
                return (watcher.Events.OrderBy(e => e.Token).SequenceEqual(expected.OrderBy(e => e.Item2)))
                    .Label($"got [{string.Join(", ", watcher.Events)}] expected [{string.Join(", ", expected)}]");
            });

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Tree_behaves_like_a_map_of_paths() =>
        Prop.ForAll(
            Gen.ListOf(from kind in Gen.Choose(0, 2) from path in Gen.Elements(Universe) from v in Gen.Choose(0, 9) select (kind, path, v)).ToArbitrary(),
            ops =>
            {
                var store = new XenStore();
                var c = new StoreClient(store, 0);
                var model = new Dictionary<string, string>();
                foreach (var (kind, path, v) in ops)
                {
                    switch (kind)
                    {
                        case 0:
                            c.Write(path, v.ToString());
                            model[path] = v.ToString();
                            for (string p = StoreTree.Parent(path); p != "/"; p = StoreTree.Parent(p))
                                model.TryAdd(p, "");
                            break;
                        case 1:
                            c.Rm(path);
                            foreach (var k in model.Keys.Where(k => StoreTree.IsAtOrBelow(k, path)).ToList())
                                model.Remove(k);
                            break;
                        default:
                            string got = c.Read(path);
                            if (got != (model.TryGetValue(path, out var mv) ? mv : "ENOENT"))
                                return false.Label($"read {path} = {got}");
                            string dir = c.Dir(path);
                            string expectDir = model.ContainsKey(path)
                                ? string.Concat(model.Keys.Where(k => StoreTree.Parent(k) == path).Select(k => k[(k.LastIndexOf('/') + 1)..]).Order(StringComparer.Ordinal).Select(n => n + "\0"))
                                : "ENOENT";
                            if (dir != expectDir)
                                return false.Label($"directory {path} = {dir}");
                            break;
                    }
                }
                return (store.Stats.InternalErrors == 0).ToProperty();
            });

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public Property Random_requests_never_throw_and_get_one_reply(uint type, uint tx, byte[] payload, bool privileged)
    {
        var store = new XenStore();
        store.IntroduceDomain(1, "g", 1024);
        var c = new StoreClient(store, privileged ? 0u : 1u);
        c.Watch("/", "all");
        var (t, p) = c.Raw((XsdSockMsgType)(type % 30), payload.Take(XsLimits.PayloadMax).ToArray(), tx % 4);
        bool wellFormed = t != XsdSockMsgType.Error || XsCodec.TryParseError(p, out _) == XsDecodeStatus.Ok;
        // The store still answers afterwards.
        return (wellFormed && c.Read("/local/domain/1/name") == "g" && store.Stats.InternalErrors == 0).ToProperty();
    }

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property Permissions_decide_every_domain_access() =>
        Prop.ForAll(
            (from dflt in Gen.Elements(XsAccess.None, XsAccess.Read, XsAccess.Write, XsAccess.Both)
             from extra in Gen.ListOf(Gen.Zip(Gen.Choose(2, 5), Gen.Elements(XsAccess.None, XsAccess.Read, XsAccess.Write, XsAccess.Both)))
             from who in Gen.Choose(0, 5)
             select (dflt, extra: extra.ToArray(), who)).ToArbitrary(),
            c =>
            {
                // Domain 1 owns data/p; the list is "<dflt>1" then the extra entries in order.
                var store = new XenStore();
                for (uint d = 1; d <= 5; d++)
                    store.IntroduceDomain(d, "d" + d, 1024);
                var owner = new StoreClient(store, 1);
                owner.Write("data/p", "v");
                string[] perms = [XsPermEntry.Letter(c.dflt) + "1", .. c.extra.Select(e => XsPermEntry.Letter(e.Item2) + e.Item1)];
                if (owner.SetPerms("data/p", perms) != "OK\0")
                    return false.Label("set perms failed");
                // The model: domain 0 and the owner may do anything; else the first entry naming the
                // domain (after the owner's), else the default.
                XsAccess expected = c.who is 0 or 1 ? XsAccess.Both
                    : c.extra.Where(e => e.Item1 == c.who).Select(e => (XsAccess?)e.Item2).FirstOrDefault() ?? c.dflt;
                var client = new StoreClient(store, (uint)c.who);
                bool canRead = client.Read("/local/domain/1/data/p") == "v";
                bool canWrite = client.Write("/local/domain/1/data/p", "v") == "OK\0";
                return (canRead == expected.HasFlag(XsAccess.Read) && canWrite == expected.HasFlag(XsAccess.Write))
                    .Label($"domain {c.who}: read {canRead} write {canWrite}, model {expected}");
            });

    private static readonly NodePerms[] SomePerms =
    [
        NodePerms.Owned(0), NodePerms.Owned(1), NodePerms.Owned(2, XsAccess.Read),
        new([new XsPermEntry(0, XsAccess.None), new XsPermEntry(1, XsAccess.Read)]),
    ];

    private static Gen<StoreSeed> SeedGen(int depth) =>
        from name in Gen.Elements("a", "b", "c")
        from value in Gen.Elements("", "v", "w")
        from perms in Gen.Elements(SomePerms)
        from children in depth == 0 ? Gen.Constant(Array.Empty<StoreSeed>()) : Gen.ArrayOf(SeedGen(depth - 1)).Select(a => a.Take(3).DistinctBy(c => c.Name).ToArray())
        select new StoreSeed(name, value, perms, children);

    /// <summary>Nodes that exist before: a path of up to three of a/b/c below /local/domain, an owner.</summary>
    private static Gen<(string Path, NodePerms Perms)[]> ExistingGen =>
        Gen.ArrayOf(
            from segs in Gen.ArrayOf(Gen.Elements("a", "b", "c")).Select(a => a.Take(3).ToArray()).Where(a => a.Length > 0)
            from perms in Gen.Elements(SomePerms)
            select ("/local/domain/" + string.Join('/', segs), perms));

    /// <summary>A domain's home written in one step (StoreState.WriteTree, as IntroduceDomain does)
    /// ends as a WRITE and a SET_PERMS per node would leave it, parents first, over any nodes that
    /// were there: the same values, permissions, node counts per owner and changed paths.</summary>
    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Writing_a_tree_is_a_write_and_set_perms_per_node() =>
        Prop.ForAll(Gen.Zip(SeedGen(2), ExistingGen).ToArbitrary(), c =>
        {
            var (seed, existing) = c;
            var quotas = new StoreQuotas();
            StoreState Before()
            {
                var s = StoreState.Empty();
                long g = 0;
                s.Write(0, "/local/domain", null, quotas, ++g, null, []);
                foreach (var (path, perms) in existing)
                {
                    s.Write(0, path, "old"u8.ToArray(), quotas, ++g, null, []);
                    s.SetPerms(0, path, perms, quotas, ++g, null, []);
                }
                return s;
            }
            var one = Before();
            var oneChanges = new List<StoreChange>();
            one.WriteTree("/local/domain", seed, quotas, 100, oneChanges);

            var each = Before();
            var eachChanges = new List<StoreChange>();
            long gen = 100;
            void Walk(string parent, StoreSeed n)
            {
                string path = parent + "/" + n.Name;
                each.Write(0, path, System.Text.Encoding.ASCII.GetBytes(n.Value), quotas, ++gen, null, eachChanges);
                each.SetPerms(0, path, n.Perms, quotas, ++gen, null, eachChanges);
                foreach (var child in n.Children ?? [])
                    Walk(path, child);
            }
            Walk("/local/domain", seed);

            string[] Paths(List<StoreChange> l) => [.. l.Select(x => x.Path).Distinct()];
            return (one.Dump() == each.Dump()).Label("tree:\n" + one.Dump() + "\nvs\n" + each.Dump())
                .And(one.NodeCounts.OrderBy(k => k.Key).SequenceEqual(each.NodeCounts.OrderBy(k => k.Key))).Label("node counts")
                .And(Paths(oneChanges).SequenceEqual(Paths(eachChanges))).Label("changed paths");
        });
}
