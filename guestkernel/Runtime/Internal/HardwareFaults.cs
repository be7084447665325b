// What a CPU exception in the guest means: the trap handler (Kernel/Traps.cs) asks here, with
// the interrupted registers and (for #PF) the fault address. Causes use the numbers of
// ParaKit.Protocols.Traps.CrashCause (the runtime cannot reference protocols/).
namespace Internal.Runtime;

/// <summary>Mirror of ParaKit.Protocols.Traps.GuestCrashInfo (64 bytes, same layout): what the
/// runtime hands the kernel to report a fatal error to domain 0.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Size = 64)]
public struct FaultRecord
{
    public uint Cause;
    public uint Vector;
    public ulong ErrorCode;
    public ulong FaultAddress;
    public ulong Rip;
    public ulong Rsp;
    public ulong Rbp;
    public uint RipIsReturnAddress;
}

public static unsafe class HardwareFaults
{
    // CrashCause numbers (protocols/Traps/GuestCrash.cs).
    public const uint Panic = 1, UnhandledException = 2, NullReference = 3, StackOverflow = 4, DivideByZero = 5,
        Overflow = 6, BadHypercall = 7, AccessViolation = 8, InvalidOpcode = 9, GeneralProtection = 10,
        Breakpoint = 11, OtherFault = 12;

    private const ulong Page = 4096;
    // The fault a hardware exception came from, for the crash report if nothing catches it.
    private static uint s_lastVector;
    private static ulong s_lastErrorCode, s_lastFaultAddress, s_pendingFaultAddress;

    /// <summary>Fills a crash record's fault fields from the fault the current hardware exception came from.</summary>
    internal static void DescribeLastFault(FaultRecord* r)
    {
        r->Vector = s_lastVector;
        r->ErrorCode = s_lastErrorCode;
        r->FaultAddress = s_lastFaultAddress;
    }
    private static ulong s_stackBottom;
    private static ulong s_hypercallPage;

    /// <summary>Set at boot: the stack's lowest usable address (its guard page is the page
    /// below) and the hypercall page (code that lands there called a bad number).</summary>
    public static void Configure(ulong stackBottom, ulong hypercallPage)
    {
        s_stackBottom = stackBottom;
        s_hypercallPage = hypercallPage;
    }

    public static bool IsStackOverflow(ulong faultAddress) =>
        s_stackBottom != 0 && faultAddress < s_stackBottom && faultAddress >= s_stackBottom - Page;

    /// <summary>The cause of exception <paramref name="vector"/> at the frame's rip.</summary>
    public static uint Classify(TrapFrame* frame, ulong faultAddress)
    {
        s_pendingFaultAddress = faultAddress;
        ulong rip = frame->Rip;
        bool inHypercallPage = s_hypercallPage != 0 && rip - s_hypercallPage <= Page;
        switch (frame->Vector)
        {
            case 0:
                return DivisorOf(frame) is long d && d != 0 ? Overflow : DivideByZero;
            case 14:
                if (IsStackOverflow(faultAddress))
                    return StackOverflow;
                // An instruction fetch (error bit 4) in the pages after the hypercall page's
                // 128 stubs: a call through a number the page has no stub for.
                if ((frame->ErrorCode & 0x10) != 0 && s_hypercallPage != 0 && faultAddress - s_hypercallPage - Page < 4 * Page)
                    return BadHypercall;
                return faultAddress < Page ? NullReference : AccessViolation;
            case 3:
                return inHypercallPage ? BadHypercall : Breakpoint;
            case 6:
                return InvalidOpcode;
            case 13:
                return GeneralProtection;
            default:
                return OtherFault;
        }
    }

    /// <summary>The divisor of the div/idiv at rip when it is a register or a [base+disp]
    /// operand; null when the instruction is not one we decode. #DE with a non-zero divisor
    /// means the quotient did not fit (int.MinValue / -1): .NET's OverflowException.</summary>
    public static long? DivisorOf(TrapFrame* frame)
    {
        byte* p = (byte*)frame->Rip;
        int rex = 0;
        bool operand16 = false;
        while (*p == 0x66 || (*p & 0xF0) == 0x40)
        {
            if (*p == 0x66)
                operand16 = true;
            else
                rex = *p;
            p++;
        }
        byte opcode = *p++;
        if (opcode != 0xF7 && opcode != 0xF6)
            return null;
        byte modrm = *p++;
        int reg = (modrm >> 3) & 7;
        if (reg != 6 && reg != 7)
            return null;
        int mod = modrm >> 6, rm = (modrm & 7) | ((rex & 1) << 3);
        long raw;
        if (mod == 3)
            raw = (long)Register(frame, rm);
        else
        {
            if ((modrm & 7) == 4 || (mod == 0 && (modrm & 7) == 5))
                return null; // SIB or rip-relative: not decoded
            long disp = mod == 1 ? *(sbyte*)p : mod == 2 ? *(int*)p : 0;
            raw = *(long*)((long)Register(frame, rm) + disp);
        }
        if (opcode == 0xF6)
            return (sbyte)raw;
        if (operand16)
            return (short)raw;
        return (rex & 8) != 0 ? raw : (int)raw;
    }

    private static ulong Register(TrapFrame* f, int index) => index switch
    {
        0 => f->Rax, 1 => f->Rcx, 2 => f->Rdx, 3 => f->Rbx, 4 => f->Rsp, 5 => f->Rbp, 6 => f->Rsi, 7 => f->Rdi,
        8 => f->R8, 9 => f->R9, 10 => f->R10, 11 => f->R11, 12 => f->R12, 13 => f->R13, 14 => f->R14, _ => f->R15,
    };

    /// <summary>Division by zero, overflow and null references in compiled C# become the .NET
    /// exceptions: the trap returns into ParaKitThrowHardware (Native/exceptions.S) on the
    /// faulting code's stack, which throws from the faulting instruction. False for every other
    /// fault, and for faults outside managed code (no unwind information to throw through).</summary>
    public static bool TryThrow(TrapFrame* frame, uint cause)
    {
        if (cause != DivideByZero && cause != Overflow && cause != NullReference)
            return false;
        if (!Unwinder.FindFde(frame->Rip, out _))
            return false;
        s_lastVector = (uint)frame->Vector;
        s_lastErrorCode = frame->ErrorCode;
        s_lastFaultAddress = s_pendingFaultAddress;
        frame->Rdi = cause;
        frame->Rsi = frame->Rip;
        frame->Rip = Unwinder.ThrowHardwareEntry;
        return true;
    }

    /// <summary>A fault the guest cannot continue from: hand its record to the kernel, which
    /// asks domain 0 to end the domain with a report.</summary>
    public static void Fatal(TrapFrame* frame, uint cause, ulong faultAddress)
    {
        FaultRecord r = default;
        r.Cause = cause;
        r.Vector = (uint)frame->Vector;
        r.ErrorCode = frame->ErrorCode;
        r.FaultAddress = faultAddress;
        r.Rip = frame->Rip;
        r.Rsp = frame->Rsp;
        r.Rbp = frame->Rbp;
        Report(&r);
    }

    /// <summary>Fills Rip (the caller's return address), Rsp and Rbp with the caller's context.</summary>
    [System.Runtime.RuntimeImport("*", "ParaKitCallerContext"), System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.InternalCall)]
    public static extern void CallerContext(FaultRecord* record);

    /// <summary>Ends the domain with <paramref name="record"/> (never returns).</summary>
    public static void Report(FaultRecord* record)
    {
        if (RuntimeHost.ReportCrash != null)
            RuntimeHost.ReportCrash(record);
        Internal.Runtime.Panic.Fail("fatal error (no kernel to report it)");
    }
}
