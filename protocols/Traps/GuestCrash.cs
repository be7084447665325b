// ParaKit's crash_report hypercall: a guest that is about to die tells domain 0 why and where
// (the cause, and the registers of the faulting or throwing instruction), and domain 0 prints
// the report: the cause in words, file:line from the image's line table, and a backtrace walked
// from the frame pointers in guest memory, each frame symbolized. The guest needs no symbols or
// line tables in memory: domain 0 reads them from the ELF file it loaded.
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Traps;

/// <summary>Why a guest crashed (<see cref="GuestCrashInfo.Cause"/>).</summary>
public enum CrashCause : uint
{
    /// <summary>A panic (runtime or kernel); its message is already on the console.</summary>
    Panic = 1,
    /// <summary>An exception no catch handled; Rip is the throw site.</summary>
    UnhandledException = 2,
    NullReference = 3,
    StackOverflow = 4,
    DivideByZero = 5,
    /// <summary>int.MinValue / -1 and similar (the CPU's #DE for a quotient that does not fit).</summary>
    Overflow = 6,
    /// <summary>A call through the hypercall page with a number it has no stub for.</summary>
    BadHypercall = 7,
    /// <summary>A page fault outside page 0 and the guard page (FaultAddress says where).</summary>
    AccessViolation = 8,
    InvalidOpcode = 9,
    GeneralProtection = 10,
    Breakpoint = 11,
    /// <summary>Any other exception vector (Vector says which).</summary>
    OtherFault = 12,
}

/// <summary>crash_report's argument, 64 bytes, written by the guest and read once by domain 0.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct GuestCrashInfo
{
    [FieldOffset(0)] public CrashCause Cause;
    /// <summary>Exception vector for faults; 0xFFFF_FFFF otherwise.</summary>
    [FieldOffset(4)] public uint Vector;
    [FieldOffset(8)] public ulong ErrorCode;
    /// <summary>CR2 for page faults.</summary>
    [FieldOffset(16)] public ulong FaultAddress;
    /// <summary>The faulting instruction, or the return address into the method that threw.</summary>
    [FieldOffset(24)] public ulong Rip;
    [FieldOffset(32)] public ulong Rsp;
    /// <summary>Start of the frame-pointer chain for the backtrace.</summary>
    [FieldOffset(40)] public ulong Rbp;
    /// <summary>True (1) when Rip is a return address (look up Rip - 1 for the line).</summary>
    [FieldOffset(48)] public uint RipIsReturnAddress;
    [FieldOffset(52)] public uint Reserved0;
    [FieldOffset(56)] public ulong Reserved1;

    /// <summary>The cause in words, as the crash report prints it.</summary>
    public static string Describe(CrashCause cause) => cause switch
    {
        CrashCause.Panic => "panic",
        CrashCause.UnhandledException => "unhandled exception",
        CrashCause.NullReference => "null reference",
        CrashCause.StackOverflow => "stack overflow",
        CrashCause.DivideByZero => "division by zero",
        CrashCause.Overflow => "arithmetic overflow",
        CrashCause.BadHypercall => "bad hypercall number",
        CrashCause.AccessViolation => "access violation",
        CrashCause.InvalidOpcode => "invalid opcode",
        CrashCause.GeneralProtection => "general protection fault",
        CrashCause.Breakpoint => "breakpoint",
        CrashCause.OtherFault => "CPU exception",
        _ => "unknown cause",
    };
}
