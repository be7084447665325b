// The report for a guest that told domain 0 why it is dying (crash_report hypercall): the cause
// in words, where (symbol, and file:line when the image has a line table), and a backtrace
// walked from the guest's frame pointers (each frame: [rbp] = caller's rbp, [rbp+8] = return
// address) with every frame symbolized. Reads guest memory only through bounds checks: a
// corrupt chain ends the backtrace, it never throws.
using System.Text;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Traps;

namespace ParaKit.Hypervisor.Domains;

public static class GuestCrashReport
{
    public const int MaxFrames = 64;

    /// <summary>The first line ("null reference (page fault at 0x0)") of the report.</summary>
    public static string Headline(in GuestCrashInfo info)
    {
        string cause = GuestCrashInfo.Describe(info.Cause);
        return info.Cause switch
        {
            CrashCause.NullReference or CrashCause.AccessViolation when info.Vector == 14 => $"{cause} (page fault at 0x{info.FaultAddress:x}, error 0x{info.ErrorCode:x})",
            CrashCause.StackOverflow => $"{cause} (page fault at 0x{info.FaultAddress:x} in the stack's guard page)",
            CrashCause.BadHypercall when info.Vector == uint.MaxValue => $"{cause} {info.ErrorCode} (the hypercall page has stubs 0-127)",
            CrashCause.OtherFault or CrashCause.GeneralProtection => $"{cause} (vector {info.Vector}, error 0x{info.ErrorCode:x})",
            _ => cause,
        };
    }

    /// <summary>"at file:line in symbol" lines and the backtrace.</summary>
    public static string Format(in GuestCrashInfo info, ElfImage image, GuestMemory memory, MemoryLayout layout)
    {
        var sb = new StringBuilder();
        sb.Append($"  at {Place(image, info.Rip, info.RipIsReturnAddress != 0)}").AppendLine();
        sb.Append("  backtrace:").AppendLine();
        sb.Append($"    #0  0x{info.Rip:x} {Place(image, info.Rip, info.RipIsReturnAddress != 0)}").AppendLine();
        int n = 1;
        foreach (ulong ret in WalkFramePointers(memory, layout, info.Rbp))
        {
            sb.Append($"    #{n,-2} 0x{ret:x} {Place(image, ret, true)}").AppendLine();
            n++;
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>"File.cs:34 in symbol+0x12" (or just the symbol without a line table) for a code
    /// address; a return address is looked up one byte back, inside the call instruction.</summary>
    public static string Place(ElfImage image, ulong address, bool isReturnAddress)
    {
        ulong lookup = isReturnAddress && address > 0 ? address - 1 : address;
        if (image.FindSymbol(lookup) is not { } s)
            return "?";
        string symbol = $"{s.Name}+0x{address - s.Address:x}";
        return image.Lines.Find(lookup, s.Address) is { } line ? $"{line} in {symbol}" : symbol;
    }

    /// <summary>Return addresses up the frame-pointer chain, stopping at rbp 0 (set by _start),
    /// a frame outside the stack, a chain that does not move up, or <see cref="MaxFrames"/>.</summary>
    public static List<ulong> WalkFramePointers(GuestMemory memory, MemoryLayout layout, ulong rbp)
    {
        var frames = new List<ulong>();
        while (frames.Count < MaxFrames && rbp != 0 && InStack(layout, rbp))
        {
            if (!memory.TryRead(rbp, out ulong next) || !memory.TryRead(rbp + 8, out ulong ret) || ret == 0)
                break;
            frames.Add(ret);
            if (next <= rbp)
                break;
            rbp = next;
        }
        return frames;
    }

    private static bool InStack(MemoryLayout layout, ulong address) =>
        (address >= layout.StackBottom && address + 16 <= layout.StackTop)
        || (address >= TrapLayout.TrapStackBottom && address + 16 <= TrapLayout.TrapStackTop);
}
