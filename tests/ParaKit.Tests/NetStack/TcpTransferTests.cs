// Byte streams between two stacks over the simulated wire: clean, and through loss,
// duplication, reordering and corruption injected by the test (an FsCheck property over seeds
// and impairment rates), in both directions at once, ending in an orderly close. Also: window
// scaling lets more than 64 KiB be in flight, and a steady transfer allocates nothing.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Stack;
using static ParaKit.Tests.NetStack.TcpTestNet;

namespace ParaKit.Tests.NetStack;

public class TcpTransferTests
{
    /// <summary>Connects A (client) to B (a listener on port 7) and returns both ends.</summary>
    internal static (TcpSocket Client, TcpSocket Server) Connect(TcpTestNet net, ushort port = 7)
    {
        TcpListener l = net.B.ListenTcp(port, 4)!;
        TcpSocket c = net.A.ConnectTcp(IpB, port)!;
        TcpSocket? s = null;
        Assert.That(net.Run(() => (s ??= l.Accept()) != null && c.IsConnected, 30_000_000_000), Is.True,
            $"handshake: client {c.State} {c.Error}");
        return (c, s!);
    }

    /// <summary>Moves <paramref name="ab"/> bytes A→B and <paramref name="ba"/> B→A at once, both
    /// ends shutting down after their last byte; returns the two pumps once both saw the end.</summary>
    internal static (TcpPump A, TcpPump B) Exchange(TcpTestNet net, int ab, int ba, int seed, ulong maxNs = 600_000_000_000)
    {
        var (c, s) = Connect(net);
        var pa = new TcpPump(c, TcpPump.Pattern(ab, seed), ba);
        var pb = new TcpPump(s, TcpPump.Pattern(ba, seed + 1), ab);
        bool done = net.Run(() => pa.Done && pb.Done, maxNs, () => { pa.Act(); pb.Act(); });
        Assert.That(done, Is.True, $"not done: A wrote {pa.Written} got {pa.Received} {c.State}/{c.Error}, B wrote {pb.Written} got {pb.Received} {s.State}/{s.Error}");
        return (pa, pb);
    }

    private static void AssertExact(TcpPump from, TcpPump to)
    {
        Assert.That(to.Failed || to.Overflow, Is.False);
        Assert.That(to.Received, Is.EqualTo(from.Outgoing.Length));
        Assert.That(to.Incoming.AsSpan().SequenceEqual(from.Outgoing), Is.True, "bytes differ");
    }

    [Test]
    public void A_clean_exchange_is_byte_exact_both_ways_and_closes_orderly()
    {
        var net = new TcpTestNet();
        var (a, b) = Exchange(net, 300_000, 200_000, 5);
        AssertExact(a, b);
        AssertExact(b, a);
        // Both shut down; whoever's FIN went first ends in TIME_WAIT, then everything is Closed.
        Assert.That(net.Run(() => a.Socket.State == TcpState.Closed && b.Socket.State == TcpState.Closed, 10_000_000_000), Is.True);
        Assert.That(a.Socket.Error, Is.EqualTo(TcpError.None));
        Assert.That(net.A.Counters.TcpRetransmittedSegments + net.B.Counters.TcpRetransmittedSegments, Is.Zero);
    }

    [Test]
    public void One_mebibyte_through_5_percent_loss_is_byte_exact()
    {
        var net = new TcpTestNet(seed: 42) { Loss = 0.05 };
        var (a, b) = Exchange(net, 1 << 20, 1 << 20, 9);
        AssertExact(a, b);
        AssertExact(b, a);
        Assert.That(net.LaneAB.Dropped, Is.GreaterThan(0));
        Assert.That(net.A.Counters.TcpRetransmittedSegments, Is.GreaterThan(0));
        Assert.That(net.A.Counters.TcpFastRetransmits + net.B.Counters.TcpFastRetransmits, Is.GreaterThan(0));
    }

    /// <summary>The window-scale shift in a SYN's options (-1 without the option).</summary>
    private static int ScaleOf(byte[] syn)
    {
        int hl = (syn[46] >> 4) * 4;
        for (int i = 54; i < 34 + hl;)
        {
            byte kind = syn[i];
            if (kind == 0)
                break;
            if (kind == 1)
            {
                i++;
                continue;
            }
            if (kind == 3)
                return syn[i + 2];
            i += Math.Max(2, (int)syn[i + 1]);
        }
        return -1;
    }

    /// <summary>Checks RFC 9293 3.8.6: no data segment one side sent reached past the right
    /// edge (ACK + scaled window) of any segment the other side had sent before it. Both lanes'
    /// captures are in send order with the virtual time.</summary>
    private static void AssertWithinOfferedWindow(List<(ulong At, byte[] Frame)> data, List<(ulong At, byte[] Frame)> acks, string who)
    {
        static byte[] Syn(List<(ulong At, byte[] Frame)> l) => l.First(f => TcpRaw.Parse(f.Frame) is { } p && p.Has(TcpRaw.Syn)).Frame;
        int peer = ScaleOf(Syn(acks)), own = ScaleOf(Syn(data));
        int scale = peer >= 0 && own >= 0 ? peer : 0;   // RFC 7323: only when both SYNs carry it
        uint? right = null;
        int k = 0, checkedSegments = 0;
        foreach (var (at, frame) in data)
        {
            for (; k < acks.Count && acks[k].At <= at; k++)
            {
                if (TcpRaw.Parse(acks[k].Frame) is not { } a || !a.Has(TcpRaw.Ack))
                    continue;
                uint edge = a.Ack + ((uint)a.Window << (a.Has(TcpRaw.Syn) ? 0 : scale));
                if (right is null || (int)(edge - right.Value) > 0)
                    right = edge;
            }
            if (TcpRaw.Parse(frame) is not { } p || p.DataLength == 0 || right is null)
                continue;
            uint end = p.Seq + (uint)p.DataLength;
            checkedSegments++;
            Assert.That((int)(end - right.Value), Is.LessThanOrEqualTo(0),
                $"{who} sent up to {end} at {at} ns, past the right edge {right} its peer had offered");
        }
        Assert.That(checkedSegments, Is.GreaterThan(100));
    }

    [TestCase(42)]
    [TestCase(43)]
    [TestCase(44)]
    [TestCase(45)]
    public void An_echo_through_5_percent_loss_stays_in_the_offered_window_and_finishes(int seed)
    {
        // The echo app's shape: B writes back what it read before reading more, so both receive
        // windows fill and close while segments are lost both ways, and window updates arrive on
        // retransmitted data whose sequence numbers are older than the peer's last pure ACK.
        var net = new TcpTestNet(seed) { Loss = 0.05 };
        net.LaneAB.Capture = new();
        net.LaneBA.Capture = new();
        var (c, s) = Connect(net);
        var pa = new TcpPump(c, TcpPump.Pattern(1 << 20, seed), 1 << 20);
        var held = new byte[65536];
        int heldBytes = 0, echoed = 0;
        bool peerEnded = false;
        void Echo()
        {
            while (true)
            {
                if (heldBytes > 0)
                {
                    int w = s.Write(held.AsSpan(0, heldBytes));
                    if (w <= 0)
                        return;
                    echoed += w;
                    held.AsSpan(w, heldBytes - w).CopyTo(held);
                    heldBytes -= w;
                    continue;
                }
                int n = s.Read(held);
                if (n > 0)
                {
                    heldBytes = n;
                    continue;
                }
                if (n == 0 && !peerEnded)
                {
                    peerEnded = true;
                    s.Shutdown();
                }
                return;
            }
        }
        bool done = net.Run(() => pa.Done, 120_000_000_000, () => { pa.Act(); Echo(); });
        Assert.That(done, Is.True, $"A wrote {pa.Written} got {pa.Received} {c.State}; B echoed {echoed} {s.State}; {net.Now / 1_000_000} ms");
        Assert.That(pa.Incoming.AsSpan().SequenceEqual(pa.Outgoing), Is.True, "bytes differ");
        AssertWithinOfferedWindow(net.LaneAB.Capture, net.LaneBA.Capture, "A");
        AssertWithinOfferedWindow(net.LaneBA.Capture, net.LaneAB.Capture, "B");
    }

    [FsCheck.NUnit.Property(MaxTest = 25, Replay = "(77,1235)")]
    public Property Streams_survive_loss_duplication_reordering_and_corruption() =>
        Prop.ForAll(
            (from seed in Gen.Choose(1, 1_000_000)
             from loss in Gen.Elements(0.0, 0.01, 0.05, 0.1)
             from dupCorrupt in Gen.Elements(0.0, 0.05)
             from reorder in Gen.Elements(0.0, 0.1, 0.3)
             select (seed, loss, dupCorrupt, reorder)).ToArbitrary(),
            t =>
            {
                var (seed, loss, dupCorrupt, reorder) = t;
                var net = new TcpTestNet(seed) { Loss = loss, Duplicate = dupCorrupt, Corrupt = dupCorrupt, Reorder = reorder };
                int ab = 1 + seed % 150_000, ba = 1 + seed / 7 % 150_000;
                var (a, b) = Exchange(net, ab, ba, seed);
                AssertExact(a, b);
                AssertExact(b, a);
                ulong bad = net.A.Counters.TcpBadChecksum + net.B.Counters.TcpBadChecksum + net.A.Counters.IpBadChecksum
                    + net.B.Counters.IpBadChecksum + net.A.Counters.EthNotForUs + net.B.Counters.EthNotForUs
                    + net.A.Counters.EthUnknownType + net.B.Counters.EthUnknownType + net.A.Counters.IpBadVersion + net.B.Counters.IpBadVersion
                    + net.A.Counters.IpBadHeaderLength + net.B.Counters.IpBadHeaderLength + net.A.Counters.IpBadTotalLength + net.B.Counters.IpBadTotalLength
                    + net.A.Counters.IpNotForUs + net.B.Counters.IpNotForUs + net.A.Counters.TcpBadPort + net.B.Counters.TcpBadPort
                    + net.A.Counters.IpOptions + net.B.Counters.IpOptions + net.A.Counters.IpBadFlags + net.B.Counters.IpBadFlags
                    + net.A.Counters.TcpBadDataOffset + net.B.Counters.TcpBadDataOffset + net.A.Counters.TcpTruncated + net.B.Counters.TcpTruncated
                    + net.A.Counters.IpUnknownProtocol + net.B.Counters.IpUnknownProtocol + net.A.Counters.IpTruncated + net.B.Counters.IpTruncated
                    + net.A.Counters.TcpBadFlags + net.B.Counters.TcpBadFlags + net.A.Counters.TcpBadOptions + net.B.Counters.TcpBadOptions
                    + net.A.Counters.IpTtlExpired + net.B.Counters.IpTtlExpired + net.A.Counters.IpBadSource + net.B.Counters.IpBadSource
                    + net.A.Counters.ArpMalformed + net.B.Counters.ArpMalformed + net.A.Counters.ArpUnsupported + net.B.Counters.ArpUnsupported
                    + net.A.Counters.ArpBadSender + net.B.Counters.ArpBadSender + net.A.Counters.FragRx + net.B.Counters.FragRx;
                // A flipped byte is caught by some check (or lands in padding or a field nobody reads).
                return (bad <= (ulong)(net.LaneAB.Corrupted + net.LaneBA.Corrupted)).Label($"bad {bad}");
            });

    [Test]
    public void Window_scaling_is_negotiated_and_lets_more_than_64_KiB_fly()
    {
        var net = new TcpTestNet { DelayNs = 1_000_000 };
        net.LaneAB.Capture = new();
        var (c, s) = Connect(net);
        var syn = net.LaneAB.Capture.First(f => (f.Frame[47] & 0x02) != 0).Frame;
        Assert.That(syn[46] >> 4, Is.EqualTo(7), "SYN header: 20 + MSS 4 + NOP/wscale 4 bytes");
        Assert.That((syn[58], syn[59], syn[60], syn[61]), Is.EqualTo(((byte)1, (byte)3, (byte)3, (byte)3)), "wscale 3 for 256 KiB");
        var pa = new TcpPump(c, TcpPump.Pattern(4 << 20, 3), 0);
        var pb = new TcpPump(s, [], 4 << 20);
        int most = 0;
        Assert.That(net.Run(() => pb.Received == 4 << 20, 60_000_000_000, () =>
        {
            pa.Act();
            pb.Act();
            most = Math.Max(most, c.Unacknowledged);
        }), Is.True);
        Assert.That(most, Is.GreaterThan(65535));
        Assert.That(pb.Incoming.AsSpan().SequenceEqual(pa.Outgoing));
    }

    [Test]
    public void Without_window_scaling_on_one_side_neither_scales()
    {
        // A stack with a 32 KiB receive buffer needs no scale, but still offers the option
        // (shift 0); B's large buffer then uses its shift. Check the window field obeys it.
        var net = new TcpTestNet(configure: c => { if (c.Address == IpA) c.Tcp.ReceiveBufferBytes = 32768; });
        var (a, b) = Exchange(net, 100_000, 100_000, 11);
        AssertExact(a, b);
        AssertExact(b, a);
    }

    [Test]
    public void A_steady_transfer_allocates_nothing()
    {
        var net = new TcpTestNet();
        var (c, s) = Connect(net);
        byte[] chunk = TcpPump.Pattern(65536, 1);
        byte[] into = new byte[65536];
        long got = 0;
        Action app = () =>
        {
            c.Write(chunk);
            int n;
            while ((n = s.Read(into)) > 0)
                got += n;
        };
        Func<bool> warm = () => got >= 8 << 20;
        Assert.That(net.Run(warm, 60_000_000_000, app), Is.True);
        long target = got + (32 << 20);
        Func<bool> done = () => got >= target;
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool finished = net.Run(done, 60_000_000_000, app);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.That(finished, Is.True);
        Assert.That(after - before, Is.Zero, "bytes allocated while moving 32 MiB");
    }
}
