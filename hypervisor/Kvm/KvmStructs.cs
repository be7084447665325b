// Blittable copies of the linux/kvm.h structures domain 0 exchanges with KVM (x86-64 layouts;
// sizes and offsets are asserted by the unit tests).
using System.Runtime.InteropServices;

namespace ParaKit.Hypervisor.Kvm;

/// <summary>kvm_userspace_memory_region, 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmUserspaceMemoryRegion
{
    public uint Slot;
    public uint Flags;
    public ulong GuestPhysAddr;
    public ulong MemorySize;
    public ulong UserspaceAddr;
}

/// <summary>kvm_regs, 144 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmRegs
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;
    public ulong Rip, Rflags;
}

/// <summary>kvm_segment, 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmSegment
{
    public ulong Base;
    public uint Limit;
    public ushort Selector;
    public byte Type;
    public byte Present, Dpl, Db, S, L, G, Avl;
    public byte Unusable;
    public byte Padding;
}

/// <summary>kvm_dtable, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmDtable
{
    public ulong Base;
    public ushort Limit;
    public ushort Pad0, Pad1, Pad2;
}

/// <summary>kvm_sregs, 312 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmSregs
{
    public KvmSegment Cs, Ds, Es, Fs, Gs, Ss;
    public KvmSegment Tr, Ldt;
    public KvmDtable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8;
    public ulong Efer;
    public ulong ApicBase;
    public fixed ulong InterruptBitmap[4];
}

/// <summary>The part of kvm_run (2352 bytes) domain 0 reads: the header, the exit union
/// (interpreted per exit reason) and the sync-regs area.</summary>
[StructLayout(LayoutKind.Explicit, Size = 0x930)]
internal unsafe struct KvmRun
{
    [FieldOffset(0)] public byte RequestInterruptWindow;
    [FieldOffset(1)] public byte ImmediateExit;
    [FieldOffset(8)] public uint ExitReason;
    [FieldOffset(16)] public ulong Cr8;
    [FieldOffset(24)] public ulong ApicBase;

    // Exit union at 32.
    /// <summary>mmio: phys_addr @32, data[8] @40, len @48, is_write @52.</summary>
    [FieldOffset(32)] public ulong MmioPhysAddr;
    [FieldOffset(40)] public ulong MmioData;
    [FieldOffset(48)] public uint MmioLen;
    [FieldOffset(52)] public byte MmioIsWrite;
    /// <summary>io: direction(u8) @32, size(u8) @33, port(u16) @34, count(u32) @36, data_offset(u64) @40.</summary>
    [FieldOffset(32)] public byte IoDirection;
    [FieldOffset(33)] public byte IoSize;
    [FieldOffset(34)] public ushort IoPort;
    /// <summary>fail_entry: hardware_entry_failure_reason(u64) @32.</summary>
    [FieldOffset(32)] public ulong FailEntryReason;
    /// <summary>internal: suberror(u32) @32, ndata(u32) @36, data[16] @40.</summary>
    [FieldOffset(32)] public uint InternalSuberror;
    [FieldOffset(36)] public uint InternalNdata;
    [FieldOffset(40)] public fixed ulong InternalData[16];
    /// <summary>system_event: type(u32) @32.</summary>
    [FieldOffset(32)] public uint SystemEventType;
    /// <summary>ex: exception(u32) @32, error_code(u32) @36.</summary>
    [FieldOffset(32)] public uint ExceptionNumber;
    [FieldOffset(36)] public uint ExceptionErrorCode;

    [FieldOffset(0x120)] public ulong KvmValidRegs;
    [FieldOffset(0x128)] public ulong KvmDirtyRegs;
    /// <summary>kvm_sync_regs: regs @0x130, sregs @0x1C0, events @0x2F8.</summary>
    [FieldOffset(0x130)] public KvmRegs SyncRegs;
    [FieldOffset(0x1C0)] public KvmSregs SyncSregs;
}

/// <summary>kvm_cpuid_entry2, 40 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmCpuidEntry2
{
    public uint Function, Index, Flags, Eax, Ebx, Ecx, Edx;
    public fixed uint Padding[3];
}
