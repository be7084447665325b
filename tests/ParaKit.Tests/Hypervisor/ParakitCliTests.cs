// The real out/bin/parakit as a user runs it: boots, crash reports, timeouts, a hostile guest,
// every bad input with its exit status and message, `create` with several domains and Ctrl-C.
// Boot tests need /dev/kvm and fail (not skip) without it.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace ParaKit.Tests.Hypervisor;

[TestFixture]
[NonParallelizable]
public partial class ParakitCliTests
{
    private static ProcessResult Run(params string[] args) => HypervisorHarness.RunParakit(args);

    private static ProcessResult Boot(params string[] args)
    {
        HypervisorHarness.RequireKvm();
        return HypervisorHarness.RunParakit(args);
    }

    [Test]
    public void Assembly_hello_prints_and_exits_0()
    {
        var r = Boot("run", HypervisorHarness.AsmGuest("hello"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.That(r.Stdout, Is.EqualTo("hello from an assembly guest\n"));
    }

    [Test]
    public void Csharp_hello_gets_its_command_line_and_exits_0()
    {
        var r = Boot("run", HypervisorHarness.CsGuest("hello"), "--", "one", "two");
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
            Assert.That(r.Stdout, Does.Contain("Hello from a ParaKit C# unikernel!"));
            Assert.That(r.Stdout, Does.Contain("one two"));
        });
    }

    [Test]
    public void Csharp_hello_gets_words_with_spaces_back_as_one_argument()
    {
        var r = Boot("run", HypervisorHarness.CsGuest("hello"), "--", "one word", "", "two");
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
            Assert.That(r.Stdout, Does.Contain("arg 0: one word\n"));
            Assert.That(r.Stdout, Does.Contain("arg 1: \n"));
            Assert.That(r.Stdout, Does.Contain("arg 2: two\n"));
        });
    }

    [Test]
    public void Csharp_unhandled_exception_is_reported_at_its_throw_site()
    {
        var r = Boot("run", HypervisorHarness.CsGuest("panic"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(70), r.Output);
            Assert.That(r.Stderr, Does.Contain("crashed: unhandled exception"));
            Assert.That(r.Stderr, Does.Match(@"at panic_PanicApp__CheckReactor\+0x[0-9a-f]+"), "the method that threw");
            Assert.That(r.Stderr, Does.Match(@"#1 +0x[0-9a-f]+ \S*Main"), "its caller in the backtrace");
        });
    }

    [Test]
    public void Features_guest_passes_every_check()
    {
        var r = Boot("run", HypervisorHarness.CsGuest("features"));
        var m = Regex.Match(r.Stdout, @"features: (\d+) passed, (\d+) failed");
        Assert.Multiple(() =>
        {
            Assert.That(m.Success, Is.True, r.Output);
            Assert.That(m.Groups[2].Value, Is.EqualTo("0"), r.Output);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        });
    }

    [Test]
    public void Null_dereference_is_reported_with_registers_and_the_symbol()
    {
        var r = Boot("run", HypervisorHarness.AsmGuest("crash"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(70), r.Output);
            Assert.That(r.Stdout, Does.Contain("about to dereference null"));
            Assert.That(r.Stderr, Does.Contain("crashed: triple fault"));
            Assert.That(r.Stderr, Does.Match(@"rip 0x0*1000[0-9a-f]{2} <crash_here\+0x2>"));
            Assert.That(r.Stderr, Does.Contain("rsp 0x"));
            Assert.That(r.Stderr, Does.Contain("cr2 0x0"));
        });
    }

    [Test]
    public void A_register_access_no_device_claims_ends_the_domain_naming_the_address()
    {
        var r = Boot("run", "--stats", HypervisorHarness.AsmGuest("nodevice"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(70), r.Output);
            Assert.That(r.Stdout, Does.Contain("reading a register nobody emulates"));
            Assert.That(r.Stderr, Does.Contain("MMIO read of 4 bytes from 0xf0020008 (not guest RAM, and no device on the bus claims it)"));
            Assert.That(r.Stderr, Does.Match(@"<probe_nic\+0x[0-9a-f]+>"));
        });
    }

    [Test]
    public void Csharp_crash_app_is_reported_with_a_managed_method_name()
    {
        var r = Boot("run", HypervisorHarness.CsGuest("crash"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(70), r.Output);
            Assert.That(r.Stderr, Does.Contain("crashed: null reference"));
            Assert.That(r.Stderr, Does.Match(@"at crash_CrashApp__DereferenceNull\+0x[0-9a-f]+"));
        });
    }

    [Test]
    public void Spinning_guest_is_stopped_by_the_timeout_with_status_124()
    {
        var clock = Stopwatch.StartNew();
        var r = Boot("run", "--timeout", "0.5", HypervisorHarness.AsmGuest("spin"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(124), r.Output);
            Assert.That(r.Stdout, Does.Contain("spinning"));
            Assert.That(r.Stderr, Does.Contain("timed out after 0.5 s"));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        });
    }

    [Test]
    public void Timer_and_pvclock_agree_with_the_hypervisor()
    {
        // The guest sleeps 50 ms with set_timer_op + SCHEDOP_block, measured with pvclock.
        var r = Boot("run", HypervisorHarness.AsmGuest("timer"));
        Assert.That(r.Stdout, Does.Contain("timer ok"), r.Output);
        Assert.That(r.ExitCode, Is.InRange(50, 150), "elapsed ms as the guest measured it\n" + r.Output);
    }

    [Test]
    public void Poll_times_out_on_a_quiet_port_and_returns_at_once_for_a_pending_one()
    {
        var r = Boot("run", HypervisorHarness.AsmGuest("poll"));
        Assert.That(r.ExitCode, Is.InRange(30, 130), "first poll's wait in ms (255: the second poll blocked)\n" + r.Output);
    }

    [Test]
    public void Malicious_guest_gets_errors_and_domain_0_survives()
    {
        var r = Boot("run", "--stats", HypervisorHarness.AsmGuest("malicious"));
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Not.Contain("FAIL"), r.Output);
            Assert.That(r.Stdout, Does.Contain("malicious: done"), r.Output);
            Assert.That(r.ExitCode, Is.EqualTo(0), "failed checks\n" + r.Output);
            Assert.That(r.Stderr, Does.Contain("unknown=4"), "hypercalls 1, 127, 200 and -1 are counted as unknown\n" + r.Output);
        });
    }

    [TestCase("0", 0, "")]
    [TestCase("1", 0, "asked for reboot")]
    [TestCase("2", 0, "asked for suspend")]
    [TestCase("3", 70, "crashed: guest requested shutdown (crash)")]
    [TestCase("4", 70, "crashed: guest requested shutdown (watchdog)")]
    [TestCase("e", 42, "")]
    [TestCase("9", 99, "")] // an unknown reason is refused with -EINVAL and the guest carries on
    public void Shutdown_reasons_map_to_exit_statuses(string how, int status, string message)
    {
        var r = Boot("run", HypervisorHarness.AsmGuest("shutdown"), "--", how);
        Assert.That(r.ExitCode, Is.EqualTo(status), r.Output);
        Assert.That(r.Stderr, Does.Contain(message));
        if (status == 99)
            Assert.That(r.Stdout, Does.Contain("shutdown refused"));
    }

    [Test]
    public void Stats_report_exits_by_reason_and_hypercalls()
    {
        var r = Boot("run", "--stats", HypervisorHarness.AsmGuest("hello"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
            Assert.That(r.Stderr, Does.Contain("2 exits, 2 hypercalls"));
            Assert.That(r.Stderr, Does.Contain("exits: mmio=2"));
            Assert.That(r.Stderr, Does.Contain("console_io=1 sched_op=1(exit=1)"));
            Assert.That(r.Stderr, Does.Match(@"first guest entry [0-9.]+ ms"));
        });
    }

    [Test]
    public void Missing_kvm_device_is_an_environment_error()
    {
        var r = HypervisorHarness.RunParakit(["run", HypervisorHarness.AsmGuest("hello")], env: new Dictionary<string, string> { ["PARAKIT_KVM_DEVICE"] = "/nonexistent/kvm" });
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
            Assert.That(r.Stderr, Does.Contain("cannot open /nonexistent/kvm: the KVM device does not exist"));
        });
    }

    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void No_permission_on_the_kvm_device_is_an_environment_error()
    {
        HypervisorHarness.RequireKvm();
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Assert.Fail("this test drops root with setpriv(1) to provoke EACCES: run the suite as root on a host with util-linux");
        // A device only root may open, opened by the unprivileged 'nobody'. What nobody runs and
        // reads is copied to a world-readable folder: the checkout may be private to its owner.
        HypervisorHarness.RequireParakit();
        using var shared = new SharedCopy(HypervisorHarness.AsmGuest("hello"));
        string dev = Path.Combine(HypervisorHarness.ScratchDir(), "kvm");
        File.WriteAllText(dev, "");
        File.SetUnixFileMode(dev, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(Path.GetDirectoryName(dev)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        try
        {
            var r = HypervisorHarness.Run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", shared.Parakit, "--version"], TimeSpan.FromSeconds(30));
            Assert.That(r.ExitCode, Is.EqualTo(0), "parakit must be runnable by 'nobody' for this test\n" + r.Output);
            r = HypervisorHarness.Run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", shared.Parakit, "run", shared.PathOf(HypervisorHarness.AsmGuest("hello"))], TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["PARAKIT_KVM_DEVICE"] = dev });
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
                Assert.That(r.Stderr, Does.Contain($"cannot open {dev}: permission denied"));
            });
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dev)!, true);
        }
    }

    [Test]
    public void A_device_that_is_not_kvm_is_an_environment_error()
    {
        var r = HypervisorHarness.RunParakit(["run", HypervisorHarness.AsmGuest("hello")], env: new Dictionary<string, string> { ["PARAKIT_KVM_DEVICE"] = "/dev/null" });
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
            Assert.That(r.Stderr, Does.Contain("/dev/null is not a KVM device"));
        });
    }

    [Test]
    public void Non_elf_image_is_refused()
    {
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string f = Path.Combine(dir, "notes.txt");
            File.WriteAllText(f, "not a kernel");
            var r = Run("run", f);
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
                Assert.That(r.Stderr, Does.Contain("notes.txt: not an ELF file"));
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestCase("/nonexistent/guest.elf", "/nonexistent/guest.elf: no such file")]
    [TestCase("/tmp", "/tmp: is a directory")]
    public void Missing_images_are_refused_clearly(string path, string message)
    {
        var r = Run("run", path);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Stderr, Does.Contain(message));
    }

    [Test]
    public void Segments_outside_the_allowed_range_are_refused()
    {
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string f = Path.Combine(dir, "low.elf");
            File.WriteAllBytes(f, ElfImageTests.WithFirstLoadAddress(File.ReadAllBytes(HypervisorHarness.AsmGuest("hello")), 0x2000));
            var r = Run("run", f);
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
                Assert.That(r.Stderr, Does.Contain("outside the allowed range"));
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Image_larger_than_memory_is_refused()
    {
        HypervisorHarness.RequireKvm();
        var r = Run("run", "--memory", "4", HypervisorHarness.AsmGuest("bigbss"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
            Assert.That(r.Stderr, Does.Contain("bigbss.elf: image needs"));
            Assert.That(r.Stderr, Does.Contain("use more memory"));
        });
        Assert.That(Run("run", "--memory", "16", HypervisorHarness.AsmGuest("bigbss")).ExitCode, Is.EqualTo(0), "fits in 16 MiB");
    }

    [TestCase(new string[0], "usage: parakit")]
    [TestCase(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [TestCase(new[] { "run" }, "run: missing IMAGE")]
    [TestCase(new[] { "run", "x.elf", "--memory", "lots" }, "--memory expects a whole number between 4 and 3072")]
    [TestCase(new[] { "run", "x.elf", "--memory", "2" }, "--memory expects a whole number between 4 and 3072, got '2'")]
    [TestCase(new[] { "run", "x.elf", "--memory", "4096" }, "--memory expects a whole number between 4 and 3072")]
    [TestCase(new[] { "run", "x.elf", "--memory" }, "option --memory needs a value")]
    [TestCase(new[] { "run", "x.elf", "--timeout", "-1" }, "--timeout expects a positive number")]
    [TestCase(new[] { "run", "x.elf", "--bogus" }, "run: unknown option '--bogus'")]
    [TestCase(new[] { "run", "a.elf", "b.elf" }, "one image only")]
    [TestCase(new[] { "run", "hello", "alpha", "beta" }, "as in: parakit run hello -- alpha beta")]
    [TestCase(new[] { "run", "no-such-guest-anywhere" }, "no out/guests/no-such-guest-anywhere.elf (build it with `make guest APP=no-such-guest-anywhere`")]
    [TestCase(new[] { "create" }, "create: at least one configuration FILE")]
    [TestCase(new[] { "demo", "maze" }, "unknown demo 'maze'")]
    [TestCase(new[] { "create", "a.cfg", "--nope" }, "create: unknown option '--nope' (try parakit create --help)")]
    [TestCase(new[] { "create", "--pcap" }, "option --pcap needs a value")]
    [TestCase(new[] { "create", "--switch-loss", "sw0", "a.cfg" }, "--switch-loss wants SWITCH=PERCENT[,seed=N] (e.g. --switch-loss sw0=5 or sw0=0.5,seed=7), got 'sw0'")]
    [TestCase(new[] { "create", "--switch-loss", "sw0=150", "a.cfg" }, "'150' is not a percentage from 0 to 100")]
    [TestCase(new[] { "xenstore", "frob" }, "xenstore: unknown command 'frob'")]
    [TestCase(new[] { "vif", "a", "b" }, "vif: unexpected argument 'b'")]
    [TestCase(new[] { "list", "--all" }, "list: unknown option '--all'")]
    public void Usage_errors_exit_2(string[] args, string message)
    {
        var r = Run(args);
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(2), r.Output);
            Assert.That(r.Stderr, Does.Contain(message));
        });
    }

    [Test]
    public void An_unwritable_capture_folder_is_refused_before_anything_boots()
    {
        var r = Run("create", "--pcap", "/proc/parakit-nope", Path.Combine(HypervisorHarness.RepoRoot, "hypervisor", "examples", "hello.cfg"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
            Assert.That(r.Stderr, Does.Contain("parakit: --pcap /proc/parakit-nope: cannot write capture files there"), r.Output);
            Assert.That(r.Stdout, Is.Empty, "no domain was booted");
        });
    }

    [TestCase("--help")]
    [TestCase("run", "--help")]
    [TestCase("create", "--help")]
    [TestCase("demo", "--help")]
    [TestCase("xenstore", "--help")]
    [TestCase("list", "--help")]
    [TestCase("vif", "--help")]
    public void Help_is_available_everywhere(params string[] args)
    {
        var r = Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.That(r.Stdout, Does.Contain("usage: parakit"));
    }

    [Test]
    public void Version_is_printed()
    {
        var r = Run("--version");
        Assert.That(r.ExitCode, Is.EqualTo(0));
        Assert.That(r.Stdout, Does.Match(@"^parakit \d+\.\d+\.\d+ \(Xen ABI 4\.19"));
    }

    [Test]
    public void Demo_ring_moves_every_request()
    {
        var r = Run("demo", "ring", "5000");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.That(r.Stdout, Does.Contain("requests moved"));
    }

    [Test]
    public void Bad_config_key_names_file_line_key_and_allowed_keys()
    {
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string cfg = Path.Combine(dir, "bad.cfg");
            File.WriteAllText(cfg, "kernel = \"hello.elf\"\n# fine so far\nmemroy = 32\n");
            var r = Run("create", cfg);
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
                Assert.That(r.Stderr, Does.Contain("bad.cfg:3: unknown key 'memroy' (allowed: name, kernel, memory, extra, on_crash, vcpus, vif)"));
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Create_hosts_several_domains_with_prefixed_consoles_and_a_final_table()
    {
        HypervisorHarness.RequireKvm();
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            File.Copy(HypervisorHarness.AsmGuest("hello"), Path.Combine(dir, "hello.elf"));
            File.Copy(HypervisorHarness.AsmGuest("crash"), Path.Combine(dir, "crash.elf"));
            File.WriteAllText(Path.Combine(dir, "a.cfg"), "name = \"alpha\"\nkernel = \"hello.elf\"\nmemory = 8\n");
            File.WriteAllText(Path.Combine(dir, "b.cfg"), "name = \"beta\"\nkernel = \"crash.elf\"\non_crash = \"restart\"\n");
            File.WriteAllText(Path.Combine(dir, "c.cfg"), $"name = \"gamma\"\nkernel = \"{HypervisorHarness.CsGuest("hello")}\"\nextra = \"from create\"\n");
            var r = HypervisorHarness.RunParakit(["create", "--stats", Path.Combine(dir, "a.cfg"), Path.Combine(dir, "b.cfg"), Path.Combine(dir, "c.cfg")]);
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(70), "a domain crashed\n" + r.Output);
                Assert.That(r.Stdout, Does.Contain("alpha | hello from an assembly guest"));
                Assert.That(r.Stdout, Does.Contain("beta  | about to dereference null"));
                Assert.That(r.Stdout, Does.Contain("gamma | ").And.Contain("from create"));
                Assert.That(r.Stderr, Does.Contain("<crash_here+0x2>"));
                Assert.That(r.Stderr, Does.Contain("restarting beta (restart 5 of 5)"));
                Assert.That(Regex.Matches(r.Stdout, @"^beta\s+\d+\s+64\s+crashed", RegexOptions.Multiline), Has.Count.EqualTo(6), "first boot + 5 restarts");
                Assert.That(r.Stdout, Does.Match(@"alpha\s+1\s+8\s+poweroff\(0\)\s+[0-9.]+\s+2\s+2\s+mmio=2"));
                Assert.That(r.Stdout, Does.Match(@"gamma\s+\d+\s+64\s+poweroff\(0\)"));
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Create_timeout_destroys_what_is_still_running_with_status_124()
    {
        HypervisorHarness.RequireKvm();
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "s.cfg"), $"kernel = \"{HypervisorHarness.AsmGuest("spin")}\"\non_crash = \"preserve\"\n");
            File.WriteAllText(Path.Combine(dir, "c.cfg"), $"kernel = \"{HypervisorHarness.AsmGuest("crash")}\"\non_crash = \"preserve\"\nmemory = 32\n");
            var r = HypervisorHarness.RunParakit(["create", "--timeout", "0.5", Path.Combine(dir, "s.cfg"), Path.Combine(dir, "c.cfg")]);
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(124), r.Output);
                Assert.That(r.Stderr, Does.Contain("timed out after 0.5 s"));
                Assert.That(r.Stdout, Does.Match(@"(?m)^s\s+\d+\s+64\s+destroyed"), "name defaults to the file name");
                Assert.That(r.Stdout, Does.Match(@"(?m)^c\s+\d+\s+32\s+crashed"), "preserved crash stays in the table");
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int sig);

    [Test]
    public void Ctrl_C_stops_parakit_run_with_status_130()
    {
        HypervisorHarness.RequireKvm();
        var r = HypervisorHarness.RunParakit(["run", "--stats", HypervisorHarness.AsmGuest("spin")], TimeSpan.FromSeconds(30), whileRunning: p =>
        {
            Thread.Sleep(500);
            Kill(p.Id, 2);
        });
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(130), r.Output);
            Assert.That(r.Stderr, Does.Contain("interrupted (SIGINT)"));
            Assert.That(r.Stderr, Does.Contain("kicks=1"), "the vCPU was kicked out of KVM_RUN");
        });
    }

    [Test]
    public void Ctrl_C_destroys_every_domain_and_prints_the_table()
    {
        HypervisorHarness.RequireKvm();
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "s.cfg"), $"name = \"spinner\"\nkernel = \"{HypervisorHarness.AsmGuest("spin")}\"\n");
            File.WriteAllText(Path.Combine(dir, "h.cfg"), $"name = \"hello\"\nkernel = \"{HypervisorHarness.AsmGuest("hello")}\"\n");
            var r = HypervisorHarness.RunParakit(["create", Path.Combine(dir, "s.cfg"), Path.Combine(dir, "h.cfg")], TimeSpan.FromSeconds(30), whileRunning: p =>
            {
                Thread.Sleep(1000);
                Kill(p.Id, 2); // SIGINT, as Ctrl-C sends
            });
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(130), r.Output);
                Assert.That(r.Stderr, Does.Contain("interrupted, destroying every domain"));
                Assert.That(r.Stdout, Does.Match(@"spinner\s+\d+\s+64\s+destroyed"));
                Assert.That(r.Stdout, Does.Match(@"hello\s+\d+\s+64\s+poweroff\(0\)"));
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
