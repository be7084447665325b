// The Domain API driven in-process (as the density benchmark does): boot and exit statuses,
// pause/unpause, destroy of running and blocked domains, isolation of a crash from its
// neighbours, and 1,000 create/destroy cycles that leave no fd, mapping, thread or memory behind.
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Domains;

namespace ParaKit.Tests.Hypervisor;

[TestFixture]
[NonParallelizable]
public class DomainLifecycleTests : HypervisorFixture
{
    private static DomainConfig Config(string guest, int memory = 16) => new() { Name = guest, Kernel = HypervisorHarness.AsmGuest(guest), MemoryMiB = memory };

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public void Boots_hello_through_the_api_and_reports_poweroff()
    {
        var console = new BufferConsoleSink();
        var d = Dom0.CreateDomain(Config("hello"), console);
        try
        {
            Assert.That(d.State, Is.EqualTo(DomainState.Created));
            d.Start();
            Assert.That(d.WaitForExit(Wait), Is.True);
            Assert.Multiple(() =>
            {
                Assert.That(console.Text, Is.EqualTo("hello from an assembly guest\n"));
                Assert.That(d.State, Is.EqualTo(DomainState.Shutdown));
                Assert.That(d.Exit!.Value.ExitCode, Is.EqualTo(0));
                Assert.That(d.Stats.HypercallsByNumber[18], Is.EqualTo(1), "console_io");
                Assert.That(d.StartInfo.Magic, Is.EqualTo(ParaKit.Protocols.Boot.StartInfo.MagicValue));
                Assert.That(d.StartInfo.HeapStart, Is.EqualTo(d.Layout.HeapStart));
                Assert.That(d.StartInfo.TscKhz, Is.GreaterThan(0UL));
                // shared_info's wall clock is the time of day at system time 0.
                double wallNow = d.SharedInfo.WcSec + d.SharedInfo.WcNsec / 1e9 + ParaKit.Hypervisor.Time.SystemClock.Now() / 1e9;
                Assert.That(wallNow, Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).Within(1.0));
                Assert.That(d.SharedInfo.WcVersion % 2, Is.Zero, "wall clock not mid-update");
                Assert.That(d.SharedInfo.Vcpu0.Time.Version % 2, Is.Zero, "vcpu_time_info not mid-update");
                Assert.That(d.SharedInfo.Vcpu0.Time.TscToSystemMul, Is.Not.Zero);
            });
        }
        finally
        {
            Dom0.DestroyDomain(d);
        }
    }

    [Test]
    public void Pause_stops_a_spinning_guest_and_unpause_resumes_it()
    {
        var d = Dom0.CreateDomain(Config("spin"), new BufferConsoleSink());
        try
        {
            d.Start();
            Thread.Sleep(50);
            d.Pause();
            Assert.That(() => d.State, Is.EqualTo(DomainState.Paused).After(2000, 10));
            long kicks = d.Stats.Kicks;
            Thread.Sleep(50);
            Assert.That(d.State, Is.EqualTo(DomainState.Paused), "stays paused");
            d.Unpause();
            Assert.That(() => d.State, Is.EqualTo(DomainState.Running).After(2000, 10));
            Assert.That(kicks, Is.GreaterThanOrEqualTo(1), "pausing kicked the vCPU out of KVM_RUN");
            d.Shutdown("test over");
            Assert.That(d.WaitForExit(Wait), Is.True, "a spinning guest can be stopped");
            Assert.That(d.State, Is.EqualTo(DomainState.Destroyed));
        }
        finally
        {
            Dom0.DestroyDomain(d);
        }
    }

    [Test]
    public void Destroy_ends_a_blocked_guest_promptly()
    {
        var d = Dom0.CreateDomain(new DomainConfig { Name = "blocker", Kernel = HypervisorHarness.CsGuest("blocker"), MemoryMiB = 16 }, new BufferConsoleSink());
        d.Start();
        Assert.That(() => d.Stats.Blocks, Is.GreaterThan(0L).After(5000, 10), "the guest blocks");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Dom0.DestroyDomain(d);
        Assert.Multiple(() =>
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
            Assert.That(d.State, Is.EqualTo(DomainState.Destroyed));
            Assert.That(Dom0.Domains, Does.Not.Contain(d));
        });
    }

    [Test]
    public void RunHere_runs_the_guest_on_the_calling_thread_until_it_ends()
    {
        Dom0.PreparesVcpuThreads = false;
        var console = new BufferConsoleSink();
        Domain d;
        try
        {
            d = Dom0.CreateDomain(Config("hello"), console);
        }
        finally
        {
            Dom0.PreparesVcpuThreads = true;
        }
        try
        {
            int stoppedOn = 0;
            d.Stopped += _ => stoppedOn = Environment.CurrentManagedThreadId;   // raised by the vCPU's thread
            d.RunHere();
            Assert.Multiple(() =>
            {
                Assert.That(console.Text, Is.EqualTo("hello from an assembly guest\n"));
                Assert.That((d.State, d.Exit!.Value.ExitCode), Is.EqualTo((DomainState.Shutdown, 0)));
                Assert.That(d.Vcpu.IsRunning, Is.False);
                Assert.That(stoppedOn, Is.EqualTo(Environment.CurrentManagedThreadId), "the vCPU ran on this thread");
            });
        }
        finally
        {
            Dom0.DestroyDomain(d);
        }
    }

    [Test]
    public void A_destroy_from_another_thread_waits_for_RunHere_to_leave_the_guest()
    {
        Dom0.PreparesVcpuThreads = false;
        Domain d;
        try
        {
            d = Dom0.CreateDomain(Config("spin"), new BufferConsoleSink());
        }
        finally
        {
            Dom0.PreparesVcpuThreads = true;
        }
        Exception? failed = null;
        var runner = new Thread(() =>
        {
            try
            {
                d.RunHere();
            }
            catch (Exception e)
            {
                failed = e;
            }
        });
        runner.Start();
        Assert.That(() => d.Stats.StartTimestamp, Is.Not.Zero.After(5000, 5), "the guest runs");
        Dom0.DestroyDomain(d);   // frees the VM and memory: only once RunHere is out of KVM_RUN
        Assert.Multiple(() =>
        {
            Assert.That(runner.Join(TimeSpan.FromSeconds(5)), Is.True, "RunHere returned");
            Assert.That(failed, Is.Null);
            Assert.That(d.State, Is.EqualTo(DomainState.Destroyed));
            Assert.That(d.Stats.Kicks, Is.EqualTo(1), "one kick took the guest out");
        });
        Assert.Throws<InvalidOperationException>(() => d.RunHere(), "a destroyed domain does not run again");
    }

    [Test]
    public void RunHere_refuses_a_domain_whose_vCPU_thread_is_already_made()
    {
        var d = Dom0.CreateDomain(Config("hello"), new BufferConsoleSink());
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => d.RunHere());
            Assert.That(e!.Message, Does.Contain("already has a thread"));
        }
        finally
        {
            Dom0.DestroyDomain(d);
        }
    }

    [Test]
    public void A_domain_can_be_destroyed_from_its_own_Stopped_event()
    {
        var d = Dom0.CreateDomain(Config("hello"), new BufferConsoleSink());
        var destroyed = new ManualResetEventSlim();
        d.Stopped += dom =>
        {
            Dom0.DestroyDomain(dom);
            destroyed.Set();
        };
        d.Start();
        Assert.That(destroyed.Wait(Wait), Is.True, "DestroyDomain on the vCPU thread must not wait for itself");
        Assert.That(Dom0.Domains, Does.Not.Contain(d));
    }

    [Test]
    public void A_crashing_domain_does_not_disturb_its_neighbour()
    {
        var spinner = Dom0.CreateDomain(Config("spin"), new BufferConsoleSink());
        var crasher = Dom0.CreateDomain(Config("crash"), new BufferConsoleSink());
        try
        {
            spinner.Start();
            crasher.Start();
            Assert.That(crasher.WaitForExit(Wait), Is.True);
            Assert.Multiple(() =>
            {
                Assert.That(crasher.State, Is.EqualTo(DomainState.Crashed));
                Assert.That(crasher.Exit!.Value.Message, Does.Contain("<crash_here+0x2>"));
                Assert.That(spinner.State, Is.EqualTo(DomainState.Running));
                Assert.That(spinner.WaitForExit(TimeSpan.FromMilliseconds(100)), Is.False, "still running");
            });
        }
        finally
        {
            Dom0.DestroyDomain(crasher);
            Dom0.DestroyDomain(spinner);
        }
    }

    [Test]
    public void Timer_fires_and_wakes_a_blocked_vcpu()
    {
        var d = Dom0.CreateDomain(Config("timer"), new BufferConsoleSink());
        try
        {
            d.Start();
            Assert.That(d.WaitForExit(Wait), Is.True);
            Assert.Multiple(() =>
            {
                Assert.That(d.Exit!.Value.Status, Is.InRange(50, 150));
                Assert.That(d.Stats.TimerFires, Is.EqualTo(2));
                Assert.That(d.Stats.Blocks, Is.EqualTo(2));
            });
        }
        finally
        {
            Dom0.DestroyDomain(d);
        }
    }

    [Test]
    public unsafe void Block_returns_for_a_pending_unmasked_event_but_not_a_masked_one()
    {
        var d = Dom0.CreateDomain(Config("evblock"), new BufferConsoleSink());
        try
        {
            d.Start();
            Assert.That(() => d.Stats.Blocks, Is.EqualTo(1L).After(5000, 1), "guest blocked");
            ref var si = ref d.SharedInfo;
            fixed (ulong* mask = si.EvtchnMask)
            fixed (ulong* pending = si.EvtchnPending)
            {
                Interlocked.Or(ref mask[0], 2UL);
                Interlocked.Or(ref pending[0], 2UL);
                d.Vcpu.Wake();
                Thread.Sleep(50);
                Assert.That(d.Stats.Blocks, Is.EqualTo(1L), "a masked port must not end SCHEDOP_block");

                Interlocked.And(ref mask[0], ~2UL);
                var latencies = new List<double>();
                for (long i = 2; i <= 10; i++)
                {
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    if (i > 2)
                        Interlocked.Or(ref pending[0], 2UL);
                    d.Vcpu.Wake();
                    var spin = System.Diagnostics.Stopwatch.StartNew();
                    while (Volatile.Read(ref d.Stats.Blocks) < i && spin.ElapsedMilliseconds < 5000)
                        Thread.SpinWait(10);
                    Assert.That(d.Stats.Blocks, Is.EqualTo(i), $"wake-up {i} was lost");
                    latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                }
                latencies.Sort();
                TestContext.Out.WriteLine($"event -> guest wakes -> guest blocks again: median {latencies[latencies.Count / 2]:F1} µs, min {latencies[0]:F1} µs");
            }
            Interlocked.Or(ref d.SharedInfo.EvtchnPending[0], 2UL);
            d.Vcpu.Wake();
            Assert.That(d.WaitForExit(Wait), Is.True);
            Assert.That(d.Exit!.Value.Status, Is.EqualTo(10));
        }
        finally
        {
            Dom0.DestroyDomain(d);
        }
    }

    [Test]
    public void A_thousand_create_destroy_cycles_leave_nothing_behind()
    {
        var image = ElfImage.Load(HypervisorHarness.AsmGuest("hello"));
        void Cycle(int i)
        {
            var d = Dom0.CreateDomain(new DomainConfig { Name = $"cycle{i}", Kernel = "hello.elf", MemoryMiB = 64 }, image, new BufferConsoleSink());
            if (i % 2 == 0)
            {
                d.Start();
                Assert.That(d.WaitForExit(Wait), Is.True);
            }
            Dom0.DestroyDomain(d);
        }
        for (int i = 0; i < 5; i++)
            Cycle(i); // warm up: JIT, thread pool, the signal handler, CPUID cache
        GC.Collect();
        GC.WaitForPendingFinalizers();
        int fds = Directory.GetFiles("/proc/self/fd").Length;
        int vmFds = VmFds();
        int threads = Directory.GetDirectories("/proc/self/task").Length;
        int mappings = File.ReadAllLines("/proc/self/maps").Length;
        long rss = RssKiB();
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        long committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        for (int i = 0; i < 1000; i++)
            Cycle(i);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Multiple(() =>
        {
            Assert.That(VmFds(), Is.LessThanOrEqualTo(vmFds), "KVM, memfd or eventfd descriptors leaked");
            // The test host itself may open a file or two meanwhile (assembly loads); a leak of
            // one descriptor per cycle would show as 1,000.
            Assert.That(Directory.GetFiles("/proc/self/fd").Length, Is.LessThanOrEqualTo(fds + 4), "file descriptors leaked");
            Assert.That(Directory.GetDirectories("/proc/self/task").Length, Is.LessThanOrEqualTo(threads + 2), "threads leaked");
            Assert.That(File.ReadAllText("/proc/self/maps"), Does.Not.Contain("parakit:cycle"), "guest memory still mapped");
            // The GC may add heap regions; one mapping per cycle (a kvm_run page, a thread
            // stack, the hypercall page) would show as 1,000.
            Assert.That(File.ReadAllLines("/proc/self/maps").Length, Is.LessThanOrEqualTo(mappings + 100), "mappings leaked");
            // Managed objects still reachable after the cycles, and memory outside the GC heap
            // (RSS less what the GC keeps committed for reuse). glibc keeps up to 40 MiB of
            // freed thread stacks for reuse (measured: 20 MiB after 500 vCPU threads), so the
            // bound is 48 MiB: one domain's 64 MiB left mapped, or 64 KiB a cycle, is more.
            Assert.That(GC.GetTotalMemory(forceFullCollection: true) - heap, Is.LessThan(4L << 20), "managed objects kept alive by 1,000 destroyed domains");
            long outsideHeap = RssKiB() * 1024 - GC.GetGCMemoryInfo().TotalCommittedBytes - (rss * 1024 - committed);
            Assert.That(outsideHeap, Is.LessThan(48L << 20), "memory outside the GC heap grew by more than 48 MiB over 1,000 cycles of 64 MiB domains");
            Assert.That(Dom0.Domains, Is.Empty);
        });
    }

    /// <summary>Descriptors of the kinds a domain owns: VM and vCPU fds, guest-RAM memfds, eventfds.</summary>
    private static int VmFds() => Directory.GetFiles("/proc/self/fd").Count(fd =>
    {
        try
        {
            string target = new FileInfo(fd).LinkTarget ?? "";
            return target.Contains("kvm", StringComparison.Ordinal) || target.Contains("memfd:", StringComparison.Ordinal)
                || target.Contains("eventfd", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // closed between the listing and the readlink
        }
    });

    private static long RssKiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        throw new InvalidOperationException("no VmRSS");
    }
}
