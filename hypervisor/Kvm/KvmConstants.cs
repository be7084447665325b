// Numbers from linux/kvm.h (ioctl requests, capabilities, exit reasons), checked against the
// header with a C program on the development host.
namespace ParaKit.Hypervisor.Kvm;

internal static class KvmIoctl
{
    public const nuint GetApiVersion = 0xAE00;
    public const nuint CreateVm = 0xAE01;
    public const nuint CheckExtension = 0xAE03;
    public const nuint GetVcpuMmapSize = 0xAE04;
    public const nuint GetSupportedCpuid = 0xC008AE05;
    public const nuint CreateVcpu = 0xAE41;
    public const nuint SetUserMemoryRegion = 0x4020AE46;
    public const nuint Run = 0xAE80;
    public const nuint GetRegs = 0x8090AE81;
    public const nuint SetRegs = 0x4090AE82;
    public const nuint GetSregs = 0x8138AE83;
    public const nuint SetSregs = 0x4138AE84;
    public const nuint SetCpuid2 = 0x4008AE90;
    public const nuint GetTscKhz = 0xAEA3;
    public const nuint GetMsrs = 0xC008AE88;
    /// <summary>KVM_CREATE_IRQCHIP: in-kernel PIC, IOAPIC and local APICs (before any vCPU).</summary>
    public const nuint CreateIrqchip = 0xAE60;
    /// <summary>KVM_SET_GSI_ROUTING(struct kvm_irq_routing, 8-byte header).</summary>
    public const nuint SetGsiRouting = 0x4008AE6A;
    /// <summary>KVM_IRQFD(struct kvm_irqfd, 32 bytes).</summary>
    public const nuint Irqfd = 0x4020AE76;
    /// <summary>KVM_GET_LAPIC / KVM_SET_LAPIC(struct kvm_lapic_state, 1024 bytes).</summary>
    public const nuint GetLapic = 0x8400AE8E;
    public const nuint SetLapic = 0x4400AE8F;
    public const int ApiVersion = 12;
}

internal static class KvmCap
{
    public const int UserMemory = 3;
    public const int NrVcpus = 9;
    public const int SyncRegs = 74;
    public const int ImmediateExit = 136;
    public const int GetTscKhz = 61;
}

/// <summary>KVM_SYNC_X86_* bits of kvm_run.kvm_valid_regs / kvm_dirty_regs.</summary>
internal static class KvmSync
{
    public const ulong Regs = 1;
    public const ulong Sregs = 2;
    public const ulong Events = 4;
}

/// <summary>KVM_EXIT_* (kvm.h).</summary>
public enum KvmExitReason : uint
{
    Unknown = 0,
    Exception = 1,
    Io = 2,
    Hypercall = 3,
    Debug = 4,
    Hlt = 5,
    Mmio = 6,
    IrqWindowOpen = 7,
    Shutdown = 8,
    FailEntry = 9,
    Intr = 10,
    SetTpr = 11,
    TprAccess = 12,
    Nmi = 16,
    InternalError = 17,
    SystemEvent = 24,
}
