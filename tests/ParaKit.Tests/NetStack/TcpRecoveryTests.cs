// Loss recovery and flow control between two stacks, with the wire dropping exactly what the
// test says: RTO doubling per RFC 6298 until the connection gives up, fast retransmit on the
// third duplicate ACK with no timeout, zero-window probing while the reader stalls, and
// delayed ACKs (40 ms for one segment, at once for the second full one).
using ParaKit.Net.Stack;
using static ParaKit.Tests.NetStack.TcpTestNet;

namespace ParaKit.Tests.NetStack;

public class TcpRecoveryTests
{
    private const ulong Ms = 1_000_000, Second = 1_000_000_000;

    [Test]
    public void The_retransmission_timeout_doubles_until_the_connection_gives_up()
    {
        var net = new TcpTestNet(configure: c => c.Tcp.DataRetries = 6);
        var (c, s) = TcpTransferTests.Connect(net);
        var sent = new List<ulong>();
        net.Drop = (fromA, f) =>
        {
            if (fromA && TcpRaw.Parse(f) is { DataLength: > 0 })
            {
                sent.Add(net.Now);
                return true;
            }
            return false;
        };
        c.Write(new byte[100]);
        Assert.That(net.Run(() => c.IsClosed, 600 * Second));
        Assert.That(c.Error, Is.EqualTo(TcpError.TimedOut));
        Assert.That(sent, Has.Count.EqualTo(7), "the first transmission and 6 retransmissions");
        var gaps = sent.Zip(sent.Skip(1), (a, b) => (double)(b - a)).ToList();
        Assert.That(gaps[0], Is.InRange(10.0 * Ms, 12.0 * Ms), "first RTO: the 10 ms minimum (the RTT is 100 µs)");
        for (int i = 1; i < gaps.Count; i++)
            Assert.That(gaps[i] / gaps[i - 1], Is.InRange(1.95, 2.05), $"backoff {i}: {string.Join(", ", gaps)}");
        Assert.That(net.A.Counters.TcpTimeouts, Is.EqualTo(1UL));
        Assert.That(net.A.Counters.TcpRetransmitTimeouts, Is.EqualTo(6UL));
        Assert.That(net.A.Counters.TcpRstSent, Is.EqualTo(1UL), "a RST tells the peer on giving up");
    }

    [Test]
    public void A_lost_segment_is_resent_on_the_third_duplicate_ack_without_a_timeout()
    {
        var net = new TcpTestNet();
        var (c, s) = TcpTransferTests.Connect(net);
        int dataSegments = 0;
        net.Drop = (fromA, f) => fromA && TcpRaw.Parse(f) is { DataLength: > 0 } && ++dataSegments == 3;
        var pa = new TcpPump(c, TcpPump.Pattern(20 * 1460, 8), 0, shutdownAfter: false);
        var pb = new TcpPump(s, [], 20 * 1460);
        Assert.That(net.Run(() => pb.Received == 20 * 1460, 5 * Second, () => { pa.Act(); pb.Act(); }));
        Assert.That(pb.Incoming, Is.EqualTo(pa.Outgoing));
        Assert.That(net.A.Counters.TcpFastRetransmits, Is.EqualTo(1UL));
        Assert.That(net.A.Counters.TcpRetransmitTimeouts, Is.Zero);
        Assert.That(net.A.Counters.TcpDuplicateAcks, Is.GreaterThanOrEqualTo(3UL));
        Assert.That(net.B.Counters.TcpOutOfOrderQueued, Is.GreaterThanOrEqualTo(3UL));
        TestContext.Out.WriteLine($"partial {net.A.Counters.TcpPartialAckRetransmits} rtx {net.A.Counters.TcpRetransmittedSegments} probes {net.A.Counters.TcpPersistProbes} dup {net.A.Counters.TcpDuplicateAcks}");
        Assert.That(net.A.Counters.TcpRetransmittedSegments, Is.EqualTo(1UL), "only the lost one");
    }

    [Test]
    public void Two_losses_in_one_window_recover_with_a_partial_ack_newreno()
    {
        var net = new TcpTestNet();
        var (c, s) = TcpTransferTests.Connect(net);
        int dataSegments = 0;
        net.Drop = (fromA, f) => fromA && TcpRaw.Parse(f) is { DataLength: > 0 } && ++dataSegments is 3 or 6;
        var pa = new TcpPump(c, TcpPump.Pattern(30 * 1460, 9), 0, shutdownAfter: false);
        var pb = new TcpPump(s, [], 30 * 1460);
        Assert.That(net.Run(() => pb.Received == 30 * 1460, 5 * Second, () => { pa.Act(); pb.Act(); }));
        Assert.That(pb.Incoming, Is.EqualTo(pa.Outgoing));
        Assert.That(net.A.Counters.TcpFastRetransmits, Is.EqualTo(1UL));
        Assert.That(net.A.Counters.TcpPartialAckRetransmits, Is.EqualTo(1UL));
        Assert.That(net.A.Counters.TcpRetransmitTimeouts, Is.Zero);
    }

    [Test]
    public void A_reader_that_stalls_closes_the_window_and_the_writer_probes_it()
    {
        var net = new TcpTestNet();
        var (c, s) = TcpTransferTests.Connect(net);
        byte[] data = TcpPump.Pattern(1 << 20, 4);
        int written = 0;
        Action write = () =>
        {
            int n;
            while (written < data.Length && (n = c.Write(data.AsSpan(written))) > 0)
                written += n;
        };
        net.RunFor(3 * Second, write);
        Assert.That(s.BytesToRead, Is.EqualTo(256 * 1024), "the receive buffer is full");
        Assert.That(net.A.Counters.TcpPersistProbes, Is.GreaterThan(0UL));
        Assert.That(c.IsConnected, "probes do not give up");
        var got = new List<byte>();
        var buf = new byte[70000];
        Assert.That(net.Run(() => got.Count == data.Length, 30 * Second, () =>
        {
            write();
            int n;
            while ((n = s.Read(buf)) > 0)
                got.AddRange(buf.AsSpan(0, n).ToArray());
        }));
        Assert.That(got.ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void One_segment_is_acknowledged_after_the_delay_and_a_second_full_one_at_once()
    {
        var net = new TcpTestNet(configure: c => c.Tcp.MinRtoNs = 200 * Ms);   // not to retransmit before the ACK is due
        var (c, s) = TcpTransferTests.Connect(net);
        net.LaneBA.Capture = new();
        ulong start = net.Now;
        c.Write(new byte[100]);
        Assert.That(net.Run(() => c.Unacknowledged == 0, Second));
        ulong ackAt = net.LaneBA.Capture.Single().At;
        Assert.That(ackAt - start, Is.InRange(40 * Ms, 41 * Ms));
        Assert.That(net.B.Counters.TcpDelayedAcks, Is.EqualTo(1UL));

        net.LaneBA.Capture.Clear();
        start = net.Now;
        c.Write(new byte[2 * 1460]);
        Assert.That(net.Run(() => c.Unacknowledged == 0, Second));
        Assert.That(net.LaneBA.Capture, Has.Count.EqualTo(1));
        Assert.That(net.LaneBA.Capture[0].At - start, Is.LessThan(Ms), "no delay for the second full segment");
    }
}
