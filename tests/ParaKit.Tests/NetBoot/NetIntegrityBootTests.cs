// The data plane under KVM, for content and continuity: every frame size from the smallest to
// the largest (also jumbo frames that take several ring slots both ways) arrives byte for byte,
// and a receiver that closes and reopens its vif in the middle of a stream loses only frames
// that domain 0 counts, each with its reason. Each test runs one `parakit create` with
// --timeout, so a hang fails it with the guests' output.
using ParaKit.Tests.Hypervisor;
using static ParaKit.Tests.NetBoot.NetPairBootTests;

namespace ParaKit.Tests.NetBoot;

public class NetIntegrityBootTests : NetBootFixture
{
    private const string SinkMac = "00:16:3e:00:00:02", GenMac = "00:16:3e:00:00:01";
    /// <summary>Bytes in one pass over every size from <paramref name="min"/> to <paramref name="max"/>.</summary>
    private static long SizeSum(long min, long max) => (min + max) * (max - min + 1) / 2;

    /// <summary>A config with an explicit MTU on the vif (NetPairBootTests.Config has none).</summary>
    private string ConfigMtu(string name, string app, string mac, int mtu, string extra)
    {
        string path = Path.Combine(Dir, name + ".cfg");
        File.WriteAllText(path, $"""
            name = "{name}"
            kernel = "{HypervisorHarness.CsGuest(app)}"
            memory = 32
            vif = [ 'mac={mac},bridge=sw0,mtu={mtu}' ]
            extra = "{extra}"
            """);
        return path;
    }

    [TestCase(1500, 3, TestName = "Every_frame_size_from_60_to_1514_arrives_intact")]
    [TestCase(9000, 1, TestName = "Every_jumbo_frame_size_up_to_9014_arrives_intact_across_ring_slot_chains")]
    public void Every_frame_size_arrives_intact(int mtu, int cycles)
    {
        // pktgen size=60-MAX: frame i is 60 + i mod (MAX-59) bytes, so `cycles` full passes send
        // every size that many times; the sink checks every byte of each (IP and UDP checksums,
        // the regenerated fill) and the exact byte total shows no frame was cut or padded. With
        // mtu=9000, frames over 4096 bytes take two or three slots each way (more_data chains).
        int max = mtu + 14;
        long count = (long)(max - 59) * cycles;
        long bytes = SizeSum(60, max) * cycles;
        string sink = ConfigMtu("sink", "sink", SinkMac, mtu, $"count={count} quiet-exit-ms=3000");
        string gen = ConfigMtu("gen", "pktgen", GenMac, mtu, $"dst={SinkMac} size=60-{max} count={count}");
        var r = HypervisorHarness.RunParakit(["create", "--timeout", "25", sink, gen], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var got = Line(r.Stdout, "sink: done");
        var sent = Line(r.Stdout, "pktgen: done");
        var genVif = NetReportText.Vif(r.Stdout, NetReportText.VifOf(r.Stdout, "gen"));
        var sinkVif = NetReportText.Vif(r.Stdout, NetReportText.VifOf(r.Stdout, "sink"));
        Assert.Multiple(() =>
        {
            Assert.That(Num(sent, "sent"), Is.EqualTo(count), r.Output);
            Assert.That(Num(sent, "bytes"), Is.EqualTo(bytes), "pktgen cycled through every size\n" + r.Output);
            Assert.That(Num(got, "received"), Is.EqualTo(count), r.Output);
            Assert.That(Num(got, "bytes"), Is.EqualTo(bytes), "the sink got every size, none cut or padded\n" + r.Output);
            Assert.That(Num(got, "size_min"), Is.EqualTo(60));
            Assert.That(Num(got, "size_max"), Is.EqualTo(max));
            Assert.That(Num(got, "bad"), Is.Zero, "a corrupted byte anywhere in a frame\n" + r.Output);
            Assert.That(Num(got, "lost") + Num(got, "reordered") + Num(got, "duplicates"), Is.Zero, r.Output);
            Assert.That(Num(got, "rx_errors"), Is.Zero, "netfront reassembled every chain\n" + r.Output);
            // Netback: pktgen's test frames plus its probes left, all of them reached the sink's ring.
            Assert.That(genVif.TxFrames, Is.EqualTo(Num(sent, "tx_frames")).And.EqualTo(count + Num(sent, "probes")), genVif.Row);
            Assert.That(genVif.TxBytes, Is.EqualTo(Num(sent, "tx_bytes")), genVif.Row);
            Assert.That(genVif.TxDrops, Is.Zero, genVif.Row);
            // A probe may reach the sink's port before its netback is bound (the guests boot
            // together): it is counted as rx_unbound; every test frame must arrive (above).
            long unbound = sinkVif.Count("rx_unbound");
            Assert.That(unbound, Is.LessThanOrEqualTo(Num(sent, "probes")), "only probes may meet an unbound port\n" + sinkVif.Row);
            Assert.That(sinkVif.RxFrames + unbound, Is.EqualTo(genVif.TxFrames), "delivered to the sink or counted\n" + sinkVif.Row);
            if (unbound == 0)
                Assert.That(sinkVif.RxBytes, Is.EqualTo(genVif.TxBytes), sinkVif.Row);
            Assert.That(sinkVif.RxDrops, Is.EqualTo(unbound), "no other drop\n" + sinkVif.Row);
            Assert.That(Num(got, "rx_frames"), Is.EqualTo(sinkVif.RxFrames), "the sink's driver handed up every frame netback placed\n" + r.Output);
        });
    }

    [Test]
    public void A_receiver_that_reconnects_mid_stream_loses_only_frames_domain_0_counts()
    {
        // pktgen sends 20000 frames a second for 3 s; after 10000 the sink closes its vif (frontend
        // Closing, Closed), opens it again with a new Netfront and goes on. Frames sent meanwhile
        // end in one of three places, all visible: netback's rx drops on the sink's vif (queued at
        // the close: rx_not_connected; offered while no netback was bound: rx_unbound), or placed
        // on the old RX ring after the sink's last look (counted as RX by netback, never read).
        string sink = Config(Dir, "sink", "sink", SinkMac, "reconnect-after=10000 quiet-exit-ms=1500");
        string gen = Config(Dir, "gen", "pktgen", GenMac, $"dst={SinkMac} size=200 rate=20000 seconds=3");
        var r = HypervisorHarness.RunParakit(["create", "--timeout", "25", sink, gen], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var got = Line(r.Stdout, "sink: done");
        var sent = Line(r.Stdout, "pktgen: done");
        var reconnected = Line(r.Stdout, "sink: reconnected");
        var genVif = NetReportText.Vif(r.Stdout, NetReportText.VifOf(r.Stdout, "gen"));
        string sinkName = NetReportText.VifOf(r.Stdout, "sink");
        var sinkVif = NetReportText.Vif(r.Stdout, sinkName);
        long frames = Num(sent, "sent"), received = Num(got, "received");
        long probesSent = Num(sent, "probes"), probesSeen = Num(got, "probes");
        // Placed on a ring by netback but never read by the sink: only the ring it closed can hold such.
        long abandoned = sinkVif.RxFrames - Num(got, "rx_frames");
        Assert.Multiple(() =>
        {
            Assert.That(Num(got, "reconnects"), Is.EqualTo(1), r.Output);
            Assert.That(Num(reconnected, "after"), Is.GreaterThanOrEqualTo(10000), r.Output);
            Assert.That(Num(got, "received_after_reconnect"), Is.GreaterThan(0), "traffic resumed on the new connection\n" + r.Output);
            Assert.That(sinkVif.Count("connects"), Is.EqualTo(2), sinkVif.Row);
            Assert.That(sinkVif.Count("closed_by_frontend"), Is.GreaterThanOrEqualTo(1), sinkVif.Row);
            Assert.That(sinkVif.State, Is.EqualTo("connected"), "the second connection came up\n" + sinkVif.Row);
            Assert.That(Num(got, "bad") + Num(got, "foreign") + Num(got, "other") + Num(got, "duplicates"), Is.Zero, r.Output);

            // Both guests' own books: pktgen's ring took its frames and probes, the sink's drivers
            // (both connections) handed up only test frames from it and its probes.
            Assert.That(Num(sent, "tx_frames"), Is.EqualTo(frames + probesSent), r.Output);
            Assert.That(Num(got, "rx_frames"), Is.EqualTo(received + probesSeen), r.Output);
            // Netback's books: everything pktgen's vif passed went to the sink's switch port, and
            // each of those frames was placed on a sink ring or dropped with a reason.
            Assert.That(genVif.TxFrames, Is.EqualTo(Num(sent, "tx_frames")), genVif.Row);
            Assert.That(genVif.TxDrops, Is.Zero, genVif.Row);
            Assert.That(NetReportText.Port(r.Stdout, sinkName).Out, Is.EqualTo(genVif.TxFrames), r.Output);
            Assert.That(sinkVif.RxFrames + sinkVif.RxDrops, Is.EqualTo(genVif.TxFrames), "every frame for the sink placed or counted\n" + sinkVif.Row);
            Assert.That(abandoned, Is.InRange(0, 256), "frames left on the closed ring fit in it\n" + r.Output);
            Assert.That(sinkVif.RxDrops + abandoned, Is.GreaterThan(0), "frames did come while the sink was away\n" + r.Output);

            // The sink's sequence view agrees with both: no frame after the last one seen, and the
            // gaps are exactly the frames netback dropped or left behind (less any probes among them).
            Assert.That(Num(got, "first_seq"), Is.Zero, r.Output);
            Assert.That(Num(got, "last_seq"), Is.EqualTo(frames - 1), r.Output);
            Assert.That(received + Num(got, "lost"), Is.EqualTo(frames), r.Output);
            Assert.That(frames - received, Is.EqualTo(sinkVif.RxDrops + abandoned - (probesSent - probesSeen)),
                "sent = received + dropped with a reason + left on the closed ring\n" + r.Output);
        });
    }
}
