// The store answers as Xen's does where an attacker looks: permissions are checked before
// anything else for every request type (a foreign node is EACCES whether it exists or not, so
// nothing leaks which nodes another domain has), privileged requests are refused before their
// arguments are looked at, unknown types are ENOSYS, a socket client that never reads is held
// back at cxenstored's outstanding-reply quota, and XS_CONTROL answers `xenstore-control`.
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Store;

public class XenStoreAnswersTests
{
    private static (XenStore, StoreClient dom0, StoreClient g1, StoreClient g2) Setup(StoreQuotas? quotas = null)
    {
        var s = new XenStore(quotas);
        s.IntroduceDomain(1, "one", 16384);
        s.IntroduceDomain(2, "two", 16384);
        var g2 = new StoreClient(s, 2);
        Assert.That(g2.Write("data/secret", "42"), Is.EqualTo("OK\0"));
        Assert.That(g2.Write("data/dir/child", "c"), Is.EqualTo("OK\0"));
        return (s, new StoreClient(s, 0), new StoreClient(s, 1), g2);
    }

    /// <summary>The request of <paramref name="type"/> on <paramref name="path"/> (payload as the wire wants it).</summary>
    private static string Payload(XsdSockMsgType type, string path) => type switch
    {
        XsdSockMsgType.Write => path + "\0value",
        XsdSockMsgType.DirectoryPart => path + "\0" + "0\0",
        XsdSockMsgType.SetPerms => path + "\0" + "n1\0",
        _ => path + "\0",
    };

    private static readonly XsdSockMsgType[] s_pathRequests =
    [
        XsdSockMsgType.Read, XsdSockMsgType.Directory, XsdSockMsgType.DirectoryPart, XsdSockMsgType.GetPerms,
        XsdSockMsgType.Write, XsdSockMsgType.Mkdir, XsdSockMsgType.Rm, XsdSockMsgType.SetPerms,
    ];

    private static IEnumerable<TestCaseData> ForeignNodes()
    {
        foreach (var t in s_pathRequests)
        {
            yield return new TestCaseData(t, "/local/domain/2/data/secret").SetName($"{t}_on_an_existing_foreign_node_is_EACCES");
            yield return new TestCaseData(t, "/local/domain/2/data/dir").SetName($"{t}_on_an_existing_foreign_directory_is_EACCES");
            yield return new TestCaseData(t, "/local/domain/2/data/nothing").SetName($"{t}_on_a_missing_foreign_node_is_EACCES");
            yield return new TestCaseData(t, "/local/domain/2/data/nothing/deeper").SetName($"{t}_below_a_missing_foreign_node_is_EACCES");
            yield return new TestCaseData(t, "/local/domain/9/x").SetName($"{t}_in_a_domain_that_does_not_exist_is_EACCES");
        }
    }

    [TestCaseSource(nameof(ForeignNodes))]
    public void A_foreign_node_answers_eacces_whether_or_not_it_exists(XsdSockMsgType type, string path)
    {
        var (s, _, g1, _) = Setup();
        string before = s.Dump();
        Assert.That(g1.Call(type, Payload(type, path)), Is.EqualTo("EACCES"), "outside a transaction");
        uint tx = g1.Start();
        Assert.That(g1.Call(type, Payload(type, path), tx), Is.EqualTo("EACCES"), "inside a transaction");
        Assert.That(g1.End(tx, commit: true), Is.EqualTo("OK\0"));
        Assert.That(s.Dump(), Is.EqualTo(before), "a refused request changes nothing");
    }

    [TestCaseSource(nameof(s_pathRequests))]
    public void The_owner_still_gets_the_real_answer(XsdSockMsgType type)
    {
        var (_, _, _, g2) = Setup();
        string missing = "/local/domain/2/data/nothing";
        string expected = type switch
        {
            XsdSockMsgType.Write or XsdSockMsgType.Mkdir or XsdSockMsgType.Rm => "OK\0", // created, created, already gone
            _ => "ENOENT",
        };
        Assert.That(g2.Call(type, Payload(type, missing)), Is.EqualTo(expected));
    }

    [Test]
    public void Mkdir_of_an_existing_node_is_ok_only_for_whoever_may_write_it()
    {
        var (_, d0, g1, g2) = Setup();
        Assert.That(g2.Mkdir("data/secret"), Is.EqualTo("OK\0"));
        Assert.That(d0.Mkdir("/local/domain/2/data/secret"), Is.EqualTo("OK\0"));
        Assert.That(g1.Mkdir("/local/domain/2/data/secret"), Is.EqualTo("EACCES"));
        Assert.That(g1.Mkdir("/local/domain/1"), Is.EqualTo("EACCES"), "its own home is read-only for a guest");
        Assert.That(g2.SetPerms("data/secret", "n2", "r1"), Is.EqualTo("OK\0"));
        Assert.That(g1.Read("/local/domain/2/data/secret"), Is.EqualTo("42"));
        Assert.That(g1.Mkdir("/local/domain/2/data/secret"), Is.EqualTo("EACCES"), "read access is not write access");
        Assert.That(g1.Read("/local/domain/2/data/secret/none"), Is.EqualTo("ENOENT"), "below a readable node a missing one is ENOENT");
    }

    [Test]
    public void A_value_over_the_size_quota_on_a_foreign_node_is_eacces_not_e2big()
    {
        var (_, _, g1, _) = Setup(new StoreQuotas { MaxValueSize = 100 });
        string big = new('x', 101);
        Assert.That(g1.Write("/local/domain/2/data/secret", big), Is.EqualTo("EACCES"));
        Assert.That(g1.Write("data/own", big), Is.EqualTo("E2BIG"));
    }

    [TestCase(XsdSockMsgType.Introduce, "3\0" + "0\0" + "0\0")]
    [TestCase(XsdSockMsgType.Introduce, "garbage")]
    [TestCase(XsdSockMsgType.Release, "2\0")]
    [TestCase(XsdSockMsgType.Release, "x")]
    [TestCase(XsdSockMsgType.IsDomainIntroduced, "2\0")]
    [TestCase(XsdSockMsgType.IsDomainIntroduced, "not a number")]
    [TestCase(XsdSockMsgType.Resume, "2\0")]
    [TestCase(XsdSockMsgType.SetTarget, "2\0" + "1\0")]
    [TestCase(XsdSockMsgType.Control, "check\0")]
    [TestCase(XsdSockMsgType.Control, "no such command\0")]
    public void Privileged_requests_are_eacces_for_a_guest_before_their_arguments_are_read(XsdSockMsgType type, string payload)
    {
        var (s, _, g1, _) = Setup();
        Assert.That(g1.Call(type, payload), Is.EqualTo("EACCES"));
        Assert.That(s.IsIntroduced(2), Is.True);
    }

    [TestCase(20u)] // XS_RESTRICT, gone from Xen
    [TestCase(23u)] // GET_FEATURE
    [TestCase(24u)] // SET_FEATURE
    [TestCase(25u)] // GET_QUOTA
    [TestCase(26u)] // SET_QUOTA
    [TestCase(15u)] // WATCH_EVENT: only the store sends it
    [TestCase(16u)] // ERROR: likewise
    [TestCase(99u)]
    [TestCase(uint.MaxValue)]
    public void Unknown_request_types_are_enosys(uint type)
    {
        var (_, d0, g1, _) = Setup();
        Assert.That(d0.Call((XsdSockMsgType)type, "/tool\0"), Is.EqualTo("ENOSYS"));
        Assert.That(g1.Call((XsdSockMsgType)type, "/tool\0"), Is.EqualTo("ENOSYS"));
    }

    [Test]
    public void Control_check_quota_and_help_answer_as_cxenstored()
    {
        var (_, d0, g1, _) = Setup();
        g1.Watch("data", "t");
        Assert.That(d0.Call(XsdSockMsgType.Control, "check\0"), Is.EqualTo("OK\0"));
        string q = d0.Call(XsdSockMsgType.Control, "quota\0");
        Assert.That(q, Does.StartWith("Quota settings:\n"));
        Assert.That(q, Does.Contain("nodes            :     1000 Nodes per domain\n"));
        Assert.That(q, Does.Contain("outstanding      :       20 "));
        Assert.That(q, Does.EndWith("\0"));
        string u = d0.Call(XsdSockMsgType.Control, "quota\0" + "1\0");
        Assert.That(u, Does.StartWith("Domain 1:\n"));
        Assert.That(u, Does.Contain("watches          :        1"));
        Assert.That(d0.Call(XsdSockMsgType.Control, "quota\0" + "9\0"), Is.EqualTo("ENOENT"));
        Assert.That(d0.Call(XsdSockMsgType.Control, "quota\0" + "x\0"), Is.EqualTo("EINVAL"));
        Assert.That(d0.Call(XsdSockMsgType.Control, "live-update\0"), Is.EqualTo("EINVAL"));
        Assert.That(d0.Call(XsdSockMsgType.Control, "check"), Is.EqualTo("EINVAL"), "words end in a nul");
        Assert.That(d0.Call(XsdSockMsgType.Control, ""), Is.EqualTo("EINVAL"));
        Assert.That(d0.Call(XsdSockMsgType.Control, "help\0"), Does.Contain("check").And.Contain("quota"));
    }

    [Test]
    public void A_socket_client_that_never_reads_is_held_at_the_outstanding_quota()
    {
        var store = new XenStore();
        string path = Path.Combine(Path.GetTempPath(), "pk-xs-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        using var server = StoreSocketServer.Start(store, path);
        using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        raw.Connect(new UnixDomainSocketEndPoint(path));
        // Send READs without reading a single reply until the socket will not take more.
        raw.Blocking = false;
        var msg = new byte[16 + 6];
        int sent = 0;
        var clock = Stopwatch.StartNew();
        while (sent < 300_000 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            XsCodec.TryEncode(msg, XsdSockMsgType.Read, (uint)sent + 1, 0, "/tool\0"u8, out _);
            try
            {
                int n = raw.Send(msg);
                Assert.That(n, Is.EqualTo(msg.Length), "a message went out in part; the test needs whole ones");
                sent++;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                // Full: give the server a moment to catch up and try once more, then stop.
                Thread.Sleep(200);
                if (raw.Poll(0, SelectMode.SelectWrite))
                    continue;
                break;
            }
        }
        Thread.Sleep(300);
        var usage = store.Usage(0)!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(sent, Is.LessThan(300_000), "the server stopped reading, so the client's sends blocked");
            Assert.That(usage.Outstanding, Is.LessThanOrEqualTo(new StoreQuotas().OutstandingReplies), "replies held in domain 0");
            Assert.That(store.Stats.Stalls, Is.GreaterThan(0), "the hold-backs are counted");
        });
        // Nothing was refused: reading now gets every reply, in order.
        raw.Blocking = true;
        raw.ReceiveTimeout = 10_000;
        var header = new byte[16];
        var body = new byte[4096];
        for (int i = 1; i <= sent; i++)
        {
            Assert.That(StoreSocketServer.ReadExactly(raw, header), Is.True, $"reply {i} of {sent}");
            XsCodec.TryReadHeader(header, out var h);
            Assert.That(StoreSocketServer.ReadExactly(raw, body.AsSpan(0, (int)h.Len)), Is.True);
            Assert.That((h.Type, h.ReqId), Is.EqualTo(((uint)XsdSockMsgType.Read, (uint)i)));
        }
        Assert.That(store.Stats.InternalErrors, Is.EqualTo(0));
    }

    /// <summary>Xen's own `xenstore-control` (Debian: xen-utils-4.17, next to xenstore-utils).</summary>
    private static string XenstoreControl()
    {
        foreach (string dir in Directory.Exists("/usr/lib") ? Directory.GetDirectories("/usr/lib", "xen-*") : [])
        {
            string tool = Path.Combine(dir, "bin", "xenstore-control");
            if (File.Exists(tool))
                return tool;
        }
        Assert.Fail("Xen's xenstore-control is missing: `apt-get install --no-install-recommends xen-utils-4.17` (it lands in /usr/lib/xen-4.17/bin; /usr/bin/xenstore-control is a wrapper that needs a running Xen)");
        return "";
    }

    [Test]
    public void Xens_xenstore_control_works_against_our_store()
    {
        string tool = XenstoreControl();
        var store = new XenStore();
        store.IntroduceDomain(1, "guest", 4096);
        string path = Path.Combine(Path.GetTempPath(), "pk-xs-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        using var server = StoreSocketServer.Start(store, path);
        var env = new Dictionary<string, string> { ["XENSTORED_PATH"] = path };
        var check = TestHost.Run(tool, ["check"], TimeSpan.FromSeconds(10), env);
        var quota = TestHost.Run(tool, ["quota"], TimeSpan.FromSeconds(10), env);
        var dom = TestHost.Run(tool, ["quota", "1"], TimeSpan.FromSeconds(10), env);
        var bad = TestHost.Run(tool, ["frobnicate"], TimeSpan.FromSeconds(10), env);
        Assert.Multiple(() =>
        {
            Assert.That((check.ExitCode, check.Stdout), Is.EqualTo((0, "OK\n")), check.Output);
            Assert.That(quota.ExitCode, Is.EqualTo(0), quota.Output);
            Assert.That(quota.Stdout, Does.StartWith("Quota settings:\n").And.Contain("outstanding"));
            Assert.That(dom.ExitCode, Is.EqualTo(0), dom.Output);
            Assert.That(dom.Stdout, Does.StartWith("Domain 1:\n").And.Contain("nodes"));
            Assert.That(bad.ExitCode, Is.EqualTo(3), "an unknown command is an error: " + bad.Output);
        });
    }
}
