// echo: the RFC 862 echo service over the guest's TCP/IP stack (Net/Stack) on vif 0, and a
// client that checks it.
//   echo ip=A.B.C.D/PREFIX [gateway=G] [seconds=S] [count=N]
//     serves TCP and UDP port 7 (several TCP connections at once) until S seconds passed or N
//     TCP connections were served and closed (neither: until the domain is destroyed). Ends with
//     `echo: served connections=.. bytes=.. udp_datagrams=..` and the stack's TCP counters.
//   echo ip=A.B.C.D/PREFIX [gateway=G] dst=IP [bytes=N] [conns=K] [timeout-ms=T]
//     opens K connections to dst port 7 (retrying while nobody listens yet, up to T ms), sends N
//     bytes on each (a pattern that differs per byte and connection), reads the echo back and
//     compares it byte for byte. Ends with `echo: done conns=K ok=.. bad=.. bytes=.. seconds=..
//     mbit_s=..` (payload both ways over the wall-clock time) and the TCP counters; exit 0 when
//     every connection came back exact, 1 otherwise. Bad arguments exit 2, no vif 3.
using ParaKit.Drivers;
using ParaKit.Drivers.Platform;
using ParaKit.Kernel;
using ParaKit.Kernel.Collections;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;

public static class Echo
{
    private const string Usage = "usage: echo ip=A.B.C.D/PREFIX [gateway=G] [seconds=S] [count=N]\n"
        + "       echo ip=A.B.C.D/PREFIX [gateway=G] dst=IP [bytes=N] [conns=K] [timeout-ms=T]";
    private const ulong Second = 1_000_000_000, Millisecond = 1_000_000;
    private const ushort Port = 7;
    private const int PollBudget = 64;

    public static int Main(string[] args)
    {
        uint ip = 0, gateway = 0, dst = 0;
        int prefix = 0;
        ulong seconds = 0, count = 0, bytes = 1 << 20, conns = 1, timeoutMs = 30_000;
        bool haveIp = false;
        foreach (string a in args)
        {
            bool ok = TrafficText.TrySplit(a, out string key, out string value);
            if (ok)
            {
                switch (key)
                {
                    case "ip": ok = haveIp = VifAddress.TryParse(value, prefixAllowed: true, out ip, out prefix) && prefix > 0; break;
                    case "gateway": ok = TrafficText.TryParseIpv4(value, out gateway) && gateway != 0; break;
                    case "dst": ok = TrafficText.TryParseIpv4(value, out dst) && dst != 0; break;
                    case "seconds": ok = TrafficText.TryParseUInt64(value, out seconds) && seconds < 1_000_000; break;
                    case "count": ok = TrafficText.TryParseUInt64(value, out count) && count < 1_000_000; break;
                    case "bytes": ok = TrafficText.TryParseUInt64(value, out bytes) && bytes <= 1UL << 30; break;
                    case "conns": ok = TrafficText.TryParseUInt64(value, out conns) && conns >= 1 && conns <= 8; break;
                    case "timeout-ms": ok = TrafficText.TryParseUInt64(value, out timeoutMs) && timeoutMs > 0 && timeoutMs < 3_600_000; break;
                    default: ok = false; break;
                }
            }
            if (!ok)
            {
                Console.WriteLine("echo: bad argument '" + a + "'");
                Console.WriteLine(Usage);
                return 2;
            }
        }
        if (!haveIp)
        {
            Console.WriteLine(Usage);
            return 2;
        }
        IEthernetDevice? nic = Nics.Open(0, Clock.NowNs() + 10 * Second, out string error);
        if (nic is null)
        {
            Console.WriteLine("echo: cannot open " + error);
            return 3;
        }
        var config = new NetStackConfig { Address = ip, PrefixLength = prefix, Gateway = gateway };
        config.Tcp.IssSecret ^= Clock.NowNs() * 0x9E3779B97F4A7C15;
        var stack = new NetStack(nic, config);
        stack.Start(Clock.NowNs());
        return dst != 0 ? Client(stack, dst, (int)bytes, (int)conns, timeoutMs * Millisecond) : Server(stack, seconds, count);
    }

    private static void Wait(NetStack stack, int polled, ulong deadline)
    {
        if (polled >= PollBudget)
            return;
        ulong until = stack.NextTimerNs;
        if (until > deadline)
            until = deadline;
        ulong cap = Clock.NowNs() + 100 * Millisecond;
        Events.WaitUntil(until < cap ? until : cap);
    }

    private static int Server(NetStack stack, ulong seconds, ulong count)
    {
        TcpListener? listener = stack.ListenTcp(Port, 8);
        UdpSocket? udp = stack.OpenUdp(Port);
        if (listener == null || udp == null)
        {
            Console.WriteLine("echo: cannot bind port 7");
            return 3;
        }
        Console.WriteLine("echo: serving tcp and udp port 7 on " + IpText(stack.Address));
        var open = new List<TcpSocket>();
        var closing = new List<TcpSocket>();   // served, our FIN not yet acknowledged
        var pending = new List<int>();   // bytes read but not yet written back, per connection
        var bufs = new List<byte[]>();
        var buf = new byte[65536];
        ulong start = Clock.NowNs(), end = seconds != 0 ? start + seconds * Second : ulong.MaxValue;
        ulong served = 0, echoed = 0, datagrams = 0;
        while (Clock.NowNs() < end && (count == 0 || served < count))
        {
            int polled = stack.Poll(Clock.NowNs(), PollBudget);
            for (TcpSocket? c; (c = listener.Accept()) != null;)
            {
                open.Add(c);
                pending.Add(0);
                bufs.Add(new byte[65536]);
            }
            for (int i = 0; i < open.Count; i++)
            {
                TcpSocket c = open[i];
                byte[] b = bufs[i];
                int held = pending[i];
                // Write back what is held first; read more only when it all went out.
                while (true)
                {
                    if (held > 0)
                    {
                        int w = c.Write(new System.ReadOnlySpan<byte>(b, 0, held));
                        if (w <= 0)
                            break;
                        echoed += (ulong)w;
                        System.Array.Copy(b, w, b, 0, held - w);
                        held -= w;
                        continue;
                    }
                    int n = c.Read(b);
                    if (n > 0)
                    {
                        held = n;
                        continue;
                    }
                    if (n == 0 || n == TcpSocket.Failed)
                        c.Close();
                    break;
                }
                pending[i] = held;
                // Served once the peer acknowledged every byte echoed (only our FIN may still be in
                // flight): on a lossy link the tail may need retransmitting after the peer's FIN.
                if (c.IsClosed || (c.ReadEnded && held == 0 && c.State != TcpState.Established && c.Unacknowledged <= 1))
                {
                    if (!c.IsClosed)
                    {
                        c.Close();
                        closing.Add(c);
                    }
                    served++;
                    open.RemoveAt(i);
                    pending.RemoveAt(i);
                    bufs.RemoveAt(i);
                    i--;
                }
            }
            int len;
            while ((len = udp.Receive(buf, out uint from, out ushort port)) >= 0)
            {
                datagrams++;
                udp.SendTo(from, port, new System.ReadOnlySpan<byte>(buf, 0, len));
            }
            Wait(stack, polled, end);
        }
        // Let the last FINs and ACKs go out: until every closing connection saw its FIN
        // acknowledged (retransmitting it if it was lost), for at most 5 s.
        ulong drain = Clock.NowNs() + 200 * Millisecond, drainMax = Clock.NowNs() + 5 * Second;
        while (Clock.NowNs() < drain || (Clock.NowNs() < drainMax && AnyOpen(closing)))
            Wait(stack, stack.Poll(Clock.NowNs(), PollBudget), drainMax);
        var sb = new StringBuilder(400);
        sb.Append("echo: served connections=").Append(served).Append(" bytes=").Append(echoed).Append(" udp_datagrams=").Append(datagrams);
        AppendCounters(sb, stack.Counters);
        Console.WriteLine(sb.ToString());
        return 0;
    }

    private static bool AnyOpen(List<TcpSocket> sockets)
    {
        foreach (TcpSocket s in sockets)
        {
            if (!s.IsClosed)
                return true;
        }
        return false;
    }

    private static byte PatternByte(int conn, int i) => (byte)(i * 7 + conn * 13 + (i >> 9));

    private static int Client(NetStack stack, uint dst, int bytes, int conns, ulong timeoutNs)
    {
        Console.WriteLine("echo: " + IpText(stack.Address) + " -> " + IpText(dst) + ":7 conns=" + conns.ToString() + " bytes=" + bytes.ToString());
        var socks = new TcpSocket?[conns];
        var sent = new int[conns];
        var got = new int[conns];
        var bad = new bool[conns];
        var done = new bool[conns];
        var chunk = new byte[65536];
        var rx = new byte[65536];
        ulong giveUp = Clock.NowNs() + timeoutNs;
        ulong start = 0;
        int finished = 0, ok = 0;
        while (finished < conns)
        {
            ulong now = Clock.NowNs();
            if (now >= giveUp)
                break;
            int polled = stack.Poll(now, PollBudget);
            for (int k = 0; k < conns; k++)
            {
                if (done[k])
                    continue;
                TcpSocket? s = socks[k];
                if (s == null || (s.IsClosed && s.Error == TcpError.Refused))
                {
                    // Nobody listens yet (the server may boot later): try again.
                    if (s != null)
                        s.Close();
                    socks[k] = s = stack.ConnectTcp(dst, Port);
                    if (s == null)
                        continue;
                }
                if (!s.IsConnected && !s.IsClosed)
                    continue;
                if (start == 0 && s.IsConnected)
                    start = Clock.NowNs();
                while (sent[k] < bytes)
                {
                    int n = bytes - sent[k] < chunk.Length ? bytes - sent[k] : chunk.Length;
                    n = n < s.SendSpace ? n : s.SendSpace;
                    if (n <= 0)
                        break;
                    for (int i = 0; i < n; i++)
                        chunk[i] = PatternByte(k, sent[k] + i);
                    int w = s.Write(new System.ReadOnlySpan<byte>(chunk, 0, n));
                    if (w <= 0)
                        break;
                    sent[k] += w;
                }
                if (sent[k] == bytes)
                    s.Shutdown();
                while (true)
                {
                    int r = s.Read(rx);
                    if (r > 0)
                    {
                        for (int i = 0; i < r; i++)
                            if (got[k] + i >= bytes || rx[i] != PatternByte(k, got[k] + i))
                                bad[k] = true;
                        got[k] += r;
                        continue;
                    }
                    if (r == 0 || r == TcpSocket.Failed)
                    {
                        done[k] = true;
                        finished++;
                        if (r == 0 && !bad[k] && got[k] == bytes)
                            ok++;
                        s.Close();
                    }
                    break;
                }
            }
            Wait(stack, polled, giveUp);
        }
        ulong elapsed = start == 0 ? 1 : Clock.NowNs() - start;
        ulong total = 0, retransmits = 0;
        for (int k = 0; k < conns; k++)
        {
            total += (ulong)got[k];
            if (socks[k] != null)
                retransmits += socks[k]!.Retransmits;
        }
        // Let our last ACKs and FINs reach the server before the domain ends.
        ulong drain = Clock.NowNs() + 200 * Millisecond;
        while (Clock.NowNs() < drain)
            Wait(stack, stack.Poll(Clock.NowNs(), PollBudget), drain);
        double mbit = (double)total * 2 * 8 / (elapsed / 1e9) / 1e6;
        var sb = new StringBuilder(500);
        sb.Append("echo: done conns=").Append(conns).Append(" ok=").Append(ok).Append(" bad=").Append(conns - ok)
            .Append(" bytes=").Append(total).Append(" seconds=").Append(TrafficText.Fixed(elapsed / 1e9, 3))
            .Append(" mbit_s=").Append(TrafficText.Fixed(mbit, 1));
        AppendCounters(sb, stack.Counters);
        Console.WriteLine(sb.ToString());
        return ok == conns ? 0 : 1;
    }

    private static void AppendCounters(StringBuilder b, NetStackCounters c)
    {
        b.Append(" tcp_rx=").Append(c.TcpRx).Append(" tcp_tx=").Append(c.TcpTx)
            .Append(" retransmitted=").Append(c.TcpRetransmittedSegments)
            .Append(" rto=").Append(c.TcpRetransmitTimeouts)
            .Append(" fast_retransmits=").Append(c.TcpFastRetransmits)
            .Append(" out_of_order=").Append(c.TcpOutOfOrderQueued)
            .Append(" bad_checksum=").Append(c.TcpBadChecksum)
            .Append(" out_of_window=").Append(c.TcpOutOfWindow)
            .Append(" rst_sent=").Append(c.TcpRstSent)
            .Append(" no_socket=").Append(c.TcpNoSocket)
            .Append(" tx_refused=").Append(c.TxDeviceRefused);
    }

    private static string IpText(uint ip) =>
        (ip >> 24).ToString() + "." + ((ip >> 16) & 0xFF).ToString() + "." + ((ip >> 8) & 0xFF).ToString() + "." + (ip & 0xFF).ToString();
}
