// The apps under KVM, reached by the host's own tools, each test in a network namespace of its
// own with a Linux bridge (parakit inside it with `ip netns exec`, as a user would): httpd and
// iperf3d are two unikernels whose vifs are TAPs in br0; the host pings them, curls httpd's page
// (byte-exact) and /stats (JSON), and runs an unmodified iperf3 client against iperf3d over TCP
// in both directions (-R) and over UDP. Both guests are shut down the Xen way (control/shutdown
// in the store) and print their done lines. The echo app answers netcat (netcat-openbsd) over
// UDP and TCP.
using System.Diagnostics;
using System.Text.Json;
using ParaKit.Net.Http;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.NetBoot;

public class HostAppsBootTests : NetBootFixture
{
    private string Config(string name, string app, string vif)
    {
        string path = Path.Combine(Dir, name + ".cfg");
        File.WriteAllText(path, $"""
            name = "{name}"
            kernel = "{HypervisorHarness.CsGuest(app)}"
            memory = 64
            vif = [ '{vif}' ]
            """);
        return path;
    }

    /// <summary>A failure while parakit runs must not leave it running: kill it (the kernel then
    /// closes its TAPs) and let the failure through.</summary>
    private static Action<Process> Guarded(Action<Process> body) => p =>
    {
        try
        {
            body(p);
        }
        catch
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            throw;
        }
    };

    private void Shutdown(int domid)
    {
        var env = new Dictionary<string, string>
        {
            ["PARAKIT_CONTROL_SOCKET"] = Path.Combine(Dir, "control.sock"),
            ["PARAKIT_XENSTORE_SOCKET"] = Path.Combine(Dir, "xenstored.sock"),
        };
        var r = HypervisorHarness.RunParakit(["xenstore", "write", $"/local/domain/{domid}/control/shutdown", "poweroff"], TimeSpan.FromSeconds(10), env);
        Assert.That(r.ExitCode, Is.EqualTo(0), "parakit xenstore write control/shutdown:\n" + r.Output);
    }

    /// <summary>iperf3 -J's end summary: received bits per second (TCP) or the UDP sum.</summary>
    private static double IperfBitsPerSecond(string json, bool udp, out JsonElement end)
    {
        using var doc = JsonDocument.Parse(json);
        end = doc.RootElement.GetProperty("end").Clone();
        return udp
            ? end.GetProperty("sum").GetProperty("bits_per_second").GetDouble()
            : end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
    }

    [Test]
    public void The_host_pings_curls_httpd_and_runs_iperf3_against_iperf3d_on_a_linux_bridge()
    {
        using var ns = NetNamespace.Create("ap");
        ns.AddBridge("br0", "10.99.0.1/24");
        string web = Config("web", "httpd", "mac=00:16:3e:00:00:02,bridge=br0,ip=10.99.0.2/24,gateway=10.99.0.1");
        string perf = Config("perf", "iperf3d", "mac=00:16:3e:00:00:03,bridge=br0,ip=10.99.0.3/24,gateway=10.99.0.1");
        string page = Path.Combine(Dir, "index.html");
        ProcessResult ping = default!, curlPage = default!, curlKeepAlive = default!, stats = default!, tcp = default!, reverse = default!, udp = default!, busyPing = default!;
        var r = ns.Parakit(Dir, ["create", web, perf], TimeSpan.FromSeconds(150), Guarded(_ =>
        {
            NetNamespace.WaitUntil(() => ns.IsBridgePort("vif1.0", "br0") && ns.IsBridgePort("vif2.0", "br0"), TimeSpan.FromSeconds(20),
                () => "vif1.0 and vif2.0 in br0:\n" + ns.BridgePorts());
            ping = ns.Exec(TimeSpan.FromSeconds(60), "ping", "-c", "10", "-i", "0.05", "-W", "2", "10.99.0.2");
            curlPage = ns.Exec(TimeSpan.FromSeconds(30), "curl", "-sS", "--retry", "3", "--retry-connrefused", "--max-time", "10", "-o", page, "http://10.99.0.2/");
            // Two URLs on one curl: the second request goes over the first connection (keep-alive).
            curlKeepAlive = ns.Exec(TimeSpan.FromSeconds(30), "curl", "-sS", "-v", "--max-time", "10", "-o", "/dev/null", "-o", "/dev/null", "http://10.99.0.2/", "http://10.99.0.2/stats");
            tcp = ns.Exec(TimeSpan.FromSeconds(60), "iperf3", "-c", "10.99.0.3", "-t", "2", "-J");
            reverse = ns.Exec(TimeSpan.FromSeconds(60), "iperf3", "-c", "10.99.0.3", "-t", "2", "-R", "-J");
            udp = ns.Exec(TimeSpan.FromSeconds(60), "iperf3", "-c", "10.99.0.3", "-t", "2", "-u", "-b", "20M", "-J");
            // The web server is still answering after all that: /stats last, so it counts the rest.
            busyPing = ns.Exec(TimeSpan.FromSeconds(30), "ping", "-c", "3", "-i", "0.05", "-W", "2", "10.99.0.3");
            stats = ns.Exec(TimeSpan.FromSeconds(30), "curl", "-sS", "--max-time", "10", "http://10.99.0.2/stats");
            Shutdown(1);
            Shutdown(2);
        }));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.Multiple(() =>
        {
            Assert.That(ping.Output, Does.Contain("10 packets transmitted, 10 received, 0% packet loss"), "host ping");
            Assert.That(busyPing.Output, Does.Contain("3 packets transmitted, 3 received, 0% packet loss"), "host ping of iperf3d");
            Assert.That(curlPage.ExitCode, Is.EqualTo(0), "curl /:\n" + curlPage.Output);
            Assert.That(File.Exists(page) ? File.ReadAllBytes(page) : [], Is.EqualTo(HttpServer.IndexPage), "the page, byte for byte");
            Assert.That(curlKeepAlive.ExitCode, Is.EqualTo(0), curlKeepAlive.Output);
            Assert.That(curlKeepAlive.Stderr, Does.Contain("Re-using existing connection"), "keep-alive:\n" + curlKeepAlive.Stderr);
            Assert.That(stats.ExitCode, Is.EqualTo(0), stats.Output);
        });

        using (var doc = JsonDocument.Parse(stats.Stdout))
        {
            JsonElement root = doc.RootElement;
            Assert.Multiple(() =>
            {
                Assert.That(root.GetProperty("stack").GetProperty("icmp_echo_requests").GetUInt64(), Is.GreaterThanOrEqualTo(10UL), stats.Stdout);
                Assert.That(root.GetProperty("tcp").GetProperty("passive_opens").GetUInt64(), Is.GreaterThanOrEqualTo(3UL), stats.Stdout);
                Assert.That(root.GetProperty("tcp").GetProperty("bad_checksum").GetUInt64(), Is.EqualTo(0UL), stats.Stdout);
                Assert.That(root.GetProperty("nic").GetProperty("rx_frames").GetUInt64(), Is.GreaterThan(0UL), stats.Stdout);
                // curl /, curl / and /stats on one connection, then this /stats.
                Assert.That(root.GetProperty("httpd").GetProperty("requests").GetUInt64(), Is.EqualTo(4UL), stats.Stdout);
                Assert.That(root.GetProperty("httpd").GetProperty("responses_2xx").GetUInt64(), Is.EqualTo(3UL), "the fourth is being answered");
            });
        }

        Assert.That(tcp.ExitCode, Is.EqualTo(0), "iperf3 -c:\n" + tcp.Output);
        Assert.That(reverse.ExitCode, Is.EqualTo(0), "iperf3 -c -R:\n" + reverse.Output);
        Assert.That(udp.ExitCode, Is.EqualTo(0), "iperf3 -c -u:\n" + udp.Output);
        double up = IperfBitsPerSecond(tcp.Stdout, udp: false, out _);
        double down = IperfBitsPerSecond(reverse.Stdout, udp: false, out _);
        double udpRate = IperfBitsPerSecond(udp.Stdout, udp: true, out JsonElement udpEnd);
        TestContext.Out.WriteLine($"iperf3 host->guest {up / 1e9:F3} Gbit/s, guest->host {down / 1e9:F3} Gbit/s, UDP {udpRate / 1e6:F1} Mbit/s");
        Assert.Multiple(() =>
        {
            Assert.That(up, Is.GreaterThan(0), tcp.Stdout);
            Assert.That(down, Is.GreaterThan(0), reverse.Stdout);
            Assert.That(udpRate, Is.GreaterThan(0), udp.Stdout);
            Assert.That(udpEnd.GetProperty("sum").GetProperty("packets").GetInt64(), Is.GreaterThan(1000), "UDP packets at 20 Mbit/s for 2 s");
        });

        // The guests' own accounts: three tests done, the page requests answered.
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Match(@"httpd: done requests=4 connections=3 responses_2xx=4 responses_4xx=0 responses_5xx=0"), r.Output);
            Assert.That(r.Stdout, Does.Match(@"iperf3d: test 1 tcp reverse=0 .* received_bytes=[1-9]\d* .*outcome=done"), r.Output);
            Assert.That(r.Stdout, Does.Match(@"iperf3d: test 2 tcp reverse=1 .* sent_bytes=[1-9]\d* .*outcome=done"), r.Output);
            Assert.That(r.Stdout, Does.Match(@"iperf3d: test 3 udp reverse=0 .* udp_packets=[1-9]\d* .*outcome=done"), r.Output);
            Assert.That(r.Stdout, Does.Contain("iperf3d: done tests=3 access_denied=0"), r.Output);
        });
        Assert.That(ns.HasInterface("vif1.0") || ns.HasInterface("vif2.0"), Is.False, "the TAPs must be gone after the domains:\n" + ns.Links());
    }

    [Test]
    public void Netcat_gets_its_udp_datagrams_and_tcp_stream_echoed_by_the_echo_app_on_a_linux_bridge()
    {
        using var ns = NetNamespace.Create("nc");
        ns.AddBridge("br0", "10.99.0.1/24");
        string echo = Config("echo", "echo", "mac=00:16:3e:00:00:04,bridge=br0");
        File.AppendAllText(echo, "\nextra = \"ip=10.99.0.4/24 count=1 seconds=60\"\n");
        // Three datagrams (nc -u sends what each read of its input returns: one line per printf,
        // with a pause between) and 200 KB of TCP stream with every byte value in it.
        string stream = Path.Combine(Dir, "stream.bin"), back = Path.Combine(Dir, "back.bin");
        var rng = new Random(9);
        var bytes = new byte[200_000];
        rng.NextBytes(bytes);
        File.WriteAllBytes(stream, bytes);
        ProcessResult udp = default!, tcp = default!;
        var r = ns.Parakit(Dir, ["create", echo], TimeSpan.FromSeconds(90), Guarded(_ =>
        {
            NetNamespace.WaitUntil(() => ns.IsBridgePort("vif1.0", "br0"), TimeSpan.FromSeconds(20), () => "vif1.0 in br0:\n" + ns.BridgePorts());
            // The guest starts serving a moment after its TAP appears: ping until it answers.
            NetNamespace.WaitUntil(() => ns.Exec(TimeSpan.FromSeconds(5), "ping", "-c", "1", "-W", "1", "10.99.0.4").ExitCode == 0, TimeSpan.FromSeconds(20), () => "ping 10.99.0.4");
            udp = ns.Exec(TimeSpan.FromSeconds(30), "sh", "-c",
                "(printf 'one\\n'; sleep 0.3; printf 'two\\n'; sleep 0.3; printf 'three\\n'; sleep 0.3) | nc -u -w 2 10.99.0.4 7");
            // -N: shut down the sending side at end of input, so the echo ends with the server's FIN.
            tcp = ns.Exec(TimeSpan.FromSeconds(30), "sh", "-c", $"nc -N -w 10 10.99.0.4 7 < {stream} > {back}");
        }));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.Multiple(() =>
        {
            Assert.That(udp.Stdout, Is.EqualTo("one\ntwo\nthree\n"), "nc -u:\n" + udp.Output);
            Assert.That(tcp.ExitCode, Is.EqualTo(0), "nc:\n" + tcp.Output);
            Assert.That(File.Exists(back) ? File.ReadAllBytes(back) : [], Is.EqualTo(bytes), "the TCP echo, byte for byte");
            Assert.That(r.Stdout, Does.Match(@"echo: served connections=1 bytes=200000 udp_datagrams=3 "), r.Output);
        });
    }

    [Test]
    public void Iperf3d_turns_a_second_client_away_while_a_test_runs_and_serves_it_afterwards()
    {
        using var ns = NetNamespace.Create("ab");
        ns.AddBridge("br0", "10.99.0.1/24");
        string perf = Config("perf", "iperf3d", "mac=00:16:3e:00:00:03,bridge=br0,ip=10.99.0.3/24");
        ProcessResult busy = default!, after = default!;
        string first = "";
        var r = ns.Parakit(Dir, ["create", perf], TimeSpan.FromSeconds(90), Guarded(_ =>
        {
            NetNamespace.WaitUntil(() => ns.IsBridgePort("vif1.0", "br0"), TimeSpan.FromSeconds(20), () => "vif1.0 in br0:\n" + ns.BridgePorts());
            // Wait for the guest to answer before the long test starts.
            ns.Exec(TimeSpan.FromSeconds(30), "ping", "-c", "1", "-W", "5", "10.99.0.3");
            var psi = new ProcessStartInfo(NetNamespace.Ip) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { "netns", "exec", ns.Name, "iperf3", "-c", "10.99.0.3", "-t", "4" })
                psi.ArgumentList.Add(a);
            using var longTest = Process.Start(psi)!;
            var longOut = longTest.StandardOutput.ReadToEndAsync();
            Thread.Sleep(1500);
            busy = ns.Exec(TimeSpan.FromSeconds(30), "iperf3", "-c", "10.99.0.3", "-t", "1");
            Assert.That(longTest.WaitForExit(30_000), Is.True, "the first iperf3 did not end");
            first = longOut.Result;
            after = ns.Exec(TimeSpan.FromSeconds(30), "iperf3", "-c", "10.99.0.3", "-t", "1", "-R");
            Shutdown(1);
        }));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.Multiple(() =>
        {
            Assert.That(busy.ExitCode, Is.Not.EqualTo(0));
            Assert.That(busy.Output, Does.Contain("the server is busy running a test"), busy.Output);
            Assert.That(first, Does.Contain("iperf Done."), first);
            Assert.That(after.ExitCode, Is.EqualTo(0), after.Output);
            Assert.That(r.Stdout, Does.Contain("iperf3d: done tests=2 access_denied=1"), r.Output);
        });
    }
}
