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
        TestHost.RequireParakit();
        string image = GuestToolchain.Build("xsdemo");
        string dir = Path.Combine(Path.GetTempPath(), "parakit-xs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string socket = Path.Combine(dir, "xenstored.sock");
        string cfg = Path.Combine(dir, "xs.cfg");
        File.WriteAllText(cfg, $"name = \"xs\"\nkernel = \"{image}\"\nmemory = 16\nextra = \"wait\"\n");
        var env = new Dictionary<string, string> { ["PARAKIT_XENSTORE_SOCKET"] = socket };
        try
        {
            ProcessResult Cli(params string[] args) => TestHost.Run(TestHost.Parakit, ["xenstore", .. args], TimeSpan.FromSeconds(10), env);

            var none = Cli("ls");
            Assert.That(none.ExitCode, Is.EqualTo(1), none.Output);
            Assert.That(none.Stderr, Does.Contain("no running hypervisor"));

            ProcessResult? ls = null, read = null, write = null, missing = null, perms = null;
            Process? watch = null;
            string? firstEvent = null;
            var create = TestHost.Run(TestHost.Parakit, ["create", "--timeout", "60", cfg], TimeSpan.FromSeconds(90), env, p =>
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
                psi.Environment["PARAKIT_XENSTORE_SOCKET"] = socket;
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
            Assert.That(File.Exists(socket), Is.False, "the socket file is removed at exit");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Two_domains_run_the_xenbus_handshake_through_the_store()
    {
        TestHost.RequireKvm();
        TestHost.RequireParakit();
        string image = GuestToolchain.Build("xsdemo");
        string dir = Path.Combine(Path.GetTempPath(), "parakit-xb-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            // Ids follow file order: back is domain 1, front domain 2.
            string back = Path.Combine(dir, "back.cfg"), front = Path.Combine(dir, "front.cfg");
            File.WriteAllText(back, $"name = \"back\"\nkernel = \"{image}\"\nmemory = 16\nextra = \"back peer=2\"\n");
            File.WriteAllText(front, $"name = \"front\"\nkernel = \"{image}\"\nmemory = 16\nextra = \"front peer=1\"\n");
            var env = new Dictionary<string, string> { ["PARAKIT_XENSTORE_SOCKET"] = Path.Combine(dir, "xs.sock") };
            var r = TestHost.Run(TestHost.Parakit, ["create", "--timeout", "30", back, front], TimeSpan.FromSeconds(60), env);
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
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void A_guest_that_corrupts_its_ring_is_cut_off_while_another_is_still_served()
    {
        TestHost.RequireKvm();
        TestHost.RequireParakit();
        string image = GuestToolchain.Build("xsdemo");
        string dir = Path.Combine(Path.GetTempPath(), "parakit-xh-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string bad = Path.Combine(dir, "bad.cfg"), good = Path.Combine(dir, "good.cfg");
            File.WriteAllText(bad, $"name = \"bad\"\nkernel = \"{image}\"\nmemory = 16\nextra = \"hostile\"\n");
            File.WriteAllText(good, $"name = \"good\"\nkernel = \"{image}\"\nmemory = 16\n");
            var env = new Dictionary<string, string> { ["PARAKIT_XENSTORE_SOCKET"] = Path.Combine(dir, "xs.sock") };
            var r = TestHost.Run(TestHost.Parakit, ["create", "--timeout", "30", bad, good], TimeSpan.FromSeconds(60), env);
            Assert.Multiple(() =>
            {
                Assert.That(r.Stdout, Does.Match(@"bad +\| xsdemo: hostile checks passed"), r.Output);
                Assert.That(r.Stdout, Does.Match(@"good +\| xsdemo: all checks passed"), r.Output);
                Assert.That(r.Stdout, Does.Not.Contain("FAIL"));
                Assert.That(Regex.Matches(r.Stdout, @"poweroff\(0\)").Count, Is.EqualTo(2), "both domains exit 0");
                Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void A_guest_in_its_event_loop_shuts_down_when_domain_0_writes_control_shutdown()
    {
        TestHost.RequireKvm();
        TestHost.RequireParakit();
        string image = GuestToolchain.Build("xsdemo");
        string dir = Path.Combine(Path.GetTempPath(), "parakit-xc-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string cfg = Path.Combine(dir, "srv.cfg");
            File.WriteAllText(cfg, $"name = \"srv\"\nkernel = \"{image}\"\nmemory = 16\nextra = \"serve\"\n");
            var env = new Dictionary<string, string> { ["PARAKIT_XENSTORE_SOCKET"] = Path.Combine(dir, "xs.sock") };
            ProcessResult? write = null;
            var r = TestHost.Run(TestHost.Parakit, ["create", "--timeout", "60", cfg], TimeSpan.FromSeconds(90), env, _ =>
            {
                // The guest advertises the feature once its watch is set.
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < TimeSpan.FromSeconds(30)
                       && TestHost.Run(TestHost.Parakit, ["xenstore", "read", "/local/domain/1/control/feature-poweroff"], TimeSpan.FromSeconds(10), env).ExitCode != 0)
                    Thread.Sleep(50);
                // Even a write before the watch is set is seen: a new watch fires once at once.
                write = TestHost.Run(TestHost.Parakit, ["xenstore", "write", "/local/domain/1/control/shutdown", "poweroff"], TimeSpan.FromSeconds(10), env);
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
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
