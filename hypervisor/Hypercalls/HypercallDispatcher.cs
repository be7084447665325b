// The hypercall table: Xen's numbers mapped to handlers. Core hypercalls are registered here;
// later modules (event channels, grant tables, XenStore) add theirs with Register before
// domains start. Every handler validates what the guest passes and returns a negative errno
// instead of throwing.
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Native;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Hypercalls;

/// <summary>Arguments of one hypercall (Xen x86-64: rdi, rsi, rdx, r10, r8).</summary>
public readonly record struct HypercallArgs(ulong A1, ulong A2, ulong A3, ulong A4, ulong A5);

public delegate long HypercallHandler(Domain domain, in HypercallArgs args);

public sealed class HypercallDispatcher
{
    private readonly HypercallHandler?[] _handlers = new HypercallHandler?[Hypercall.Count];

    /// <summary>A table with the core hypercalls: console_io, xen_version, set_timer_op, sched_op, event_channel_op, grant_table_op, set_trap_table, fault_info, crash_report, debug_stop, and lab_op (the hypercall of lab "hypercall").</summary>
    public static HypercallDispatcher CreateCore()
    {
        var d = new HypercallDispatcher();
        d.Register(Hypercall.ConsoleIo, CoreHypercalls.ConsoleIo);
        d.Register(Hypercall.XenVersion, CoreHypercalls.XenVersion);
        d.Register(Hypercall.SetTimerOp, CoreHypercalls.SetTimerOp);
        d.Register(Hypercall.SchedOp, CoreHypercalls.SchedOp);
        Events.EventChannelHypercalls.Register(d);
        Grants.GrantTableHypercalls.Register(d);
        TrapHypercalls.Register(d);
        Debugging.DebugHypercalls.Register(d);
        LabHypercalls.Register(d);
        return d;
    }

    public void Register(int number, HypercallHandler handler)
    {
        if ((uint)number >= Hypercall.Count)
            throw new ArgumentOutOfRangeException(nameof(number));
        _handlers[number] = handler;
    }

    public bool IsRegistered(int number) => (uint)number < Hypercall.Count && _handlers[number] is not null;

    /// <summary>Runs hypercall <paramref name="number"/>; unknown numbers give -ENOSYS.</summary>
    public long Dispatch(Domain domain, int number, in HypercallArgs args)
    {
        // The counters --stats prints are counted by the trace point itself (one source of truth).
        ulong t0 = TracePoint.On && TracePoint.HypercallsOn ? NativeCode.Rdtsc() : 0;
        if ((uint)number >= Hypercall.Count || _handlers[number] is not { } h)
        {
            TracePoint.Hypercall(ref domain.Stats.UnknownHypercalls, domain.Id, number, args.A1, Errno.ENOSYS, t0);
            return Errno.ENOSYS;
        }
        long rc = h(domain, args);
        TracePoint.Hypercall(ref domain.Stats.HypercallsByNumber[number], domain.Id, number, args.A1, rc, t0);
        return rc;
    }
}
