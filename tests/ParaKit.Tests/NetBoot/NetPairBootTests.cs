// Packets between unikernels under KVM: real netfront guests (pktgen, sink, l2ping) on an
// in-process switch through domain 0's netback. Each test writes its own configs in a scratch
// folder, runs `parakit create`, and checks that the guests' counts, netback's and the switch's
// agree: every frame delivered or counted as dropped with its reason.
using System.Text.RegularExpressions;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.NetBoot;

public class NetPairBootTests : NetBootFixture
{
    internal static string Config(string dir, string name, string app, string mac, string extra, string bridge = "sw0", int memory = 32)
    {
        string path = Path.Combine(dir, name + ".cfg");
        File.WriteAllText(path, $"""
            name = "{name}"
            kernel = "{HypervisorHarness.CsGuest(app)}"
            memory = {memory}
            vif = [ 'mac={mac},bridge={bridge}' ]
            extra = "{extra}"
            """);
        return path;
    }

    /// <summary>key=value pairs of the line that starts with <paramref name="prefix"/> (last one wins).</summary>
    internal static Dictionary<string, string> Line(string output, string prefix)
    {
        var line = output.Split('\n').LastOrDefault(l => l.Contains(prefix, StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, $"no line with '{prefix}' in:\n{output}");
        return Regex.Matches(line!, @"([a-z_]+)=([0-9.]+)").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    internal static long Num(Dictionary<string, string> kv, string key)
    {
        Assert.That(kv.ContainsKey(key), Is.True, $"no {key}= in [{string.Join(' ', kv.Select(p => p.Key + "=" + p.Value))}]");
        return (long)double.Parse(kv[key], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The vif row of the final table: TX frames, TX bytes, RX frames, RX bytes.</summary>
    internal static (long TxFrames, long RxFrames, string Row) VifRow(string output, string vif)
    {
        var row = output.Split('\n').FirstOrDefault(l => l.StartsWith(vif + " ", StringComparison.Ordinal));
        Assert.That(row, Is.Not.Null, $"no table row for {vif} in:\n{output}");
        var cols = row!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(cols[4]), long.Parse(cols[6]), row);
    }

    [Test]
    public void Two_unikernels_exchange_frames_and_every_count_agrees_with_the_capture()
    {
        string sink = Config(Dir, "sink", "sink", "00:16:3e:00:00:02", "count=3000 quiet-exit-ms=3000");
        string gen = Config(Dir, "gen", "pktgen", "00:16:3e:00:00:01", "dst=00:16:3e:00:00:02 size=700 count=3000");
        string pcapDir = Path.Combine(Dir, "pcap");
        var r = HypervisorHarness.RunParakit(["create", "--pcap", pcapDir, sink, gen], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var got = Line(r.Stdout, "sink: done");
        var sent = Line(r.Stdout, "pktgen: done");
        Assert.Multiple(() =>
        {
            Assert.That(Num(sent, "sent"), Is.EqualTo(3000), r.Output);
            Assert.That(Num(got, "received"), Is.EqualTo(3000), "feature-rx-notify: nothing is lost between two well-behaved guests\n" + r.Output);
            Assert.That(Num(got, "bad"), Is.Zero, r.Output);
            Assert.That(Num(got, "reordered"), Is.Zero, r.Output);
            var genVif = VifRow(r.Stdout, "vif2.0");
            var sinkVif = VifRow(r.Stdout, "vif1.0");
            // pktgen's netback also carried its probe(s) for the sink, and the sink's netback its answers.
            Assert.That(genVif.TxFrames, Is.GreaterThanOrEqualTo(3001), "netback saw every frame pktgen sent\n" + genVif.Row);
            // A probe may reach the sink's port before its netback is bound (the guests boot
            // together): that one is counted as rx_unbound, and nothing else may be missing.
            long unbound = NetReportText.Vif(r.Stdout, "vif1.0").Count("rx_unbound");
            Assert.That(sinkVif.RxFrames + unbound, Is.EqualTo(genVif.TxFrames), "netback delivered every one of them to the sink or counted it\n" + sinkVif.Row);
            Assert.That(Regex.Replace(sinkVif.Row, @" ?rx_unbound=\d+", ""), Does.Contain(" ; connects=").Or.Contain("no drops"), "no other drop\n" + sinkVif.Row);
        });
        string pcap = Path.Combine(pcapDir, "sw0.pcap");
        Assert.That(File.Exists(pcap), Is.True, "the switch's capture");
        // The capture holds every frame that entered the switch: pktgen's 3000 test frames plus
        // its probes, the sink's announce and its answers; the table says how many.
        var captured = Regex.Match(r.Stdout, @"capture " + Regex.Escape(pcap) + @" \((\d+) frames\)");
        Assert.That(captured.Success, Is.True, r.Output);
        long frames = long.Parse(captured.Groups[1].Value);
        Assert.That(frames, Is.GreaterThanOrEqualTo(3002));
        var all = HypervisorHarness.Run("/usr/bin/env", ["tshark", "-r", pcap], TimeSpan.FromSeconds(60));
        Assert.That(all.ExitCode, Is.EqualTo(0), "tshark must be installed (.ci/run installs it) and read the capture\n" + all.Output);
        var udp = HypervisorHarness.Run("/usr/bin/env", ["tshark", "-r", pcap, "-Y", "udp && eth.src == 00:16:3e:00:00:01"], TimeSpan.FromSeconds(60));
        Assert.Multiple(() =>
        {
            Assert.That(all.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(frames), "tshark reads every captured frame");
            Assert.That(udp.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(3000), "and decodes pktgen's 3000 as UDP/IPv4\n" + udp.Stderr);
        });
    }

    [Test]
    public void A_receiver_that_stops_reading_loses_only_counted_frames()
    {
        // The sink does not poll for its first 800 ms: netback queues what fits (rx-notify), then
        // drops the rest as rx_no_buffer; sink received + netback's drops = pktgen's sent.
        string sink = Config(Dir, "sink", "sink", "00:16:3e:00:00:02", "hold-ms=800 quiet-exit-ms=2500");
        string gen = Config(Dir, "gen", "pktgen", "00:16:3e:00:00:01", "dst=00:16:3e:00:00:02 size=1400 count=4000");
        var r = HypervisorHarness.RunParakit(["create", sink, gen], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        long sent = Num(Line(r.Stdout, "pktgen: done"), "sent");
        long received = Num(Line(r.Stdout, "sink: done"), "received");
        var row = VifRow(r.Stdout, "vif1.0").Row;
        long noBuffer = Regex.Match(row, @"rx_no_buffer=(\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value) : 0;
        Assert.Multiple(() =>
        {
            Assert.That(sent, Is.EqualTo(4000), r.Output);
            Assert.That(noBuffer, Is.GreaterThan(0), "the starved receiver overflowed its queue\n" + row);
            Assert.That(received + noBuffer, Is.EqualTo(sent), "every frame delivered or counted\n" + r.Output);
        });
    }

    [Test]
    public void L2ping_measures_round_trips_through_the_switch()
    {
        string echo = Config(Dir, "echo", "l2ping", "00:16:3e:00:00:02", "mode=echo count=200");
        string ping = Config(Dir, "ping", "l2ping", "00:16:3e:00:00:01", "dst=00:16:3e:00:00:02 count=200");
        var r = HypervisorHarness.RunParakit(["create", echo, ping], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var kv = Line(r.Stdout, "l2ping: done");
        Assert.Multiple(() =>
        {
            Assert.That(Num(kv, "count"), Is.EqualTo(200));
            Assert.That(Num(kv, "lost"), Is.Zero, r.Output);
            Assert.That(Num(kv, "median_us"), Is.GreaterThan(0).And.LessThan(100_000), r.Output);
        });
    }
}
