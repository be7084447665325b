// ping: ICMP echo over the guest's own IPv4 stack (Net/Stack/NetStack.cs) on vif 0.
//   ping ip=A.B.C.D/PREFIX [gateway=G] dst=IP [count=N] [interval-ms=M] [size=S] [timeout-ms=T] [warmup-ms=W]
//     announces the address (gratuitous ARP), then sends N echo requests one at a time, each
//     after the previous reply (or its timeout, counted lost) and at least M ms after the
//     previous request, with S bytes of data. Before them it probes (requests with another id,
//     not counted) for up to W ms (default 10000, 0 = no probing) until dst answers, so a peer
//     that boots a little later is not counted as loss. After the last request it stays until
//     every request parked for ARP has been sent or dropped, so the stack's counters are final.
//     Ends with `ping: done sent=.. received=.. lost=.. min_us=.. median_us=.. p99_us=.. max_us=..`
//     and the stack's drop counters; exit 0 when any reply came, 1 when all were lost.
//   ping ip=A.B.C.D/PREFIX [gateway=G] [count=N] [seconds=S] [quiet-ms=Q]
//     only answers (the stack answers echo requests by itself) until N requests were answered,
//     S seconds passed, or Q ms went by without a request once they started coming (none of
//     them: until the domain is destroyed). Ends with `ping: answered requests=.. ...`.
// Without ip= (or gateway=) the vif's own configuration is used: vif = [ 'ip=A.B.C.D/N,gateway=G' ]
// reaches the guest through the vif's backend directory (Netfronts.ReadAddress); an argument
// overrides the vif's value key by key. Bad arguments exit 2, a vif that does not connect 3. The RTT is taken with our own Clock.NowNs
// around the exchange; the reply's data is checked against what was sent (a mismatch is `bad`).
using ParaKit.Drivers;
using ParaKit.Drivers.Platform;
using ParaKit.Drivers.Xen;
using ParaKit.Kernel;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;

public static class Ping
{
    private const string Usage = "usage: ping [ip=A.B.C.D/PREFIX] [gateway=G] dst=IP [count=N] [interval-ms=M] [size=S] [timeout-ms=T] [warmup-ms=W]\n"
        + "       ping [ip=A.B.C.D/PREFIX] [gateway=G] [count=N] [seconds=S] [quiet-ms=Q]\n"
        + "       (ip and gateway default to the vif's: vif = [ 'ip=A.B.C.D/N,gateway=G' ])";
    private const ulong Second = 1_000_000_000, Millisecond = 1_000_000;
    private const ulong OpenTimeoutNs = 10 * Second;
    private const ulong WarmupEveryNs = 200 * Millisecond;
    private const int PollBudget = 32;

    // The reply being waited for, and what arrived.
    private static readonly EchoReplyHandler s_onReply = OnReply;
    private static byte[] s_data = new byte[0];
    private static uint s_dst;
    private static ushort s_waitId, s_waitSeq;
    private static bool s_gotReply;
    private static ulong s_replyAt, s_late, s_bad, s_other;

    public static int Main(string[] args)
    {
        uint ip = 0, gateway = 0, dst = 0;
        int prefix = 0;
        ulong count = 0, intervalMs = 10, size = 56, timeoutMs = 1000, warmupMs = 10_000, seconds = 0, quietMs = 0;
        bool haveIp = false, haveGateway = false, haveDst = false, haveCount = false, haveSeconds = false, haveQuiet = false;
        foreach (string a in args)
        {
            bool ok = TrafficText.TrySplit(a, out string key, out string value);
            if (ok)
            {
                switch (key)
                {
                    case "ip": ok = haveIp = VifAddress.TryParse(value, prefixAllowed: true, out ip, out prefix) && prefix > 0; break;
                    case "gateway": ok = haveGateway = TrafficText.TryParseIpv4(value, out gateway) && gateway != 0; break;
                    case "dst": ok = haveDst = TrafficText.TryParseIpv4(value, out dst) && dst != 0; break;
                    case "count": ok = haveCount = TrafficText.TryParseUInt64(value, out count) && count < 100_000_000; break;
                    case "interval-ms": ok = TrafficText.TryParseUInt64(value, out intervalMs) && intervalMs < 3_600_000; break;
                    case "size": ok = TrafficText.TryParseUInt64(value, out size) && size <= 65_507; break;
                    case "timeout-ms": ok = TrafficText.TryParseUInt64(value, out timeoutMs) && timeoutMs > 0 && timeoutMs < 3_600_000; break;
                    case "warmup-ms": ok = TrafficText.TryParseUInt64(value, out warmupMs) && warmupMs < 3_600_000; break;
                    case "seconds": ok = haveSeconds = TrafficText.TryParseUInt64(value, out seconds) && seconds < 1_000_000; break;
                    case "quiet-ms": ok = haveQuiet = TrafficText.TryParseUInt64(value, out quietMs) && quietMs < 3_600_000; break;
                    default: ok = false; break;
                }
            }
            if (!ok)
            {
                Console.WriteLine("ping: bad argument '" + a + "'");
                Console.WriteLine(Usage);
                return 2;
            }
        }
        if ((haveDst && (haveSeconds || haveQuiet || (haveCount && count == 0))))
        {
            Console.WriteLine(Usage);
            return 2;
        }
        if (haveDst && !haveCount)
            count = 10;

        IEthernetDevice? opened = Nics.Open(0, Clock.NowNs() + OpenTimeoutNs, out string error);
        if (opened is null)
        {
            Console.WriteLine("ping: cannot open " + error);
            return 3;
        }
        IEthernetDevice nic = opened;
        // The toolstack's configuration, each key overridden by the command line.
        if (!Nics.ChooseAddress(nic, haveIp, ref ip, ref prefix, haveGateway, ref gateway, out bool fromVif, out string why))
        {
            Console.WriteLine("ping: " + why);
            if (!haveIp)
                Console.WriteLine(Usage);
            return 2;
        }
        string source = fromVif ? "vif" : "command line";
        if (gateway != 0 && (gateway & Ipv4.Mask(prefix)) != (ip & Ipv4.Mask(prefix)))
        {
            Console.WriteLine("ping: gateway=" + IpText(gateway) + " is not on " + IpText(ip) + "/" + prefix.ToString());
            return 2;
        }
        if (haveDst && size + 8 + Ipv4.HeaderLength > (ulong)nic.Mtu)
        {
            Console.WriteLine("ping: size=" + size.ToString() + " does not fit the vif's MTU " + nic.Mtu.ToString() + " (the stack does not fragment)");
            return 2;
        }
        var stack = new NetStack(nic, new NetStackConfig { Address = ip, PrefixLength = prefix, Gateway = gateway });
        stack.OnEchoReply = s_onReply;
        stack.Start(Clock.NowNs());
        Console.WriteLine("ping: address " + IpText(ip) + "/" + prefix.ToString() + (gateway != 0 ? " gateway " + IpText(gateway) : "") + " from the " + source);
        return haveDst
            ? Pinger(stack, dst, count, (int)size, intervalMs * Millisecond, timeoutMs * Millisecond, warmupMs * Millisecond)
            : Responder(stack, count, seconds, quietMs);
    }

    private static int Pinger(NetStack stack, uint dst, ulong count, int size, ulong intervalNs, ulong timeoutNs, ulong warmupNs)
    {
        s_dst = dst;
        s_data = new byte[size];
        for (int i = 0; i < size; i++)
            s_data[i] = (byte)(i * 7 + 1);
        ushort id = (ushort)Kernel.DomId, warmupId = (ushort)(id ^ 0x8000);
        var rtt = new LatencyStats(count < 1 << 16 ? (int)count : 1 << 16, decimate: true);
        Console.WriteLine("ping: " + IpText(stack.Address) + "/" + stack.PrefixLength.ToString() + " -> " + IpText(dst)
            + " count=" + count.ToString() + " size=" + size.ToString() + " interval-ms=" + (intervalNs / Millisecond).ToString());

        // Warm-up: probe until dst answers, so its boot time is not counted as loss.
        if (warmupNs != 0)
        {
            ulong warmupEnd = Clock.NowNs() + warmupNs;
            bool answered = false;
            for (ushort probe = 0; !answered && Clock.NowNs() < warmupEnd; probe++)
                answered = Exchange(stack, warmupId, probe, WarmupEveryNs, out _, out _);
            if (!answered)
                Console.WriteLine("ping: no answer from " + IpText(dst) + " to warm-up probes for " + (warmupNs / Millisecond).ToString() + " ms; measuring anyway");
        }

        ulong start = Clock.NowNs(), nextReport = start + Second;
        ulong sent = 0, received = 0, lost = 0, notSent = 0;
        for (ulong seq = 0; seq < count; seq++)
        {
            ulong sentAt = Clock.NowNs();
            bool got = Exchange(stack, id, (ushort)seq, timeoutNs, out ulong ns, out SendStatus status);
            if (status == SendStatus.Sent || status == SendStatus.Queued)
                sent++;
            else
                notSent++;   // NoRoute, QueueFull, TooBig, DeviceRefused: counted by the stack too
            if (got)
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
                Console.WriteLine("ping: t=" + ((now - start + Second / 2) / Second).ToString() + "s sent=" + (seq + 1).ToString()
                    + " received=" + received.ToString() + " lost=" + lost.ToString());
                nextReport = now + Second;
            }
            // The interval runs from one request to the next; frames that come meanwhile are handled.
            while (seq + 1 < count && Clock.NowNs() < sentAt + intervalNs)
            {
                if (stack.Poll(Clock.NowNs(), PollBudget) < PollBudget)
                    Events.WaitUntil(sentAt + intervalNs);
            }
        }

        // Requests still parked for ARP are sent when it resolves or dropped (and counted) when it
        // gives up: wait for that, bounded by the ARP cache's own retry schedule, so the counters
        // below are final. Late replies meanwhile are counted as late.
        ulong lingerEnd = Clock.NowNs() + stack.Arp.RetryIntervalNs * (ulong)(stack.Arp.MaxRequests + 1);
        while (stack.Arp.PendingCount != 0 && Clock.NowNs() < lingerEnd)
        {
            if (stack.Poll(Clock.NowNs(), PollBudget) < PollBudget)
                Events.WaitUntil(Min(Clock.NowNs() + 50 * Millisecond, lingerEnd));
        }
        stack.Poll(Clock.NowNs(), PollBudget);

        LatencySummary s = rtt.Summarize();
        NetStackCounters c = stack.Counters;
        var b = new StringBuilder(600);
        b.Append("ping: done sent=").Append(count).Append(" received=").Append(received).Append(" lost=").Append(lost)
            .Append(s.PercentilesText(""))
            .Append(" mean_us=").Append(TrafficText.Micros(s.Mean))
            .Append(" samples=").Append(s.Count)
            .Append(" size=").Append(size)
            .Append(" handed_to_stack=").Append(sent)
            .Append(" not_sent=").Append(notSent)
            .Append(" late=").Append(s_late)
            .Append(" bad=").Append(s_bad)
            .Append(" other_replies=").Append(s_other)
            .Append(" arp_requests_sent=").Append(c.ArpRequestsSent)
            .Append(" still_pending=").Append(stack.Arp.PendingCount);
        AppendDrops(b, c);
        Console.WriteLine(b.ToString());
        return received > 0 ? 0 : 1;
    }

    /// <summary>Sends one echo request and waits for its reply until the timeout; true with the
    /// round trip in <paramref name="rttNs"/> if it came. <paramref name="status"/> is what the
    /// stack did with the request (a request parked for ARP is sent when it resolves).</summary>
    private static bool Exchange(NetStack stack, ushort id, ushort seq, ulong timeoutNs, out ulong rttNs, out SendStatus status)
    {
        rttNs = 0;
        ulong deadline = Clock.NowNs() + timeoutNs;
        // Arm the reply timeout before the clock starts: arming is an exit, and the waits below
        // then find this timer good enough, so the measured round trip holds no timer call.
        if (Scheduler.ArmedTimer <= Clock.NowNs() || Scheduler.ArmedTimer > deadline)
            Scheduler.SetTimer(deadline);
        s_waitId = id;
        s_waitSeq = seq;
        s_gotReply = false;
        ulong t0 = Clock.NowNs();
        status = stack.SendPing(s_dst, id, seq, s_data, t0);
        if (status != SendStatus.Sent && status != SendStatus.Queued)
        {
            // Nothing will answer: spend the timeout anyway (the stack's timers keep running),
            // so a refused request is paced like a lost one.
            while (Clock.NowNs() < deadline)
            {
                if (stack.Poll(Clock.NowNs(), PollBudget) < PollBudget)
                    Events.WaitUntil(deadline);
            }
            return false;
        }
        while (true)
        {
            int polled = stack.Poll(Clock.NowNs(), PollBudget);
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

    private static void OnReply(uint sourceIp, ushort id, ushort sequence, System.ReadOnlySpan<byte> data)
    {
        if (sourceIp != s_dst || (id != s_waitId && id != (ushort)(s_waitId ^ 0x8000)))
        {
            s_other++;
            return;
        }
        if (!SameBytes(data, s_data))
        {
            s_bad++;   // not what we sent: not a reply to us, whatever its numbers say
            return;
        }
        if (id == s_waitId && sequence == s_waitSeq && !s_gotReply)
        {
            s_replyAt = Clock.NowNs();
            s_gotReply = true;
        }
        else if ((id & 0x8000) == (s_waitId & 0x8000))
        {
            s_late++;   // a reply after its timeout, or a duplicate (warm-up ones are not counted)
        }
    }

    private static int Responder(NetStack stack, ulong count, ulong seconds, ulong quietMs)
    {
        Console.WriteLine("ping: answering on " + IpText(stack.Address) + "/" + stack.PrefixLength.ToString()
            + (count != 0 ? " count=" + count.ToString() : "") + (seconds != 0 ? " seconds=" + seconds.ToString() : "")
            + (quietMs != 0 ? " quiet-ms=" + quietMs.ToString() : ""));
        NetStackCounters c = stack.Counters;
        ulong start = Clock.NowNs();
        ulong end = seconds != 0 ? start + seconds * Second : ulong.MaxValue;
        ulong nextReport = start + Second, lastReported = 0, lastSeen = 0, lastRequestAt = 0;
        while (count == 0 || c.IcmpEchoRequests < count)
        {
            ulong now = Clock.NowNs();
            if (now >= end)
                break;
            if (c.IcmpEchoRequests != lastSeen)
            {
                lastSeen = c.IcmpEchoRequests;
                lastRequestAt = now;
            }
            ulong quietEnd = ulong.MaxValue;
            if (quietMs != 0 && lastSeen != 0)
            {
                quietEnd = lastRequestAt + quietMs * Millisecond;
                if (now >= quietEnd)
                    break;
            }
            if (now >= nextReport)
            {
                if (c.IcmpEchoRequests != lastReported)
                    Console.WriteLine("ping: t=" + ((now - start + Second / 2) / Second).ToString() + "s answered=" + c.IcmpEchoRequests.ToString());
                lastReported = c.IcmpEchoRequests;
                nextReport = now + Second;
            }
            // The stack's ARP timers run in Poll: wake at least every 100 ms for them.
            if (stack.Poll(now, PollBudget) < PollBudget)
                Events.WaitUntil(Min(Min(nextReport, end), Min(quietEnd, now + 100 * Millisecond)));
        }
        // The last replies are on the ring: give the backend a moment to take them.
        ulong drainEnd = Clock.NowNs() + 100 * Millisecond;
        ulong answeredAtEnd = c.IcmpEchoRequests;
        while (Clock.NowNs() < drainEnd)
        {
            if (stack.Poll(Clock.NowNs(), PollBudget) < PollBudget)
                Events.WaitUntil(drainEnd);
        }

        var b = new StringBuilder(600);
        b.Append("ping: answered requests=").Append(answeredAtEnd)
            .Append(" after_end=").Append(c.IcmpEchoRequests - answeredAtEnd)
            .Append(" seconds=").Append(TrafficText.Fixed((Clock.NowNs() - start) / 1e9, 3))
            .Append(" arp_requests_answered=").Append(c.ArpRequestsAnswered)
            .Append(" ip_tx=").Append(c.IpTx);
        AppendDrops(b, c);
        Console.WriteLine(b.ToString());
        return 0;
    }

    /// <summary>The stack's drop counters, each as key=value.</summary>
    private static void AppendDrops(StringBuilder b, NetStackCounters c)
    {
        b.Append(" arp_resolve_failed=").Append(c.ArpResolveFailed)
            .Append(" arp_queue_full=").Append(c.ArpQueueFull)
            .Append(" arp_evictions=").Append(c.ArpCacheEvictions)
            .Append(" arp_malformed=").Append(c.ArpMalformed)
            .Append(" arp_conflict=").Append(c.ArpConflict)
            .Append(" eth_truncated=").Append(c.EthTruncated)
            .Append(" eth_not_for_us=").Append(c.EthNotForUs)
            .Append(" eth_unknown_type=").Append(c.EthUnknownType)
            .Append(" ip_truncated=").Append(c.IpTruncated)
            .Append(" ip_bad_checksum=").Append(c.IpBadChecksum)
            .Append(" ip_not_for_us=").Append(c.IpNotForUs)
            .Append(" ip_unknown_protocol=").Append(c.IpUnknownProtocol)
            .Append(" frag_timeouts=").Append(c.FragTimeouts)
            .Append(" tx_no_route=").Append(c.TxNoRoute)
            .Append(" tx_too_big=").Append(c.TxTooBig)
            .Append(" tx_refused=").Append(c.TxDeviceRefused)
            .Append(" icmp_truncated=").Append(c.IcmpTruncated)
            .Append(" icmp_bad_checksum=").Append(c.IcmpBadChecksum)
            .Append(" icmp_broadcast_ignored=").Append(c.IcmpBroadcastIgnored)
            .Append(" icmp_other=").Append(c.IcmpOther)
            .Append(" udp_no_port=").Append(c.UdpNoPort);
    }

    private static string IpText(uint ip) =>
        (ip >> 24).ToString() + "." + ((ip >> 16) & 0xFF).ToString() + "." + ((ip >> 8) & 0xFF).ToString() + "." + (ip & 0xFF).ToString();

    private static bool SameBytes(System.ReadOnlySpan<byte> a, byte[] b)
    {
        if (a.Length != b.Length)
            return false;
        for (int i = 0; i < b.Length; i++)
            if (a[i] != b[i])
                return false;
        return true;
    }

    private static ulong Min(ulong a, ulong b) => a < b ? a : b;
}
