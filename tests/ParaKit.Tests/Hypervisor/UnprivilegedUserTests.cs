// parakit as students run it: a user who is not root but may open /dev/kvm (the `kvm` group).
// The test drops root with setpriv(1) to an unused uid whose only extra group is the device's
// group, runs from a world-readable copy (the checkout may be private), and checks that `run`
// and `create` (with its store socket and the seccomp filter) work. TAP/bridge set-up is the one
// thing such a user cannot do (it needs CAP_NET_ADMIN), and is not tried here.

namespace ParaKit.Tests.Hypervisor;

public class UnprivilegedUserTests
{
    private const int Uid = 61_234; // no passwd entry needed: setpriv sets ids, not names

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static (int Gid, string Device) KvmGroup()
    {
        HypervisorHarness.RequireKvm();
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Assert.Fail("this test drops root with setpriv(1) to a kvm-group user: run the suite as root on a host with util-linux");
        var stat = TestHost.Run("/usr/bin/stat", ["-c", "%g %a", "/dev/kvm"], TimeSpan.FromSeconds(10));
        string[] parts = stat.Stdout.Trim().Split(' ');
        int gid = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        if (gid == 0)
            Assert.Fail("/dev/kvm belongs to group root here; give it its own group (udev does: kvm, mode 660) to test a kvm-group user");
        return (gid, "/dev/kvm");
    }

    private static ProcessResult AsKvmUser(int gid, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null) =>
        HypervisorHarness.Run("/usr/bin/setpriv", [$"--reuid={Uid}", $"--regid={Uid}", $"--groups={gid}", "--", "/usr/bin/env", "--default-signal=INT", .. args], timeout ?? TimeSpan.FromSeconds(60), env);

    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_kvm_group_user_runs_and_creates_domains_without_root()
    {
        var (gid, _) = KvmGroup();
        HypervisorHarness.RequireParakit();
        string hello = HypervisorHarness.CsGuest("hello");
        string blocker = HypervisorHarness.CsGuest("blocker");
        using var shared = new SharedCopy(hello, blocker);
        // A folder the user owns, for its store socket and the config (as $XDG_RUNTIME_DIR would be).
        string home = Path.Combine(shared.Dir, "home");
        Directory.CreateDirectory(home);
        TestHost.Run("/bin/chown", [$"{Uid}:{Uid}", home], TimeSpan.FromSeconds(10));
        string cfg = Path.Combine(home, "b.cfg");
        File.WriteAllText(cfg, $"name = \"b\"\nkernel = \"{shared.PathOf(blocker)}\"\nmemory = 4\n");
        var env = new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = home, ["HOME"] = home };

        var run = AsKvmUser(gid, [shared.Parakit, "run", shared.PathOf(hello), "--", "as", "a", "user"], env);
        var create = AsKvmUser(gid, [shared.Parakit, "create", "--timeout", "1", cfg], env);
        var noGroup = HypervisorHarness.Run("/usr/bin/setpriv", [$"--reuid={Uid}", $"--regid={Uid}", "--clear-groups", shared.Parakit, "run", shared.PathOf(hello)], TimeSpan.FromSeconds(30), env);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
            Assert.That(run.Stdout, Does.Contain("Hello from a ParaKit C# unikernel!"));
            Assert.That(create.ExitCode, Is.EqualTo(124), "create runs until its timeout: " + create.Output);
            Assert.That(create.Stdout, Does.Contain("blocking"));
            Assert.That(create.Stderr, Does.Not.Contain("xenstore socket not available"), "the store socket goes to $XDG_RUNTIME_DIR/parakit");
            Assert.That(noGroup.ExitCode, Is.EqualTo(1), "without the group: " + noGroup.Output);
            Assert.That(noGroup.Stderr, Does.Contain("permission denied"));
        });
    }
}
