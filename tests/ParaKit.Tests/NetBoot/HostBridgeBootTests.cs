// vifs on the host's network under KVM, each test in a network namespace of its own (parakit runs
// inside it with `ip netns exec`, as a user would): a vif whose bridge= names a Linux bridge shows
// up as TAP vif<domid>.0 enslaved to it, the host pings the unikernel (its address from the vif's
// ip=), malformed frames written onto the bridge are counted by the guest's stack and it keeps
// answering; the TAP and its bridge membership go when the domain is destroyed, crashes, restarts
// (a fresh one comes back) or parakit gets SIGINT/SIGTERM; an in-process switch with a TAP uplink
// carries a host ping too.
using System.Diagnostics;
using System.Text.RegularExpressions;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.NetBoot;

public class HostBridgeBootTests : NetBootFixture
{
    private const string GuestMac = "00:16:3e:00:00:02";

    private string Config(string name, string app, string vif, string extra, string onCrash = "destroy")
    {
        string path = Path.Combine(Dir, name + ".cfg");
        File.WriteAllText(path, $"""
            name = "{name}"
            kernel = "{HypervisorHarness.CsGuest(app)}"
            memory = 32
            on_crash = "{onCrash}"
            vif = [ '{vif}' ]
            extra = "{extra}"
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

    private static void Signal(Process p, string signal)
    {
        var r = HypervisorHarness.Run("/bin/kill", ["-" + signal, p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
    }

    // Frames a broken or hostile host station could send: an IPv4 header cut after 12 bytes, and
    // a whole header whose checksum is wrong; each `count` times, to the guest's MAC, on the bridge.
    private const string InjectScript = """
        import socket, struct, sys
        iface, dst, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', '')), int(sys.argv[3])
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        eth = dst + bytes.fromhex('020000000099') + b'\x08\x00'
        hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28, 1, 0, 64, 1, 0, bytes([10, 99, 0, 1]), bytes([10, 99, 0, 2]))
        words = struct.unpack('!10H', hdr)
        total = sum(words); total = (total >> 16) + (total & 0xffff); total += total >> 16
        bad = hdr[:10] + struct.pack('!H', (~total & 0xffff) ^ 0x5555) + hdr[12:]
        for _ in range(count):
            s.send(eth + hdr[:12])
            s.send(eth + bad + b'\x08\x00\xf7\xff\x00\x00\x00\x00')
        """;

    [Test]
    public void A_vif_on_a_linux_bridge_is_a_tap_in_it_answers_host_ping_and_counts_malformed_frames()
    {
        using var ns = NetNamespace.Create("br");
        ns.AddBridge("br0", "10.99.0.1/24");
        // No ip= on the guest's command line: the responder takes 10.99.0.2/24 from its vif.
        string cfg = Config("web", "ping", $"mac={GuestMac},bridge=br0,ip=10.99.0.2/24,gateway=10.99.0.1", "quiet-ms=2500 seconds=60");
        string bridgePorts = "", links = "", ping1 = "", ping2 = "", view = "";
        string captures = Path.Combine(Dir, "cap");
        var r = ns.Parakit(Dir, ["create", "--pcap", captures, cfg], TimeSpan.FromSeconds(90), Guarded(p =>
        {
            NetNamespace.WaitUntil(() => ns.IsBridgePort("vif1.0", "br0"), TimeSpan.FromSeconds(15), () => "vif1.0 in br0:\n" + ns.BridgePorts());
            bridgePorts = ns.BridgePorts();
            links = ns.Exec("ip", "-d", "link", "show", "vif1.0").Stdout;
            var first = ns.Exec(TimeSpan.FromSeconds(60), "ping", "-c", "20", "-i", "0.05", "-W", "2", "10.99.0.2");
            ping1 = first.Output;
            var inject = ns.Exec("/usr/bin/python3", "-c", InjectScript, "br0", GuestMac, "5");
            Assert.That(inject.ExitCode, Is.EqualTo(0), "python3 raw socket:\n" + inject.Output);
            var second = ns.Exec(TimeSpan.FromSeconds(60), "ping", "-c", "5", "-i", "0.05", "-W", "2", "10.99.0.2");
            ping2 = second.Output;
            // `parakit vif` from another shell (here: outside the namespace) sees the TAP too.
            view = HypervisorHarness.RunParakit(["vif", "vif1.0"], TimeSpan.FromSeconds(10),
                new Dictionary<string, string> { ["PARAKIT_CONTROL_SOCKET"] = Path.Combine(Dir, "control.sock") }).Output;
        }));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var answered = NetPairBootTests.Line(r.Stdout, "ping: answered requests");
        Assert.Multiple(() =>
        {
            Assert.That(bridgePorts, Does.Contain("vif1.0").And.Contain("master br0"), "bridge link");
            Assert.That(links, Does.Contain("master br0").And.Contain("mtu 1500").And.Contain("fe:ff:ff:ff:ff:ff").And.Contain("tun type tap"), "ip -d link show vif1.0");
            Assert.That(ping1, Does.Contain("20 packets transmitted, 20 received, 0% packet loss"), "host ping -c 20");
            Assert.That(ping2, Does.Contain("5 packets transmitted, 5 received, 0% packet loss"), "host ping after the malformed frames");
            Assert.That(r.Stdout, Does.Contain("ping: address 10.99.0.2/24 gateway 10.99.0.1 from the vif"), r.Output);
            Assert.That(NetPairBootTests.Num(answered, "requests"), Is.EqualTo(25), r.Output);
            Assert.That(NetPairBootTests.Num(answered, "ip_truncated"), Is.EqualTo(5), r.Output);
            Assert.That(NetPairBootTests.Num(answered, "ip_bad_checksum"), Is.EqualTo(5), r.Output);
            // The final table has the TAP's counters: the 25 requests (and ARP) came from the host.
            Assert.That(r.Stdout, Does.Match(@"tap vif1\.0 \(left bridge br0, removed\): to_host frames=(2[5-9]|[3-9][0-9]|\d{3,}) bytes=\d+ from_host frames=(3[5-9]|[4-9][0-9]|\d{3,})"), r.Output);
            Assert.That(r.Stdout, Does.Contain("to_host_write_errors=0"), r.Output);
            Assert.That(view, Does.Match(@"tap vif1\.0 in bridge br0: to_host frames=[1-9]\d* bytes=\d+ from_host frames=[1-9]"), "parakit vif vif1.0");
            // --pcap: the vif's private switch is captured as DIR/vif1.0.pcap, host frames included.
            Assert.That(r.Stdout, Does.Match($@"capture {Regex.Escape(Path.Combine(captures, "vif1.0.pcap"))} \((3[5-9]|[4-9]\d|\d{{3,}}) frames\)"), r.Output);
        });
        Assert.That(ns.HasInterface("vif1.0"), Is.False, "vif1.0 must be gone after the domain:\n" + ns.Links());
    }

    [Test]
    public void The_tap_leaves_the_bridge_when_its_domain_is_destroyed_or_crashes_and_a_restart_brings_a_fresh_one()
    {
        using var ns = NetNamespace.Create("lc");
        ns.AddBridge("br0", "10.99.0.1/24");
        // keeper (domain 1) holds parakit up; short (2) powers off after 2 s and is destroyed;
        // crasher (3, then 4..8 on restart) faults at once, is restarted 5 times, then destroyed.
        string keeper = Config("keeper", "ping", "mac=00:16:3e:00:00:01,bridge=br0,ip=10.99.0.2/24", "seconds=9");
        string shortLived = Config("short", "ping", "mac=00:16:3e:00:00:03,bridge=br0,ip=10.99.0.3/24", "seconds=2");
        string crasher = Config("crasher", "crash", "bridge=br0", "", onCrash: "restart");
        var stopMonitor = ns.MonitorLinks();
        string whileKeeperRuns = "";
        ProcessResult r;
        string events;
        try
        {
            r = ns.Parakit(Dir, ["create", keeper, shortLived, crasher], TimeSpan.FromSeconds(90), Guarded(_ =>
            {
                NetNamespace.WaitUntil(() => ns.IsBridgePort("vif1.0", "br0"), TimeSpan.FromSeconds(15), () => "vif1.0 in br0:\n" + ns.BridgePorts());
                // short powered off: its TAP is gone while domain 0 and keeper's TAP go on.
                NetNamespace.WaitUntil(() => !ns.HasInterface("vif2.0") && !ns.HasInterface("vif8.0") && ns.HasInterface("vif1.0"), TimeSpan.FromSeconds(20),
                    () => "vif2.0 and the crasher's vifs gone, vif1.0 still there:\n" + ns.Links());
                whileKeeperRuns = ns.BridgePorts();
            }));
        }
        finally
        {
            events = stopMonitor();   // never leave `ip monitor` running
        }
        Assert.That(r.ExitCode, Is.EqualTo(70), "a domain crashed: status 70\n" + r.Output);
        Assert.Multiple(() =>
        {
            Assert.That(whileKeeperRuns, Does.Contain("vif1.0"), "bridge link while keeper ran");
            Assert.That(whileKeeperRuns, Does.Not.Contain("vif2.0").And.Not.Contain("vif3.0").And.Not.Contain("vif8.0"), "bridge link while keeper ran");
            // Every instance had its own TAP in the bridge, and every one was deleted.
            foreach (int id in new[] { 2, 3, 4, 5, 6, 7, 8 })
            {
                Assert.That(events, Does.Match($@"(?m)^\d+: vif{id}\.0: .* master br0 "), $"vif{id}.0 joined br0:\n{events}");
                Assert.That(events, Does.Match($@"(?m)^Deleted \d+: vif{id}\.0: "), $"vif{id}.0 deleted:\n{events}");
            }
            Assert.That(r.Stderr, Does.Contain("restarting crasher (restart 5 of 5)"), r.Output);
        });
        Assert.That(ns.Links(), Does.Not.Contain("vif"), "no TAP left after parakit ended");
    }

    [TestCase("INT", 130)]
    [TestCase("TERM", 130)]
    public void A_signal_to_domain_0_destroys_the_domains_and_their_taps(string signal, int status)
    {
        using var ns = NetNamespace.Create("sg");
        ns.AddBridge("br0", "10.99.0.1/24");
        string cfg = Config("web", "ping", $"mac={GuestMac},bridge=br0,ip=10.99.0.2/24", "");
        var r = ns.Parakit(Dir, ["create", cfg], TimeSpan.FromSeconds(60), Guarded(p =>
        {
            NetNamespace.WaitUntil(() => ns.IsBridgePort("vif1.0", "br0"), TimeSpan.FromSeconds(15), () => "vif1.0 in br0:\n" + ns.BridgePorts());
            var ping = ns.Exec(TimeSpan.FromSeconds(30), "ping", "-c", "3", "-i", "0.1", "-W", "2", "10.99.0.2");
            Assert.That(ping.Stdout, Does.Contain("0% packet loss"), ping.Output);
            Signal(p, signal);
        }));
        Assert.That(r.ExitCode, Is.EqualTo(status), r.Output);
        Assert.That(r.Stderr, Does.Contain("interrupted, destroying every domain"), r.Output);
        Assert.That(ns.Links(), Does.Not.Contain("vif1.0"), "the TAP is gone");
        Assert.That(ns.BridgePorts(), Is.Empty, "br0 has no ports left");
    }

    [Test]
    public void An_emulated_e1000_on_a_linux_bridge_is_a_tap_in_it_and_answers_host_ping()
    {
        using var ns = NetNamespace.Create("fv");
        ns.AddBridge("br0", "10.99.0.1/24");
        // An e1000's configuration is not in the XenStore: the guest takes ip= from its command line.
        string cfg = Config("fv", "ping", $"model=e1000,mac={GuestMac},bridge=br0", "ip=10.99.0.2/24 quiet-ms=2500 seconds=60");
        string ping = "", ports = "";
        var r = ns.Parakit(Dir, ["create", cfg], TimeSpan.FromSeconds(90), Guarded(_ =>
        {
            NetNamespace.WaitUntil(() => ns.IsBridgePort("vif1.0", "br0"), TimeSpan.FromSeconds(20), () => "vif1.0 in br0:\n" + ns.BridgePorts());
            ports = ns.BridgePorts();
            ping = ns.Exec(TimeSpan.FromSeconds(60), "ping", "-c", "20", "-i", "0.05", "-W", "2", "10.99.0.2").Output;
        }));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.Multiple(() =>
        {
            Assert.That(ports, Does.Contain("vif1.0"), ports);
            Assert.That(ping, Does.Contain("20 packets transmitted, 20 received, 0% packet loss"), ping);
            Assert.That(r.Stdout, Does.Match(@"vif1\.0 \S+ br0\(tap vif1\.0\) e1000@0x"), "the card's row names its TAP\n" + r.Output);
            Assert.That(ns.HasInterface("vif1.0"), Is.False, "the TAP must be gone with the domain:\n" + ns.Links());
        });
    }

    [Test]
    public void An_in_process_switch_with_a_tap_uplink_carries_a_host_ping()
    {
        using var ns = NetNamespace.Create("up");
        // A persistent TAP prepared by the user with its address; parakit attaches to it.
        ns.Must("ip", "tuntap", "add", "dev", "pkup0", "mode", "tap");
        ns.Must("ip", "addr", "add", "10.98.0.1/24", "dev", "pkup0");
        string cfg = Config("web", "ping", $"mac={GuestMac},bridge=sw0,ip=10.98.0.2/24", "quiet-ms=2000 seconds=60");
        string ping = "";
        var r = ns.Parakit(Dir, ["create", "--uplink", "sw0=pkup0", cfg], TimeSpan.FromSeconds(60), Guarded(_ =>
        {
            NetNamespace.WaitUntil(() => ns.Links().Contains("pkup0: <BROADCAST,MULTICAST,UP,LOWER_UP>", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
                () => "pkup0 up with a carrier:\n" + ns.Links());
            ping = ns.Exec(TimeSpan.FromSeconds(60), "ping", "-c", "10", "-i", "0.05", "-W", "2", "10.98.0.2").Output;
        }));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.Multiple(() =>
        {
            Assert.That(ping, Does.Contain("10 packets transmitted, 10 received, 0% packet loss"), ping);
            Assert.That(ns.HasInterface("vif1.0"), Is.False, "an in-process switch makes no vif TAP");
            Assert.That(r.Stdout, Does.Match(@"switch sw0: 2 ports"), r.Output);
            Assert.That(r.Stdout, Does.Match(@"port tap:pkup0 +in=\d+"), r.Output);
            Assert.That(r.Stdout, Does.Match(@"tap pkup0: to_host frames=\d+ bytes=\d+ from_host frames=\d+"), r.Output);
            // The user's persistent TAP stays, as they made it.
            Assert.That(ns.HasInterface("pkup0"), Is.True, ns.Links());
        });
    }

    [Test]
    public void An_uplink_naming_a_linux_bridge_is_a_usage_error()
    {
        using var ns = NetNamespace.Create("ue");
        ns.AddBridge("br0", "10.99.0.1/24");
        string cfg = Config("web", "ping", $"mac={GuestMac},bridge=sw0,ip=10.98.0.2/24", "seconds=1");
        var r = ns.Parakit(Dir, ["create", "--uplink", "br0=pkup0", cfg], TimeSpan.FromSeconds(30));
        Assert.That((r.ExitCode, r.Stderr), Is.EqualTo((2, "parakit: create: --uplink br0=pkup0: br0 is a Linux bridge here, so its vifs already reach the host through their own TAPs; give an in-process switch name\n")));
        var bad = ns.Parakit(Dir, ["create", "--uplink", "sw0", cfg], TimeSpan.FromSeconds(30));
        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.Output);
        Assert.That(bad.Stderr, Does.Contain("--uplink wants SWITCH=TAP"), bad.Output);
    }

    [Test]
    public void A_vif_name_already_taken_on_the_host_is_a_clear_error_and_nothing_is_left_running()
    {
        using var ns = NetNamespace.Create("nm");
        ns.AddBridge("br0", "10.99.0.1/24");
        ns.Must("ip", "tuntap", "add", "dev", "vif1.0", "mode", "tap");   // left over by someone else
        string cfg = Config("web", "ping", $"mac={GuestMac},bridge=br0,ip=10.99.0.2/24", "seconds=5");
        var r = ns.Parakit(Dir, ["create", cfg], TimeSpan.FromSeconds(30));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Stderr, Does.Contain("cannot create TAP vif1.0: an interface with that name already exists in this network namespace").And.Contain("vifname="), r.Output);
        Assert.That(ns.BridgePorts(), Is.Empty, "nothing joined br0");
        // vifname= picks another name, as in xl.
        string renamed = Config("web2", "ping", $"mac={GuestMac},bridge=br0,ip=10.99.0.2/24,vifname=web0", "seconds=1");
        var ok = ns.Parakit(Dir, ["create", renamed], TimeSpan.FromSeconds(30));
        Assert.That(ok.ExitCode, Is.EqualTo(0), ok.Output);
        Assert.That(ok.Stdout, Does.Contain("tap web0 (left bridge br0, removed)"), ok.Output);
    }
}
