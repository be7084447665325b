// ParaKit's own start_info page: everything a guest learns from the hypervisor at boot.
// Xen PV guests get a start_info_t; ours is simpler and documented field by field because
// students read it before anything else. Written once by domain 0 before the vCPU first runs;
// the guest only reads it.
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Boot;

/// <summary>ParaKit start_info page (2048 bytes), at <see cref="GuestLayout.StartInfoAddress"/>;
/// its address is also passed to the guest entry point in rdi.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct StartInfo
{
    public const int Size = 2048;
    /// <summary>"PARAKIT\0" read as a little-endian u64.</summary>
    public const ulong MagicValue = 0x0054494B41524150;
    public const uint CurrentVersion = 1;
    public const int CmdLineCapacity = 1024;

    /// <summary>Always <see cref="MagicValue"/>; a guest that sees anything else was not booted by ParaKit.</summary>
    [FieldOffset(0)] public ulong Magic;
    /// <summary>Layout version of this page, <see cref="CurrentVersion"/>.</summary>
    [FieldOffset(8)] public uint Version;
    /// <summary>This domain's id (domain 0 is the hypervisor itself; guests start at 1).</summary>
    [FieldOffset(12)] public uint DomId;
    /// <summary>Guest RAM in bytes, identity-mapped from guest-physical 0 (the first page is left unmapped to catch null pointers).</summary>
    [FieldOffset(16)] public ulong MemoryBytes;
    /// <summary>Guest address of the Xen shared_info page (event-channel bitmaps, vcpu_info with vcpu_time_info).</summary>
    [FieldOffset(24)] public ulong SharedInfoAddress;
    /// <summary>Guest address of the hypercall page: the stub for hypercall n is at page + n*32.</summary>
    [FieldOffset(32)] public ulong HypercallPageAddress;
    /// <summary>Guest address of the XenStore ring page (xenstore_domain_interface); 0 if the domain has no store yet.</summary>
    [FieldOffset(40)] public ulong StoreRingAddress;
    /// <summary>Event channel bound to the XenStore ring (0 = none).</summary>
    [FieldOffset(48)] public uint StoreEventChannel;
    /// <summary>Event channel bound to the console ring (0 = none: use console_io).</summary>
    [FieldOffset(52)] public uint ConsoleEventChannel;
    /// <summary>Guest address of the console ring page (xencons_interface); 0 if absent.</summary>
    [FieldOffset(56)] public ulong ConsoleRingAddress;
    /// <summary>First byte of the heap the guest may allocate from (page aligned, after the image).</summary>
    [FieldOffset(64)] public ulong HeapStart;
    /// <summary>One past the last heap byte (page aligned).</summary>
    [FieldOffset(72)] public ulong HeapEnd;
    /// <summary>Initial stack pointer (16-byte aligned, the stack grows down from here).</summary>
    [FieldOffset(80)] public ulong StackTop;
    /// <summary>Lowest valid stack byte; the page below it is an unmapped guard page.</summary>
    [FieldOffset(88)] public ulong StackBottom;
    /// <summary>Lowest address of the loaded ELF image (page aligned).</summary>
    [FieldOffset(96)] public ulong ImageStart;
    /// <summary>One past the highest address of the loaded image, bss included (page aligned).</summary>
    [FieldOffset(104)] public ulong ImageEnd;
    /// <summary>Bit flags, <see cref="StartInfoFlags"/>.</summary>
    [FieldOffset(112)] public uint Flags;
    /// <summary>Length of <see cref="CmdLine"/> in bytes, without the terminating nul.</summary>
    [FieldOffset(116)] public uint CmdLineLength;
    /// <summary>TSC frequency in kHz, as the hypervisor measured it (vcpu_time_info is the Xen way to convert).</summary>
    [FieldOffset(120)] public ulong TscKhz;
    /// <summary>Emulated NICs: bit N set means vif N is an emulated Intel 82540EM (e1000), not a
    /// netfront, with its registers at <see cref="GuestLayout.E1000Bar"/>(N). Written by domain 0
    /// when the device attaches, before the vCPU first runs (there is no PCI bus to probe).</summary>
    [FieldOffset(128)] public uint E1000Mask;
    /// <summary>IDT vector the e1000s signal (an MSI through the local APIC), 0 while domain 0 delivers
    /// no interrupts to this guest (its driver then polls and wakes from SCHEDOP_block).</summary>
    [FieldOffset(132)] public uint E1000Vector;
    /// <summary>Command line (UTF-8, nul-terminated, at most 1023 bytes): the `extra=` of a config or what follows `--`.</summary>
    [FieldOffset(1024)] public fixed byte CmdLine[CmdLineCapacity];
}

/// <summary>Bits of <see cref="StartInfo.Flags"/>.</summary>
public static class StartInfoFlags
{
    /// <summary>Tracing is on: guests may emit extra trace hypercalls.</summary>
    public const uint Tracing = 1;
    /// <summary>A debugger serves this domain (`parakit run --gdb PORT`): the kernel stops with
    /// an int3 once its trap handlers are installed and before the app's Main, so gdb can set
    /// breakpoints before any app code runs (debug_stop, ParaKitHypercall.DebugStop).</summary>
    public const uint Debugger = 2;
}
