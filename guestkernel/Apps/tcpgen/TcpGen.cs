// tcpgen: bulk TCP between two unikernels (the guest-to-guest leg of bench/tcp.sh, where no
// iperf3 client runs in a guest):
//   tcpgen ip=A.B.C.D/N listen [port=5001]                      take one connection, count what arrives until FIN
//   tcpgen ip=A.B.C.D/N dst=IP [port=5001] [seconds=5]          connect and send for S seconds, then FIN
// Both end with `tcpgen: done bytes=.. seconds=.. gbps=.. retransmits=..` (the receiver's line
// is the measurement: bytes that arrived in order, from the first byte to the FIN).
using ParaKit.Drivers;
using ParaKit.Drivers.Platform;
using ParaKit.Drivers.Xen;
using ParaKit.Kernel;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;

public static class TcpGen
{
    private const ulong Second = 1_000_000_000, Millisecond = 1_000_000;

    public static int Main(string[] args)
    {
        uint ip = 0, dst = 0;
        int prefix = 0;
        ulong port = 5001, seconds = 5;
        bool listen = false;
        foreach (string a in args)
        {
            bool ok = true;
            if (a == "listen")
                listen = true;
            else if (!TrafficText.TrySplit(a, out string key, out string value))
                ok = false;
            else
            {
                switch (key)
                {
                    case "ip": ok = VifAddress.TryParse(value, prefixAllowed: true, out ip, out prefix) && ip != 0 && prefix > 0; break;
                    case "dst": ok = TrafficText.TryParseIpv4(value, out dst) && dst != 0; break;
                    case "port": ok = TrafficText.TryParseUInt64(value, out port) && port > 0 && port < 65536; break;
                    case "seconds": ok = TrafficText.TryParseUInt64(value, out seconds) && seconds > 0 && seconds < 100_000; break;
                    default: ok = false; break;
                }
            }
            if (!ok || ip == 0 && a.StartsWith("ip="))
            {
                Console.WriteLine("tcpgen: bad argument '" + a + "'");
                return 2;
            }
        }
        if (ip == 0 || listen == (dst != 0))
        {
            Console.WriteLine("usage: tcpgen ip=A.B.C.D/N listen [port=5001] | tcpgen ip=A.B.C.D/N dst=IP [port=5001] [seconds=5]");
            return 2;
        }
        IEthernetDevice? vif = Nics.Open(0, Clock.NowNs() + 10 * Second, out string error);
        if (vif is null)
        {
            Console.WriteLine("tcpgen: cannot open " + error);
            return 3;
        }
        var stack = new NetStack(vif, new NetStackConfig { Address = ip, PrefixLength = prefix });
        stack.Start(Clock.NowNs());
        var buffer = new byte[64 * 1024];
        for (int i = 0; i < buffer.Length; i++)
            buffer[i] = (byte)(i * 13 + 5);
        TcpSocket? s = null;
        TcpListener? listener = listen ? stack.ListenTcp((ushort)port, 1) : null;
        ulong start = 0, end = 0, bytes = 0, giveUp = Clock.NowNs() + 30 * Second;
        bool finished = false;
        while (!finished)
        {
            ulong now = Clock.NowNs();
            int frames = stack.Poll(now, 64);
            bool busy = false;
            if (s is null)
            {
                if (listener != null)
                    s = listener.Accept();
                else if (now < giveUp)
                    s = stack.ConnectTcp(dst, (ushort)port);
                if (s is null && now > giveUp)
                {
                    Console.WriteLine("tcpgen: no connection within 30 s");
                    return 1;
                }
            }
            else if (!listen && s.Error == TcpError.Refused && now < giveUp)
            {
                // The listener may boot later: try again.
                s = null;
                Events.WaitUntil(now + 100 * Millisecond);
                continue;
            }
            else if (listen)
            {
                int n;
                while ((n = s.Read(buffer)) > 0)
                {
                    if (bytes == 0)
                        start = now;
                    bytes += (ulong)n;
                    busy = true;
                }
                if (n == 0 || n == TcpSocket.Failed)
                {
                    end = now;
                    finished = true;
                }
            }
            else if (s.IsConnected || s.State == TcpState.Established)
            {
                if (start == 0)
                    start = now;
                if (now - start < seconds * Second)
                {
                    int n;
                    while ((n = s.Write(buffer)) > 0)
                    {
                        bytes += (ulong)n;
                        busy = true;
                    }
                }
                else if (end == 0)
                {
                    end = now;
                    s.Shutdown();
                }
                else if (s.Unacknowledged == 0 || s.IsClosed || now - end > 10 * Second)
                {
                    finished = true;
                }
            }
            else if (s.IsClosed)
            {
                Console.WriteLine("tcpgen: connection failed: " + ((int)s.Error).ToString());
                return 1;
            }
            if (frames < 64 && !busy)
            {
                ulong wake = now + 10 * Millisecond;
                if (stack.NextTimerNs < wake)
                    wake = stack.NextTimerNs;
                Events.WaitUntil(wake);
            }
        }
        ulong ns = end > start ? end - start : 1;
        Console.WriteLine("tcpgen: done bytes=" + bytes.ToString() + " seconds=" + TrafficText.Fixed(ns / 1e9, 3)
            + " gbps=" + TrafficText.Fixed(TrafficText.Gbps(bytes, ns), 3) + " retransmits=" + s!.Retransmits.ToString()
            + " tcp_retransmitted=" + stack.Counters.TcpRetransmittedSegments.ToString());
        s.Close();
        ulong drain = Clock.NowNs() + 300 * Millisecond;
        while (Clock.NowNs() < drain)
        {
            if (stack.Poll(Clock.NowNs(), 64) < 64)
                Events.WaitUntil(drain);
        }
        return 0;
    }
}
