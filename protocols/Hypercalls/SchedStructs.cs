// sched_op argument structs (xen/include/public/sched.h).
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Hypercalls;

/// <summary>sched_shutdown (sched.h), 4 bytes: the reason, a <see cref="ShutdownReason"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
public struct SchedShutdown
{
    [FieldOffset(0)] public uint Reason;
}

/// <summary>sched_poll (sched.h), 24 bytes: block until one of the ports is pending or the timeout
/// (absolute system time in ns, 0 = none) passes. Ports is a guest pointer to u32s.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct SchedPoll
{
    [FieldOffset(0)] public ulong Ports;
    [FieldOffset(8)] public uint NrPorts;
    [FieldOffset(16)] public ulong Timeout;
}
