// The guest's event channels: typed wrappers for event_channel_op, a table of handlers by
// port, the demultiplexer that scans shared_info (PendingPortScan: clear upcall_pending, take
// pending_sel, hand out each pending unmasked port once) and the event-loop step that blocks in
// SCHEDOP_block when nothing is pending. One vCPU, no upcalls: handlers run from Dispatch, on
// the caller's stack, never concurrently.
using System;
using System.Threading;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Kernel;

public static unsafe class Events
{
    private static Action<uint>?[]? s_handlers;

    /// <summary>Events delivered to a registered handler / found pending with no handler.</summary>
    public static ulong Handled, Unhandled;

    private static long Op(int cmd, void* arg) => Hypervisor.Call(Hypercall.EventChannelOp, (ulong)cmd, (ulong)arg);

    /// <summary>EVTCHNOP_alloc_unbound: a new port of ours that <paramref name="remoteDom"/> may
    /// bind to. Returns the port, or a negative errno.</summary>
    public static long AllocUnbound(ushort remoteDom)
    {
        EvtchnAllocUnbound op;
        op.Dom = DomId.Self;
        op.RemoteDom = remoteDom;
        op.Port = 0;
        long rc = Op(EvtchnOp.AllocUnbound, &op);
        return rc < 0 ? rc : op.Port;
    }

    /// <summary>EVTCHNOP_bind_interdomain: connects a new local port to <paramref name="remotePort"/>
    /// of <paramref name="remoteDom"/> (which it must have allocated for us). The new port starts
    /// pending. Returns the local port, or a negative errno.</summary>
    public static long BindInterdomain(ushort remoteDom, uint remotePort)
    {
        EvtchnBindInterdomain op;
        op.RemoteDom = remoteDom;
        op.RemotePort = remotePort;
        op.LocalPort = 0;
        long rc = Op(EvtchnOp.BindInterdomain, &op);
        return rc < 0 ? rc : op.LocalPort;
    }

    /// <summary>EVTCHNOP_bind_virq on vCPU 0 (e.g. <see cref="Virq.Timer"/>). Returns the port or a negative errno.</summary>
    public static long BindVirq(uint virq)
    {
        EvtchnBindVirq op;
        op.Virq = virq;
        op.Vcpu = 0;
        op.Port = 0;
        long rc = Op(EvtchnOp.BindVirq, &op);
        return rc < 0 ? rc : op.Port;
    }

    /// <summary>EVTCHNOP_bind_ipi on vCPU 0: a port whose sends come back to us. Returns the port or a negative errno.</summary>
    public static long BindIpi()
    {
        EvtchnBindIpi op;
        op.Vcpu = 0;
        op.Port = 0;
        long rc = Op(EvtchnOp.BindIpi, &op);
        return rc < 0 ? rc : op.Port;
    }

    /// <summary>EVTCHNOP_send: raise the event at the other end (one hypercall, one exit).</summary>
    public static long Send(uint port)
    {
        EvtchnSend op;
        op.Port = port;
        return Op(EvtchnOp.Send, &op);
    }

    /// <summary>EVTCHNOP_close; also forgets the port's handler.</summary>
    public static long Close(uint port)
    {
        Unregister(port);
        EvtchnClose op;
        op.Port = port;
        return Op(EvtchnOp.Close, &op);
    }

    /// <summary>EVTCHNOP_status of one of our ports.</summary>
    public static long Status(uint port, out EvtchnStatus status)
    {
        EvtchnStatus op = default;
        op.Dom = DomId.Self;
        op.Port = port;
        long rc = Op(EvtchnOp.Status, &op);
        status = op;
        return rc;
    }

    /// <summary>Masks a port locally (no hypercall): its events stay pending until <see cref="Unmask"/>.</summary>
    public static void Mask(uint port) => EventChannelBits.Mask(Kernel.SharedInfo, port);

    /// <summary>EVTCHNOP_unmask: clears the mask; an event held back while masked is raised now.</summary>
    public static long Unmask(uint port)
    {
        EvtchnUnmask op;
        op.Port = port;
        return Op(EvtchnOp.Unmask, &op);
    }

    /// <summary>Runs <paramref name="handler"/> (with the port) from <see cref="Dispatch"/> each
    /// time the port is found pending. One handler per port; a new one replaces the old.</summary>
    public static void Register(uint port, Action<uint> handler)
    {
        if (port >= SharedInfo.EventChannelCount)
            return;
        s_handlers ??= new Action<uint>?[SharedInfo.EventChannelCount];
        s_handlers[port] = handler;
    }

    public static void Unregister(uint port)
    {
        if (s_handlers != null && port < SharedInfo.EventChannelCount)
            s_handlers[port] = null;
    }

    /// <summary>True if an unmasked port is pending (what SCHEDOP_block would wake for).</summary>
    public static bool AnyPending()
    {
        SharedInfo* s = Kernel.SharedInfo;
        return Volatile.Read(ref s->Vcpu0.UpcallPending) != 0 || EventChannelBits.FindPendingUnmasked(s, 0, out _);
    }

    /// <summary>One demultiplexing pass: every pending unmasked port's bit is cleared and its
    /// handler runs. Returns how many events were handed to handlers.</summary>
    public static int Dispatch()
    {
        var scan = EventChannelBits.BeginScan(Kernel.SharedInfo);
        int handled = 0;
        while (scan.TryNext(out uint port))
        {
            var h = s_handlers?[port];
            if (h is null)
            {
                Unhandled++;
                continue;
            }
            Handled++;
            handled++;
            h(port);
        }
        return handled;
    }

    /// <summary>The event-loop step with a deadline (absolute system time in ns): dispatch what is
    /// pending; if nothing was, block until an event or the deadline. The one-shot timer is armed
    /// only when the one already armed would not wake us by then: a timer still ahead of us and
    /// no later than the deadline will do (an early wake-up costs a look at the clock), while
    /// arming costs an exit every time. Returns the number of events handled.</summary>
    public static int WaitUntil(ulong deadlineNs)
    {
        ulong now = Clock.NowNs();
        if (deadlineNs <= now)
            return Dispatch();
        ulong armed = Scheduler.ArmedTimer;
        if (armed == 0 || armed <= now || armed > deadlineNs)
            Scheduler.SetTimer(deadlineNs);
        return WaitAndDispatch();
    }

    /// <summary>The event-loop step: dispatch what is pending; if nothing was, block in
    /// SCHEDOP_block until an event (or the one-shot timer) arrives and dispatch again.
    /// Returns the number of events handled.</summary>
    public static int WaitAndDispatch()
    {
        int n = Dispatch();
        if (n > 0)
            return n;
        Scheduler.Block();
        return Dispatch();
    }
}
