// The connection state machine between two stacks: the states each end walks through on open
// and close (simultaneous ones too), TIME_WAIT's length, refused connections, the accept queue's
// bound, and closing with unread data.
using ParaKit.Net.Stack;
using static ParaKit.Tests.NetStack.TcpTestNet;

namespace ParaKit.Tests.NetStack;

public class TcpStateTests
{
    private const ulong Ms = 1_000_000, Second = 1_000_000_000;

    /// <summary>Records every state a socket is seen in, without repeats.</summary>
    private sealed class StateLog(TcpSocket s)
    {
        public readonly List<TcpState> States = [s.State];
        public void Look()
        {
            if (States[^1] != s.State)
                States.Add(s.State);
        }
    }

    [Test]
    public void Open_and_orderly_close_walk_the_rfc_states_and_time_wait_lasts_its_time()
    {
        var net = new TcpTestNet();
        TcpListener l = net.B.ListenTcp(80, 4)!;
        TcpSocket c = net.A.ConnectTcp(IpB, 80)!;
        var cl = new StateLog(c);
        StateLog? sl = null;
        TcpSocket? s = null;
        Action look = () =>
        {
            if (s == null && (s = l.Accept()) != null)
                sl = new StateLog(s);
            cl.Look();
            sl?.Look();
        };
        Assert.That(net.Run(() => s != null && c.IsConnected, 5 * Second, look));
        c.Close();
        Assert.That(net.Run(() => s!.ReadEnded, 5 * Second, look));
        Assert.That(s!.Read(new byte[10]), Is.EqualTo(0), "end of stream");
        Assert.That(net.Run(() => c.State == TcpState.FinWait2, Second, look), "our FIN acknowledged, theirs still to come");
        s.Close();
        Assert.That(net.Run(() => c.State == TcpState.TimeWait, 5 * Second, look));
        ulong timeWaitFrom = net.Now;
        Assert.That(net.Run(() => c.State == TcpState.Closed, 10 * Second, look));
        ulong lasted = net.Now - timeWaitFrom;
        Assert.That(cl.States, Is.EqualTo(new[] { TcpState.SynSent, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.TimeWait, TcpState.Closed }));
        Assert.That(sl!.States, Is.EqualTo(new[] { TcpState.Established, TcpState.CloseWait, TcpState.LastAck, TcpState.Closed }));
        Assert.That(lasted, Is.InRange(2 * Second - Ms, 2 * Second + 50 * Ms), "TimeWaitNs is 2 s in these tests");
        Assert.That(net.A.TcpConnections + net.B.TcpConnections, Is.Zero, "both slots free again");
    }

    [Test]
    public void Simultaneous_open_goes_through_syn_received_on_both_sides()
    {
        var net = new TcpTestNet();
        TcpSocket a = net.A.ConnectTcp(IpB, 5000, localPort: 6000)!;
        TcpSocket b = net.B.ConnectTcp(IpA, 6000, localPort: 5000)!;
        var al = new StateLog(a);
        var bl = new StateLog(b);
        Assert.That(net.Run(() => a.IsConnected && b.IsConnected, 5 * Second, () => { al.Look(); bl.Look(); }));
        Assert.That(al.States, Is.EqualTo(new[] { TcpState.SynSent, TcpState.SynReceived, TcpState.Established }));
        Assert.That(bl.States, Is.EqualTo(new[] { TcpState.SynSent, TcpState.SynReceived, TcpState.Established }));
        var pa = new TcpPump(a, TcpPump.Pattern(50_000, 1), 40_000);
        var pb = new TcpPump(b, TcpPump.Pattern(40_000, 2), 50_000);
        Assert.That(net.Run(() => pa.Done && pb.Done, 30 * Second, () => { pa.Act(); pb.Act(); }));
        Assert.That(pb.Incoming, Is.EqualTo(pa.Outgoing));
        Assert.That(pa.Incoming, Is.EqualTo(pb.Outgoing));
    }

    [Test]
    public void Simultaneous_close_goes_through_closing_to_time_wait_on_both_sides()
    {
        var net = new TcpTestNet();
        var (c, s) = TcpTransferTests.Connect(net);
        var cl = new StateLog(c);
        var sl = new StateLog(s);
        c.Shutdown();
        s.Shutdown();
        Assert.That(net.Run(() => c.State == TcpState.Closed && s.State == TcpState.Closed, 10 * Second, () => { cl.Look(); sl.Look(); }));
        var expected = new[] { TcpState.Established, TcpState.FinWait1, TcpState.Closing, TcpState.TimeWait, TcpState.Closed };
        Assert.That(cl.States, Is.EqualTo(expected));
        Assert.That(sl.States, Is.EqualTo(expected));
        Assert.That(c.Error, Is.EqualTo(TcpError.None));
    }

    [Test]
    public void Time_wait_acknowledges_a_retransmitted_fin()
    {
        var net = new TcpTestNet();
        var (c, s) = TcpTransferTests.Connect(net);
        net.LaneBA.Capture = new();
        c.Shutdown();
        Assert.That(net.Run(() => s.ReadEnded, 5 * Second));
        s.Close();
        Assert.That(net.Run(() => c.State == TcpState.TimeWait, 5 * Second));
        byte[] fin = net.LaneBA.Capture.Last(f => TcpRaw.Parse(f.Frame) is { } p && p.Has(TcpRaw.Fin)).Frame;
        long before = net.LaneAB.Sent;
        net.LaneBA.Injected.Enqueue(fin);
        net.Step();
        Assert.That(net.LaneAB.Sent, Is.EqualTo(before + 1), "one ACK for the repeated FIN");
        Assert.That(c.State, Is.EqualTo(TcpState.TimeWait));
    }

    [Test]
    public void Connecting_to_a_port_nobody_listens_on_is_refused()
    {
        var net = new TcpTestNet();
        TcpSocket c = net.A.ConnectTcp(IpB, 81)!;
        Assert.That(net.Run(() => c.IsClosed, 5 * Second));
        Assert.That(c.Error, Is.EqualTo(TcpError.Refused));
        Assert.That(c.Read(new byte[4]), Is.EqualTo(TcpSocket.Failed));
        Assert.That(net.B.Counters.TcpNoSocket, Is.EqualTo(1UL));
        Assert.That(net.B.Counters.TcpRstSent, Is.EqualTo(1UL));
        c.Close();
        Assert.That(net.A.TcpConnections, Is.Zero);
    }

    [Test]
    public void A_full_accept_queue_holds_the_handshake_until_the_application_accepts()
    {
        var net = new TcpTestNet();
        TcpListener l = net.B.ListenTcp(7, 1)!;
        TcpSocket c1 = net.A.ConnectTcp(IpB, 7)!;
        TcpSocket c2 = net.A.ConnectTcp(IpB, 7)!;
        net.RunFor(50 * Ms);
        Assert.That(l.Pending, Is.EqualTo(1));
        Assert.That(net.B.Counters.TcpAcceptQueueFull, Is.GreaterThan(0UL));
        Assert.That(net.B.TcpHalfOpen, Is.EqualTo(1), "the second waits as a half-open entry, not a connection");
        TcpSocket s1 = l.Accept()!;
        TcpSocket? s2 = null;
        Assert.That(net.Run(() => (s2 ??= l.Accept()) != null, 5 * Second), "completes after the SYN-ACK is sent again");
        Assert.That(c1.IsConnected && c2.IsConnected && s1.IsConnected && s2!.IsConnected);
        Assert.That(s2!.RemotePort, Is.EqualTo(c2.LocalPort));
    }

    [Test]
    public void Close_with_unread_data_resets_the_peer()
    {
        var net = new TcpTestNet();
        var (c, s) = TcpTransferTests.Connect(net);
        c.Write("unread"u8);
        Assert.That(net.Run(() => s.BytesToRead == 6, Second));
        s.Close();
        Assert.That(net.Run(() => c.IsClosed, Second));
        Assert.That(c.Error, Is.EqualTo(TcpError.Reset));
        Assert.That(net.B.TcpConnections, Is.Zero);
    }

    [Test]
    public void A_udp_socket_receives_and_answers()
    {
        var net = new TcpTestNet();
        UdpSocket echo = net.B.OpenUdp(7)!;
        UdpSocket client = net.A.OpenUdp(4000)!;
        Assert.That(net.B.OpenUdp(7), Is.Null, "port taken");
        Assert.That(client.SendTo(IpB, 7, "hello"u8), Is.EqualTo(SendStatus.Queued), "ARP first");
        var buf = new byte[100];
        Assert.That(net.Run(() => echo.Pending == 1, Second));
        int n = echo.Receive(buf, out uint ip, out ushort port);
        Assert.That((n, ip, port), Is.EqualTo((5, IpA, (ushort)4000)));
        echo.SendTo(ip, port, buf.AsSpan(0, n));
        Assert.That(net.Run(() => client.Pending == 1, Second));
        Assert.That(client.Receive(buf, out _, out _), Is.EqualTo(5));
        Assert.That(System.Text.Encoding.ASCII.GetString(buf, 0, 5), Is.EqualTo("hello"));
        Assert.That(client.Receive(buf, out _, out _), Is.EqualTo(TcpSocket.WouldBlock));
    }
}
