// Hostile and malformed input to a stack with a live connection: RSTs in and out of the window
// (RFC 5961), SYNs on an established connection, malformed segments each counted by reason,
// and a SYN flood larger than the half-open table and the backlog that still lets a real
// client connect, also a sustained one (SYN cookies), while forged cookie ACKs are refused. The
// connection keeps working after all of it.
using ParaKit.Net.Stack;
using static ParaKit.Tests.NetStack.TcpTestNet;

namespace ParaKit.Tests.NetStack;

public class TcpHostileTests
{
    private const ulong Second = 1_000_000_000;

    /// <summary>A connection with its numbers as B sees them: A's port, B's port, the sequence
    /// B expects next (RCV.NXT) and the one B sends next.</summary>
    internal static (TcpSocket C, TcpSocket S, ushort APort, uint RcvNxt, uint SndNxt) Live(TcpTestNet net)
    {
        var (c, s) = TcpTransferTests.Connect(net);
        net.LaneBA.Capture = new();
        s.Write("hi"u8);
        Assert.That(net.Run(() => c.BytesToRead == 2, Second));
        net.RunFor(Second / 10);
        var p = TcpRaw.Parse(net.LaneBA.Capture.Last().Frame)!.Value;
        net.LaneBA.Capture = null;
        c.Read(new byte[2]);
        return (c, s, p.DestinationPort, p.Ack, p.Seq + (uint)p.DataLength);
    }

    private static byte[] FromA(ushort aport, uint seq, uint ack, byte flags, byte[]? options = null, byte[]? data = null,
        bool badChecksum = false, int? dataOffsetWords = null) =>
        TcpRaw.Segment(IpA, IpB, aport, 7, seq, ack, flags, 8192, options, data, badChecksum: badChecksum, dataOffsetWords: dataOffsetWords);

    private static void StillWorks(TcpTestNet net, TcpSocket c, TcpSocket s)
    {
        Assert.That(c.IsConnected && s.IsConnected, $"{c.State}/{c.Error} {s.State}/{s.Error}");
        c.Write("still"u8);
        Assert.That(net.Run(() => s.BytesToRead == 5, Second));
    }

    [Test]
    public void Only_a_rst_at_exactly_rcv_nxt_resets_others_in_the_window_get_a_challenge_ack()
    {
        var net = new TcpTestNet();
        var (c, s, aport, rcvNxt, sndNxt) = Live(net);
        long sent = net.LaneBA.Sent;
        net.LaneAB.Injected.Enqueue(FromA(aport, rcvNxt + 100, 0, TcpRaw.Rst));
        net.Step();
        Assert.That(net.B.Counters.TcpChallengeAcks, Is.EqualTo(1UL));
        Assert.That(net.LaneBA.Sent, Is.EqualTo(sent + 1), "one challenge ACK");
        net.LaneAB.Injected.Enqueue(FromA(aport, rcvNxt + 10_000_000, 0, TcpRaw.Rst));
        net.Step();
        Assert.That(net.B.Counters.TcpRstOutOfWindow, Is.EqualTo(1UL));
        net.LaneAB.Injected.Enqueue(FromA(aport, rcvNxt, 0, TcpRaw.Syn));
        net.Step();
        Assert.That(net.B.Counters.TcpChallengeAcks, Is.EqualTo(2UL), "a SYN on a synchronized connection");
        StillWorks(net, c, s);
        net.LaneAB.Injected.Enqueue(FromA(aport, rcvNxt + 5, 0, TcpRaw.Rst));
        net.Step();
        Assert.That(s.Error, Is.EqualTo(TcpError.Reset));
        Assert.That(net.B.Counters.TcpRstReceived, Is.EqualTo(1UL));
    }

    [Test]
    public void Malformed_segments_are_counted_by_reason_and_dropped()
    {
        var net = new TcpTestNet();
        var (c, s, aport, rcvNxt, sndNxt) = Live(net);
        var q = net.LaneAB.Injected;
        q.Enqueue(FromA(aport, rcvNxt, sndNxt, TcpRaw.Ack, data: [1, 2, 3], badChecksum: true));
        byte[] truncated = FromA(aport, rcvNxt, sndNxt, TcpRaw.Ack);
        q.Enqueue(Peer.Ip(6, truncated.AsSpan(34, 12), IpA, IpB, srcMac: MacA, dstMac: MacB));
        q.Enqueue(FromA(aport, rcvNxt, sndNxt, TcpRaw.Ack, dataOffsetWords: 4));
        q.Enqueue(FromA(aport, rcvNxt, sndNxt, TcpRaw.Ack, dataOffsetWords: 15));
        q.Enqueue(FromA(aport, rcvNxt, sndNxt, TcpRaw.Ack, options: [2, 3, 5, 0]));          // MSS of length 3
        q.Enqueue(FromA(aport, rcvNxt, sndNxt, TcpRaw.Ack, options: [1, 1, 8, 0]));          // length 0
        q.Enqueue(FromA(aport, rcvNxt, sndNxt, TcpRaw.Ack, options: [1, 1, 30, 10]));        // runs past the header
        q.Enqueue(FromA(aport, rcvNxt, sndNxt, TcpRaw.Syn | TcpRaw.Fin));
        q.Enqueue(FromA(aport, rcvNxt, sndNxt, 0));
        q.Enqueue(TcpRaw.Segment(IpA, IpB, 0, 7, rcvNxt, sndNxt, TcpRaw.Ack));
        q.Enqueue(FromA(aport, rcvNxt + 1_000_000_000, sndNxt, TcpRaw.Ack, data: [9]));    // far outside the window
        q.Enqueue(FromA(aport, rcvNxt, sndNxt + 1_000_000, TcpRaw.Ack));                    // acknowledges unsent data
        q.Enqueue(FromA(aport, rcvNxt, sndNxt - 2_000_000_000, TcpRaw.Ack));                // acknowledges long ago
        net.Step();
        var k = net.B.Counters;
        Assert.Multiple(() =>
        {
            Assert.That(k.TcpBadChecksum, Is.EqualTo(1UL));
            Assert.That(k.TcpTruncated, Is.EqualTo(2UL), "12 bytes, and a data offset past the end");
            Assert.That(k.TcpBadDataOffset, Is.EqualTo(1UL));
            Assert.That(k.TcpBadOptions, Is.EqualTo(3UL));
            Assert.That(k.TcpBadFlags, Is.EqualTo(2UL));
            Assert.That(k.TcpBadPort, Is.EqualTo(1UL));
            Assert.That(k.TcpOutOfWindow, Is.EqualTo(1UL));
            Assert.That(k.TcpAckTooNew, Is.EqualTo(1UL));
            Assert.That(k.TcpAckTooOld, Is.EqualTo(1UL));
        });
        Assert.That(s.BytesToRead, Is.Zero, "none of it reached the application");
        StillWorks(net, c, s);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void A_syn_flood_larger_than_the_tables_leaves_a_real_client_able_to_connect(bool cookies)
    {
        var net = new TcpTestNet(configure: c => { c.Tcp.HalfOpenEntries = 16; c.Tcp.SynCookies = cookies; });
        TcpListener l = net.B.ListenTcp(7, 2)!;
        for (int i = 0; i < 500; i++)
        {
            uint forged = 0x0A000100u + (uint)(i % 200);
            net.LaneAB.Injected.Enqueue(TcpRaw.Segment(forged, IpB, (ushort)(1024 + i), 7, (uint)i * 7919, 0, TcpRaw.Syn));
        }
        while (net.LaneAB.Injected.Count > 0)
            net.Step();   // a poll takes 64 frames
        Assert.That(net.B.TcpHalfOpen, Is.EqualTo(16));
        // With cookies the table's entries stay and the other 484 SYNs get a cookie; without, the
        // oldest entry makes room each time.
        Assert.That((net.B.Counters.TcpHalfOpenEvicted, net.B.Counters.TcpSynCookiesSent), Is.EqualTo(cookies ? (0UL, 484UL) : (484UL, 0UL)));
        Assert.That(net.B.TcpConnections, Is.Zero, "a SYN takes no connection");
        TcpSocket c = net.A.ConnectTcp(IpB, 7)!;
        TcpSocket? s = null;
        Assert.That(net.Run(() => (s ??= l.Accept()) != null && c.IsConnected, 5 * Second));
        StillWorks(net, c, s!);
    }

    [Test]
    public void Real_clients_connect_through_a_sustained_syn_flood_with_syn_cookies()
    {
        // The flood never stops: 64 forged SYNs arrive before every poll, far more than one per
        // round trip of the table, so without cookies a real client's entry is evicted before its
        // ACK comes back (with SynCookies = false this test fails in round 0: the client is reset). With cookies the table stays full of the first forged entries and every
        // later SYN, the real clients' too, is answered statelessly.
        var net = new TcpTestNet(configure: c => c.Tcp.HalfOpenEntries = 16);
        TcpListener l = net.B.ListenTcp(7, 8)!;
        int forged = 0;
        void Flood()
        {
            for (int i = 0; i < 64; i++, forged++)
                net.LaneAB.Injected.Enqueue(TcpRaw.Segment(0x0A010000u + (uint)(forged % 60000), IpB, (ushort)(1024 + forged % 50000), 7,
                    (uint)forged * 7919, 0, TcpRaw.Syn));
        }
        for (int round = 0; round < 5; round++)
        {
            Flood();
            net.Step();
            TcpSocket c = net.A.ConnectTcp(IpB, 7)!;
            TcpSocket? s = null;
            Assert.That(net.Run(() => (s ??= l.Accept()) != null && c.IsConnected, 5 * Second, Flood), $"round {round}: client {c.State}/{c.Error}");
            // The cookie connection carries data both ways (no window scaling on it).
            var data = new byte[100_000];
            new Random(round).NextBytes(data);
            var pc = new TcpPump(c, data, data.Length);
            var ps = new TcpPump(s!, data, data.Length);
            Assert.That(net.Run(() => pc.Done && ps.Done, 30 * Second, () => { pc.Act(); ps.Act(); Flood(); }), $"round {round}: transfer");
            Assert.That(pc.Incoming, Is.EqualTo(data));
            Assert.That(ps.Incoming, Is.EqualTo(data));
        }
        var k = net.B.Counters;
        Assert.That(k.TcpSynCookiesAccepted, Is.EqualTo(5UL), "each real client came in on a cookie");
        Assert.That(k.TcpHalfOpenEvicted, Is.Zero);
        Assert.That(k.TcpSynCookiesSent, Is.GreaterThan(1000UL));
        Assert.That(net.B.TcpHalfOpen, Is.EqualTo(16));
    }

    [Test]
    public void A_forged_ack_without_a_valid_cookie_gets_a_reset_and_no_connection()
    {
        var net = new TcpTestNet(configure: c => c.Tcp.HalfOpenEntries = 1);
        TcpListener l = net.B.ListenTcp(7, 8)!;
        for (int i = 0; i < 3; i++)
            net.LaneAB.Injected.Enqueue(TcpRaw.Segment(0x0A010001u + (uint)i, IpB, 2000, 7, 100, 0, TcpRaw.Syn));
        net.Step();
        Assert.That(net.B.Counters.TcpSynCookiesSent, Is.EqualTo(2UL));
        for (uint guess = 0; guess < 200; guess++)
            net.LaneAB.Injected.Enqueue(TcpRaw.Segment(0x0A010002u, IpB, 2000, 7, 101, guess * 0x01000193u, TcpRaw.Ack));
        while (net.LaneAB.Injected.Count > 0)
            net.Step();
        Assert.That(l.Accept(), Is.Null);
        Assert.That(net.B.Counters.TcpSynCookiesRejected, Is.EqualTo(200UL));
        Assert.That(net.B.Counters.TcpSynCookiesAccepted, Is.Zero);
    }
}
