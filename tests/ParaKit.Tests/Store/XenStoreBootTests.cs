// The store end to end under KVM: the xsdemo unikernel talks to domain 0's xenstored over its
// ring and event channel, and `parakit xenstore` in another process reaches a running
// `parakit create` through the store socket. These need /dev/kvm and fail, not skip, without it.
using System.Diagnostics;
using System.Text.RegularExpressions;
using ParaKit.Tests.Guests;

namespace ParaKit.Tests.Store;

[TestFixture]
[NonParallelizable]
public class XenStoreBootTests
{
    [Test]
    public void Xsdemo_passes_every_check_over_the_ring()
    {
        TestHost.RequireKvm();
        var result = GuestToolchain.Boot(GuestToolchain.Build("xsdemo"));
        var failures = result.Stdout.Split('\n').Where(l => l.StartsWith("FAIL")).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty, result.Output);
            Assert.That(result.Stdout, Does.Contain("xsdemo: all checks passed"), result.Output);
            Assert.That(result.Stdout, Does.Contain("ok   t2 conflicts (EAGAIN)"));
            Assert.That(result.Stdout, Does.Contain("ok   the watch fired for data/xsdemo/w/x"));
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
        });
        var rt = Regex.Match(result.Stdout, @"(\d+) reads, ([\d.]+) us per round trip");
        Assert.That(rt.Success, Is.True, result.Output);
        TestContext.Out.WriteLine($"xsdemo: store READ round trip {rt.Groups[2].Value} us from the guest");
    }

    [Test]
    public void Parakit_xenstore_reaches_a_running_create_and_a_guest_watch_sees_its_write()
    {
        TestHost.RequireKvm();
        using var domains = new XsdemoDomains(("xs", "wait"));
        ProcessResult Cli(params string[] args) => domains.Xenstore(args);

        var none = Cli("ls");
        Assert.That(none.ExitCode, Is.EqualTo(1), none.Output);
        Assert.That(none.Stderr, Does.Contain("no running hypervisor"));

        ProcessResult? ls = null, read = null, write = null, missing = null, perms = null;
        Process? watch = null;
        string? firstEvent = null;
        var create = domains.Create(60, p =>
        {
            var clock = Stopwatch.StartNew();
            // Wait until the guest is up and has set its watch on data/ping.
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                var probe = Cli("read", "/local/domain/1/name");
                if (probe.ExitCode == 0)
                    break;
                Thread.Sleep(50);
            }
            ls = Cli("ls", "/local/domain/1");
            read = Cli("read", "/local/domain/1/name", "/local/domain/1/memory/target");
            missing = Cli("read", "/local/domain/1/nope");
            perms = Cli("perms", "/local/domain/1", "/local/domain/1/data");
            // A watcher in another process: it fires once when set (wait for that, so the watch
            // is in place before the guest can answer), then for the guest's answer.
            var psi = new ProcessStartInfo(TestHost.Parakit) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { "xenstore", "watch", "-n", "2", "/local/domain/1/data/pong" })
                psi.ArgumentList.Add(a);
            psi.Environment["PARAKIT_XENSTORE_SOCKET"] = domains.Socket;
            watch = Process.Start(psi)!;
            var first = watch.StandardOutput.ReadLineAsync();
            if (first.Wait(TimeSpan.FromSeconds(20)))
                firstEvent = first.Result;
            Cli("write", "/local/domain/1/device/demo/0/backend", "/local/domain/0/backend/demo/1/0", "/local/domain/1/device/demo/0/backend-id", "0");
            write = Cli("write", "/local/domain/1/data/ping", "hello-from-dom0");
        });
        Assert.Multiple(() =>
        {
            Assert.That(ls!.ExitCode, Is.EqualTo(0), ls.Output);
            Assert.That(ls.Stdout, Does.Contain("name = \"xs\""));
            Assert.That(ls.Stdout, Does.Contain(" target = \"16384\""));
            Assert.That(read!.Stdout, Is.EqualTo("xs\n16384\n"), read.Output);
            Assert.That(missing!.ExitCode, Is.EqualTo(1));
            Assert.That(missing.Stderr, Does.Contain("ENOENT"));
            Assert.That(write!.ExitCode, Is.EqualTo(0), write.Output);
            Assert.That(create.Stdout, Does.Contain("domain 0 wrote data/ping = hello-from-dom0"), create.Output);
            Assert.That(create.Stdout, Does.Contain("device/demo/0 has its backend at /local/domain/0/backend/demo/1/0 in domain 0"));
            Assert.That(create.ExitCode, Is.EqualTo(0), create.Output);
            Assert.That(perms!.Stdout, Is.EqualTo("n0 r1\nn1\n"), perms.Output);
        });
        using (watch)
        {
            Assert.That(firstEvent, Is.EqualTo("/local/domain/1/data/pong"), "the watch fires once when set");
            string rest = watch!.StandardOutput.ReadToEnd();
            Assert.That(watch.WaitForExit(TimeSpan.FromSeconds(20)), Is.True, "watch -n 2 ends after the second event");
            Assert.That((watch.ExitCode, rest), Is.EqualTo((0, "/local/domain/1/data/pong\n")), watch.StandardError.ReadToEnd());
        }
        Assert.That(File.Exists(domains.Socket), Is.False, "the socket file is removed at exit");
    }

    [Test]
    public void Two_domains_run_the_xenbus_handshake_through_the_store()
    {
        TestHost.RequireKvm();
        // Ids follow the order given: back is domain 1, front domain 2.
        using var domains = new XsdemoDomains(("back", "back peer=2"), ("front", "front peer=1"));
        var r = domains.Create(30);
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Contain("front: backend InitWait"), r.Output);
            Assert.That(r.Stdout, Does.Contain("front: reads the backend's feature"));
            Assert.That(r.Stdout, Does.Contain("xenbus: back connected"));
            Assert.That(r.Stdout, Does.Contain("xenbus: front connected"));
            Assert.That(r.Stdout, Does.Not.Contain("FAIL"));
            Assert.That(Regex.Matches(r.Stdout, @"poweroff\(0\)").Count, Is.EqualTo(2), "both domains exit 0");
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        });
    }

    [Test]
    public void A_guest_that_corrupts_its_ring_is_cut_off_while_another_is_still_served()
    {
        TestHost.RequireKvm();
        using var domains = new XsdemoDomains(("bad", "hostile"), ("good", null));
        var r = domains.Create(30);
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Match(@"bad +\| xsdemo: hostile checks passed"), r.Output);
            Assert.That(r.Stdout, Does.Match(@"good +\| xsdemo: all checks passed"), r.Output);
            Assert.That(r.Stdout, Does.Not.Contain("FAIL"));
            Assert.That(Regex.Matches(r.Stdout, @"poweroff\(0\)").Count, Is.EqualTo(2), "both domains exit 0");
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        });
    }

    [Test]
    public void A_guest_in_its_event_loop_shuts_down_when_domain_0_writes_control_shutdown()
    {
        TestHost.RequireKvm();
        using var domains = new XsdemoDomains(("srv", "serve"));
        ProcessResult? write = null;
        var r = domains.Create(60, _ =>
        {
            // The guest advertises the feature once its watch is set.
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(30)
                   && domains.Xenstore("read", "/local/domain/1/control/feature-poweroff").ExitCode != 0)
                Thread.Sleep(50);
            // Even a write before the watch is set is seen: a new watch fires once at once.
            write = domains.Xenstore("write", "/local/domain/1/control/shutdown", "poweroff");
        });
        Assert.Multiple(() =>
        {
            Assert.That(write!.ExitCode, Is.EqualTo(0), write.Output);
            Assert.That(r.Stdout, Does.Contain("xsdemo: shutdown requested: poweroff"), r.Output);
            Assert.That(r.Stdout, Does.Contain("ok   serve: the request was acknowledged"));
            Assert.That(r.Stdout, Does.Match(@"srv +1 +16 +poweroff\(0\)"));
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        });
    }

    /// <summary>xsdemo domains for one `parakit create`: a scratch folder with one xl.cfg per
    /// (name, extra), in the order given (so domain ids follow it), and a private store socket.</summary>
    private sealed class XsdemoDomains : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "parakit-xs-" + Guid.NewGuid().ToString("N")[..8]);
        private readonly List<string> _configs = [];
        private readonly Dictionary<string, string> _env;

        public XsdemoDomains(params (string Name, string? Extra)[] domains)
        {
            TestHost.RequireParakit();
            string image = GuestToolchain.Build("xsdemo");
            Directory.CreateDirectory(_dir);
            Socket = Path.Combine(_dir, "xenstored.sock");
            _env = new Dictionary<string, string> { ["PARAKIT_XENSTORE_SOCKET"] = Socket };
            foreach (var (name, extra) in domains)
            {
                string cfg = Path.Combine(_dir, name + ".cfg");
                File.WriteAllText(cfg, $"name = \"{name}\"\nkernel = \"{image}\"\nmemory = 16\n" + (extra is null ? "" : $"extra = \"{extra}\"\n"));
                _configs.Add(cfg);
            }
        }

        public string Socket { get; }

        /// <summary>`parakit create --timeout S` over the configs; the process gets 30 s more to end.</summary>
        public ProcessResult Create(int timeoutSeconds, Action<Process>? whileRunning = null) =>
            TestHost.Run(TestHost.Parakit, ["create", "--timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), .. _configs],
                TimeSpan.FromSeconds(timeoutSeconds + 30), _env, whileRunning);

        /// <summary>`parakit xenstore ARGS` against this create's socket.</summary>
        public ProcessResult Xenstore(params string[] args) =>
            TestHost.Run(TestHost.Parakit, ["xenstore", .. args], TimeSpan.FromSeconds(10), _env);

        public void Dispose() => Directory.Delete(_dir, recursive: true);
    }
}
