// httpd: an HTTP/1.1 server on the guest's own TCP/IP stack (Net/Stack) over vif 0.
//   httpd [ip=A.B.C.D/PREFIX] [gateway=G] [port=80] [connections=64] [seconds=S] [idle-ms=30000]
//   GET /       a small HTML page (the same bytes every time)
//   GET /stats  the guest's network counters as JSON: the stack's, TCP's, the NIC's and httpd's own
//   anything else 404; methods other than GET and HEAD 405; malformed requests 400, a head over
//   8 KiB 431, a body over 1 MiB 413 (Net/Http/HttpRequestParser.cs says which is which).
// Keep-alive is the default for HTTP/1.1 ("Connection: close" is honoured, 1.0 needs
// "keep-alive"); pipelined requests are answered in order; every response has a Content-Length.
// Up to `connections` connections are served at once (more wait in the listen backlog); one idle
// for idle-ms is closed. Each connection owns preallocated buffers and /stats is written into a
// reused one, so serving requests allocates nothing. Without ip= the vif's configuration is used
// (vif = [ 'ip=A.B.C.D/N,gateway=G' ]), as in ping. Runs until a shutdown request (xl shutdown:
// control/shutdown in the store) or the domain is destroyed, or for S
// seconds, then prints `httpd: done requests=..` with its counters. Bad arguments exit 2, a vif
// that does not connect 3.
using ParaKit.Drivers;
using ParaKit.Drivers.Platform;
using ParaKit.Drivers.Xen;
using ParaKit.Kernel;
using ParaKit.Protocols.Store;
using ParaKit.Net.Http;
using ParaKit.Net.Json;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;

public static class Httpd
{
    private const string Usage = "usage: httpd [ip=A.B.C.D/PREFIX] [gateway=G] [port=80] [connections=64] [seconds=S] [idle-ms=30000]";
    private const ulong Second = 1_000_000_000, Millisecond = 1_000_000;
    private const int PollBudget = 64;
    private static string? s_shutdown;

    public static int Main(string[] args)
    {
        uint ip = 0, gateway = 0;
        int prefix = 0;
        ulong port = 80, connections = 64, seconds = 0, idleMs = 30_000;
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
                    case "connections": ok = TrafficText.TryParseUInt64(value, out connections) && connections > 0 && connections <= 256; break;
                    case "seconds": ok = TrafficText.TryParseUInt64(value, out seconds) && seconds < 1_000_000; break;
                    case "idle-ms": ok = TrafficText.TryParseUInt64(value, out idleMs) && idleMs > 0 && idleMs < 3_600_000; break;
                    default: ok = false; break;
                }
            }
            if (!ok)
            {
                Console.WriteLine("httpd: bad argument '" + a + "'");
                Console.WriteLine(Usage);
                return 2;
            }
        }

        IEthernetDevice? vif = Nics.Open(0, Clock.NowNs() + 10 * Second, out string error);
        if (vif is null)
        {
            Console.WriteLine("httpd: cannot open " + error);
            return 3;
        }
        if (!Nics.ChooseAddress(vif, haveIp, ref ip, ref prefix, haveGateway, ref gateway, out _, out string why))
        {
            Console.WriteLine("httpd: " + why);
            return 2;
        }

        var config = new NetStackConfig { Address = ip, PrefixLength = prefix, Gateway = gateway };
        // Room for every served connection plus those closing (FIN_WAIT, TIME_WAIT is recycled
        // when a slot is needed); small buffers, as pages are small.
        config.Tcp.MaxConnections = (int)connections + 16;
        config.Tcp.SendBufferBytes = 64 * 1024;
        config.Tcp.ReceiveBufferBytes = 32 * 1024;
        var stack = new NetStack(vif, config);
        stack.Start(Clock.NowNs());
        TcpListener? listener = stack.ListenTcp((ushort)port, backlog: 64);
        if (listener is null)
        {
            Console.WriteLine("httpd: cannot listen on port " + port.ToString());
            return 2;
        }
        var server = new HttpServer(stack, vif, (int)connections, idleMs * Millisecond);
        Console.WriteLine("httpd: serving http://" + IpText(ip) + ":" + port.ToString() + "/ (prefix " + prefix.ToString()
            + ", connections=" + connections.ToString() + ")");

        // `parakit xenstore write /local/domain/N/control/shutdown poweroff` (xl shutdown) ends it cleanly.
        if (Control.OnShutdownRequest(static request => s_shutdown = request) != XsError.None)
            Console.WriteLine("httpd: cannot watch control/shutdown; it runs until destroyed");
        ulong end = seconds != 0 ? Clock.NowNs() + seconds * Second : ulong.MaxValue;
        while (s_shutdown is null && Clock.NowNs() < end)
        {
            ulong now = Clock.NowNs();
            int frames = stack.Poll(now, PollBudget);
            bool busy = server.Accept(listener, now);
            busy |= server.Service(now);
            if (frames < PollBudget && !busy)
            {
                ulong wake = now + 100 * Millisecond;
                if (stack.NextTimerNs < wake)
                    wake = stack.NextTimerNs;
                if (end < wake)
                    wake = end;
                Events.WaitUntil(wake);
            }
        }
        HttpServerCounters c = server.Counters;
        Console.WriteLine("httpd: done requests=" + c.Requests.ToString() + " connections=" + c.Accepted.ToString()
            + " responses_2xx=" + c.Ok.ToString() + " responses_4xx=" + c.ClientErrors.ToString() + " responses_5xx=" + c.ServerErrors.ToString()
            + " idle_closed=" + c.IdleClosed.ToString() + " reset=" + c.Failed.ToString()
            + " tcp_rx=" + stack.Counters.TcpRx.ToString() + " tcp_tx=" + stack.Counters.TcpTx.ToString()
            + " tcp_retransmitted=" + stack.Counters.TcpRetransmittedSegments.ToString());
        return 0;
    }

    public static string IpText(uint ip) =>
        (ip >> 24).ToString() + "." + ((ip >> 16) & 0xFF).ToString() + "." + ((ip >> 8) & 0xFF).ToString() + "." + (ip & 0xFF).ToString();
}
