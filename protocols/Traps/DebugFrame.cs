// What debug_stop (ParaKitHypercall.DebugStop) hands domain 0: the register frame the guest's
// trap stub built (guestkernel/Runtime/Native/traps.S, Internal.Runtime.TrapFrame in the guest
// runtime, which mirrors this layout) and the stub's fxsave64 image. Written by the guest's
// trap stub; while the vCPU is stopped in debug_stop domain 0 reads and rewrites both; the
// stub's fxrstor64 and iretq then resume from them.
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Traps;

/// <summary>The trap stub's register frame, 176 bytes: the general registers pushed by the
/// stub, the vector and error code, then the CPU's interrupt frame (rip, cs, rflags, rsp, ss).</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct GuestTrapFrame
{
    public const int Size = 176;
    [FieldOffset(0)] public ulong R15;
    [FieldOffset(8)] public ulong R14;
    [FieldOffset(16)] public ulong R13;
    [FieldOffset(24)] public ulong R12;
    [FieldOffset(32)] public ulong R11;
    [FieldOffset(40)] public ulong R10;
    [FieldOffset(48)] public ulong R9;
    [FieldOffset(56)] public ulong R8;
    [FieldOffset(64)] public ulong Rbp;
    [FieldOffset(72)] public ulong Rdi;
    [FieldOffset(80)] public ulong Rsi;
    [FieldOffset(88)] public ulong Rdx;
    [FieldOffset(96)] public ulong Rcx;
    [FieldOffset(104)] public ulong Rbx;
    [FieldOffset(112)] public ulong Rax;
    /// <summary>1 (#DB) or 3 (#BP) for debug_stop.</summary>
    [FieldOffset(120)] public ulong Vector;
    [FieldOffset(128)] public ulong ErrorCode;
    /// <summary>For #BP the instruction after the int3; for a single step (#DB) the next instruction.</summary>
    [FieldOffset(136)] public ulong Rip;
    [FieldOffset(144)] public ulong Cs;
    /// <summary>Bit 8 is the trap flag: set, the vCPU stops again after one instruction.</summary>
    [FieldOffset(152)] public ulong Rflags;
    [FieldOffset(160)] public ulong Rsp;
    [FieldOffset(168)] public ulong Ss;

    /// <summary>Offset of each field, by name, for code that reads the frame in guest memory.</summary>
    public const int R15Offset = 0, R14Offset = 8, R13Offset = 16, R12Offset = 24, R11Offset = 32, R10Offset = 40,
        R9Offset = 48, R8Offset = 56, RbpOffset = 64, RdiOffset = 72, RsiOffset = 80, RdxOffset = 88, RcxOffset = 96,
        RbxOffset = 104, RaxOffset = 112, VectorOffset = 120, ErrorCodeOffset = 128, RipOffset = 136, CsOffset = 144,
        RflagsOffset = 152, RspOffset = 160, SsOffset = 168;

    /// <summary>RFLAGS.TF.</summary>
    public const ulong TrapFlag = 1 << 8;
}

/// <summary>The 512-byte fxsave64 image (Intel SDM vol. 1, table 10-2), 16-byte aligned.</summary>
public static class FxsaveArea
{
    public const int Size = 512;
    public const int Alignment = 16;
    public const int Fcw = 0, Fsw = 2, AbridgedTag = 4, Fop = 6, Fip = 8, Fdp = 16, Mxcsr = 24;
    /// <summary>ST(i)/MM(i) at <see cref="St0"/> + 16*i (10 bytes used of 16).</summary>
    public const int St0 = 32;
    /// <summary>XMM(i) at <see cref="Xmm0"/> + 16*i.</summary>
    public const int Xmm0 = 160;
}
