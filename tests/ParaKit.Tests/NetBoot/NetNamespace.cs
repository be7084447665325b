// A Linux network namespace a test makes for itself (named after the test run's pid, so parallel
// runs never meet), with helpers to run commands and parakit inside it. Deleting it removes every
// interface left in it, so a test that fails halfway leaves nothing behind on the host.
using System.Diagnostics;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.NetBoot;

internal sealed class NetNamespace : IDisposable
{
    private static int s_counter;

    public static readonly string Ip = File.Exists("/usr/sbin/ip") ? "/usr/sbin/ip" : File.Exists("/sbin/ip") ? "/sbin/ip" : "ip";

    public string Name { get; }

    private NetNamespace(string name) => Name = name;

    /// <summary>Creates namespace pk&lt;tag&gt;&lt;pid&gt;-&lt;n&gt; with its loopback up.</summary>
    public static NetNamespace Create(string tag)
    {
        string name = $"pk{tag}{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        var r = HypervisorHarness.Run(Ip, ["netns", "add", name], TimeSpan.FromSeconds(10));
        Assert.That(r.ExitCode, Is.EqualTo(0), $"ip netns add {name} failed (these tests run as root with iproute2):\n{r.Output}");
        var ns = new NetNamespace(name);
        ns.Must("ip", "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>Runs a command inside the namespace.</summary>
    public ProcessResult Exec(params string[] command) => Exec(TimeSpan.FromSeconds(30), command);

    public ProcessResult Exec(TimeSpan timeout, params string[] command) =>
        HypervisorHarness.Run(Ip, ["netns", "exec", Name, .. command], timeout);

    /// <summary>Runs a command inside the namespace and fails the test if it fails.</summary>
    public string Must(params string[] command)
    {
        var r = Exec(command);
        Assert.That(r.ExitCode, Is.EqualTo(0), $"in {Name}: {string.Join(' ', command)} failed:\n{r.Output}");
        return r.Stdout;
    }

    /// <summary>A Linux bridge with an address, up.</summary>
    public void AddBridge(string bridge, string cidr)
    {
        Must("ip", "link", "add", bridge, "type", "bridge");
        Must("ip", "addr", "add", cidr, "dev", bridge);
        Must("ip", "link", "set", bridge, "up");
    }

    /// <summary>`ip -o link show`: one line per interface.</summary>
    public string Links() => Exec("ip", "-o", "link", "show").Stdout;

    /// <summary>`bridge link`: the bridge ports and their master.</summary>
    public string BridgePorts() => Exec("bridge", "link").Stdout;

    public bool HasInterface(string name) => Links().Split('\n').Any(l => l.Contains($": {name}:", StringComparison.Ordinal) || l.Contains($": {name}@", StringComparison.Ordinal));

    public bool IsBridgePort(string name, string bridge) =>
        BridgePorts().Split('\n').Any(l => l.Contains($": {name}:", StringComparison.Ordinal) && l.Contains($"master {bridge} ", StringComparison.Ordinal));

    /// <summary>Runs `parakit ARGS` inside the namespace, with its sockets in <paramref name="dir"/>.</summary>
    public ProcessResult Parakit(string dir, IEnumerable<string> args, TimeSpan timeout, Action<Process>? whileRunning = null)
    {
        HypervisorHarness.RequireParakit();
        var env = new Dictionary<string, string>
        {
            ["PARAKIT_CONTROL_SOCKET"] = Path.Combine(dir, "control.sock"),
            ["PARAKIT_XENSTORE_SOCKET"] = Path.Combine(dir, "xenstored.sock"),
        };
        // ip netns exec execs the command: the process the test sees is parakit itself.
        return HypervisorHarness.Run(Ip, ["netns", "exec", Name, "/usr/bin/env", "--default-signal=INT", HypervisorHarness.Parakit, .. args], timeout, env, whileRunning);
    }

    /// <summary>Starts `ip monitor link` on the namespace; stop it and read what it saw with the returned function.</summary>
    public Func<string> MonitorLinks()
    {
        var psi = new ProcessStartInfo(Ip) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-n", Name, "monitor", "link" })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        Thread.Sleep(200);   // let it subscribe before anything happens
        return () =>
        {
            if (!p.HasExited)
                p.Kill();
            p.WaitForExit();
            string text = output.Result;
            p.Dispose();
            return text;
        };
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms; fails the test with <paramref name="what"/> after the timeout.</summary>
    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
                Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for: {what()}");
            Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        var r = HypervisorHarness.Run(Ip, ["netns", "delete", Name], TimeSpan.FromSeconds(10));
        if (r.ExitCode != 0)
            TestContext.Error.WriteLine($"could not delete network namespace {Name}: {r.Output}");
    }
}
