// The stack with a device that offloads (netfront over a GSO backend): TSO super-segments cut
// into MTU frames by domain 0's FrameSegmenter arrive byte-exact, even through loss, with every
// frame on the wire within the MTU and valid checksums; super-segments handed whole to the peer
// (GSO receive with the checksum vouched for) are taken as large segments.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Stack;

namespace ParaKit.Tests.NetStack;

public class TcpOffloadTests
{
    private static void AssertExact(TcpPump from, TcpPump to)
    {
        Assert.That(to.Failed || to.Overflow, Is.False);
        Assert.That(to.Received, Is.EqualTo(from.Outgoing.Length));
        Assert.That(to.Incoming.AsSpan().SequenceEqual(from.Outgoing), Is.True, "bytes differ");
    }

    [Test]
    public void Tso_super_segments_are_cut_into_mtu_frames_and_arrive_byte_exact()
    {
        var net = new TcpTestNet(tso: TsoMode.SegmentOnWire);
        int largest = 0;
        net.LaneAB.Capture = new();
        var (a, b) = TcpTransferTests.Exchange(net, 1 << 20, 100_000, 3);
        AssertExact(a, b);
        AssertExact(b, a);
        foreach (var (_, f) in net.LaneAB.Capture)
            largest = Math.Max(largest, f.Length);
        Assert.That(net.SuperFramesA, Is.GreaterThan(10), "the sender built super-segments");
        Assert.That(largest, Is.EqualTo(1514), "every frame on the wire is within the MTU, full ones exactly");
        Assert.That(net.B.Counters.TcpBadChecksum + net.B.Counters.IpBadChecksum, Is.Zero, "the segmenter's checksums are right");
        // One device call per super-segment instead of one per MSS.
        Assert.That(net.A.Counters.TcpTx, Is.LessThan(net.FramesAB / 4));
    }

    [Test]
    public void Tso_through_5_percent_loss_is_byte_exact()
    {
        var net = new TcpTestNet(seed: 7, tso: TsoMode.SegmentOnWire) { Loss = 0.05 };
        var (a, b) = TcpTransferTests.Exchange(net, 1 << 20, 1 << 20, 11);
        AssertExact(a, b);
        AssertExact(b, a);
        Assert.That(net.LaneAB.Dropped, Is.GreaterThan(0));
        Assert.That(net.A.Counters.TcpRetransmittedSegments, Is.GreaterThan(0));
        Assert.That(net.SuperFramesA + net.SuperFramesB, Is.GreaterThan(0));
    }

    [TestCase(3)]
    [TestCase(7)]
    [TestCase(13)]
    public void A_mebibyte_each_way_survives_5_percent_loss_of_whole_super_frames(int seed)
    {
        // A lossy link that drops whole 64 KiB super-frames (a lossy hop between two GSO guests):
        // one loss takes up to 44 MSS of data at once.
        var net = new TcpTestNet(seed, tso: TsoMode.WholeToPeer) { Loss = 0.05 };
        var (a, b) = TcpTransferTests.Exchange(net, 1 << 20, 1 << 20, seed);
        AssertExact(a, b);
        AssertExact(b, a);
        Assert.That(net.LaneAB.Dropped + net.LaneBA.Dropped, Is.GreaterThan(0));
    }

    [Test]
    public void Super_segments_received_whole_are_taken_as_large_segments()
    {
        var net = new TcpTestNet(tso: TsoMode.WholeToPeer);
        int largest = 0;
        net.LaneAB.Capture = new();
        var (a, b) = TcpTransferTests.Exchange(net, 2 << 20, 50_000, 4);
        AssertExact(a, b);
        AssertExact(b, a);
        foreach (var (_, f) in net.LaneAB.Capture)
            largest = Math.Max(largest, f.Length);
        Assert.That(largest, Is.GreaterThan(30_000), "super-frames crossed whole");
        // The checksum field was left for the device: only the vouched-for flag lets them in.
        Assert.That(net.B.Counters.TcpBadChecksum, Is.Zero);
    }

    [FsCheck.NUnit.Property(MaxTest = 15)]
    public Property Tso_streams_survive_loss_and_reordering() =>
        Prop.ForAll(
            (from seed in Gen.Choose(1, 1_000_000)
             from loss in Gen.Elements(0.0, 0.01, 0.05)
             from reorder in Gen.Elements(0.0, 0.1)
             from whole in Gen.Elements(false, true)
             select (seed, loss, reorder, whole)).ToArbitrary(),
            t =>
            {
                var (seed, loss, reorder, whole) = t;
                var net = new TcpTestNet(seed, tso: whole ? TsoMode.WholeToPeer : TsoMode.SegmentOnWire) { Loss = loss, Reorder = reorder };
                int ab = 1 + seed % 400_000, ba = 1 + seed / 7 % 200_000;
                var (a, b) = TcpTransferTests.Exchange(net, ab, ba, seed);
                return (b.Incoming.AsSpan().SequenceEqual(a.Outgoing) && a.Incoming.AsSpan().SequenceEqual(b.Outgoing)
                    && !a.Failed && !b.Failed).Label($"ab {ab} ba {ba}");
            });
}
