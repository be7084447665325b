// The xenstored rules, one request at a time: tree operations, paths, permissions, watches,
// transactions, quotas, domain nodes and malformed input (docs/misc/xenstore.txt).
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Store;

public class XenStoreTests
{
    private static (XenStore, StoreClient dom0, StoreClient g1, StoreClient g2) Setup(StoreQuotas? q = null)
    {
        var s = new XenStore(q);
        s.IntroduceDomain(1, "one", 16384);
        s.IntroduceDomain(2, "two", 16384);
        return (s, new StoreClient(s, 0), new StoreClient(s, 1), new StoreClient(s, 2));
    }

    [Test]
    public void Write_creates_parents_read_directory_and_recursive_rm()
    {
        var (_, d0, _, _) = Setup();
        Assert.That(d0.Write("/a/b/c", "hello"), Is.EqualTo("OK\0"));
        Assert.That(d0.Read("/a/b/c"), Is.EqualTo("hello"));
        Assert.That(d0.Read("/a/b"), Is.EqualTo(""));
        Assert.That(d0.Write("/a/x", ""), Is.EqualTo("OK\0"));
        Assert.That(d0.Dir("/a"), Is.EqualTo("b\0x\0"));
        Assert.That(d0.Mkdir("/a/b"), Is.EqualTo("OK\0"), "mkdir of an existing node is fine");
        Assert.That(d0.Read("/a/b/c"), Is.EqualTo("hello"), "mkdir leaves the node alone");
        Assert.That(d0.Rm("/a/b"), Is.EqualTo("OK\0"));
        Assert.That(d0.Read("/a/b/c"), Is.EqualTo("ENOENT"));
        Assert.That(d0.Rm("/a/b"), Is.EqualTo("OK\0"), "already removed, parent exists");
        Assert.That(d0.Rm("/nope/b"), Is.EqualTo("ENOENT"));
        Assert.That(d0.Rm("/"), Is.EqualTo("EINVAL"));
        Assert.That(d0.Dir("/a"), Is.EqualTo("x\0"));
        Assert.That(d0.Write("/bin", "a\0b\u00ff"), Is.EqualTo("OK\0"));
        Assert.That(d0.Raw(XsdSockMsgType.Read, StoreClient.B("/bin\0")).Payload, Is.EqualTo(new byte[] { (byte)'a', 0, (byte)'b', (byte)'?' }));
    }

    [TestCase("/a//b")]
    [TestCase("/a/")]
    [TestCase("/a b")]
    [TestCase("/a.b")]
    [TestCase("")]
    public void Invalid_paths_are_einval(string path)
    {
        var (_, d0, _, _) = Setup();
        Assert.That(d0.Write(path, "v"), Is.EqualTo("EINVAL"));
        Assert.That(d0.Read(path), Is.EqualTo("EINVAL"));
    }

    [Test]
    public void Path_length_limits()
    {
        var (_, d0, g1, _) = Setup();
        string abs = "/" + new string('a', XsLimits.AbsPathMax - 1);
        Assert.That(d0.Write(abs, "v"), Is.EqualTo("OK\0"));
        Assert.That(d0.Write(abs + "b", "v"), Is.EqualTo("EINVAL"));
        Assert.That(g1.Write("data/" + new string('r', XsLimits.RelPathMax - 5), "v"), Is.EqualTo("OK\0"));
        Assert.That(g1.Write("data/" + new string('r', XsLimits.RelPathMax - 4), "v"), Is.EqualTo("EINVAL"));
    }

    [Test]
    public void Relative_paths_live_under_the_domain_home_and_domain_nodes_exist()
    {
        var (s, d0, g1, _) = Setup();
        Assert.That(g1.Read("name"), Is.EqualTo("one"));
        Assert.That(g1.Read("domid"), Is.EqualTo("1"));
        Assert.That(g1.Read("memory/target"), Is.EqualTo("16384"));
        Assert.That(g1.Write("data/k", "v"), Is.EqualTo("OK\0"));
        Assert.That(d0.Read("/local/domain/1/data/k"), Is.EqualTo("v"));
        Assert.That(g1.Call(XsdSockMsgType.GetDomainPath, "1\0"), Is.EqualTo("/local/domain/1\0"));
        Assert.That(d0.Call(XsdSockMsgType.IsDomainIntroduced, "1\0"), Is.EqualTo("T\0"));
        Assert.That(d0.Call(XsdSockMsgType.IsDomainIntroduced, "9\0"), Is.EqualTo("F\0"));
        s.ReleaseDomain(1);
        Assert.That(d0.Read("/local/domain/1/name"), Is.EqualTo("ENOENT"));
        Assert.That(d0.Call(XsdSockMsgType.IsDomainIntroduced, "1\0"), Is.EqualTo("F\0"));
    }

    [Test]
    public void Permissions_follow_xen()
    {
        var (_, d0, g1, g2) = Setup();
        Assert.That(g1.Write("name", "evil"), Is.EqualTo("EACCES"), "home is read-only for the guest");
        Assert.That(g2.Read("/local/domain/1/name"), Is.EqualTo("EACCES"));
        Assert.That(g2.Write("/local/domain/1/data/x", "v"), Is.EqualTo("EACCES"));
        Assert.That(g1.Read("/"), Is.EqualTo("EACCES"));
        Assert.That(d0.Read("/local/domain/1/name"), Is.EqualTo("one"), "domain 0 sees everything");
        Assert.That(d0.Read("/local/domain/0/name"), Is.EqualTo("Domain-0"));
        Assert.That(g1.Read("/local/domain/0/name"), Is.EqualTo("EACCES"));

        Assert.That(g1.Write("data/shared", "42"), Is.EqualTo("OK\0"));
        Assert.That(g1.GetPerms("data/shared"), Is.EqualTo("n1\0"), "a guest's new node is its own");
        Assert.That(g2.SetPerms("/local/domain/1/data/shared", "n2"), Is.EqualTo("EACCES"));
        Assert.That(g1.SetPerms("data/shared", "n1", "r2"), Is.EqualTo("OK\0"));
        Assert.That(g2.Read("/local/domain/1/data/shared"), Is.EqualTo("42"));
        Assert.That(g2.Write("/local/domain/1/data/shared", "x"), Is.EqualTo("EACCES"));
        Assert.That(g1.SetPerms("data/shared", "n1", "b2"), Is.EqualTo("OK\0"));
        Assert.That(g2.Write("/local/domain/1/data/shared", "x"), Is.EqualTo("OK\0"));
        Assert.That(g1.SetPerms("data/shared", "r1"), Is.EqualTo("OK\0"), "default r for everyone else");
        Assert.That(g2.Read("/local/domain/1/data/shared"), Is.EqualTo("x"));
        Assert.That(g1.SetPerms("data/shared", "n2"), Is.EqualTo("EACCES"), "only domain 0 gives a node away");
        Assert.That(g1.SetPerms("data/shared", "q1"), Is.EqualTo("EINVAL"));
        Assert.That(d0.SetPerms("/local/domain/1/data/shared", "n0", "r1"), Is.EqualTo("OK\0"));
        Assert.That(g1.Write("data/shared", "y"), Is.EqualTo("EACCES"));
        Assert.That(g1.Read("data/shared"), Is.EqualTo("x"));
    }

    [Test]
    public void Watches_fire_once_when_set_then_on_changes_at_or_below()
    {
        var (_, d0, g1, _) = Setup();
        Assert.That(g1.Watch("data/w", "tok"), Is.EqualTo("OK\0"));
        Assert.That(g1.Events, Is.EqualTo(new[] { ("data/w", "tok") }), "relative watch, relative event");
        g1.Events.Clear();
        d0.Write("/local/domain/1/data/w/x", "1");
        d0.Write("/local/domain/1/data/other", "1");
        d0.Write("/local/domain/1/data/w", "2");
        g1.Drain();
        Assert.That(g1.Events, Is.EqualTo(new[] { ("data/w/x", "tok"), ("data/w", "tok") }));
        g1.Events.Clear();
        d0.Rm("/local/domain/1/data");
        g1.Drain();
        Assert.That(g1.Events, Is.EqualTo(new[] { ("data/w", "tok") }), "removing an ancestor fires the watch below");
        Assert.That(g1.Watch("data/w", "tok"), Is.EqualTo("EEXIST"));
        Assert.That(g1.Unwatch("data/w", "tok"), Is.EqualTo("OK\0"));
        Assert.That(g1.Unwatch("data/w", "tok"), Is.EqualTo("ENOENT"));
        g1.Events.Clear();
        d0.Write("/local/domain/1/data/w", "3");
        g1.Drain();
        Assert.That(g1.Events, Is.Empty);
    }

    [Test]
    public void Watch_events_need_read_permission_and_reset_watches_clears()
    {
        var (_, d0, g1, g2) = Setup();
        Assert.That(g2.Watch("/local/domain/1/data", "spy"), Is.EqualTo("OK\0"));
        g2.Events.Clear();
        g1.Write("data/secret", "x");
        g2.Drain();
        Assert.That(g2.Events, Is.Empty);
        Assert.That(g2.Call(XsdSockMsgType.ResetWatches, ""), Is.EqualTo("OK\0"));
        d0.Write("/local/domain/2/data/a", "1");
        g2.Drain();
        Assert.That(g2.Events, Is.Empty);
    }

    [Test]
    public void Special_watches_for_domain_0()
    {
        var s = new XenStore();
        var d0 = new StoreClient(s, 0);
        Assert.That(d0.Watch("@introduceDomain", "i"), Is.EqualTo("OK\0"));
        Assert.That(d0.Watch("@releaseDomain", "r"), Is.EqualTo("OK\0"));
        d0.Events.Clear();
        s.IntroduceDomain(5, "five", 1024);
        s.ReleaseDomain(5);
        d0.Drain();
        Assert.That(d0.Events, Is.EqualTo(new[] { ("@introduceDomain", "i"), ("@releaseDomain", "r") }));
        Assert.That(d0.Call(XsdSockMsgType.Introduce, "7\00\01\0"), Is.EqualTo("OK\0"));
        Assert.That(d0.Call(XsdSockMsgType.Release, "7\0"), Is.EqualTo("OK\0"));
        Assert.That(d0.Call(XsdSockMsgType.Release, "7\0"), Is.EqualTo("ENOENT"));
        var g = new StoreClient(s, 3);
        Assert.That(g.Call(XsdSockMsgType.Introduce, "8\00\01\0"), Is.EqualTo("EACCES"));
    }

    [Test]
    public void Transactions_commit_abort_and_conflict()
    {
        var (_, d0, g1, _) = Setup();
        g1.Write("data/a", "0");
        g1.Watch("data", "t");
        g1.Events.Clear();

        uint t = g1.Start();
        Assert.That(g1.Write("data/a", "1", t), Is.EqualTo("OK\0"));
        Assert.That(g1.Write("data/b/c", "2", t), Is.EqualTo("OK\0"));
        Assert.That(g1.Read("data/a", t), Is.EqualTo("1"));
        Assert.That(g1.Read("data/a"), Is.EqualTo("0"), "invisible outside before commit");
        Assert.That(g1.Events, Is.Empty, "no events before commit");
        Assert.That(g1.End(t, true), Is.EqualTo("OK\0"));
        Assert.That(g1.Read("data/b/c"), Is.EqualTo("2"));
        Assert.That(g1.Events.Select(e => e.Path), Is.EquivalentTo(new[] { "data/a", "data/b/c" }));

        t = g1.Start();
        g1.Write("data/a", "9", t);
        Assert.That(g1.End(t, false), Is.EqualTo("OK\0"));
        Assert.That(g1.Read("data/a"), Is.EqualTo("1"));

        t = g1.Start();
        Assert.That(g1.Read("data/a", t), Is.EqualTo("1"));
        g1.Write("data/z", "1", t);
        d0.Write("/local/domain/1/data/a", "other");
        Assert.That(g1.End(t, true), Is.EqualTo("EAGAIN"));
        Assert.That(g1.Read("data/z"), Is.EqualTo("ENOENT"));
        Assert.That(g1.End(t, true), Is.EqualTo("ENOENT"), "the transaction is gone after EAGAIN");
        Assert.That(g1.Read("data/a", 12345), Is.EqualTo("ENOENT"));
        Assert.That(g1.Call(XsdSockMsgType.TransactionStart, "\0", g1.Start()), Is.EqualTo("EBUSY"));
    }

    [Test]
    public void Quotas()
    {
        var (_, d0, g1, _) = Setup(new StoreQuotas { NodesPerDomain = 20, WatchesPerDomain = 3, TransactionsPerDomain = 2, MaxValueSize = 100 });
        int owned = 6; // data device control error drivers attr
        for (int i = owned; i < 20; i++)
            Assert.That(g1.Write($"data/n{i}", "v"), Is.EqualTo("OK\0"), $"node {i}");
        Assert.That(g1.Write("data/one-too-many", "v"), Is.EqualTo("ENOSPC"));
        Assert.That(g1.Rm("data/n6"), Is.EqualTo("OK\0"));
        Assert.That(g1.Write("data/again", "v"), Is.EqualTo("OK\0"), "removing frees quota");
        Assert.That(d0.Write("/local/domain/1/data/by-dom0", "v"), Is.EqualTo("OK\0"), "domain 0 has no quota");

        Assert.That(g1.Write("data/n7", new string('x', 101)), Is.EqualTo("E2BIG"));
        Assert.That(g1.Write("data/n7", new string('x', 100)), Is.EqualTo("OK\0"));

        for (int i = 0; i < 3; i++)
            Assert.That(g1.Watch("data", "w" + i), Is.EqualTo("OK\0"));
        Assert.That(g1.Watch("data", "w3"), Is.EqualTo("E2BIG"));

        g1.Start();
        g1.Start();
        Assert.That(g1.Call(XsdSockMsgType.TransactionStart, "\0"), Is.EqualTo("ENOSPC"));
    }

    [Test]
    public void Directory_part_pages_through_children()
    {
        var (_, d0, _, _) = Setup();
        var names = Enumerable.Range(0, 400).Select(i => $"child-with-a-long-name-{i:D4}").ToArray();
        foreach (var n in names)
            d0.Write("/big/" + n, "");
        Assert.That(d0.Dir("/big"), Is.EqualTo("E2BIG"), "the whole list exceeds one payload");
        var seen = new List<string>();
        int offset = 0;
        for (int round = 0; round < 10; round++)
        {
            var (t, p) = d0.Raw(XsdSockMsgType.DirectoryPart, StoreClient.B($"/big\0{offset}\0"));
            Assert.That(t, Is.EqualTo(XsdSockMsgType.DirectoryPart));
            Assert.That(p.Length, Is.LessThanOrEqualTo(XsLimits.PayloadMax));
            var parts = System.Text.Encoding.ASCII.GetString(p).Split('\0');
            // parts[0] = generation; the list ends with "" when complete (a double nul).
            var items = parts.Skip(1).ToList();
            bool done = p.Length >= 2 && p[^1] == 0 && p[^2] == 0;
            items = items.Where(s => s.Length > 0).ToList();
            seen.AddRange(items);
            offset += items.Sum(s => s.Length + 1);
            if (done)
                break;
        }
        Assert.That(seen, Is.EqualTo(names));
    }

    [Test]
    public void Malformed_requests_get_einval()
    {
        var (_, d0, _, _) = Setup();
        Assert.That(d0.Call(XsdSockMsgType.Read, "/a"), Is.EqualTo("EINVAL"), "no nul");
        Assert.That(d0.Call(XsdSockMsgType.Read, "/a\0/b\0"), Is.EqualTo("EINVAL"));
        Assert.That(d0.Call(XsdSockMsgType.Write, "\0v"), Is.EqualTo("EINVAL"));
        Assert.That(d0.Call(XsdSockMsgType.Watch, "/a\0"), Is.EqualTo("EINVAL"));
        Assert.That(d0.Call(XsdSockMsgType.TransactionEnd, "X\0", 0), Is.EqualTo("EINVAL"));
        Assert.That(d0.Call((XsdSockMsgType)99, ""), Is.EqualTo("ENOSYS"));
        Assert.That(d0.Call(XsdSockMsgType.GetDomainPath, "x\0"), Is.EqualTo("EINVAL"));
    }

    [Test]
    public void A_client_that_never_reads_loses_watch_events_not_the_store()
    {
        var (s, d0, g1, _) = Setup(new StoreQuotas { MaxQueuedMessages = 50 });
        var lazy = new StoreConnection(1, "lazy");
        s.Attach(lazy);
        s.Process(lazy, new XsdSockMsg { Type = (uint)XsdSockMsgType.Watch, ReqId = 1, Len = 9 }, "data\0tok\0"u8);
        for (int i = 0; i < 200; i++)
            Assert.That(d0.Write("/local/domain/1/data/x", i.ToString()), Is.EqualTo("OK\0"));
        Assert.That(lazy.PendingOutput, Is.EqualTo(50));
        Assert.That(lazy.DroppedEvents, Is.EqualTo(200 + 2 - 50));
        Assert.That(g1.Read("data/x"), Is.EqualTo("199"));
    }

    [Test]
    public void A_header_whose_length_disagrees_with_the_payload_is_einval()
    {
        var s = new XenStore();
        var c = new StoreConnection(0, "c");
        s.Attach(c);
        s.Process(c, new XsdSockMsg { Type = (uint)XsdSockMsgType.Read, ReqId = 5, Len = 99 }, "/tool\0"u8);
        Assert.That(XsCodec.TryDecode(c.TakeOutput(), out var h, out var p, out _), Is.EqualTo(XsDecodeStatus.Ok));
        Assert.That((h.Type, h.ReqId, System.Text.Encoding.ASCII.GetString(p)), Is.EqualTo(((uint)XsdSockMsgType.Error, 5u, "EINVAL\0")));
    }

    [Test]
    public void Releasing_a_domain_closes_its_connections_and_fires_release_for_domain_0()
    {
        var (s, d0, g1, _) = Setup();
        g1.Watch("data", "t");
        d0.Watch("@releaseDomain", "r");
        d0.Events.Clear();
        s.ReleaseDomain(1);
        d0.Drain();
        Assert.That(g1.Conn.IsClosed, Is.True);
        Assert.That(d0.Events, Is.EqualTo(new[] { ("@releaseDomain", "r") }));
        Assert.That(d0.Dir("/local/domain"), Is.EqualTo("0\02\0"));
        Assert.That(s.NodesOwnedBy(1), Is.EqualTo(0), "the released domain owns nothing any more");
    }
}
