// sink: receives test frames (Net/Traffic/TrafficFrame.cs) on a vif, checks every byte, tracks
// the sender's sequence numbers (loss, reordering, duplicates) and the one-way delay, and reports
// one line a second plus a final `sink: done key=value ...` line that bench scripts parse.
//   sink [count=N] [seconds=S] [quiet-exit-ms=M] [hold-ms=H] [reconnect-after=N] [vif=N]
// It first broadcasts one L2Echo announce so the switch learns its MAC, answers L2Echo probes
// (pktgen's "is the destination up?"), and with hold-ms stays away from its rings for H ms
// after that, as a receiver starved of CPU would. With reconnect-after=N it closes the vif once
// after N test frames (Netfront.Close, as a guest unloading its driver), opens it again with a
// new Netfront on the same device, announces itself again and goes on: frames sent meanwhile are
// lost, and domain 0 must count each one (the reconnect KVM test checks it does).
// It ends after N test frames, after S seconds, or M ms (default 2000, 0 = never) without a
// test frame once they started coming. Exit status 0 when nothing corrupt arrived, 1 otherwise:
// loss is reported, not a failure (a generator that outruns the ring loses frames by design).
// The one-way delay compares the sender's Clock.NowNs with ours: both read domain 0's system
// time, so it is meaningful when both guests run under the same `parakit create`.
using ParaKit.Drivers;
using ParaKit.Drivers.Xen;
using ParaKit.Drivers.Platform;
using ParaKit.Kernel;
using ParaKit.Net.Traffic;
using ParaKit.Protocols.Store;

public static class Sink
{
    private const string Usage = "usage: sink [count=N] [seconds=S] [quiet-exit-ms=M (0 = never)] [hold-ms=H] [reconnect-after=N] [vif=N]";
    private const ulong Second = 1_000_000_000;
    private const ulong OpenTimeoutNs = 10 * Second;
    /// <summary>How long a close may take (the backend must answer Closing) before we give up.</summary>
    private const ulong CloseTimeoutNs = 5 * Second;
    private const int PollBudget = 256;

    private static readonly FrameHandler s_onFrame = OnFrame;   // made once: Poll must not allocate
    private static readonly SequenceTracker s_seq = new SequenceTracker(4096);
    private static readonly LatencyStats s_owd = new LatencyStats(1 << 15, decimate: true);
    // The answer to a generator's L2Echo probe, sent from the main loop.
    private static readonly byte[] s_reply = new byte[L2Echo.MinSize * 2];
    private static int s_replyLength;
    private static ulong s_ourMac;

    // Test frames of any verdict (what count=N and the quiet timer look at).
    private static ulong s_traffic, s_lastTrafficAt;
    // Good frames from the tracked source (the first sender seen).
    private static bool s_haveSource;
    private static ulong s_source, s_received, s_bytes, s_firstAt, s_lastAt;
    // Good frames from other senders; L2Echo requests (generators' probes, answered if no answer
    // is pending); frames that are neither (ARP, announces, ...).
    private static ulong s_foreign, s_probes, s_other;
    // Sizes of the good frames from the tracked source (pktgen size=A-B covers a range).
    private static ulong s_sizeMin = ulong.MaxValue, s_sizeMax;
    // The reconnect: how many, and what had arrived when the (last) one completed.
    private static ulong s_reconnects, s_receivedAtReconnect;
    // Counters of the Netfronts closed by a reconnect (each connection's driver counts its own).
    private static readonly NetDeviceCounters s_closed = new();
    private static ulong s_truncated, s_badIp, s_badLength, s_badChecksum, s_badPattern;

    private static ulong Bad => s_truncated + s_badIp + s_badLength + s_badChecksum + s_badPattern;

    public static int Main(string[] args)
    {
        ulong count = 0, seconds = 0, quietMs = 2000, vif = 0, holdMs = 0, reconnectAfter = 0;
        foreach (string a in args)
        {
            bool ok = TrafficText.TrySplit(a, out string key, out string value);
            if (ok)
            {
                switch (key)
                {
                    case "count": ok = TrafficText.TryParseUInt64(value, out count); break;
                    case "seconds": ok = TrafficText.TryParseUInt64(value, out seconds) && seconds < 1_000_000; break;
                    case "quiet-exit-ms": ok = TrafficText.TryParseUInt64(value, out quietMs) && quietMs < 1_000_000_000; break;
                    case "vif": ok = TrafficText.TryParseUInt64(value, out vif) && vif < 1000; break;
                    case "hold-ms": ok = TrafficText.TryParseUInt64(value, out holdMs) && holdMs < 1_000_000; break;
                    case "reconnect-after": ok = TrafficText.TryParseUInt64(value, out reconnectAfter); break;
                    default: ok = false; break;
                }
            }
            if (!ok)
            {
                Console.WriteLine("sink: bad argument '" + a + "'");
                Console.WriteLine(Usage);
                return 2;
            }
        }

        IEthernetDevice? nic = Nics.Open((uint)vif, Clock.NowNs() + OpenTimeoutNs, out string error);
        if (nic is null)
        {
            Console.WriteLine("sink: cannot open " + error);
            return 3;
        }
        if (reconnectAfter != 0 && nic is not Netfront)
        {
            Console.WriteLine("sink: reconnect-after closes and reopens a netfront; vif " + vif.ToString() + " is an emulated e1000");
            return 2;
        }
        Console.WriteLine("sink: listening on " + MacText.ToText(Wire.ReadMac(nic.Mac, 0))
            + (count != 0 ? " count=" + count.ToString() : "") + (seconds != 0 ? " seconds=" + seconds.ToString() : "")
            + " quiet-exit-ms=" + quietMs.ToString() + (reconnectAfter != 0 ? " reconnect-after=" + reconnectAfter.ToString() : ""));

        s_ourMac = Wire.ReadMac(nic.Mac, 0);
        Announce(nic);

        ulong start = Clock.NowNs();
        ulong end = seconds != 0 ? start + seconds * Second : ulong.MaxValue;
        ulong quietNs = quietMs * 1_000_000;
        ulong nextReport = start + Second;
        ulong lastAt = start, lastReceived = 0, lastBytes = 0;
        while (true)
        {
            int polled = nic.Poll(s_onFrame, PollBudget);
            if (s_replyLength != 0)
            {
                nic.TrySend(new System.ReadOnlySpan<byte>(s_reply, 0, s_replyLength));
                nic.Flush();
                s_replyLength = 0;
                // hold-ms: once a generator knows we are here, stop reading for a while (loss
                // accounting under RX starvation: netback queues, then holds, then drops and counts).
                // Not Scheduler.Sleep: the backend's kick stays pending while nobody dispatches
                // it, and SCHEDOP_block returns at once on a pending port, so Sleep would spin
                // (two hypercalls a turn). Dispatching only counts the kick; the rings stay unread.
                if (holdMs != 0)
                {
                    ulong holdEnd = Clock.NowNs() + holdMs * 1_000_000;
                    while (Clock.NowNs() < holdEnd)
                        Events.WaitUntil(holdEnd);
                    holdMs = 0;
                }
                continue;   // poll before sleeping: the kick for what came meanwhile was consumed
            }
            if (reconnectAfter != 0 && s_reconnects == 0 && s_traffic >= reconnectAfter)
            {
                nic = Reconnect((Netfront)nic, (uint)vif, out error);
                if (nic is null)
                {
                    Console.WriteLine("sink: cannot reconnect: " + error);
                    return 3;
                }
                continue;
            }
            ulong now = Clock.NowNs();
            if (now >= nextReport)
            {
                if (s_traffic != 0)
                {
                    ulong ns = now - lastAt;
                    Console.WriteLine("sink: t=" + ((now - start + Second / 2) / Second).ToString() + "s received=" + s_received.ToString()
                        + " pps=" + TrafficText.PerSecond(s_received - lastReceived, ns).ToString()
                        + " gbps=" + TrafficText.Fixed(TrafficText.Gbps(s_bytes - lastBytes, ns), 3)
                        + " lost=" + s_seq.Lost.ToString() + " reordered=" + s_seq.Reordered.ToString() + " bad=" + Bad.ToString());
                }
                lastAt = now;
                lastReceived = s_received;
                lastBytes = s_bytes;
                nextReport += Second;
                if (nextReport <= now)
                    nextReport = now + Second;
            }
            if (count != 0 && s_traffic >= count)
                break;
            if (now >= end)
                break;
            ulong quietEnd = s_traffic != 0 && quietNs != 0 ? s_lastTrafficAt + quietNs : ulong.MaxValue;
            if (now >= quietEnd)
                break;
            // Poll ran out of frames and armed the RX event: sleep until the backend's next one.
            if (polled < PollBudget)
                Events.WaitUntil(Min(Min(nextReport, end), quietEnd));
        }

        ulong span = s_lastAt - s_firstAt;
        LatencySummary owd = s_owd.Summarize();
        // Every connection's driver counters: the closed ones' and this one's.
        NetDeviceCounters c = s_closed;
        Add(c, nic.Counters);
        var b = new StringBuilder(700);
        b.Append("sink: done received=").Append(s_received).Append(" bytes=").Append(s_bytes)
            .Append(" seconds=").Append(TrafficText.Fixed(span / 1e9, 3))
            .Append(" pps=").Append(TrafficText.PerSecond(s_received, span))
            .Append(" gbps=").Append(TrafficText.Fixed(TrafficText.Gbps(s_bytes, span), 3))
            .Append(" lost=").Append(s_seq.Lost)
            .Append(" reordered=").Append(s_seq.Reordered)
            .Append(" duplicates=").Append(s_seq.Duplicates)
            .Append(" too_old=").Append(s_seq.TooOld)
            .Append(" first_seq=").Append(s_seq.First)
            .Append(" last_seq=").Append(s_seq.Highest)
            .Append(" bad=").Append(Bad)
            .Append(" truncated=").Append(s_truncated)
            .Append(" bad_ip_checksum=").Append(s_badIp)
            .Append(" bad_length=").Append(s_badLength)
            .Append(" bad_payload_checksum=").Append(s_badChecksum)
            .Append(" bad_pattern=").Append(s_badPattern)
            .Append(" foreign=").Append(s_foreign)
            .Append(" probes=").Append(s_probes)
            .Append(" other=").Append(s_other)
            .Append(" size_min=").Append(s_received == 0 ? 0 : s_sizeMin)
            .Append(" size_max=").Append(s_sizeMax)
            .Append(owd.PercentilesText("owd_"))
            .Append(" notifies=").Append(c.NotifiesSent)
            .Append(" notifies_received=").Append(c.NotifiesReceived)
            .Append(" rx_frames=").Append(c.RxFrames)
            .Append(" rx_bytes=").Append(c.RxBytes)
            .Append(" rx_errors=").Append(c.RxErrors)
            .Append(" reconnects=").Append(s_reconnects)
            .Append(" received_after_reconnect=").Append(s_reconnects == 0 ? 0 : s_received - s_receivedAtReconnect)
            .Append(" source=").Append(s_haveSource ? MacText.ToText(s_source) : "none");
        Console.WriteLine(b.ToString());
        return Bad == 0 ? 0 : 1;
    }

    /// <summary>Runs inside Poll for each frame: verify, count, track. Allocates nothing.</summary>
    private static void OnFrame(System.ReadOnlySpan<byte> frame)
    {
        TrafficStatus status = TrafficFrame.Verify(frame, out TrafficInfo info);
        if (status == TrafficStatus.NotOurs)
        {
            if (L2Echo.Parse(frame, out L2EchoInfo echo) == L2EchoStatus.Ok && echo.Type == L2EchoType.Request)
            {
                // A generator's probe: answered after Poll (the handler must not send), unless an
                // answer is already waiting (the prober asks again in 100 ms).
                s_probes++;
                if (s_replyLength == 0 && L2Echo.WriteReply(frame, s_reply, s_ourMac) is int n && n > 0)
                    s_replyLength = n;
                return;
            }
            s_other++;
            return;
        }
        ulong now = Clock.NowNs();
        s_traffic++;
        s_lastTrafficAt = now;
        switch (status)
        {
            case TrafficStatus.Ok:
                if (!s_haveSource)
                {
                    s_haveSource = true;
                    s_source = info.SrcMac;
                    s_firstAt = now;
                }
                if (info.SrcMac != s_source)
                {
                    s_foreign++;
                    break;
                }
                s_seq.Track(info.Seq);
                s_received++;
                s_bytes += (ulong)info.Size;
                if ((ulong)info.Size < s_sizeMin)
                    s_sizeMin = (ulong)info.Size;
                if ((ulong)info.Size > s_sizeMax)
                    s_sizeMax = (ulong)info.Size;
                s_lastAt = now;
                s_owd.Add(now > info.TimestampNs ? now - info.TimestampNs : 0);
                break;
            case TrafficStatus.Truncated: s_truncated++; break;
            case TrafficStatus.BadIpChecksum: s_badIp++; break;
            case TrafficStatus.BadLength: s_badLength++; break;
            case TrafficStatus.BadPayloadChecksum: s_badChecksum++; break;
            default: s_badPattern++; break;
        }
    }

    private static ulong Min(ulong a, ulong b) => a < b ? a : b;

    /// <summary>Tells the switch where we are (it floods frames for a station it has not heard from).</summary>
    private static void Announce(IEthernetDevice nic)
    {
        System.Span<byte> hello = stackalloc byte[L2Echo.MinSize];
        L2Echo.Write(hello, MacText.Broadcast, s_ourMac, L2EchoType.Announce, 0, 0, Clock.NowNs());
        nic.TrySend(hello);
        nic.Flush();
    }

    /// <summary>reconnect-after: reads what has arrived, closes the vif (frontend Closing, then Closed
    /// once the backend let go), and opens it again with a new Netfront, as a guest that unloads and
    /// reloads its driver. Frames netback places on the old ring after our last look, and those the
    /// switch sends while no netback is bound, are lost here; domain 0 counts them.</summary>
    private static Netfront? Reconnect(Netfront nic, uint vif, out string error)
    {
        while (nic.Poll(s_onFrame, PollBudget) == PollBudget)
        {
        }
        ulong after = s_traffic;
        ulong downAt = Clock.NowNs();
        nic.Close();
        ulong deadline = downAt + CloseTimeoutNs;
        // The close runs from the backend's watch: dispatch events (the store port) until we are
        // Closed; the one-shot timer bounds the wait if nothing comes.
        while (nic.FrontendState != XenbusState.Closed && Clock.NowNs() < deadline)
            Events.WaitUntil(deadline);
        if (nic.FrontendState != XenbusState.Closed)
        {
            error = "vif " + vif.ToString() + " not Closed " + (CloseTimeoutNs / Second).ToString() + " s after Close (frontend "
                + Netfront.StateName(nic.FrontendState) + ", backend " + Netfront.StateName(nic.BackendState) + ")";
            return null;
        }
        Add(s_closed, nic.Counters);
        Netfront? again = Netfronts.Open(vif, Clock.NowNs() + OpenTimeoutNs, out error);
        // Open armed and then cancelled the one-shot timer itself: ours is not armed any more.
        if (again is null)
            return null;
        ulong down = Clock.NowNs() - downAt;
        s_reconnects++;
        s_receivedAtReconnect = s_received;
        Announce(again);
        Console.WriteLine("sink: reconnected after=" + after.ToString() + " seconds_down=" + TrafficText.Fixed(down / 1e9, 3));
        return again;
    }

    private static void Add(NetDeviceCounters into, NetDeviceCounters c)
    {
        into.TxFrames += c.TxFrames;
        into.TxBytes += c.TxBytes;
        into.RxFrames += c.RxFrames;
        into.RxBytes += c.RxBytes;
        into.TxDroppedDown += c.TxDroppedDown;
        into.TxDroppedFull += c.TxDroppedFull;
        into.TxDroppedSize += c.TxDroppedSize;
        into.TxErrors += c.TxErrors;
        into.RxErrors += c.RxErrors;
        into.NotifiesSent += c.NotifiesSent;
        into.NotifiesReceived += c.NotifiesReceived;
    }

}
