// l2ping: round trips below IP (Net/Traffic/L2Echo.cs) through rings, backends and the switch.
//   l2ping dst=MAC [count=N] [size=60..MTU+14] [interval-us=U] [timeout-ms=T] [vif=N]
//     sends N requests one at a time, each after the previous reply (or its timeout, counted
//     lost) and at least U µs after the previous request, and ends with
//     `l2ping: done count=.. received=.. lost=.. min_us=.. median_us=.. p99_us=.. max_us=..`.
//     Before the measured pings it probes (warm-up requests, not counted) until the echo answers,
//     so an echo that boots a little later does not show up as loss.
//   l2ping mode=echo [count=N] [seconds=S] [vif=N]
//     answers every request (the same frame back, addressed to the sender) and exits after N
//     measured requests answered or S seconds (neither: runs until the domain is destroyed).
// The RTT is taken with our own Clock.NowNs around the exchange (the echoed timestamp is the
// peer's data and is not trusted); the timer is armed before t0, so its hypercall is not
// inside the measured time.
using ParaKit.Drivers;
using ParaKit.Drivers.Platform;
using ParaKit.Kernel;
using ParaKit.Net.Traffic;

public static class L2Ping
{
    private const string Usage = "usage: l2ping dst=MAC [count=N] [size=60..MTU+14] [interval-us=U] [timeout-ms=T] [vif=N]\n"
        + "       l2ping mode=echo [count=N] [seconds=S] [vif=N]";
    private const ulong Second = 1_000_000_000;
    private const ulong OpenTimeoutNs = 10 * Second;
    private const ulong WarmupLimitNs = 10 * Second, WarmupEveryNs = 100_000_000;
    private const int PollBudget = 32;


    // Pinger: the reply being waited for, and what arrived.
    private static readonly FrameHandler s_onReply = OnReply;
    private static ushort s_id;
    private static ulong s_waitSeq;
    private static byte s_waitFlags;
    private static bool s_gotReply;
    private static ulong s_replyAt, s_late, s_otherFrames;

    // Echo: replies are made in the handler and sent after Poll returns (the driver's handler
    // must not re-enter it), from buffers allocated once.
    private static readonly FrameHandler s_onRequest = OnRequest;
    private static byte[][] s_replies = new byte[0][];
    private static int[] s_replyLengths = new int[0];
    private static int s_pending;
    private static ulong s_ourMac, s_requests, s_measuredRequests, s_notRequests, s_queueFull;

    public static int Main(string[] args)
    {
        string mode = "ping";
        ulong dst = 0, count = 0, size = 60, intervalUs = 1000, timeoutMs = 1000, seconds = 0, vif = 0;
        bool haveDst = false, haveCount = false;
        foreach (string a in args)
        {
            bool ok = TrafficText.TrySplit(a, out string key, out string value);
            if (ok)
            {
                switch (key)
                {
                    case "mode": mode = value; ok = value == "ping" || value == "echo"; break;
                    case "dst": ok = haveDst = MacText.TryParse(value, out dst); break;
                    case "count": ok = haveCount = TrafficText.TryParseUInt64(value, out count) && count < 100_000_000; break;
                    case "size": ok = TrafficText.TryParseUInt64(value, out size) && size >= L2Echo.MinSize && size <= L2Echo.MaxSize; break;
                    case "interval-us": ok = TrafficText.TryParseUInt64(value, out intervalUs) && intervalUs < 3_600_000_000; break;
                    case "timeout-ms": ok = TrafficText.TryParseUInt64(value, out timeoutMs) && timeoutMs > 0 && timeoutMs < 3_600_000; break;
                    case "seconds": ok = TrafficText.TryParseUInt64(value, out seconds) && seconds < 1_000_000; break;
                    case "vif": ok = TrafficText.TryParseUInt64(value, out vif) && vif < 1000; break;
                    default: ok = false; break;
                }
            }
            if (!ok)
            {
                Console.WriteLine("l2ping: bad argument '" + a + "'");
                Console.WriteLine(Usage);
                return 2;
            }
        }
        if (mode == "ping" && (!haveDst || seconds != 0 || (haveCount && count == 0)))
        {
            Console.WriteLine(Usage);
            return 2;
        }
        if (mode == "ping" && !haveCount)
            count = 100;

        IEthernetDevice? nic = Nics.Open((uint)vif, Clock.NowNs() + OpenTimeoutNs, out string error);
        if (nic is null)
        {
            Console.WriteLine("l2ping: cannot open " + error);
            return 3;
        }
        if (mode == "echo")
            return Echo(nic, count, seconds);
        if (size > (ulong)(nic.Mtu + 14))
        {
            Console.WriteLine("l2ping: size=" + size.ToString() + " is larger than the vif's MTU + 14 (" + (nic.Mtu + 14).ToString() + ")");
            return 2;
        }
        return Ping(nic, dst, count, (int)size, intervalUs * 1000, timeoutMs * 1_000_000);
    }

    private static int Ping(IEthernetDevice nic, ulong dst, ulong count, int size, ulong intervalNs, ulong timeoutNs)
    {
        ulong ourMac = Wire.ReadMac(nic.Mac, 0);
        s_id = (ushort)Kernel.DomId;
        byte[] request = new byte[size];
        var rtt = new LatencyStats(count < 1 << 16 ? (int)count : 1 << 16, decimate: true);
        Console.WriteLine("l2ping: " + MacText.ToText(ourMac) + " -> " + MacText.ToText(dst) + " count=" + count.ToString()
            + " size=" + size.ToString() + " interval-us=" + (intervalNs / 1000).ToString());

        // Warm-up: probe until the echo answers, so its boot time is not counted as loss.
        ulong warmupEnd = Clock.NowNs() + WarmupLimitNs;
        bool answered = false;
        for (ulong probe = 0; !answered && Clock.NowNs() < warmupEnd; probe++)
            answered = Exchange(nic, request, dst, ourMac, probe, L2EchoFlags.Warmup, WarmupEveryNs, out _);
        if (!answered)
            Console.WriteLine("l2ping: no answer from " + MacText.ToText(dst) + " to warm-up probes for 10 s; measuring anyway");

        ulong start = Clock.NowNs(), nextReport = start + Second;
        ulong received = 0, lost = 0;
        for (ulong seq = 0; seq < count; seq++)
        {
            ulong sentAt = Clock.NowNs();
            if (Exchange(nic, request, dst, ourMac, seq, 0, timeoutNs, out ulong ns))
            {
                received++;
                rtt.Add(ns);
            }
            else
            {
                lost++;
            }
            ulong now = Clock.NowNs();
            if (now >= nextReport)
            {
                Console.WriteLine("l2ping: t=" + ((now - start + Second / 2) / Second).ToString() + "s sent=" + (seq + 1).ToString()
                    + " received=" + received.ToString() + " lost=" + lost.ToString());
                nextReport = now + Second;
            }
            // The interval runs from one request to the next; frames that come meanwhile are drained.
            while (seq + 1 < count && Clock.NowNs() < sentAt + intervalNs)
            {
                if (nic.Poll(s_onReply, PollBudget) < PollBudget)
                    Events.WaitUntil(sentAt + intervalNs);
            }
        }

        LatencySummary s = rtt.Summarize();
        NetDeviceCounters c = nic.Counters;
        var b = new StringBuilder(400);
        b.Append("l2ping: done count=").Append(count).Append(" received=").Append(received).Append(" lost=").Append(lost)
            .Append(s.PercentilesText(""))
            .Append(" mean_us=").Append(TrafficText.Micros(s.Mean))
            .Append(" samples=").Append(s.Count)
            .Append(" size=").Append(size)
            .Append(" late=").Append(s_late)
            .Append(" other=").Append(s_otherFrames)
            .Append(" notifies=").Append(c.NotifiesSent)
            .Append(" notifies_received=").Append(c.NotifiesReceived)
            .Append(" tx_drop_full=").Append(c.TxDroppedFull)
            .Append(" tx_errors=").Append(c.TxErrors)
            .Append(" rx_errors=").Append(c.RxErrors);
        Console.WriteLine(b.ToString());
        return received > 0 ? 0 : 1;
    }

    /// <summary>Sends one request and waits for its reply until the timeout; true with the
    /// round trip in <paramref name="rttNs"/> if it came.</summary>
    private static bool Exchange(IEthernetDevice nic, byte[] request, ulong dst, ulong ourMac, ulong seq, byte flags, ulong timeoutNs, out ulong rttNs)
    {
        rttNs = 0;
        ulong deadline = Clock.NowNs() + timeoutNs;
        // Arm the reply timeout before the clock starts: arming is an exit, and the wait below
        // then finds this timer good enough, so the measured round trip holds no timer call.
        if (Scheduler.ArmedTimer <= Clock.NowNs() || Scheduler.ArmedTimer > deadline)
            Scheduler.SetTimer(deadline);
        s_waitSeq = seq;
        s_waitFlags = flags;
        s_gotReply = false;
        ulong t0 = Clock.NowNs();
        L2Echo.Write(request, dst, ourMac, L2EchoType.Request, s_id, seq, t0, flags);
        while (!nic.TrySend(request))
        {
            // No TX slot (or the vif is down): reap and retry until the deadline.
            nic.Poll(s_onReply, PollBudget);
            if (Clock.NowNs() >= deadline)
                return false;
            Events.WaitUntil(deadline);
        }
        nic.Flush();
        while (true)
        {
            int polled = nic.Poll(s_onReply, PollBudget);
            if (s_gotReply)
            {
                rttNs = s_replyAt - t0;
                return true;
            }
            if (Clock.NowNs() >= deadline)
                return false;
            // Poll armed the RX event: the reply's arrival wakes us.
            if (polled < PollBudget)
                Events.WaitUntil(deadline);
        }
    }

    private static void OnReply(System.ReadOnlySpan<byte> frame)
    {
        if (L2Echo.Parse(frame, out L2EchoInfo info) != L2EchoStatus.Ok || info.Type != L2EchoType.Reply || info.Id != s_id)
        {
            s_otherFrames++;
            return;
        }
        if (info.Seq == s_waitSeq && info.Flags == s_waitFlags && !s_gotReply)
        {
            s_replyAt = Clock.NowNs();
            s_gotReply = true;
        }
        else if (info.Flags == 0)
        {
            s_late++;   // a reply after its timeout, or a duplicate
        }
    }

    private static int Echo(IEthernetDevice nic, ulong count, ulong seconds)
    {
        s_ourMac = Wire.ReadMac(nic.Mac, 0);
        int frameMax = nic.Mtu + 14;
        s_replies = new byte[PollBudget][];
        s_replyLengths = new int[PollBudget];
        for (int i = 0; i < PollBudget; i++)
            s_replies[i] = new byte[frameMax];
        Console.WriteLine("l2ping: echo on " + MacText.ToText(s_ourMac)
            + (count != 0 ? " count=" + count.ToString() : "") + (seconds != 0 ? " seconds=" + seconds.ToString() : ""));

        ulong start = Clock.NowNs();
        ulong end = seconds != 0 ? start + seconds * Second : ulong.MaxValue;
        ulong nextReport = start + Second, answered = 0, txFull = 0, lastAnswered = 0;
        while ((count == 0 || s_measuredRequests < count) && Clock.NowNs() < end)
        {
            int polled = nic.Poll(s_onRequest, PollBudget);
            for (int i = 0; i < s_pending; i++)
            {
                if (nic.TrySend(new System.ReadOnlySpan<byte>(s_replies[i], 0, s_replyLengths[i])))
                    answered++;
                else
                    txFull++;   // the pinger times out on it
            }
            s_pending = 0;
            nic.Flush();
            ulong now = Clock.NowNs();
            if (now >= nextReport)
            {
                if (answered != lastAnswered)
                    Console.WriteLine("l2ping: echo t=" + ((now - start + Second / 2) / Second).ToString() + "s answered=" + answered.ToString());
                lastAnswered = answered;
                nextReport = now + Second;
            }
            if (polled < PollBudget)
                Events.WaitUntil(Min(nextReport, end));
        }
        // The last replies are on the ring: give the backend a moment to take them.
        ulong drainEnd = Clock.NowNs() + 100_000_000;
        while (Clock.NowNs() < drainEnd)
        {
            if (nic.Poll(s_onRequest, PollBudget) < PollBudget)
                Events.WaitUntil(drainEnd);
            s_pending = 0;   // requests that come now are not answered: we are done
        }

        NetDeviceCounters c = nic.Counters;
        var b = new StringBuilder(300);
        b.Append("l2ping: echo done answered=").Append(answered).Append(" requests=").Append(s_requests)
            .Append(" measured=").Append(s_measuredRequests)
            .Append(" tx_full=").Append(txFull + s_queueFull).Append(" other=").Append(s_notRequests)
            .Append(" seconds=").Append(TrafficText.Fixed((Clock.NowNs() - start) / 1e9, 3))
            .Append(" notifies=").Append(c.NotifiesSent)
            .Append(" notifies_received=").Append(c.NotifiesReceived)
            .Append(" rx_errors=").Append(c.RxErrors);
        Console.WriteLine(b.ToString());
        return 0;
    }

    private static void OnRequest(System.ReadOnlySpan<byte> frame)
    {
        if (L2Echo.Parse(frame, out L2EchoInfo info) != L2EchoStatus.Ok || info.Type != L2EchoType.Request)
        {
            s_notRequests++;
            return;
        }
        s_requests++;
        if ((info.Flags & L2EchoFlags.Warmup) == 0)
            s_measuredRequests++;
        if (s_pending == s_replies.Length)
        {
            s_queueFull++;   // cannot happen with budget = queue size; counted, not trusted
            return;
        }
        int n = L2Echo.WriteReply(frame, s_replies[s_pending], s_ourMac);
        if (n > 0)
            s_replyLengths[s_pending++] = n;
    }

    private static ulong Min(ulong a, ulong b) => a < b ? a : b;


}
