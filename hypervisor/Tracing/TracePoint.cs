// The trace points domain 0's hot paths call, and the global switch in front of them. A call site
// reads `if (TracePoint.On) TracePoint.Exit(...)`: with tracing off that is one load of a static
// bool and a branch (this class has no static constructor, so nothing else is checked). With
// tracing on, a point reads the TSC and stores one 32-byte record into the calling thread's own
// buffer: one writer per buffer, so no lock and no interlocked instruction on the record path. A
// full buffer counts the record as lost instead (xentrace's TRC_LOST_RECORDS, but every analysis
// prints the count). Each point also belongs to one TraceClasses class: a session may record only
// some classes, and a point of a class left out returns after one more static flag check.
using System.Runtime.CompilerServices;
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Tracing;

public static class TracePoint
{
    // Plain fields without initializers: no static constructor, so the off check stays one load.
    private static bool s_on;
    // One flag per class, set by Begin before s_on; a point checks its own after On.
    private static bool s_lifecycle, s_exits, s_sched, s_hypercalls, s_events, s_grants, s_rings, s_drops, s_device;
    private static TraceSession? s_session;
    [ThreadStatic] private static TraceBuffer? t_buffer;

    /// <summary>True while a <see cref="TraceSession"/> records. Check it before calling a point.</summary>
    public static bool On
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_on;
    }

    /// <summary>True while recording exits and kicks (a call site that computes something only
    /// for one class, such as a start TSC, checks its class instead of <see cref="On"/>).</summary>
    public static bool ExitsOn => s_exits;
    public static bool HypercallsOn => s_hypercalls;
    public static bool SchedOn => s_sched;
    public static bool EventsOn => s_events;
    public static bool GrantsOn => s_grants;
    public static bool RingsOn => s_rings;
    public static bool DropsOn => s_drops;
    public static bool LifecycleOn => s_lifecycle;
    public static bool DeviceOn => s_device;

    internal static TraceSession? Session => Volatile.Read(ref s_session);

    internal static void Begin(TraceSession session)
    {
        Volatile.Write(ref s_session, session);
        SetClasses(session.Classes);
        Volatile.Write(ref s_on, true);
    }

    internal static void End(TraceSession session)
    {
        if (Volatile.Read(ref s_session) != session)
            return;
        Volatile.Write(ref s_on, false);
        SetClasses(TraceClasses.None);
        Volatile.Write(ref s_session, null);
    }

    private static void SetClasses(TraceClasses c)
    {
        s_lifecycle = (c & TraceClasses.Lifecycle) != 0;
        s_exits = (c & TraceClasses.Exits) != 0;
        s_sched = (c & TraceClasses.Sched) != 0;
        s_hypercalls = (c & TraceClasses.Hypercalls) != 0;
        s_events = (c & TraceClasses.Events) != 0;
        s_grants = (c & TraceClasses.Grants) != 0;
        s_rings = (c & TraceClasses.Rings) != 0;
        s_drops = (c & TraceClasses.Drops) != 0;
        s_device = (c & TraceClasses.Device) != 0;
        Thread.MemoryBarrier();
    }

    // ---- counted points: one call counts what `--stats` and the final table print and, while
    // tracing, records it, so the counters and the trace cannot disagree (one source of truth).
    // The counter is the caller's (a domain's DomainStats, its event channels, its grant table);
    // with tracing off a call is the increment plus one load of s_on. ----

    /// <summary>Counts an exit into <paramref name="exitsOfReason"/> and records it while tracing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Exit(ref long exitsOfReason, uint domain, uint reason, ulong enteredTsc)
    {
        exitsOfReason++;
        if (s_on)
            Exit(domain, reason, enteredTsc);
    }

    /// <summary>Counts a kick into <paramref name="kicks"/> and records it while tracing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Kick(ref long kicks, uint domain, ulong enteredTsc)
    {
        kicks++;
        if (s_on)
            Kick(domain, enteredTsc);
    }

    /// <summary>Counts a returned hypercall into <paramref name="calls"/> and records it when
    /// <paramref name="startTsc"/> was taken (tracing hypercalls when it started).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Hypercall(ref long calls, uint domain, int number, ulong firstArgument, long result, ulong startTsc)
    {
        calls++;
        if (startTsc != 0 && s_on)
            Hypercall(domain, number, firstArgument, result, startTsc);
    }

    /// <summary>Counts a SCHEDOP_block into <paramref name="blocks"/>; returns the TSC for
    /// <see cref="Wake"/> while tracing sched events, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Block(ref long blocks, uint domain, BlockKind kind)
    {
        blocks++;
        return s_on ? Block(domain, kind) : 0;
    }

    /// <summary>Counts an event-channel send into <paramref name="sends"/> and records it while tracing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EventSend(ref long sends, uint domain, uint port)
    {
        sends++;
        if (s_on)
            EventSend(domain, port);
    }

    /// <summary>Counts a new edge into <paramref name="deliveries"/> (merged events are not
    /// deliveries) and records the event while tracing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EventDeliver(ref long deliveries, uint domain, uint port, bool newEdge)
    {
        if (newEdge)
            deliveries++;
        if (s_on)
            EventDeliver(domain, port, newEdge);
    }

    /// <summary>Adds a batch of domain 0's grant copies (<paramref name="tally"/>, counted by the
    /// thread that made them) to the counters (from any thread: interlocked, once per batch),
    /// records one GrantCopyBatch while tracing grants, and empties the tally.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GrantCopies(ref long copies, ref long copyBytes, uint domain, bool toGuest, ref Grants.GrantCopyTally tally)
    {
        Interlocked.Add(ref copies, tally.Copies);
        Interlocked.Add(ref copyBytes, tally.Bytes);
        if (s_on)
            GrantCopyBatch(domain, toGuest, tally.Copies, tally.Bytes, tally.EstimatedCycles);
        tally = default;
    }

    // ---- the points (each reads the TSC itself; NoInlining keeps the call sites small) ----

    /// <summary>KVM_RUN returned with exit <paramref name="reason"/>; <paramref name="enteredTsc"/>
    /// is the TSC read just before KVM_RUN (0 if tracing was off then).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Exit(uint domain, uint reason, ulong enteredTsc)
    {
        if (!s_exits)
            return;
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.VcpuExit, domain, 0, reason, enteredTsc == 0 ? 0 : now - enteredTsc);
    }

    /// <summary>KVM_RUN was interrupted by a kick (EINTR).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Kick(uint domain, ulong enteredTsc)
    {
        if (!s_exits)
            return;
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.VcpuKick, domain, 0, 0, enteredTsc == 0 ? 0 : now - enteredTsc);
    }

    /// <summary>Hypercall <paramref name="number"/> returned <paramref name="result"/> after
    /// starting at <paramref name="startTsc"/>; <paramref name="firstArgument"/> holds the sub-op
    /// of multiplexed hypercalls.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Hypercall(uint domain, int number, ulong firstArgument, long result, ulong startTsc)
    {
        if (!s_hypercalls)
            return;
        ulong now = NativeCode.Rdtsc();
        ushort errno = result < 0 ? (ushort)Math.Min(-result, ushort.MaxValue) : (ushort)0;
        Store(now, TraceEvent.Hypercall, domain, errno, (uint)number | (firstArgument << 32), now - startTsc);
    }

    /// <summary>The vCPU goes to sleep; returns the TSC to hand to <see cref="Wake"/> (0 when
    /// sched events are not recorded: Wake then records nothing).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Block(uint domain, BlockKind kind)
    {
        if (!s_sched)
            return 0;
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.VcpuBlock, domain, (ushort)kind, 0, 0);
        return now;
    }

    /// <summary>The vCPU runs again after sleeping since <paramref name="blockedTsc"/> (from <see cref="Block"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Wake(uint domain, WakeReason why, ulong blockedTsc)
    {
        if (!s_sched)
            return;
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.VcpuWake, domain, (ushort)why, blockedTsc == 0 ? 0 : now - blockedTsc, 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void DomainStart(uint domain)
    {
        if (s_lifecycle)
            Store(NativeCode.Rdtsc(), TraceEvent.DomainStart, domain, 0, 0, 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void DomainStop(uint domain)
    {
        if (s_lifecycle)
            Store(NativeCode.Rdtsc(), TraceEvent.DomainStop, domain, 0, 0, 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void EventSend(uint domain, uint port)
    {
        if (s_events)
            Store(NativeCode.Rdtsc(), TraceEvent.EventSend, domain, 0, port, 0);
    }

    /// <summary>A port of <paramref name="domain"/> was set pending; <paramref name="newEdge"/> when
    /// it was not pending before (a delivery that wakes the vCPU).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void EventDeliver(uint domain, uint port, bool newEdge)
    {
        if (s_events)
            Store(NativeCode.Rdtsc(), TraceEvent.EventDeliver, domain, newEdge ? (ushort)1 : (ushort)0, port, 0);
    }

    /// <summary>Domain 0 made <paramref name="copies"/> copies of <paramref name="bytes"/> in all
    /// through grants of <paramref name="domain"/> in one batch, into the guest when
    /// <paramref name="toGuest"/>; <paramref name="cycles"/> is the TSC cycles they took (0: not
    /// timed; from a backend, scaled from the copies timed, see GrantCopyTally). One record holds at most 2^32-1 copies and bytes: a larger batch (never seen: a
    /// batch is one pass over a ring) is split over several records, the cycles in the first.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void GrantCopyBatch(uint domain, bool toGuest, long copies, long bytes, ulong cycles)
    {
        if (!s_grants)
            return;
        ulong now = NativeCode.Rdtsc();
        ushort flags = toGuest ? (ushort)1 : (ushort)0;
        do
        {
            ulong c = (ulong)Math.Min(copies, uint.MaxValue), n = (ulong)Math.Min(bytes, uint.MaxValue);
            Store(now, TraceEvent.GrantCopyBatch, domain, flags, c | (n << 32), cycles);
            copies -= (long)c;
            bytes -= (long)n;
            cycles = 0;
        }
        while (copies > 0 || bytes > 0);
    }

    /// <summary>A domain-0 backend pass that started at <paramref name="startTsc"/> moved <paramref name="frames"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void BackendPass(uint domain, ulong startTsc, long frames)
    {
        if (!s_rings)
            return;
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.BackendPass, domain, 0, (ulong)frames, startTsc == 0 || startTsc > now ? 0 : now - startTsc);
    }

    /// <summary>A netback pass over a ring of vif <paramref name="vif"/> of <paramref name="domain"/>:
    /// <paramref name="requests"/> consumed, <paramref name="frames"/> moved.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void RingBatch(uint domain, int vif, bool rx, uint requests, long frames, bool notified)
    {
        if (s_rings)
            Store(NativeCode.Rdtsc(), rx ? TraceEvent.NetRxBatch : TraceEvent.NetTxBatch, domain, (ushort)((notified ? 1 : 0) | VifBits(vif)), requests, (ulong)frames);
    }

    /// <summary>Netback dropped <paramref name="frames"/> of vif <paramref name="vif"/> of <paramref name="domain"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void FrameDrop(uint domain, FrameDropReason why, long frames = 1, int vif = 0)
    {
        if (s_drops)
            Store(NativeCode.Rdtsc(), TraceEvent.NetDrop, domain, (ushort)((ushort)why | VifBits(vif)), (ulong)frames, 0);
    }

    /// <summary>A vif's device number in the high byte of a network record's flags (255 and up share 255).</summary>
    private static int VifBits(int vif) => Math.Clamp(vif, 0, byte.MaxValue) << 8;

    /// <summary>The guest of <paramref name="domain"/> read (or, when <paramref name="write"/>, wrote)
    /// <paramref name="value"/> at <paramref name="offset"/> of device <paramref name="device"/>
    /// (an id from <see cref="TraceDevices.Register"/>), <paramref name="width"/> bytes wide.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void DeviceAccess(uint domain, ushort device, ulong offset, bool write, ulong value, int width)
    {
        if (!s_device)
            return;
        ushort flags = (ushort)((write ? 1 : 0) | ((width & 0xF) << 1));
        Store(NativeCode.Rdtsc(), TraceEvent.DeviceAccess, domain, flags, (offset & TraceDevices.OffsetMask) | ((ulong)device << 48), value);
    }

    // ---- the record path ----

    /// <summary>Stores one record in the calling thread's buffer (or counts it lost when full).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(ulong tsc, TraceEvent ev, uint domain, ushort flags, ulong a0, ulong a1)
    {
        var b = t_buffer;
        if (b is null || b.Session != s_session)
        {
            b = Attach();
            if (b is null)
                return;
        }
        int n = b.Count;
        TraceRecord[] records = b.Records;
        if ((uint)n < (uint)records.Length)
        {
            records[n] = new TraceRecord(tsc, ev, (ushort)domain, b.Index, flags, a0, a1);
            // Release order: a collector that reads Count sees the record it covers.
            Volatile.Write(ref b.Count, n + 1);
        }
        else
        {
            b.Lost++;
        }
    }

    /// <summary>The thread's first record in this session: a buffer of its own.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TraceBuffer? Attach()
    {
        var session = Volatile.Read(ref s_session);
        var b = session?.NewBuffer(Thread.CurrentThread);
        if (b is not null)
            t_buffer = b;
        return b;
    }

    /// <summary>Empties the calling thread's buffer (benchmarks that record millions of points
    /// into a buffer of fixed size).</summary>
    internal static void RewindCurrentThread()
    {
        if (t_buffer is { } b)
        {
            b.Count = 0;
            b.Lost = 0;
        }
    }
}
