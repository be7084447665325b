// Domain 0's seccomp-BPF filter, as Firecracker and Solo5's tenders have one: once the domains
// are set up, every thread of the process (the .NET runtime's too: the filter is synchronised
// to all of them and inherited by new ones) may make only the calls in SyscallAllowlist. The
// BPF program is assembled here: check the architecture (x86-64 only, no x32 numbers), then a
// binary search over the allowed numbers. Anything else traps (SIGSYS) into a few bytes of
// machine code that write a sentence naming the call and end the process with status 159
// (128 + SIGSYS). Managed code cannot run in a signal handler (the thread may be a GC thread in
// the middle of a collection), so the handler writes the number's digits itself and finds its
// name in SyscallNames.Packed, read-only data in the executable: nothing is built for the
// report as domain 0 starts (a table of 513 sentences was ~50 µs of it).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ParaKit.Hypervisor.Native;

/// <summary>The filter could not be installed (an old kernel, a container that forbids it).</summary>
public sealed class SeccompException(string message) : Exception(message);

internal static unsafe class Seccomp
{
    /// <summary>Exit status of a process that made a forbidden call.</summary>
    public const int ForbiddenCallStatus = 159;
    public const int SigSys = 31;

    private const ushort LdAbsW = 0x20, JeqK = 0x15, JgeK = 0x35, RetK = 0x06;
    private const uint AuditArchX8664 = 0xC000003E;
    /// <summary>x32 system calls are numbered from here; the filter kills them without a report.</summary>
    internal const uint X32Bit = 0x40000000;
    private const uint RetKillProcess = 0x80000000, RetTrap = 0x00030000, RetAllow = 0x7FFF0000;
    private const int SeccompSetModeFilter = 1, SeccompFilterFlagTsync = 1, SysSeccomp = 317;
    private const int SaSiginfo = 4;

    private static readonly Lock s_lock = new();
    private static bool s_applied;

    /// <summary>struct sock_filter.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K);

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Length;
        public BpfInstruction* Filter;
    }

    public static bool IsApplied
    {
        get { lock (s_lock) return s_applied; }
    }

    /// <summary>The filter: the architecture check, then a binary search over the points where
    /// the allowlist starts or stops (a number is allowed when an odd number of them are at or
    /// below it). When the filter is installed the kernel runs it once for every system call
    /// number to cache its answers, so its cost follows the path a number takes: a chain of one
    /// comparison per allowed call took ~0.25 ms of kernel time to install here (the largest
    /// step between `parakit run`'s Main and the guest's first instruction), the search ~0.09 ms,
    /// and each call made later runs ~8 comparisons instead of up to 146.</summary>
    internal static BpfInstruction[] Assemble(IReadOnlyList<int> allowed)
    {
        int[] sorted = [.. allowed];
        Array.Sort(sorted);
        var flips = new List<uint>();
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i > 0 && sorted[i] <= sorted[i - 1] + 1)
                continue;                                   // a repeat, or the run goes on
            if (i > 0)
                flips.Add((uint)sorted[i - 1] + 1);         // the run before ends
            flips.Add((uint)sorted[i]);                     // a run of allowed numbers starts
        }
        if (sorted.Length > 0)
            flips.Add((uint)sorted[^1] + 1);                // the last run ends
        var p = new List<BpfInstruction>
        {
            new(LdAbsW, 0, 0, 4),                  // seccomp_data.arch
            new(JeqK, 1, 0, AuditArchX8664),
            new(RetK, 0, 0, RetKillProcess),       // another architecture's numbers mean other calls
            new(LdAbsW, 0, 0, 0),                  // seccomp_data.nr
            new(JgeK, 0, 1, X32Bit),               // x32 ABI (or beyond): never
            new(RetK, 0, 0, RetKillProcess),
        };
        Search(p, flips, 0, flips.Count);
        return [.. p];
    }

    /// <summary>Decides a number known to have between <paramref name="least"/> and
    /// <paramref name="most"/> flips at or below it.</summary>
    private static void Search(List<BpfInstruction> p, List<uint> flips, int least, int most)
    {
        if (least == most)
        {
            p.Add(new(RetK, 0, 0, least % 2 == 1 ? RetAllow : RetTrap));
            return;
        }
        int mid = (least + most + 1) / 2;          // is the mid-th flip at or below the number?
        int test = p.Count;
        p.Add(default);
        Search(p, flips, least, mid - 1);
        int skip = p.Count - test - 1;
        if (skip > byte.MaxValue)
            throw new InvalidOperationException($"{flips.Count / 2} runs of allowed calls are too many for one BPF jump; split the program");
        p[test] = new(JgeK, (byte)skip, 0, flips[mid - 1]);
        Search(p, flips, mid, most);
    }

    /// <summary>The sentence printed when call N is refused: this, "N (name)", <see cref="ReportSuffix"/>.</summary>
    internal static ReadOnlySpan<byte> ReportPrefix => "parakit: seccomp: domain 0 made system call "u8;
    internal static ReadOnlySpan<byte> ReportSuffix => ", which is not in its allowlist; the process ends here (run with --no-seccomp to debug; hypervisor/Native/SyscallAllowlist.cs)\n"u8;

    /// <summary>Installs the SIGSYS reporter and the filter on every thread of the process, once.
    /// Throws SeccompException with a sentence when the kernel refuses.</summary>
    public static void Apply()
    {
        lock (s_lock)
        {
            if (s_applied)
                return;
            InstallReporter();
            var program = Assemble(SyscallAllowlist.Numbers());
            if (Libc.Prctl(Libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
                throw new SeccompException("prctl(PR_SET_NO_NEW_PRIVS) failed: " + Libc.StrError(Libc.LastErrno) + " (use --no-seccomp)");
            fixed (BpfInstruction* f = program)
            {
                var prog = new SockFprog { Length = (ushort)program.Length, Filter = f };
                long rc = Libc.Syscall(SysSeccomp, SeccompSetModeFilter, SeccompFilterFlagTsync, (nuint)(&prog));
                if (rc != 0)
                {
                    string why = rc > 0
                        ? $"thread {rc} could not take the filter"
                        : Libc.StrError(Libc.LastErrno);
                    throw new SeccompException($"seccomp(SECCOMP_SET_MODE_FILTER) failed: {why} (use --no-seccomp)");
                }
            }
            s_applied = true;
        }
    }

    // The reporter's page. Its first 128 bytes are data the code reads relative to itself:
    //   0   struct iovec[6], copied to the stack and completed there: the prefix, the number
    //       (filled in), " (", the name (filled in), ")", the suffix;
    //   96  SyscallNames.Packed and its count; 112 the name of a number without one.
    // Every text is a UTF-8 literal: read-only data in the executable, which never moves.
    private const int HeaderBytes = 128;

    /// <summary>SIGSYS handler (rsi = siginfo): writes the sentence for si_syscall to stderr
    /// with one writev, then exit_group(159). The bytes are what GNU as makes of the instructions
    /// in the comments (rep movsq relies on the kernel clearing DF for a signal handler).</summary>
    private static ReadOnlySpan<byte> ReporterCode =>
    [
        0x8B, 0x46, 0x18,                         //       mov eax, [rsi+0x18]     siginfo.si_syscall
        0x41, 0x89, 0xC2,                         //       mov r10d, eax
        0x48, 0x81, 0xEC, 0x80, 0x00, 0x00, 0x00, //       sub rsp, 128            iovec[6], then the digits
        0x48, 0x8D, 0x35, 0x6C, 0xFF, 0xFF, 0xFF, //       lea rsi, [rip+header]
        0x48, 0x89, 0xE7,                         //       mov rdi, rsp
        0xB9, 0x0C, 0x00, 0x00, 0x00,             //       mov ecx, 12
        0xF3, 0x48, 0xA5,                         //       rep movsq               the iovecs onto the stack
        0x4C, 0x8D, 0x8C, 0x24, 0x80, 0x00, 0x00, 0x00, // lea r9, [rsp+128]       the digits end here
        0x4D, 0x89, 0xCB,                         //       mov r11, r9
        0x44, 0x89, 0xD0,                         //       mov eax, r10d
        0x41, 0xB8, 0x0A, 0x00, 0x00, 0x00,       //       mov r8d, 10
        0x31, 0xD2,                               // digit: xor edx, edx
        0x41, 0xF7, 0xF0,                         //       div r8d
        0x80, 0xC2, 0x30,                         //       add dl, '0'
        0x49, 0xFF, 0xCB,                         //       dec r11
        0x41, 0x88, 0x13,                         //       mov [r11], dl
        0x85, 0xC0,                               //       test eax, eax
        0x75, 0xEE,                               //       jnz digit
        0x4C, 0x89, 0x5C, 0x24, 0x10,             //       mov [rsp+16], r11       iovec[1]: the number
        0x4D, 0x29, 0xD9,                         //       sub r9, r11
        0x4C, 0x89, 0x4C, 0x24, 0x18,             //       mov [rsp+24], r9
        0x48, 0x8B, 0x3D, 0x87, 0xFF, 0xFF, 0xFF, //       mov rdi, [rip+header+96]  the names
        0x44, 0x89, 0xD0,                         //       mov eax, r10d
        0x48, 0x3B, 0x05, 0x85, 0xFF, 0xFF, 0xFF, //       cmp rax, [rip+header+104] their count
        0x73, 0x25,                               //       jae unknown
        0x89, 0xC2,                               //       mov edx, eax            names to skip
        0x85, 0xD2,                               // next: test edx, edx
        0x74, 0x0D,                               //       jz found
        0x48, 0xFF, 0xC7,                         // skip: inc rdi
        0x80, 0x7F, 0xFF, 0x00,                   //       cmp byte [rdi-1], 0
        0x75, 0xF7,                               //       jne skip
        0xFF, 0xCA,                               //       dec edx
        0xEB, 0xEF,                               //       jmp next
        0x48, 0x89, 0xF9,                         // found: mov rcx, rdi
        0x80, 0x39, 0x00,                         // len:  cmp byte [rcx], 0
        0x74, 0x05,                               //       je counted
        0x48, 0xFF, 0xC1,                         //       inc rcx
        0xEB, 0xF6,                               //       jmp len
        0x48, 0x29, 0xF9,                         // counted: sub rcx, rdi
        0x75, 0x0E,                               //       jnz named               an unused number has ""
        0x48, 0x8B, 0x3D, 0x5F, 0xFF, 0xFF, 0xFF, // unknown: mov rdi, [rip+header+112]
        0x48, 0x8B, 0x0D, 0x60, 0xFF, 0xFF, 0xFF, //       mov rcx, [rip+header+120]
        0x48, 0x89, 0x7C, 0x24, 0x30,             // named: mov [rsp+48], rdi    iovec[3]: the name
        0x48, 0x89, 0x4C, 0x24, 0x38,             //       mov [rsp+56], rcx
        0xBF, 0x02, 0x00, 0x00, 0x00,             //       mov edi, 2              stderr
        0x48, 0x89, 0xE6,                         //       mov rsi, rsp
        0xBA, 0x06, 0x00, 0x00, 0x00,             //       mov edx, 6
        0xB8, 0x14, 0x00, 0x00, 0x00,             //       mov eax, 20             writev
        0x0F, 0x05,                               //       syscall
        0xBF, ForbiddenCallStatus, 0x00, 0x00, 0x00, //    mov edi, 159
        0xB8, 0xE7, 0x00, 0x00, 0x00,             //       mov eax, 231            exit_group
        0x0F, 0x05,                               //       syscall
        0x0F, 0x0B,                               //       ud2
    ];

    /// <summary>Maps the reporter's page (header and code) and makes it the SIGSYS handler.</summary>
    private static void InstallReporter()
    {
        const nuint size = 4096;
        nint mem = Libc.Mmap(0, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (mem == Libc.MapFailed)
            throw new SeccompException("cannot map the seccomp reporter: " + Libc.StrError(Libc.LastErrno));
        var header = new Span<ulong>((void*)mem, HeaderBytes / sizeof(ulong));
        (header[0], header[1]) = Text(ReportPrefix);
        (header[4], header[5]) = Text(" ("u8);
        (header[8], header[9]) = Text(")"u8);
        (header[10], header[11]) = Text(ReportSuffix);
        header[12] = Text(SyscallNames.Packed).Base;
        header[13] = SyscallNames.Count;
        (header[14], header[15]) = Text("unknown"u8);
        ReporterCode.CopyTo(new Span<byte>((void*)(mem + HeaderBytes), (int)size - HeaderBytes));
        if (Libc.Mprotect(mem, size, Libc.PROT_READ | Libc.PROT_EXEC) != 0)
            throw new SeccompException("cannot protect the seccomp reporter: " + Libc.StrError(Libc.LastErrno));
        SigAction act = default;
        act.Handler = mem + HeaderBytes;
        act.Flags = SaSiginfo;
        if (Libc.Sigaction(SigSys, &act, null) != 0)
            throw new SeccompException("cannot install the SIGSYS reporter: " + Libc.StrError(Libc.LastErrno));
    }

    /// <summary>A UTF-8 literal's address and length, as an iovec holds them.</summary>
    private static (ulong Base, ulong Length) Text(ReadOnlySpan<byte> literal) =>
        ((ulong)Unsafe.AsPointer(ref MemoryMarshal.GetReference(literal)), (ulong)literal.Length);
}
