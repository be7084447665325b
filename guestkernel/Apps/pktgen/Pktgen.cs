// pktgen: sends test frames (Net/Traffic/TrafficFrame.cs) with increasing sequence numbers
// through a vif, flat out or paced, and reports what the ring took: one line a second and a
// final `pktgen: done key=value ...` line that bench scripts parse (bench/net.sh).
//   pktgen dst=MAC [size=N | size=A-B] [count=N] [seconds=S] [rate=PPS] [probe=0|1] [delay-ms=D] [drain-ms=200] [vif=N] [src-ip=A.B.C.D] [dst-ip=A.B.C.D]
// size=A-B cycles frame sizes A, A+1, ..., B, A, ... (frame i is A + i mod (B-A+1) bytes), so one
// run of count=k*(B-A+1) frames covers every size k times and the sink checks every byte of each.
// Before the first frame it probes a unicast destination with L2Echo requests (every 100 ms,
// at most 10 s) until it answers, as a host ARPs first: a receiver still booting is not loss.
// probe=0 skips that (a destination that cannot answer, e.g. a hostile guest that never reads);
// delay-ms=D then waits D ms before the first frame instead, so that such a destination has
// announced itself and the switch sends it unicast rather than flooding every other port.
// drain-ms=M (default 2000) is the longest it stays after the last frame for the backend (or the
// card) to take what is still on the ring: it ends as soon as every frame is answered (TxIdle), so
// a receiver slow to make room (a loaded machine) does not leave frames in domain 0 at poweroff,
// counted there as tx_undelivered; a short one may end the domain while domain 0 still holds some.
// Flat out, frames are queued until TrySend refuses (no free TX slot), then published with one
// Flush; the loop blocks only when a refusal follows a Poll that found nothing to reap, i.e.
// when the backend owns every slot and has been asked to notify us with its next response.
using ParaKit.Drivers;
using ParaKit.Drivers.Platform;
using ParaKit.Kernel;
using ParaKit.Net.Traffic;

public static class Pktgen
{
    private const string Usage = "usage: pktgen dst=MAC [size=60..MTU+14 | size=A-B (every size in turn)] [count=N] [seconds=S] [rate=PPS (0 = flat out)] [probe=0|1] [delay-ms=D] [drain-ms=M] [vif=N] [src-ip=A.B.C.D] [dst-ip=A.B.C.D]";
    private const ulong Second = 1_000_000_000;
    private const ulong OpenTimeoutNs = 10 * Second;
    /// <summary>How long a dead vif may stay down before the run gives up.</summary>
    private const ulong DownLimitNs = 5 * Second;
    private const int Batch = 64;
    private const int PollBudget = 64;
    private const ulong DrainSliceNs = 2_000_000;

    private static readonly FrameHandler s_onFrame = OnFrame;   // made once: Poll must not allocate

    public static int Main(string[] args)
    {
        ulong dst = 0, size = 60, sizeMax = 60, count = 0, seconds = 0, rate = 0, vif = 0, probe = 1, delayMs = 0, drainMs = 2000;
        bool haveDst = false;
        var flow = TrafficFlow.Between(0, 0);
        foreach (string a in args)
        {
            bool ok = TrafficText.TrySplit(a, out string key, out string value);
            if (ok)
            {
                switch (key)
                {
                    case "dst": ok = haveDst = MacText.TryParse(value, out dst); break;
                    case "size": ok = TryParseSizes(value, out size, out sizeMax); break;
                    case "probe": ok = TrafficText.TryParseUInt64(value, out probe) && probe <= 1; break;
                    case "delay-ms": ok = TrafficText.TryParseUInt64(value, out delayMs) && delayMs < 1_000_000; break;
                    case "drain-ms": ok = TrafficText.TryParseUInt64(value, out drainMs) && drainMs < 1_000_000; break;
                    case "count": ok = TrafficText.TryParseUInt64(value, out count); break;
                    case "seconds": ok = TrafficText.TryParseUInt64(value, out seconds) && seconds < 1_000_000; break;
                    case "rate": ok = TrafficText.TryParseUInt64(value, out rate); break;
                    case "vif": ok = TrafficText.TryParseUInt64(value, out vif) && vif < 1000; break;
                    case "src-ip": ok = TrafficText.TryParseIpv4(value, out flow.SrcIp); break;
                    case "dst-ip": ok = TrafficText.TryParseIpv4(value, out flow.DstIp); break;
                    default: ok = false; break;
                }
            }
            if (!ok)
            {
                Console.WriteLine("pktgen: bad argument '" + a + "'");
                Console.WriteLine(Usage);
                return 2;
            }
        }
        if (!haveDst)
        {
            Console.WriteLine(Usage);
            return 2;
        }
        if (count == 0 && seconds == 0)
            seconds = 10;

        IEthernetDevice? nic = Nics.Open((uint)vif, Clock.NowNs() + OpenTimeoutNs, out string error);
        if (nic is null)
        {
            Console.WriteLine("pktgen: cannot open " + error);
            return 3;
        }
        string sizeText = size == sizeMax ? size.ToString() : size.ToString() + "-" + sizeMax.ToString();
        if (sizeMax > (ulong)(nic.Mtu + 14))
        {
            Console.WriteLine("pktgen: size=" + sizeText + " is larger than the vif's MTU + 14 (" + (nic.Mtu + 14).ToString() + ")");
            return 2;
        }
        flow.DstMac = dst;
        flow.SrcMac = Wire.ReadMac(nic.Mac, 0);
        // One buffer of the largest size; each frame is a slice of it (no allocation per frame).
        byte[] frame = new byte[(int)sizeMax];
        ulong sizes = sizeMax - size + 1;
        Console.WriteLine("pktgen: " + MacText.ToText(flow.SrcMac) + " -> " + MacText.ToText(dst) + " size=" + sizeText
            + (count != 0 ? " count=" + count.ToString() : "") + (seconds != 0 ? " seconds=" + seconds.ToString() : "")
            + " rate=" + (rate == 0 ? "max" : rate.ToString()));

        // Like a host that ARPs before it sends: probe the destination until it answers, so a
        // receiver still booting does not count as loss and the switch has learned where it is
        // (known unicast is held for a full receiver; floods are not).
        if (probe != 0 && (dst >> 40 & 1) == 0 && !Resolve(nic, dst, flow.SrcMac))
            Console.WriteLine("pktgen: no answer from " + MacText.ToText(dst) + " for 10 s; sending anyway");
        if (delayMs != 0)
        {
            // Dispatching, not Scheduler.Sleep: a pending kick from the backend would make Sleep spin.
            ulong until = Clock.NowNs() + delayMs * 1_000_000;
            while (Clock.NowNs() < until)
            {
                if (nic.Poll(s_onFrame, PollBudget) < PollBudget)
                    Events.WaitUntil(until);
            }
        }

        ulong start = Clock.NowNs();
        ulong end = seconds != 0 ? start + seconds * Second : ulong.MaxValue;
        ulong nextReport = start + Second;
        ulong seq = 0, bytes = 0, refusals = 0, downSince = 0;
        ulong lastAt = start, lastSent = 0, lastBytes = 0, lastRefusals = 0, finished = start;
        bool gaveUp = false;
        while (true)
        {
            ulong now = Clock.NowNs();
            if (now >= nextReport)
            {
                ulong ns = now - lastAt, n = seq - lastSent;
                Console.WriteLine("pktgen: t=" + ((now - start + Second / 2) / Second).ToString() + "s sent=" + seq.ToString()
                    + " pps=" + TrafficText.PerSecond(n, ns).ToString() + " gbps=" + TrafficText.Fixed(TrafficText.Gbps(bytes - lastBytes, ns), 3)
                    + " full=" + (refusals - lastRefusals).ToString());
                lastAt = now;
                lastSent = seq;
                lastBytes = bytes;
                lastRefusals = refusals;
                nextReport += Second;
                if (nextReport <= now)
                    nextReport = now + Second;
            }
            if (now >= end || (count != 0 && seq >= count))
                break;

            // Queue what is due, up to a batch: one Flush (at most one notification) per batch.
            int queued = 0;
            bool full = false, notDue = false;
            while (queued < Batch && (count == 0 || seq < count))
            {
                if (rate != 0 && Due(start, seq, rate) > now)
                {
                    notDue = true;
                    break;
                }
                int length = (int)(size + seq % sizes);
                System.Span<byte> f = new System.Span<byte>(frame, 0, length);
                TrafficFrame.Write(f, flow, seq, Clock.NowNs());
                if (!nic.TrySend(f))
                {
                    full = nic.IsUp;
                    if (full)
                        refusals++;
                    break;
                }
                seq++;
                bytes += (ulong)length;
                queued++;
            }
            nic.Flush();
            if (queued > 0)
                finished = Clock.NowNs();
            int polled = nic.Poll(s_onFrame, PollBudget);

            if (!nic.IsUp)
            {
                if (downSince == 0)
                    downSince = now;
                else if (now - downSince > DownLimitNs)
                {
                    Console.WriteLine("pktgen: the vif has been down for 5 s, giving up");
                    gaveUp = true;
                    break;
                }
                Events.WaitUntil(Min(nextReport, now + 10_000_000));
                continue;
            }
            downSince = 0;
            // A refusal right after a Poll that armed the TX event: the backend holds every slot
            // and will notify with its next response. A refusal after progress gets another try.
            if ((full && queued == 0 && polled < PollBudget) || (notDue && queued == 0))
                Events.WaitUntil(Min(Min(nextReport, end), notDue ? Due(start, seq, rate) : ulong.MaxValue));
        }
        ulong elapsed = finished - start;

        // After the last frame: until the backend has taken (answered) every frame, for at most
        // drain-ms, before the domain and its granted pages go away. Completions of a few frames
        // are not notified (netfront asks only when slots run short): look again every 2 ms.
        ulong drainEnd = Clock.NowNs() + drainMs * 1_000_000;
        while (true)
        {
            nic.Flush();
            bool more = nic.Poll(s_onFrame, PollBudget) >= PollBudget;
            ulong now = Clock.NowNs();
            if (nic.TxIdle || !nic.IsUp || now >= drainEnd)
                break;   // all answered, or nobody left to answer, or out of time
            if (!more)
                Events.WaitUntil(now + DrainSliceNs < drainEnd ? now + DrainSliceNs : drainEnd);
        }

        NetDeviceCounters c = nic.Counters;
        var b = new StringBuilder(400);
        b.Append("pktgen: done sent=").Append(seq).Append(" bytes=").Append(bytes).Append(" size=").Append(sizeText)
            .Append(" seconds=").Append(TrafficText.Fixed(elapsed / 1e9, 3))
            .Append(" pps=").Append(TrafficText.PerSecond(seq, elapsed))
            .Append(" gbps=").Append(TrafficText.Fixed(TrafficText.Gbps(bytes, elapsed), 3))
            .Append(" tx_full=").Append(refusals)
            .Append(" notifies=").Append(c.NotifiesSent)
            .Append(" notifies_received=").Append(c.NotifiesReceived)
            .Append(" tx_frames=").Append(c.TxFrames)
            .Append(" tx_bytes=").Append(c.TxBytes)
            .Append(" tx_drop_full=").Append(c.TxDroppedFull)
            .Append(" tx_drop_down=").Append(c.TxDroppedDown)
            .Append(" tx_drop_size=").Append(c.TxDroppedSize)
            .Append(" tx_errors=").Append(c.TxErrors)
            .Append(" rx_frames=").Append(c.RxFrames)
            .Append(" rx_errors=").Append(c.RxErrors)
            .Append(" probes=").Append(s_probes);
        Console.WriteLine(b.ToString());
        return gaveUp ? 1 : 0;
    }

    /// <summary>"N" (one size) or "A-B" (every size from A to B in turn), each within the test
    /// frame's limits; the MTU is checked once the vif is up.</summary>
    private static bool TryParseSizes(string value, out ulong min, out ulong max)
    {
        min = max = 0;
        int dash = value.IndexOf('-');
        if (dash < 0)
        {
            if (!TrafficText.TryParseUInt64(value, out min))
                return false;
            max = min;
        }
        else if (!TrafficText.TryParseUInt64(value.Substring(0, dash), out min) || !TrafficText.TryParseUInt64(value.Substring(dash + 1), out max))
        {
            return false;
        }
        return min >= TrafficFrame.MinSize && max <= TrafficFrame.MaxSize && min <= max;
    }

    /// <summary>When frame <paramref name="seq"/> is due at <paramref name="rate"/> frames a second.</summary>
    private static ulong Due(ulong start, ulong seq, ulong rate) => start + (ulong)((double)seq * 1e9 / rate);

    private static ulong Min(ulong a, ulong b) => a < b ? a : b;


    private static ulong s_peer;
    private static bool s_peerAnswered;
    /// <summary>Probes the ring took (they cross the switch too: accounting needs them).</summary>
    private static ulong s_probes;

    /// <summary>Sends L2Echo probes to <paramref name="dst"/> every 100 ms until one is answered (10 s at most).</summary>
    private static bool Resolve(IEthernetDevice nic, ulong dst, ulong ourMac)
    {
        s_peer = dst;
        System.Span<byte> probe = stackalloc byte[L2Echo.MinSize];
        ulong giveUp = Clock.NowNs() + 10 * Second;
        for (ulong seq = 0; !s_peerAnswered && Clock.NowNs() < giveUp; seq++)
        {
            L2Echo.Write(probe, dst, ourMac, L2EchoType.Request, 0x7067, seq, Clock.NowNs(), L2EchoFlags.Warmup);
            if (nic.TrySend(probe))
                s_probes++;
            nic.Flush();
            ulong next = Clock.NowNs() + Second / 10;
            while (!s_peerAnswered && Clock.NowNs() < next)
            {
                if (nic.Poll(s_onFrame, 32) == 0)
                    Events.WaitUntil(next);
            }
        }
        return s_peerAnswered;
    }

    /// <summary>Frames that reach a generator (floods, ARP) are only counted, by the driver; a
    /// reply from the destination ends the resolve phase.</summary>
    private static void OnFrame(System.ReadOnlySpan<byte> frame)
    {
        if (L2Echo.Parse(frame, out L2EchoInfo info) == L2EchoStatus.Ok && info.Type == L2EchoType.Reply && info.SrcMac == s_peer)
            s_peerAnswered = true;
    }
}
