// event_channel_op(cmd, arg) (hypercall 32): copies the guest's argument struct out once,
// validates it, runs the operation on the caller's port table and writes OUT fields back.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Hypercalls;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Events;

public static class EventChannelHypercalls
{
    public static void Register(HypercallDispatcher dispatcher) =>
        dispatcher.Register(Hypercall.EventChannelOp, EventChannelOp);

    public static long EventChannelOp(Domain d, in HypercallArgs a) => Dispatch(d.Events, d.Memory, (int)a.A1, a.A2);

    /// <summary>The operation itself, on any port table and guest memory (tests use it without KVM).</summary>
    internal static long Dispatch(EventChannels events, Memory.GuestMemory memory, int cmd, ulong arg)
    {
        switch (cmd)
        {
            case EvtchnOp.AllocUnbound:
            {
                if (!memory.TryRead(arg, out EvtchnAllocUnbound op))
                    return Errno.EFAULT;
                long rc = events.AllocUnbound(op.Dom, op.RemoteDom, out uint port);
                if (rc != 0)
                    return rc;
                op.Port = port;
                return WriteBack(memory, arg, op, events, port);
            }
            case EvtchnOp.BindInterdomain:
            {
                if (!memory.TryRead(arg, out EvtchnBindInterdomain op))
                    return Errno.EFAULT;
                long rc = events.BindInterdomain(op.RemoteDom, op.RemotePort, out uint port);
                if (rc != 0)
                    return rc;
                op.LocalPort = port;
                return WriteBack(memory, arg, op, events, port);
            }
            case EvtchnOp.BindVirq:
            {
                if (!memory.TryRead(arg, out EvtchnBindVirq op))
                    return Errno.EFAULT;
                long rc = events.BindVirq(op.Virq, op.Vcpu, out uint port);
                if (rc != 0)
                    return rc;
                op.Port = port;
                return WriteBack(memory, arg, op, events, port);
            }
            case EvtchnOp.BindIpi:
            {
                if (!memory.TryRead(arg, out EvtchnBindIpi op))
                    return Errno.EFAULT;
                long rc = events.BindIpi(op.Vcpu, out uint port);
                if (rc != 0)
                    return rc;
                op.Port = port;
                return WriteBack(memory, arg, op, events, port);
            }
            case EvtchnOp.Close:
                return memory.TryRead(arg, out EvtchnClose close) ? events.Close(close.Port) : Errno.EFAULT;
            case EvtchnOp.Send:
                return memory.TryRead(arg, out EvtchnSend send) ? events.Send(send.Port) : Errno.EFAULT;
            case EvtchnOp.Unmask:
                return memory.TryRead(arg, out EvtchnUnmask unmask) ? events.Unmask(unmask.Port) : Errno.EFAULT;
            case EvtchnOp.BindVcpu:
                return memory.TryRead(arg, out EvtchnBindVcpu bv) ? events.BindVcpu(bv.Port, bv.Vcpu) : Errno.EFAULT;
            case EvtchnOp.Status:
            {
                if (!memory.TryRead(arg, out EvtchnStatus op))
                    return Errno.EFAULT;
                long rc = events.Status(ref op);
                if (rc != 0)
                    return rc;
                return Write(memory, arg, op) ? 0 : Errno.EFAULT;
            }
            default:
                return Errno.ENOSYS;
        }
    }

    private static unsafe bool Write<T>(Memory.GuestMemory memory, ulong address, T value) where T : unmanaged
    {
        if (!memory.TryGetWritable(address, (ulong)sizeof(T), out var dest))
            return false;
        MemoryMarshal.Write(dest, in value);
        return true;
    }

    /// <summary>Writes the OUT port; if the guest's struct is not writable the new port is closed
    /// again, so a bad pointer never leaks a port the guest cannot learn about.</summary>
    private static long WriteBack<T>(Memory.GuestMemory memory, ulong address, T value, EventChannels events, uint port) where T : unmanaged
    {
        if (Write(memory, address, value))
            return 0;
        events.Close(port);
        return Errno.EFAULT;
    }
}
