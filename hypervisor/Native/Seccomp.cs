// Domain 0's seccomp-BPF filter, as Firecracker and Solo5's tenders have one: once the domains
// are set up, every thread of the process (the .NET runtime's too: the filter is synchronised
// to all of them and inherited by new ones) may make only the calls in SyscallAllowlist. The
// BPF program is assembled here: check the architecture (x86-64 only, no x32 numbers), then
// one comparison per allowed call. Anything else traps (SIGSYS) into a few bytes of machine code
// that write a sentence naming the call and end the process with status 159 (128 + SIGSYS).
// Managed code cannot run in a signal handler (the thread may be a GC thread in the middle of a
// collection), so each call number's "N (name)" is written in advance into a 32-byte slot, and the
// handler writes prefix, slot and suffix with one writev (16 KiB of table instead of a whole
// sentence per number: fewer pages to touch while domain 0 starts).
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
    private const uint AuditArchX8664 = 0xC000003E, X32Bit = 0x40000000;
    private const uint RetKillProcess = 0x80000000, RetTrap = 0x00030000, RetAllow = 0x7FFF0000;
    private const int SeccompSetModeFilter = 1, SeccompFilterFlagTsync = 1, SysSeccomp = 317;
    private const int SaSiginfo = 4;
    private const int MessageSlot = 32, Slots = 513; // numbers 0..511, then "above 511" for the rest

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

    /// <summary>The sentence printed when call <paramref name="nr"/> is refused: <see cref="ReportPrefix"/>,
    /// the call's slot ("101 (ptrace)"), <see cref="ReportSuffix"/>.</summary>
    internal const string ReportPrefix = "parakit: seccomp: domain 0 made system call ";
    internal const string ReportSuffix = ", which is not in its allowlist; the process ends here (run with --no-seccomp to debug; hypervisor/Native/SyscallAllowlist.cs)\n";
    private const string AboveTable = "with a number above 511";

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

    /// <summary>Writes every call number's slot, the prefix and the suffix into a table and
    /// installs the machine code that writes the three for siginfo's si_syscall, then calls exit_group.</summary>
    private static void InstallReporter()
    {
        int slotBytes = Slots * MessageSlot;
        int prefixAt = slotBytes, suffixAt = prefixAt + ReportPrefix.Length;
        int tableBytes = (suffixAt + ReportSuffix.Length + 4095) & ~4095; // the code starts on its own page
        int codeBytes = 4096;
        nuint size = (nuint)(tableBytes + codeBytes);
        nint mem = Libc.Mmap(0, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (mem == Libc.MapFailed)
            throw new SeccompException("cannot map the seccomp report table: " + Libc.StrError(Libc.LastErrno));
        var table = new Span<byte>((void*)mem, tableBytes);
        for (int nr = 0; nr < Slots; nr++)
        {
            var slot = table.Slice(nr * MessageSlot + 1, MessageSlot - 1);
            int len = nr < Slots - 1 ? WriteSlot(slot, nr) : Ascii(AboveTable, slot);
            table[nr * MessageSlot] = (byte)len;
        }
        Ascii(ReportPrefix, table[prefixAt..]);
        Ascii(ReportSuffix, table[suffixAt..]);
        nint code = mem + tableBytes;
        ulong t = (ulong)mem, p = (ulong)(mem + prefixAt), s = (ulong)(mem + suffixAt);
        int pl = ReportPrefix.Length, sl = ReportSuffix.Length;
        ReadOnlySpan<byte> handler =
        [
            0x8B, 0x46, 0x18,                         // mov eax, [rsi+0x18]   siginfo.si_syscall
            0x3D, 0xFF, 0x01, 0x00, 0x00,             // cmp eax, 511
            0x76, 0x05,                               // jbe +5
            0xB8, 0x00, 0x02, 0x00, 0x00,             // mov eax, 512          the "above 511" slot
            0x48, 0xC1, 0xE0, 0x05,                   // shl rax, 5            * MessageSlot
            0x48, 0xBE,                               // mov rsi, table
            (byte)t, (byte)(t >> 8), (byte)(t >> 16), (byte)(t >> 24), (byte)(t >> 32), (byte)(t >> 40), (byte)(t >> 48), (byte)(t >> 56),
            0x48, 0x01, 0xC6,                         // add rsi, rax
            0x0F, 0xB6, 0x16,                         // movzx edx, byte [rsi] length
            0x48, 0xFF, 0xC6,                         // inc rsi
            0x48, 0x83, 0xEC, 0x30,                   // sub rsp, 48           struct iovec[3]
            0x48, 0xB8,                               // mov rax, prefix
            (byte)p, (byte)(p >> 8), (byte)(p >> 16), (byte)(p >> 24), (byte)(p >> 32), (byte)(p >> 40), (byte)(p >> 48), (byte)(p >> 56),
            0x48, 0x89, 0x04, 0x24,                   // mov [rsp], rax
            0x48, 0xC7, 0x44, 0x24, 0x08,             // mov qword [rsp+8], prefix length
            (byte)pl, (byte)(pl >> 8), 0x00, 0x00,
            0x48, 0x89, 0x74, 0x24, 0x10,             // mov [rsp+16], rsi     the slot
            0x48, 0x89, 0x54, 0x24, 0x18,             // mov [rsp+24], rdx
            0x48, 0xB8,                               // mov rax, suffix
            (byte)s, (byte)(s >> 8), (byte)(s >> 16), (byte)(s >> 24), (byte)(s >> 32), (byte)(s >> 40), (byte)(s >> 48), (byte)(s >> 56),
            0x48, 0x89, 0x44, 0x24, 0x20,             // mov [rsp+32], rax
            0x48, 0xC7, 0x44, 0x24, 0x28,             // mov qword [rsp+40], suffix length
            (byte)sl, (byte)(sl >> 8), 0x00, 0x00,
            0xBF, 0x02, 0x00, 0x00, 0x00,             // mov edi, 2            stderr
            0x48, 0x89, 0xE6,                         // mov rsi, rsp
            0xBA, 0x03, 0x00, 0x00, 0x00,             // mov edx, 3
            0xB8, 0x14, 0x00, 0x00, 0x00,             // mov eax, 20           writev
            0x0F, 0x05,                               // syscall
            0xBF, ForbiddenCallStatus, 0x00, 0x00, 0x00, // mov edi, 159
            0xB8, 0xE7, 0x00, 0x00, 0x00,             // mov eax, 231          exit_group
            0x0F, 0x05,                               // syscall
            0x0F, 0x0B,                               // ud2
        ];
        handler.CopyTo(new Span<byte>((void*)code, codeBytes));
        // Read-only and executable in one call (a second would split the mapping again): the
        // table's text becomes executable too, but nothing in the mapping can be written.
        if (Libc.Mprotect(mem, size, Libc.PROT_READ | Libc.PROT_EXEC) != 0)
            throw new SeccompException("cannot protect the seccomp reporter: " + Libc.StrError(Libc.LastErrno));
        SigAction act = default;
        act.Handler = code;
        act.Flags = SaSiginfo;
        if (Libc.Sigaction(SigSys, &act, null) != 0)
            throw new SeccompException("cannot install the SIGSYS reporter: " + Libc.StrError(Libc.LastErrno));
    }

    /// <summary>"N (name)" into <paramref name="slot"/>, without allocating; its length.</summary>
    internal static int WriteSlot(Span<byte> slot, int nr)
    {
        if ((uint)nr >= Slots - 1)
            throw new ArgumentOutOfRangeException(nameof(nr), $"call {nr} has no report slot (0..{Slots - 2})");
        int n = nr < 10 ? 1 : nr < 100 ? 2 : 3;
        for (int i = n - 1, v = nr; i >= 0; i--, v /= 10)
            slot[i] = (byte)('0' + v % 10);
        string name = SyscallNames.Of(nr);
        if (n + 3 + name.Length > slot.Length)
            throw new InvalidOperationException($"system call name '{name}' is too long for a {MessageSlot}-byte report slot");
        slot[n++] = (byte)' ';
        slot[n++] = (byte)'(';
        n += Ascii(name, slot[n..]);
        slot[n++] = (byte)')';
        return n;
    }

    /// <summary>ASCII text byte by byte: the table is written as domain 0 starts, and Encoding's
    /// and number formatting's first use cost more than the copying.</summary>
    private static int Ascii(string text, Span<byte> to)
    {
        for (int i = 0; i < text.Length; i++)
            to[i] = (byte)text[i];
        return text.Length;
    }
}
