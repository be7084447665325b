// Xen's PV trap interface (xen/include/public/arch-x86/xen.h): set_trap_table takes an array
// of trap_info ended by an entry whose address is 0, and installs one handler per vector.
// ParaKit guests run at ring 3, so every handler is entered at ring 3 through a DPL-3 trap
// gate in an IDT that domain 0 owns (see hypervisor/Domains/TrapGates.cs and DESIGN.md).
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Traps;

/// <summary>trap_info (arch-x86/xen.h), 16 bytes. Written by the guest, read once by domain 0
/// during set_trap_table.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct TrapInfo
{
    /// <summary>Exception or interrupt vector, 0-255.</summary>
    [FieldOffset(0)] public byte Vector;
    /// <summary>Bits 0-1: who may raise it with a software `int` (Xen's privilege level; ParaKit
    /// installs every gate with DPL 3); bit 2 (<see cref="TrapFlags.ClearEventMask"/>) asks for
    /// an interrupt gate, which ParaKit refuses (see <see cref="TrapFlags"/>).</summary>
    [FieldOffset(1)] public byte Flags;
    /// <summary>Code selector of the handler: must be <see cref="TrapFlags.GuestCodeSelector"/>.</summary>
    [FieldOffset(2)] public ushort Cs;
    /// <summary>Handler address; 0 ends the array.</summary>
    [FieldOffset(8)] public ulong Address;
}

/// <summary>Rules and constants of ParaKit's set_trap_table.</summary>
public static class TrapFlags
{
    /// <summary>Mask of the privilege-level bits (Xen's TI_GET_DPL).</summary>
    public const byte PrivilegeMask = 3;
    /// <summary>Xen's TI_SET_IF: enter with events masked (an interrupt gate). Refused with
    /// -EINVAL: at ring 3 an interrupt gate clears the virtual IF and `iretq` cannot set it
    /// again, so later device interrupts would stay pending forever (DESIGN.md).</summary>
    public const byte ClearEventMask = 4;
    /// <summary>The ring-3 64-bit code selector every handler runs with (Linux's user CS).</summary>
    public const ushort GuestCodeSelector = 0x33;
    /// <summary>Most entries one call reads before it must find the terminator.</summary>
    public const int MaxEntries = 256;
    /// <summary>Vectors Intel reserves (15, 22-27, 31): -EINVAL. Every other vector 0-255 may
    /// carry a handler, so vectors 32-255 are free for device interrupts (MSIs).</summary>
    public static bool IsReserved(byte vector) => vector == 15 || vector is >= 22 and <= 27 || vector == 31;
    /// <summary>Vectors domain 0 enters on the trap stack (IST1): #DF, #SS, #PF, so that a
    /// stack overflow (a fault on the guard page) still reaches a handler.</summary>
    public static bool UsesTrapStack(byte vector) => vector is 8 or 12 or 14;
}

/// <summary>Exception vectors (Intel SDM vol. 3, table 6-1).</summary>
public static class TrapVector
{
    public const byte DivideError = 0, Debug = 1, Nmi = 2, Breakpoint = 3, Overflow = 4, BoundRange = 5,
        InvalidOpcode = 6, DeviceNotAvailable = 7, DoubleFault = 8, InvalidTss = 10, SegmentNotPresent = 11,
        StackFault = 12, GeneralProtection = 13, PageFault = 14, FloatingPoint = 16, AlignmentCheck = 17,
        MachineCheck = 18, SimdFloatingPoint = 19, Virtualization = 20, ControlProtection = 21;
    /// <summary>First vector that is not an exception: device interrupts go here and above.</summary>
    public const byte FirstInterrupt = 32;
    /// <summary>Exceptions that push an error code (the handler's frame has one more word).</summary>
    public static bool HasErrorCode(byte vector) => vector is 8 or 10 or 11 or 12 or 13 or 14 or 17 or 21;
}

/// <summary>ParaKit's own hypercalls, numbered above Xen's (whose x86 numbers end at 55).</summary>
public static class ParaKitHypercall
{
    /// <summary>fault_info(): domain 0 reads the vCPU's CR2 (ring 3 cannot) and writes it into
    /// shared_info's vcpu_info[0].arch.cr2 (where Xen puts it for PV guests); returns 0. Call it
    /// first thing in a #PF handler: a later page fault overwrites CR2.</summary>
    public const int FaultInfo = 64;
    /// <summary>crash_report(GuestCrashInfo*): ends the domain as crashed; domain 0 prints the
    /// cause, file:line and a backtrace. Does not return (-EFAULT if the pointer is bad).</summary>
    public const int CrashReport = 65;
    /// <summary>debug_stop(GuestTrapFrame* frame, FxsaveArea* fx): the debug doorbell. The #BP
    /// and #DB handlers call it with the interrupted registers (the frame the trap stub built)
    /// and the stub's fxsave64 image. When `parakit run --gdb` serves this domain, domain 0 stops
    /// the vCPU inside the call and lets gdb read and rewrite the frame, the fxsave image and
    /// guest memory (setting RFLAGS.TF in the frame to single-step, rewinding RIP past its own
    /// int3), and returns 0 when gdb resumes: the handler then returns through iretq into
    /// whatever the frame says. Without a debugger it returns -ENODEV at once and the trap is
    /// the crash it always was. See hypervisor/Debugging/README.md.</summary>
    public const int DebugStop = 66;
}

/// <summary>Where domain 0 keeps the IDT, and the trap stack the IST1 vectors switch to.
/// The IDT page is private (read-only for the guest); the trap stack is guest-writable and has
/// an unmapped guard page below it.</summary>
public static class TrapLayout
{
    public const ulong IdtAddress = Boot.GuestLayout.PrivateStart + 0x2000;
    public const int IdtEntries = 256;
    public const int GateSize = 16;
    public const ulong TrapStackTop = Boot.GuestLayout.PrivateEnd;
    public const ulong TrapStackBytes = 32 << 10;
    public const ulong TrapStackBottom = TrapStackTop - TrapStackBytes;
    public const ulong TrapStackGuard = TrapStackBottom - Boot.GuestLayout.PageSize;
}
