// iperf3d: an iperf3 server (Net/Iperf/IperfServer.cs) on the guest's own TCP/IP stack over vif 0,
// so `iperf3 -c ADDR` from the host or another machine measures the unikernel:
//   iperf3d [ip=A.B.C.D/PREFIX] [gateway=G] [port=5201] [tests=N] [seconds=S] [buffer-kib=1024]
//   iperf3 -c ADDR [-t 2] [-R] [-u [-b RATE]] [-P N] [--bidir] from the client side.
// Tests are served one after the other (a client that comes during one gets "the server is busy",
// as from iperf3); after N tests (default: none), S seconds or a shutdown request (control/shutdown,
// as `xl shutdown` writes it) it stops.
// Each test ends with a line the bench scripts read:
//   iperf3d: test 1 tcp reverse=0 bidir=0 streams=1 seconds=2.001 received_bytes=.. sent_bytes=..
//   received_gbps=.. sent_gbps=.. retransmits=.. udp_lost=.. udp_packets=.. jitter_ms=.. outcome=done
// Without ip= the vif's configuration is used (vif = [ 'ip=A.B.C.D/N,gateway=G' ]), as in ping.
// Not measured: CPU utilisation (reported to the client as 0). Bad arguments exit 2, a vif that
// does not connect 3.
using ParaKit.Drivers;
using ParaKit.Drivers.Platform;
using ParaKit.Drivers.Xen;
using ParaKit.Kernel;
using ParaKit.Protocols.Store;
using ParaKit.Net.Iperf;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;

public static class Iperf3d
{
    private const string Usage = "usage: iperf3d [ip=A.B.C.D/PREFIX] [gateway=G] [port=5201] [tests=N] [seconds=S] [buffer-kib=1024]";
    private const ulong Second = 1_000_000_000, Millisecond = 1_000_000;
    private const int PollBudget = 64;
    private static string? s_shutdown;

    public static int Main(string[] args)
    {
        uint ip = 0, gateway = 0;
        int prefix = 0;
        // 1 MiB each way per connection (made on first use): with TSO/GSO super-frames of up to
        // 64 KiB, a 256 KiB window holds only four of them and limited host -> guest to ~3.4 Gbit/s
        // where 1 MiB reached ~5.6 (isolated runs, 11:05).
        ulong port = IperfWire.DefaultPort, tests = 0, seconds = 0, bufferKib = 1024;
        bool haveIp = false, haveGateway = false;
        foreach (string a in args)
        {
            bool ok = TrafficText.TrySplit(a, out string key, out string value);
            if (ok)
            {
                switch (key)
                {
                    case "ip": ok = haveIp = VifAddress.TryParse(value, prefixAllowed: true, out ip, out prefix) && ip != 0 && prefix > 0; break;
                    case "gateway": ok = haveGateway = TrafficText.TryParseIpv4(value, out gateway) && gateway != 0; break;
                    case "port": ok = TrafficText.TryParseUInt64(value, out port) && port > 0 && port < 65536; break;
                    case "tests": ok = TrafficText.TryParseUInt64(value, out tests) && tests < 1_000_000; break;
                    case "seconds": ok = TrafficText.TryParseUInt64(value, out seconds) && seconds < 1_000_000; break;
                    case "buffer-kib": ok = TrafficText.TryParseUInt64(value, out bufferKib) && bufferKib >= 16 && bufferKib <= 4096; break;
                    default: ok = false; break;
                }
            }
            if (!ok)
            {
                Console.WriteLine("iperf3d: bad argument '" + a + "'");
                Console.WriteLine(Usage);
                return 2;
            }
        }

        IEthernetDevice? vif = Nics.Open(0, Clock.NowNs() + 10 * Second, out string error);
        if (vif is null)
        {
            Console.WriteLine("iperf3d: cannot open " + error);
            return 3;
        }
        if (!Nics.ChooseAddress(vif, haveIp, ref ip, ref prefix, haveGateway, ref gateway, out _, out string why))
        {
            Console.WriteLine("iperf3d: " + why);
            return 2;
        }

        var config = new NetStackConfig { Address = ip, PrefixLength = prefix, Gateway = gateway };
        // A control connection, up to 16 streams, and room for a busy client and closing ones.
        config.Tcp.MaxConnections = IperfServer.MaxStreams + 8;
        config.Tcp.SendBufferBytes = (int)bufferKib * 1024;
        config.Tcp.ReceiveBufferBytes = (int)bufferKib * 1024;
        var stack = new NetStack(vif, config);
        stack.Start(Clock.NowNs());
        TcpListener? listener = stack.ListenTcp((ushort)port, backlog: 16);
        UdpSocket? udp = stack.OpenUdp((ushort)port, queueBytes: 1 << 20, queueDatagrams: 1024);
        if (listener is null || udp is null)
        {
            Console.WriteLine("iperf3d: cannot listen on port " + port.ToString());
            return 2;
        }
        var server = new IperfServer(stack, listener, udp);
        Console.WriteLine("iperf3d: listening on " + IpText(ip) + ":" + port.ToString() + " (TCP and UDP, prefix " + prefix.ToString() + ")");

        // `parakit xenstore write /local/domain/N/control/shutdown poweroff` (xl shutdown) ends it cleanly.
        if (Control.OnShutdownRequest(static request => s_shutdown = request) != XsError.None)
            Console.WriteLine("iperf3d: cannot watch control/shutdown; it runs until destroyed");
        ulong end = seconds != 0 ? Clock.NowNs() + seconds * Second : ulong.MaxValue;
        while (s_shutdown is null && Clock.NowNs() < end && (tests == 0 || (ulong)server.TestsRun < tests))
        {
            ulong now = Clock.NowNs();
            int frames = stack.Poll(now, PollBudget);
            bool busy = server.Step(now);
            if (server.LastTest is IperfTestSummary t)
            {
                server.LastTest = null;
                Report(server.TestsRun, t);
            }
            if (frames < PollBudget && !busy)
            {
                ulong wake = now + 100 * Millisecond;
                if (stack.NextTimerNs < wake)
                    wake = stack.NextTimerNs;
                ulong send = server.NextSendNs(now);
                if (send < wake)
                    wake = send;
                if (end < wake)
                    wake = end;
                Events.WaitUntil(wake);
            }
        }
        // Let the last FINs and ACKs out.
        ulong drain = Clock.NowNs() + 200 * Millisecond;
        while (Clock.NowNs() < drain)
        {
            if (stack.Poll(Clock.NowNs(), PollBudget) < PollBudget)
                Events.WaitUntil(drain);
        }
        NetStackCounters c = stack.Counters;
        Console.WriteLine("iperf3d: done tests=" + server.TestsRun.ToString() + " access_denied=" + server.AccessDenied.ToString()
            + " stray_datagrams=" + server.StrayDatagrams.ToString() + " udp_queue_drops=" + udp.Dropped.ToString()
            + " tcp_rx=" + c.TcpRx.ToString() + " tcp_tx=" + c.TcpTx.ToString()
            + " tcp_retransmitted=" + c.TcpRetransmittedSegments.ToString() + " tcp_bad_checksum=" + c.TcpBadChecksum.ToString()
            + " tx_refused=" + c.TxDeviceRefused.ToString());
        return 0;
    }

    private static void Report(int n, IperfTestSummary t)
    {
        Console.WriteLine("iperf3d: test " + n.ToString() + (t.Udp ? " udp" : " tcp") + " reverse=" + (t.Reverse ? "1" : "0")
            + " bidir=" + (t.Bidirectional ? "1" : "0") + " streams=" + t.Streams.ToString()
            + " seconds=" + TrafficText.Fixed(t.DurationNs / 1e9, 3)
            + " received_bytes=" + t.BytesReceived.ToString() + " sent_bytes=" + t.BytesSent.ToString()
            + " received_gbps=" + TrafficText.Fixed(TrafficText.Gbps(t.BytesReceived, t.DurationNs), 3)
            + " sent_gbps=" + TrafficText.Fixed(TrafficText.Gbps(t.BytesSent, t.DurationNs), 3)
            + " retransmits=" + t.Retransmits.ToString() + " udp_lost=" + t.UdpLost.ToString() + " udp_packets=" + t.UdpPackets.ToString()
            + " jitter_ms=" + TrafficText.Fixed(t.JitterMs, 3) + " outcome=" + t.Outcome);
    }

    private static string IpText(uint ip) =>
        (ip >> 24).ToString() + "." + ((ip >> 16) & 0xFF).ToString() + "." + ((ip >> 8) & 0xFF).ToString() + "." + (ip & 0xFF).ToString();
}
