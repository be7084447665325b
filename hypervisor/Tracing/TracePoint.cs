// The trace points domain 0's hot paths call, and the global switch in front of them. A call site
// reads `if (TracePoint.On) TracePoint.Exit(...)`: with tracing off that is one load of a static
// bool and a branch (this class has no static constructor, so nothing else is checked). With
// tracing on, a point reads the TSC and stores one 32-byte record into the calling thread's own
// buffer: one writer per buffer, so no lock and no interlocked instruction on the record path. A
// full buffer counts the record as lost instead (xentrace's TRC_LOST_RECORDS, but every analysis
// prints the count).
using System.Runtime.CompilerServices;
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Tracing;

public static class TracePoint
{
    // Plain fields without initializers: no static constructor, so the off check stays one load.
    private static bool s_on;
    private static TraceSession? s_session;
    [ThreadStatic] private static TraceBuffer? t_buffer;

    /// <summary>True while a <see cref="TraceSession"/> records. Check it before calling a point.</summary>
    public static bool On
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_on;
    }

    internal static TraceSession? Session => Volatile.Read(ref s_session);

    internal static void Begin(TraceSession session)
    {
        Volatile.Write(ref s_session, session);
        Volatile.Write(ref s_on, true);
    }

    internal static void End(TraceSession session)
    {
        if (Volatile.Read(ref s_session) != session)
            return;
        Volatile.Write(ref s_on, false);
        Volatile.Write(ref s_session, null);
    }

    // ---- the points (each reads the TSC itself; NoInlining keeps the call sites small) ----

    /// <summary>KVM_RUN returned with exit <paramref name="reason"/>; <paramref name="enteredTsc"/>
    /// is the TSC read just before KVM_RUN (0 if tracing was off then).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Exit(uint domain, uint reason, ulong enteredTsc)
    {
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.VcpuExit, domain, 0, reason, enteredTsc == 0 ? 0 : now - enteredTsc);
    }

    /// <summary>KVM_RUN was interrupted by a kick (EINTR).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Kick(uint domain, ulong enteredTsc)
    {
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.VcpuKick, domain, 0, 0, enteredTsc == 0 ? 0 : now - enteredTsc);
    }

    /// <summary>Hypercall <paramref name="number"/> returned <paramref name="result"/> after
    /// starting at <paramref name="startTsc"/>; <paramref name="firstArgument"/> holds the sub-op
    /// of multiplexed hypercalls.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Hypercall(uint domain, int number, ulong firstArgument, long result, ulong startTsc)
    {
        ulong now = NativeCode.Rdtsc();
        ushort errno = result < 0 ? (ushort)Math.Min(-result, ushort.MaxValue) : (ushort)0;
        Store(now, TraceEvent.Hypercall, domain, errno, (uint)number | (firstArgument << 32), now - startTsc);
    }

    /// <summary>The vCPU goes to sleep; returns the TSC to hand to <see cref="Wake"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Block(uint domain, BlockKind kind)
    {
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.VcpuBlock, domain, (ushort)kind, 0, 0);
        return now;
    }

    /// <summary>The vCPU runs again after sleeping since <paramref name="blockedTsc"/> (from <see cref="Block"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Wake(uint domain, WakeReason why, ulong blockedTsc)
    {
        ulong now = NativeCode.Rdtsc();
        Store(now, TraceEvent.VcpuWake, domain, (ushort)why, blockedTsc == 0 ? 0 : now - blockedTsc, 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void DomainStart(uint domain) => Store(NativeCode.Rdtsc(), TraceEvent.DomainStart, domain, 0, 0, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void DomainStop(uint domain) => Store(NativeCode.Rdtsc(), TraceEvent.DomainStop, domain, 0, 0, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void EventSend(uint domain, uint port) => Store(NativeCode.Rdtsc(), TraceEvent.EventSend, domain, 0, port, 0);

    /// <summary>A port of <paramref name="domain"/> was set pending; <paramref name="newEdge"/> when
    /// it was not pending before (a delivery that wakes the vCPU).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void EventDeliver(uint domain, uint port, bool newEdge) =>
        Store(NativeCode.Rdtsc(), TraceEvent.EventDeliver, domain, newEdge ? (ushort)1 : (ushort)0, port, 0);

    /// <summary>Domain 0 copied <paramref name="bytes"/> through grant <paramref name="gref"/> of
    /// <paramref name="domain"/>, into the guest when <paramref name="toGuest"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void GrantCopy(uint domain, bool toGuest, int bytes, uint gref) =>
        Store(NativeCode.Rdtsc(), TraceEvent.GrantCopy, domain, toGuest ? (ushort)1 : (ushort)0, (ulong)bytes, gref);

    /// <summary>A netback pass over a ring: <paramref name="requests"/> consumed, <paramref name="frames"/> moved.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void RingBatch(uint domain, bool rx, uint requests, long frames, bool notified) =>
        Store(NativeCode.Rdtsc(), rx ? TraceEvent.NetRxBatch : TraceEvent.NetTxBatch, domain, notified ? (ushort)1 : (ushort)0, requests, (ulong)frames);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void FrameDrop(uint domain, FrameDropReason why, long frames = 1) =>
        Store(NativeCode.Rdtsc(), TraceEvent.NetDrop, domain, (ushort)why, (ulong)frames, 0);

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
