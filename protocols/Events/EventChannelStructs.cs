// Event-channel ABI (xen/include/public/event_channel.h, xen.h): op numbers, the argument
// structs of event_channel_op, channel states and VIRQ numbers.
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Events;

/// <summary>EVTCHNOP_* (event_channel.h): the first argument of event_channel_op.</summary>
public static class EvtchnOp
{
    public const int BindInterdomain = 0;
    public const int BindVirq = 1;
    public const int BindPirq = 2;
    public const int Close = 3;
    public const int Send = 4;
    public const int Status = 5;
    public const int AllocUnbound = 6;
    public const int BindIpi = 7;
    public const int BindVcpu = 8;
    public const int Unmask = 9;
    public const int Reset = 10;
}

/// <summary>evtchn_alloc_unbound (event_channel.h), 8 bytes: a port that <see cref="RemoteDom"/> may bind to.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct EvtchnAllocUnbound
{
    /// <summary>IN: the domain to allocate in (DOMID_SELF).</summary>
    [FieldOffset(0)] public ushort Dom;
    /// <summary>IN: the domain allowed to bind.</summary>
    [FieldOffset(2)] public ushort RemoteDom;
    /// <summary>OUT: the new port.</summary>
    [FieldOffset(4)] public uint Port;
}

/// <summary>evtchn_bind_interdomain (event_channel.h), 12 bytes: connect to a remote unbound port.
/// Binding sets the new local port pending, so the binder sees one event at once.</summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
public struct EvtchnBindInterdomain
{
    [FieldOffset(0)] public ushort RemoteDom;
    [FieldOffset(4)] public uint RemotePort;
    /// <summary>OUT.</summary>
    [FieldOffset(8)] public uint LocalPort;
}

/// <summary>evtchn_bind_virq (event_channel.h), 12 bytes: bind a virtual IRQ (<see cref="Virq"/>) on a vCPU.</summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
public struct EvtchnBindVirq
{
    [FieldOffset(0)] public uint Virq;
    [FieldOffset(4)] public uint Vcpu;
    /// <summary>OUT.</summary>
    [FieldOffset(8)] public uint Port;
}

/// <summary>evtchn_bind_ipi (event_channel.h), 8 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct EvtchnBindIpi
{
    [FieldOffset(0)] public uint Vcpu;
    /// <summary>OUT.</summary>
    [FieldOffset(4)] public uint Port;
}

/// <summary>evtchn_bind_vcpu (event_channel.h), 8 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct EvtchnBindVcpu
{
    [FieldOffset(0)] public uint Port;
    [FieldOffset(4)] public uint Vcpu;
}

/// <summary>evtchn_send (event_channel.h), 4 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
public struct EvtchnSend
{
    [FieldOffset(0)] public uint Port;
}

/// <summary>evtchn_close (event_channel.h), 4 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
public struct EvtchnClose
{
    [FieldOffset(0)] public uint Port;
}

/// <summary>evtchn_unmask (event_channel.h), 4 bytes. Unmasking a pending port raises its event.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
public struct EvtchnUnmask
{
    [FieldOffset(0)] public uint Port;
}

/// <summary>evtchn_reset (event_channel.h), 2 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 2)]
public struct EvtchnReset
{
    [FieldOffset(0)] public ushort Dom;
}

/// <summary>evtchn_status (event_channel.h), 24 bytes. The union at 16 depends on <see cref="Status"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct EvtchnStatus
{
    /// <summary>IN.</summary>
    [FieldOffset(0)] public ushort Dom;
    /// <summary>IN.</summary>
    [FieldOffset(4)] public uint Port;
    /// <summary>OUT: <see cref="EvtchnState"/>.</summary>
    [FieldOffset(8)] public uint Status;
    /// <summary>OUT: vCPU the port is bound to.</summary>
    [FieldOffset(12)] public uint Vcpu;
    /// <summary>u.unbound.dom / u.interdomain.dom: the remote domain.</summary>
    [FieldOffset(16)] public ushort RemoteDom;
    /// <summary>u.interdomain.port: the remote port.</summary>
    [FieldOffset(20)] public uint RemotePort;
    /// <summary>u.pirq / u.virq.</summary>
    [FieldOffset(16)] public uint PirqOrVirq;
}

/// <summary>EVTCHNSTAT_* (event_channel.h): <see cref="EvtchnStatus.Status"/>.</summary>
public enum EvtchnState : uint
{
    Closed = 0,
    Unbound = 1,
    Interdomain = 2,
    Pirq = 3,
    Virq = 4,
    Ipi = 5,
}

/// <summary>VIRQ_* (xen.h): virtual interrupts the hypervisor raises on a bound port.</summary>
public static class Virq
{
    /// <summary>The vCPU's one-shot timer (set_timer_op) expired.</summary>
    public const uint Timer = 0;
    public const uint Debug = 1;
    /// <summary>Console input for domain 0.</summary>
    public const uint Console = 2;
    /// <summary>A domain shut down or crashed (for domain 0).</summary>
    public const uint DomExc = 3;
    public const uint Tbuf = 4;
    public const uint Debugger = 6;
    public const uint Xenoprof = 7;
    public const uint ConRing = 8;
    public const uint PcpuState = 9;
    public const uint MemEvent = 10;
    public const uint Argo = 11;
    public const uint Enomem = 12;
    public const uint XenPmu = 13;
    /// <summary>NR_VIRQS.</summary>
    public const uint Count = 24;
}
