// C# unikernels booted under the real hypervisor (out/bin/parakit run): console output, exit
// statuses and timing as the boot contract promises. These need /dev/kvm and fail, not skip,
// without it.
using System.Text.RegularExpressions;

namespace ParaKit.Tests.Guests;

[TestFixture]
[NonParallelizable]
public class GuestBootTests
{
    [Test]
    public void Hello_prints_its_greeting_and_command_line_and_exits_0()
    {
        var result = GuestToolchain.Boot(GuestToolchain.Build("hello"), "alpha", "beta");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
            Assert.That(result.Stdout, Does.Contain("Hello from a ParaKit C# unikernel!"));
            Assert.That(result.Stdout, Does.Contain("command line: alpha beta"));
            Assert.That(result.Stdout, Does.Contain("arg 1: beta"));
        });
        TestContext.Out.WriteLine($"hello: {result.Elapsed.TotalMilliseconds:F0} ms from exec to exit");
    }

    [Test]
    public void Features_reports_every_check_passing()
    {
        var result = GuestToolchain.Boot(GuestToolchain.Build("features"));
        var summary = Regex.Match(result.Stdout, @"features: (\d+) passed, (\d+) failed");
        var failures = result.Stdout.Split('\n').Where(l => l.StartsWith("FAIL")).ToList();
        Assert.That(summary.Success, Is.True, "no summary line in:\n" + result.Output);
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty);
            Assert.That(int.Parse(summary.Groups[2].Value), Is.EqualTo(0), "failed checks");
            Assert.That(int.Parse(summary.Groups[1].Value), Is.GreaterThanOrEqualTo(140), "passed checks");
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
        });
    }

    [Test]
    public void Features_still_pass_with_a_4_MiB_domain_where_the_collector_runs_throughout()
    {
        var result = GuestToolchain.BootWith(new[] { "--memory", "4" }, GuestToolchain.Build("features"));
        var summary = Regex.Match(result.Stdout, @"features: (\d+) passed, (\d+) failed");
        Assert.Multiple(() =>
        {
            Assert.That(summary.Success, Is.True, result.Output);
            Assert.That(result.Stdout.Split('\n').Where(l => l.StartsWith("FAIL")), Is.Empty);
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
        });
    }

    [Test]
    public void Unhandled_exception_panics_with_type_and_message_and_status_70()
    {
        var result = GuestToolchain.Boot(GuestToolchain.Build("panic"));
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(70), result.Output);
            Assert.That(result.Stdout, Does.Contain("panic: unhandled exception System.InvalidOperationException: reactor temperature 9000 is above the limit"));
            Assert.That(result.Stdout, Does.Not.Contain("unreachable"));
        });
    }

    [Test]
    public void Timer_sleeps_last_at_least_10_ms()
    {
        var result = GuestToolchain.Boot(GuestToolchain.Build("timer"), "3");
        var deltas = Regex.Matches(result.Stdout, @"delta_ns=(\d+)").Select(m => ulong.Parse(m.Groups[1].Value)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
            Assert.That(deltas, Has.Count.EqualTo(3));
            Assert.That(deltas, Has.All.GreaterThanOrEqualTo(10_000_000UL));
            Assert.That(deltas, Has.All.LessThan(1_000_000_000UL), "a 10 ms sleep should not take a second");
        });
    }

    [Test]
    public void Null_dereference_crashes_with_status_70_and_a_symbolized_report()
    {
        var result = GuestToolchain.Boot(GuestToolchain.Build("crash"));
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(70), result.Output);
            Assert.That(result.Stdout, Does.Contain("crash: about to dereference null"));
            Assert.That(result.Stderr, Does.Contain("null reference (page fault at 0x0"), "the guest's #PF handler names the cause");
            Assert.That(result.Stderr, Does.Contain("DereferenceNull"));
        });
    }

    [Test]
    public void Collector_reclaims_garbage_many_times_the_heap_and_keeps_live_data_intact()
    {
        // 16 MiB of RAM leaves about 13 MiB of heap; the app allocates ~750 MiB.
        var result = GuestToolchain.BootWith(new[] { "--memory", "16" }, GuestToolchain.Build("gcstress"), "400");
        var match = Regex.Match(result.Stdout, @"gcstress: ok, (\d+) MiB of garbage, collections=(\d+)");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
            Assert.That(match.Success, Is.True, result.Stdout);
            Assert.That(int.Parse(match.Groups[1].Value), Is.GreaterThan(500));
            Assert.That(int.Parse(match.Groups[2].Value), Is.GreaterThan(20));
        });
        TestContext.Out.WriteLine(result.Stdout.Trim());
    }

    [Test]
    public void Running_out_of_heap_panics_naming_the_request()
    {
        string dir = Path.Combine(Path.GetTempPath(), "parakit-oom-" + Guid.NewGuid().ToString("N"));
        string app = "guesttestoom" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "Oom.cs"), """
                public static class OomApp
                {
                    public static int Main()
                    {
                        var keep = new System.Collections.Generic.List<byte[]>();
                        while (true)
                            keep.Add(new byte[1 << 20]);
                    }
                }
                """);
            var build = GuestToolchain.BuildNow(app, dir);
            Assert.That(build.ExitCode, Is.EqualTo(0), build.Output);
            var result = GuestToolchain.BootWith(new[] { "--memory", "16" }, GuestToolchain.ImagePath(app));
            Assert.Multiple(() =>
            {
                Assert.That(result.ExitCode, Is.EqualTo(70), result.Output);
                Assert.That(result.Stdout, Does.Match(@"panic: out of memory: request of 1048\d{3} bytes, \d+ bytes free in the heap"));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            File.Delete(GuestToolchain.ImagePath(app));
            string work = Path.Combine(GuestToolchain.RepoRoot, "out", "guestkernel", "apps", app);
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    [Test]
    public void Nullcall_reports_cycles_per_call()
    {
        var result = GuestToolchain.Boot(GuestToolchain.Build("nullcall"), "2000");
        var match = Regex.Match(result.Stdout, @"nullcall: 2000 calls, (\d+) cycles, cycles_per_call=(\d+)");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
            Assert.That(match.Success, Is.True, result.Stdout);
        });
        TestContext.Out.WriteLine(result.Stdout.Trim());
    }
}
