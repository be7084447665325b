// The windows that bound a sender (RFC 9293 3.8.6, RFC 5681): the send window follows every ACK
// that moves SND.UNA, even one on older data, so the right edge never slides past what the peer
// offered; a pure ACK at the right edge of our window is accepted; the peer's MSS option bounds
// every segment; and cwnd stays between one MSS and its 1 GiB cap whatever the ACKs do.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Stack;
using static ParaKit.Tests.NetStack.TcpTestNet;

namespace ParaKit.Tests.NetStack;

public class TcpWindowTests
{
    private const ulong Millisecond = 1_000_000, Second = 1_000_000_000;
    private const int Scale = 3;   // both stacks' shift for a 256 KiB buffer (see TcpTransferTests)

    private static byte[] FromA(ushort aport, uint seq, uint ack, ushort window, byte[]? data = null) =>
        TcpRaw.Segment(IpA, IpB, aport, 7, seq, ack, TcpRaw.Ack, window, data: data);

    /// <summary>The end (SEG.SEQ + SEG.LEN) of every data segment B sent.</summary>
    private static IEnumerable<uint> DataEnds(TcpTestNet net) =>
        net.LaneBA.Capture!.Select(f => TcpRaw.Parse(f.Frame)).Where(p => p is { DataLength: > 0 }).Select(p => p!.Value.Seq + (uint)p.Value.DataLength);

    [Test]
    public void An_ack_on_retransmitted_older_data_moves_the_send_window_with_snd_una()
    {
        // A's pure ACK (numbered with A's SND.MAX) offers a window; then A's retransmission of
        // older data brings a newer ACK and a window shrunk by what that ACK took: the same
        // right edge. RFC 9293's WL1 test alone would keep the old window against the new
        // SND.UNA and let B send past the edge (the echo test on a lossy switch stalled so).
        var net = new TcpTestNet();
        var (c, s, aport, rcvNxt, sndNxt) = TcpHostileTests.Live(net);
        // Warm up: the first SYN waited for ARP and was resent, so cwnd began at 1 MSS (RFC 6298 5.7).
        var ps = new TcpPump(s, new byte[100_000], 0, shutdownAfter: false);
        var pc = new TcpPump(c, [], 100_000, shutdownAfter: false);
        Assert.That(net.Run(() => pc.Received == 100_000 && s.Unacknowledged == 0, 10 * Second, () => { ps.Act(); pc.Act(); }));
        sndNxt += 100_000;
        Assert.That(s.CongestionWindow, Is.GreaterThan(3000), "room for two segments");
        net.Drop = (fromA, _) => fromA;   // A's own stack is silent from here; the test speaks for A
        net.LaneBA.Capture = new();
        s.Write(new byte[2920]);
        Assert.That(net.Run(() => DataEnds(net).Any(e => e - sndNxt == 2920), Millisecond), () => $"two segments out: ends {string.Join(",", DataEnds(net).Select(e => e - sndNxt))} cwnd {s.CongestionWindow} unacked {s.Unacknowledged}");
        const ushort Offered = 250;   // 2000 bytes, less than cwnd, so the window is what limits B
        uint right = sndNxt + 1460 + ((uint)Offered << Scale);
        net.LaneAB.Injected.Enqueue(FromA(aport, rcvNxt + 100, sndNxt + 1460, Offered));
        ushort same = (ushort)((right - (sndNxt + 2920)) >> Scale);
        net.LaneAB.Injected.Enqueue(FromA(aport, rcvNxt, sndNxt + 2920, same, data: new byte[100]));
        s.Write(new byte[60_000]);
        net.RunFor(3 * Millisecond);   // less than the 10 ms minimum RTO: no retransmission
        uint most = DataEnds(net).Max(e => e - sndNxt);
        Assert.That(most, Is.LessThanOrEqualTo(right - sndNxt), "B sent past the right edge A offered");
        Assert.That(most, Is.GreaterThan(2920u), "B used the window it had");
    }

    [Test]
    public void A_pure_ack_numbered_at_the_right_edge_of_our_window_is_accepted()
    {
        var net = new TcpTestNet();
        var (_, s, aport, rcvNxt, sndNxt) = TcpHostileTests.Live(net);
        net.Drop = (fromA, _) => fromA;
        s.Write(new byte[1000]);
        net.RunFor(Millisecond);
        Assert.That(s.Unacknowledged, Is.EqualTo(1000));
        ulong outOfWindow = net.B.Counters.TcpOutOfWindow;
        // A filled B's whole window (256 KiB, nothing read) and its segments were lost: its ACK
        // carries SEG.SEQ = RCV.NXT + RCV.WND.
        net.LaneAB.Injected.Enqueue(FromA(aport, rcvNxt + (256u << 10), sndNxt + 1000, 8192));
        net.Step();
        Assert.That(s.Unacknowledged, Is.Zero, "the ACK in it was taken");
        Assert.That(net.B.Counters.TcpOutOfWindow, Is.EqualTo(outOfWindow));
        // One byte further is outside: answered with an ACK, its acknowledgement not used.
        s.Write(new byte[500]);
        net.RunFor(Millisecond);
        net.LaneAB.Injected.Enqueue(FromA(aport, rcvNxt + (256u << 10) + 1, sndNxt + 1500, 8192));
        net.Step();
        Assert.That(net.B.Counters.TcpOutOfWindow, Is.EqualTo(outOfWindow + 1));
        Assert.That(s.Unacknowledged, Is.EqualTo(500));
    }

    [Test]
    public void The_peers_mss_option_bounds_every_segment_we_send()
    {
        var net = new TcpTestNet();
        TcpListener l = net.B.ListenTcp(7, 4)!;
        net.LaneBA.Capture = new();
        // A's own stack would reset B's SYN-ACK: only its ARP answers go through.
        net.Drop = (fromA, f) => fromA && f[12] == 0x08 && f[13] == 0x00;
        const uint Iss = 5000;
        // A hand-made client announcing MSS 536 (RFC 9293 3.7.1's default) and no window scaling.
        net.LaneAB.Injected.Enqueue(TcpRaw.Segment(IpA, IpB, 4000, 7, Iss, 0, TcpRaw.Syn, 65535, options: [2, 4, 0x02, 0x18]));
        TcpRaw.Parsed? SynAck() => net.LaneBA.Capture.Select(f => TcpRaw.Parse(f.Frame)).FirstOrDefault(p => p is { } x && x.Has(TcpRaw.Syn));
        Assert.That(net.Run(() => SynAck() != null, 10 * Millisecond), "SYN-ACK (after B's ARP for A)");
        net.LaneAB.Injected.Enqueue(TcpRaw.Segment(IpA, IpB, 4000, 7, Iss + 1, SynAck()!.Value.Seq + 1, TcpRaw.Ack, 65535));
        TcpSocket? s = null;
        Assert.That(net.Run(() => (s = l.Accept()) != null, 10 * Millisecond), "accepted");
        s!.Write(new byte[5000]);
        net.RunFor(Millisecond);
        var sizes = net.LaneBA.Capture.Select(f => TcpRaw.Parse(f.Frame)).Where(p => p is { DataLength: > 0 }).Select(p => p!.Value.DataLength).ToList();
        Assert.That(sizes.Sum(), Is.EqualTo(5000));
        Assert.That(sizes, Has.All.LessThanOrEqualTo(536));
        Assert.That(sizes.Max(), Is.EqualTo(536));
    }

    [Test]
    public void Cwnd_grows_to_its_1_GiB_cap_and_stays_there()
    {
        var cc = new TcpCongestion();
        cc.Reset(1460, 0);
        uint ack = 0;
        for (int i = 0; i < 400_000; i++)
        {
            ack += 65536;
            cc.OnNewAck(65536, ack, 1 << 30);
        }
        Assert.That(cc.Window, Is.EqualTo(1 << 30), "slow start adds 2 MSS per ACK: 367,000 ACKs reach 1 GiB");
        // Recovery's inflation by each further duplicate ACK is capped too.
        for (int i = 0; i < 3; i++)
            cc.OnDuplicateAck(1 << 30, ack, ack + 100);
        Assert.That(cc.InRecovery, Is.True);
        for (int i = 0; i < 2_000_000; i++)
            cc.OnDuplicateAck(1 << 30, ack, ack + 100);
        Assert.That(cc.Window, Is.EqualTo(1 << 30));
    }

    internal enum CcEvent { NewAck, DuplicateAck, Timeout }

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(8675309,2719)")]
    public Property Cwnd_stays_between_one_mss_and_its_cap_under_any_ack_sequence() =>
        Prop.ForAll(
            (from mss in Gen.Elements(536, 1460, 8960)
             from events in Gen.ListOf(
                 from kind in Gen.Elements(CcEvent.NewAck, CcEvent.NewAck, CcEvent.DuplicateAck, CcEvent.Timeout)
                 from acked in Gen.Choose(1, 1 << 20)
                 from flight in Gen.Choose(0, 1 << 30)
                 select (kind, acked, flight))
             select (mss, events.ToArray())).ToArbitrary(),
            t =>
            {
                var (mss, events) = t;
                var cc = new TcpCongestion();
                cc.Reset(mss, 0);
                uint una = 0;
                foreach (var (kind, acked, flight) in events)
                {
                    switch (kind)
                    {
                        case CcEvent.NewAck:
                            una += (uint)acked;
                            cc.OnNewAck(acked, una, flight);
                            break;
                        case CcEvent.DuplicateAck:
                            cc.OnDuplicateAck(flight, una, una + (uint)flight);
                            break;
                        default:
                            cc.OnTimeout(flight, una + (uint)flight);
                            break;
                    }
                    if (cc.Window < mss || cc.Window > 1 << 30 || cc.SlowStartThreshold < 2 * mss)
                        return false.Label($"{kind}: cwnd {cc.Window} ssthresh {cc.SlowStartThreshold}");
                }
                return true.ToProperty();
            });
}
