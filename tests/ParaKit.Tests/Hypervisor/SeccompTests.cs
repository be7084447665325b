// Domain 0's seccomp-BPF allowlist: the assembled program decides exactly as the table says
// (checked by running it in a small BPF interpreter), a forbidden call ends the process with a
// sentence naming it, and `run`/`create` are under the filter unless --no-seccomp says otherwise.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Native;

namespace ParaKit.Tests.Hypervisor;

public class SeccompTests
{
    private const uint X8664 = 0xC000003E, Allow = 0x7FFF0000, Trap = 0x00030000, KillProcess = 0x80000000;

    /// <summary>Runs a classic-BPF seccomp program on (nr, arch): the kernel's semantics for the
    /// few instructions the assembler emits; anything else fails the test.</summary>
    private static uint Evaluate(Seccomp.BpfInstruction[] program, uint nr, uint arch) => Evaluate(program, nr, arch, out _);

    /// <summary>The same, with the number of instructions the decision took.</summary>
    private static uint Evaluate(Seccomp.BpfInstruction[] program, uint nr, uint arch, out int steps)
    {
        uint a = 0;
        steps = 0;
        for (int pc = 0; steps < 10_000; )
        {
            steps++;
            Assert.That(pc, Is.InRange(0, program.Length - 1), "the program jumps outside itself");
            var i = program[pc];
            switch (i.Code)
            {
                case 0x20: // ld [k]
                    a = i.K switch { 0 => nr, 4 => arch, _ => throw new AssertionException($"load from offset {i.K}") };
                    pc++;
                    break;
                case 0x15: // jeq #k
                    pc += 1 + (a == i.K ? i.JumpTrue : i.JumpFalse);
                    break;
                case 0x35: // jge #k
                    pc += 1 + (a >= i.K ? i.JumpTrue : i.JumpFalse);
                    break;
                case 0x06: // ret #k
                    return i.K;
                default:
                    throw new AssertionException($"unexpected BPF opcode 0x{i.Code:x}");
            }
        }
        throw new AssertionException("the program does not end");
    }

    [Test]
    public void Every_name_in_the_allowlist_is_a_system_call_and_the_dangerous_ones_are_not_there()
    {
        int[] allowed = SyscallAllowlist.Numbers();
        Assert.That(allowed, Is.Not.Empty);
        foreach (string forbidden in new[] { "execve", "execveat", "fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "mount", "setuid", "init_module", "finit_module", "kexec_load", "bpf", "perf_event_open", "unshare", "setns", "reboot", "io_uring_setup", "userfaultfd", "open_by_handle_at" })
            Assert.That(allowed, Does.Not.Contain(SyscallNames.Number(forbidden)), forbidden);
        foreach (string needed in new[] { "ioctl", "mmap", "memfd_create", "eventfd2", "clone3", "futex", "socket", "sendto", "recvfrom", "rt_sigaction", "write", "exit_group" })
            Assert.That(allowed, Does.Contain(SyscallNames.Number(needed)), needed);
        Assert.Throws<ArgumentException>(() => SyscallNames.Number("no_such_call"));
    }

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property The_program_allows_exactly_the_table_and_traps_the_rest()
    {
        int[] allowed = SyscallAllowlist.Numbers();
        var program = Seccomp.Assemble(allowed);
        return Prop.ForAll(Gen.Choose(0, 1100).ToArbitrary(), n =>
        {
            uint nr = (uint)n;
            uint expected = allowed.Contains(n) ? Allow : Trap;
            return Evaluate(program, nr, X8664) == expected
                && Evaluate(program, nr | 0x40000000, X8664) == KillProcess   // x32 numbers
                && Evaluate(program, nr, 0x40000003) == KillProcess;          // i386
        });
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Any_allowlist_is_decided_exactly_by_a_short_search()
    {
        // The kernel runs the filter for every call number when it is installed, so its cost is
        // the path length: a binary search over where runs of allowed numbers start and stop.
        var lists = Gen.ListOf(Gen.Choose(0, 600)).Select(l => l.ToArray()).ToArbitrary();
        return Prop.ForAll(lists, allowed =>
        {
            var program = Seccomp.Assemble(allowed);
            int runs = allowed.Distinct().Count(n => !allowed.Contains(n - 1));
            int longest = 6 + (int)Math.Ceiling(Math.Log2(2 * runs + 1)) + 1;
            for (uint nr = 0; nr < 620; nr++)
            {
                uint expected = allowed.Contains((int)nr) ? Allow : Trap;
                if (Evaluate(program, nr, X8664, out int steps) != expected || steps > longest)
                    return false;
            }
            return true;
        });
    }

    [Test]
    public void The_allowlist_takes_at_most_a_dozen_instructions_per_call()
    {
        var program = Seccomp.Assemble(SyscallAllowlist.Numbers());
        int worst = 0;
        for (uint nr = 0; nr < 1100; nr++)
        {
            Evaluate(program, nr, X8664, out int steps);
            worst = Math.Max(worst, steps);
        }
        Assert.That(worst, Is.LessThanOrEqualTo(14), $"{program.Length} instructions");
    }

    [Test]
    public void Every_allowed_call_passes_and_its_neighbours_do_not_unless_listed()
    {
        int[] allowed = SyscallAllowlist.Numbers();
        var program = Seccomp.Assemble(allowed);
        foreach (int nr in allowed)
            Assert.That(Evaluate(program, (uint)nr, X8664), Is.EqualTo(Allow), SyscallNames.Of(nr));
        Assert.That(Evaluate(program, (uint)SyscallNames.Number("execve"), X8664), Is.EqualTo(Trap));
    }

    [Test]
    public void The_packed_names_give_every_number_its_name_and_the_allowlist_constants_match_them()
    {
        Assert.That(SyscallNames.Packed.Count((byte)0), Is.EqualTo(SyscallNames.Count), "one NUL per number");
        Assert.That((SyscallNames.Of(0), SyscallNames.Of(59), SyscallNames.Of(SyscallNames.Count - 1)), Is.EqualTo(("read", "execve", "mseal")));
        Assert.That((SyscallNames.Of(400), SyscallNames.Of(SyscallNames.Count), SyscallNames.Of(-1)), Is.EqualTo(("unknown", "unknown", "unknown")));
        var constants = typeof(SyscallNumbers).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static);
        Assert.That(constants, Has.Length.GreaterThanOrEqualTo(SyscallAllowlist.Numbers().Length));
        foreach (var field in constants)
        {
            // RtSigaction -> rt_sigaction, Pread64 -> pread64
            string linux = System.Text.RegularExpressions.Regex.Replace(field.Name, "(?<!^)([A-Z])", "_$1").ToLowerInvariant();
            Assert.That(SyscallNames.Number(linux), Is.EqualTo((int)field.GetRawConstantValue()!), field.Name);
        }
    }

    /// <summary>`seccomp --try CALL` for a call the filter refuses. The process ends in the SIGSYS
    /// handler, before the runtime can remove its diagnostics socket (dotnet-diagnostic-PID-...
    /// in TMPDIR), so it gets a temporary folder of its own, removed here.</summary>
    private static ProcessResult TryForbidden(string call)
    {
        string tmp = HypervisorHarness.ScratchDir();
        try
        {
            return HypervisorHarness.RunParakit(["seccomp", "--try", call], env: new Dictionary<string, string> { ["TMPDIR"] = tmp });
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    [TestCase("ptrace", "101 (ptrace)")]
    [TestCase("57", "57 (fork)")]                     // by number, two digits
    [TestCase("462", "462 (mseal)")]                  // the last name
    [TestCase("400", "400 (unknown)")]                // a number without a call (not 335-336: the kernel
                                                      // lets uretprobe and uprobe past every filter)
    [TestCase("463", "463 (unknown)")]                // the first number past the names
    [TestCase("1073741823", "1073741823 (unknown)")]  // the largest that is not an x32 number
    public void The_report_names_any_number_the_filter_refuses(string call, string expected)
    {
        var r = TryForbidden(call);
        Assert.That((r.ExitCode, r.Stderr), Is.EqualTo((Seccomp.ForbiddenCallStatus,
            System.Text.Encoding.UTF8.GetString(Seccomp.ReportPrefix) + expected + System.Text.Encoding.UTF8.GetString(Seccomp.ReportSuffix))), r.Output);
        Assert.That(r.Stderr, Does.StartWith("parakit: seccomp: domain 0 made system call " + expected + ", which is not in its allowlist").And.EndWith("\n"));
    }

    [TestCase("ptrace", 101)]
    [TestCase("execve", 59)]
    [TestCase("mount", 165)]
    public void A_forbidden_call_ends_the_process_with_a_sentence_naming_it(string call, int nr)
    {
        var r = TryForbidden(call);
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(Seccomp.ForbiddenCallStatus), r.Output);
            Assert.That(r.Stderr, Does.Contain($"parakit: seccomp: domain 0 made system call {nr} ({call}), which is not in its allowlist"));
            Assert.That(r.Stderr, Does.Contain("--no-seccomp"));
        });
    }

    [Test]
    public void An_allowed_call_goes_through_under_the_filter()
    {
        var r = HypervisorHarness.RunParakit(["seccomp", "--try", "getppid"]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.That(r.Stdout, Does.Contain("getppid (110) is allowed"));
        var list = HypervisorHarness.RunParakit(["seccomp"]);
        Assert.That(list.Stdout, Does.Contain("ioctl").And.Contain("calls; anything else ends domain 0 with status 159"));
    }

    [Test]
    public void Create_runs_its_domains_under_the_filter_unless_told_otherwise()
    {
        HypervisorHarness.RequireKvm();
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string cfg = Path.Combine(dir, "b.cfg");
            File.WriteAllText(cfg, $"name = \"b\"\nkernel = \"{HypervisorHarness.CsGuest("blocker")}\"\nmemory = 4\n");
            foreach (bool off in new[] { false, true })
            {
                string? mode = null;
                var env = new Dictionary<string, string>
                {
                    ["PARAKIT_XENSTORE_SOCKET"] = Path.Combine(dir, "xs.sock"),
                    ["PARAKIT_CONTROL_SOCKET"] = Path.Combine(dir, "control.sock"),
                };
                var r = HypervisorHarness.RunParakit(off ? ["create", "--no-seccomp", "--timeout", "1.5", cfg] : ["create", "--timeout", "1.5", cfg], TimeSpan.FromSeconds(30), env, p =>
                {
                    var until = DateTime.UtcNow.AddSeconds(10);
                    while (DateTime.UtcNow < until && mode is null)
                    {
                        Thread.Sleep(100);
                        try
                        {
                            // The filter goes on just before the first domain is built.
                            foreach (var task in Directory.GetDirectories($"/proc/{p.Id}/task"))
                            {
                                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("vcpu", StringComparison.Ordinal))
                                    mode = File.ReadAllLines($"/proc/{p.Id}/status").First(l => l.StartsWith("Seccomp:", StringComparison.Ordinal));
                            }
                        }
                        catch (IOException)
                        {
                        }
                    }
                });
                Assert.That(r.ExitCode, Is.EqualTo(124), r.Output);
                Assert.That(mode, Is.EqualTo(off ? "Seccomp:\t0" : "Seccomp:\t2"), off ? "--no-seccomp" : "default");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
