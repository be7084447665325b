// Full against paravirtual under KVM: a guest with an emulated e1000 (model=e1000, its driver
// interrupt-driven through the guest's IDT) and a guest with a netfront on one switch. The same
// pktgen, sink and l2ping images run on either NIC; the sink checks every byte, the switch's
// capture (read by tshark) shows the traffic, and the e1000's counters agree with the guests'.
using System.Text.RegularExpressions;
using ParaKit.Tests.Hypervisor;
using static ParaKit.Tests.NetBoot.NetPairBootTests;

namespace ParaKit.Tests.NetBoot;

public class PvFvBootTests : NetBootFixture
{
    private string Cfg(string name, string app, string mac, string extra, bool e1000) =>
        WriteConfig(Dir, name, app, mac, extra, e1000);

    internal static string WriteConfig(string dir, string name, string app, string mac, string extra, bool e1000)
    {
        string path = Path.Combine(dir, name + ".cfg");
        File.WriteAllText(path, $"""
            name = "{name}"
            kernel = "{HypervisorHarness.CsGuest(app)}"
            memory = 32
            vif = [ '{(e1000 ? "model=e1000," : "")}mac={mac},bridge=sw0' ]
            extra = "{extra}"
            """);
        return path;
    }

    /// <summary>The e1000 line of the final table: "NAME MAC sw0 e1000@0x... tx=N rx=N ... irqs=N".</summary>
    private static Dictionary<string, string> NicRow(string output, string name)
    {
        var row = output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal) && l.Contains("e1000@", StringComparison.Ordinal));
        Assert.That(row, Is.Not.Null, $"no e1000 row for {name} in:\n{output}");
        return Regex.Matches(row!, @"([a-z\-]+)=([0-9]+)").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    [TestCase(true, false, TestName = "An_fv_pktgen_sends_to_a_pv_sink_byte_exact_and_the_capture_shows_it")]
    [TestCase(false, true, TestName = "A_pv_pktgen_sends_to_an_fv_sink_byte_exact_and_the_capture_shows_it")]
    public void Fv_and_pv_guests_exchange_traffic_on_one_switch(bool fvSender, bool fvSink)
    {
        string sink = Cfg("sink", "sink", "00:16:3e:00:00:02", "count=3000 quiet-exit-ms=3000", fvSink);
        string gen = Cfg("gen", "pktgen", "00:16:3e:00:00:01", "dst=00:16:3e:00:00:02 size=700 count=3000", fvSender);
        string pcapDir = Path.Combine(Dir, "pcap");
        var r = HypervisorHarness.RunParakit(["create", "--pcap", pcapDir, sink, gen], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var got = Line(r.Stdout, "sink: done");
        var sent = Line(r.Stdout, "pktgen: done");
        var nic = NicRow(r.Stdout, fvSender ? "vif2.0" : "vif1.0");
        Assert.Multiple(() =>
        {
            Assert.That(Num(sent, "sent"), Is.EqualTo(3000), r.Output);
            // An e1000 has no backpressure (a real card sends whatever its ring holds): what the
            // PV sink's netback could not place is dropped and counted there (rx_no_buffer). A PV
            // sender is held by netback for an FV receiver's free descriptors: nothing is lost.
            long dropped = fvSender && Regex.Match(VifRow(r.Stdout, "vif1.0").Row, @"rx_no_buffer=(\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value) : 0;
            Assert.That(Num(got, "received") + dropped, Is.EqualTo(3000), "every frame received or counted\n" + r.Output);
            if (!fvSender)
                Assert.That(Num(got, "received"), Is.EqualTo(3000), r.Output);
            Assert.That(Num(got, "bad") + Num(got, "reordered"), Is.Zero, "byte-exact, in order\n" + r.Output);
            Assert.That(long.Parse(fvSender ? nic["tx"] : nic["rx"]), Is.GreaterThanOrEqualTo(3000), "the e1000 moved them\n" + r.Output);
            Assert.That(long.Parse(nic["irqs"]), Is.GreaterThan(0), "its interrupts were delivered\n" + r.Output);
            Assert.That(r.Stdout, Does.Contain("ICR="), "the busiest registers are reported");
        });
        // The interrupt handler (and nothing else) reads ICR once the driver runs on interrupts.
        var icr = Regex.Match(r.Stdout, @"ICR=(\d+)");
        Assert.That(long.Parse(icr.Groups[1].Value), Is.GreaterThan(1), "the guest's IDT handler ran\n" + r.Output);
        string pcap = Path.Combine(pcapDir, "sw0.pcap");
        var udp = HypervisorHarness.Run("/usr/bin/env", ["tshark", "-r", pcap, "-Y", "udp && eth.src == 00:16:3e:00:00:01 && eth.dst == 00:16:3e:00:00:02 && frame.len == 700"], TimeSpan.FromSeconds(60));
        Assert.That(udp.ExitCode, Is.EqualTo(0), "tshark must be installed and read the capture\n" + udp.Output);
        Assert.That(udp.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(3000), "the capture holds the 3000 UDP frames\n" + udp.Stderr);
    }

    [Test]
    public void L2ping_between_an_fv_and_a_pv_guest_loses_nothing()
    {
        string echo = Cfg("echo", "l2ping", "00:16:3e:00:00:02", "mode=echo count=200", e1000: false);
        string ping = Cfg("ping", "l2ping", "00:16:3e:00:00:01", "dst=00:16:3e:00:00:02 count=200", e1000: true);
        var r = HypervisorHarness.RunParakit(["create", echo, ping], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var kv = Line(r.Stdout, "l2ping: done");
        Assert.Multiple(() =>
        {
            Assert.That(Num(kv, "count"), Is.EqualTo(200));
            Assert.That(Num(kv, "lost"), Is.Zero, r.Output);
        });
    }

    [Test]
    public void Icmp_ping_over_the_ip_stack_from_an_fv_guest_to_a_pv_guest()
    {
        string responder = Cfg("responder", "ping", "00:16:3e:00:00:02", "ip=10.0.0.2/24 count=20", e1000: false);
        string pinger = Cfg("pinger", "ping", "00:16:3e:00:00:01", "ip=10.0.0.1/24 dst=10.0.0.2 count=20", e1000: true);
        var r = HypervisorHarness.RunParakit(["create", responder, pinger], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var kv = Line(r.Stdout, "ping: done");
        Assert.Multiple(() =>
        {
            Assert.That(Num(kv, "received"), Is.EqualTo(20), r.Output);
            Assert.That(Num(kv, "lost"), Is.Zero, r.Output);
        });
    }

    [Test]
    public void Two_fv_guests_exchange_traffic_through_the_switch()
    {
        string sink = Cfg("sink", "sink", "00:16:3e:00:00:02", "count=2000 quiet-exit-ms=3000", e1000: true);
        string gen = Cfg("gen", "pktgen", "00:16:3e:00:00:01", "dst=00:16:3e:00:00:02 size=1500 count=2000", e1000: true);
        var r = HypervisorHarness.RunParakit(["create", sink, gen], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var got = Line(r.Stdout, "sink: done");
        Assert.Multiple(() =>
        {
            Assert.That(Num(got, "bad"), Is.Zero, r.Output);
            // A receiver slower than its sender loses frames on a real card too: the card counts
            // each one it had no descriptor for (MPC), so received + missed = sent.
            var nic = NicRow(r.Stdout, "vif1.0");
            Assert.That(Num(got, "received") + long.Parse(nic["rx-no-desc"]), Is.EqualTo(2000), "every frame received or counted by the card\n" + r.Output);
        });
    }
}
