// What a trace record says happened. The numbers are part of the file format (README.md beside
// this file): they never change meaning, new events take new numbers, and a reader counts
// numbers it does not know instead of failing, so an older analyzer still reads a newer trace.
// Grouped by class in the high byte, as xentrace groups TRC_* events.
namespace ParaKit.Hypervisor.Tracing;

public enum TraceEvent : ushort
{
    None = 0,

    // 0x00xx: a domain's life, seen from its vCPU thread.
    /// <summary>The vCPU thread is about to enter the guest for the first time.</summary>
    DomainStart = 0x0001,
    /// <summary>The vCPU thread left its run loop (the domain ended, crashed or was stopped).</summary>
    DomainStop = 0x0002,

    // 0x01xx: the vCPU run loop.
    /// <summary>KVM_RUN returned with an exit. a0 = KVM exit reason, a1 = TSC cycles spent in KVM_RUN.</summary>
    VcpuExit = 0x0101,
    /// <summary>KVM_RUN was interrupted by domain 0's kick (EINTR; not a KVM exit reason).
    /// a1 = TSC cycles spent in KVM_RUN.</summary>
    VcpuKick = 0x0102,
    /// <summary>The vCPU sleeps: flags = <see cref="BlockKind"/>.</summary>
    VcpuBlock = 0x0103,
    /// <summary>The vCPU is running again: flags = <see cref="WakeReason"/>, a0 = TSC cycles asleep.</summary>
    VcpuWake = 0x0104,

    // 0x02xx: hypercalls.
    /// <summary>A hypercall returned. a0 = number | (first argument's low 32 bits &lt;&lt; 32), the
    /// sub-op of multiplexed hypercalls; a1 = TSC cycles in domain 0's handler (sleeping included);
    /// flags = errno when the result was negative, else 0.</summary>
    Hypercall = 0x0201,

    // 0x03xx: event channels.
    /// <summary>EVTCHNOP_send on a valid port by the record's domain. a0 = port.</summary>
    EventSend = 0x0301,
    /// <summary>A port of the record's domain was set pending. a0 = port; flags bit 0 = a new
    /// edge (counted as a delivery, the vCPU woken), clear = merged into a pending event.</summary>
    EventDeliver = 0x0302,

    // 0x04xx: grant tables.
    /// <summary>Domain 0 copied through a grant of the record's domain. a0 = bytes (low 32 bits) |
    /// TSC cycles the copy took, entry checks included (high 32 bits; 0 = not measured), a1 = grant
    /// ref; flags bit 0 = into the guest (clear: out of it). Written by version-2 files of before
    /// 2026-11-28 (one record per copy); ParaKit now writes <see cref="GrantCopyBatch"/>, readers
    /// take both.</summary>
    GrantCopy = 0x0401,
    /// <summary>A batch of domain 0's copies through grants of the record's domain (one netback TX
    /// pass or RX flush; a single copy outside a backend is a batch of one). a0 = copies (low 32
    /// bits) | bytes (high 32 bits), a1 = TSC cycles the copies took, entry checks included (0 =
    /// not timed; the first copy of a batch and every 8th after it are timed and the sum scaled to
    /// all copies); flags bit 0 = into the guest (clear: out of it).</summary>
    GrantCopyBatch = 0x0402,

    // 0x05xx: network backends.
    /// <summary>One netback TX pass (guest to domain 0). a0 = TX requests (slots) consumed,
    /// a1 = frames handed to the switch; flags bit 0 = the guest was notified.</summary>
    NetTxBatch = 0x0501,
    /// <summary>One RX flush (domain 0 to guest). a0 = RX requests (buffers) consumed since the
    /// last flush, a1 = frames placed; flags bit 0 = the guest was notified.</summary>
    NetRxBatch = 0x0502,
    /// <summary>Netback dropped frames of the record's domain. flags = <see cref="FrameDropReason"/>, a0 = frames.</summary>
    NetDrop = 0x0503,
    /// <summary>One pass of a domain-0 backend (a network worker's batch over its vifs, or a device
    /// model's pass over its rings), on whichever thread ran it. a0 = frames moved, a1 = TSC cycles
    /// the pass took; domain = the domain served, 0 when the pass serves several.</summary>
    BackendPass = 0x0504,

    // 0x06xx: emulated devices.
    /// <summary>A guest read or wrote a device register (an MMIO or port access the device model
    /// handled). a0 = register offset in the device's range (low 48 bits) | device id &lt;&lt; 48
    /// (<see cref="TraceDevices"/>), a1 = the value read or written; flags bit 0 = write, bits
    /// 1-4 = access width in bytes.</summary>
    DeviceAccess = 0x0601,
}

/// <summary>How a vCPU went to sleep (flags of <see cref="TraceEvent.VcpuBlock"/>).</summary>
public enum BlockKind : ushort
{
    /// <summary>SCHEDOP_block: until any unmasked event or the timer.</summary>
    Block = 0,
    /// <summary>SCHEDOP_poll: until one of a set of ports, the timer or a timeout.</summary>
    Poll = 1,
}

/// <summary>Why a sleeping vCPU runs again (flags of <see cref="TraceEvent.VcpuWake"/>).</summary>
public enum WakeReason : ushort
{
    /// <summary>An event it waits for is pending.</summary>
    Event = 0,
    /// <summary>Its set_timer_op timer fired.</summary>
    Timer = 1,
    /// <summary>SCHEDOP_poll's timeout passed.</summary>
    Timeout = 2,
    /// <summary>Domain 0 needs the thread: the domain is stopping or pausing.</summary>
    Stop = 3,
}

/// <summary>Why netback dropped a frame (flags of <see cref="TraceEvent.NetDrop"/>); one value
/// per drop counter of NetbackCounters, named as the final table names them.</summary>
public enum FrameDropReason : ushort
{
    TxMalformed = 1,
    TxBadGrant = 2,
    TxOversize = 3,
    TxUndelivered = 4,
    RxNoBuffer = 5,
    RxBadGrant = 6,
    RxOversize = 7,
    RxNotConnected = 8,
    TxBadOffload = 9,
    RxBadOffload = 10,
    // The switch's drops, recorded for the port the frame came in by (see SwitchPortCounters).
    SwitchRunt = 11,
    SwitchBadSource = 12,
    SwitchSamePort = 13,
    SwitchNoPeer = 14,
    SwitchLoss = 15,
}
