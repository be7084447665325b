// The vif's whole life through the toolstack, in process: a netfront guest connects, sends, and
// powers off; the vif detaches before the domain's memory goes; 100 such cycles leave no
// descriptor, thread or memory behind (the switch's worker threads included).
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Toolstack;
using ParaKit.Tests.Hypervisor;
using HostHypervisor = ParaKit.Hypervisor.Domains.Hypervisor;

namespace ParaKit.Tests.NetBoot;

[NonParallelizable]
public class VifLifecycleTests
{
    private static RunOutcome Cycle(HostHypervisor hv, ElfImage image, string kernel, int i, out VifDevice vif, out Domain domain, out string console)
    {
        var sink = new BufferConsoleSink();
        using var ts = new DomainToolstack(hv, _ => sink);
        var slot = ts.Add(new DomainConfig
        {
            Name = $"vifcycle{i}",
            Kernel = kernel,
            MemoryMiB = 16,
            CommandLine = "dst=ff:ff:ff:ff:ff:ff size=100 count=20",
            Vifs = [new VifConfig { Index = 0 }],
        }, image);
        var outcome = ts.Run(TimeSpan.FromSeconds(20));
        vif = (VifDevice)slot.Devices.Single();
        domain = slot.Current!;
        console = sink.Text;
        return outcome;
    }

    [Test]
    public void A_guest_connects_sends_and_its_vif_detaches_when_it_ends()
    {
        HypervisorHarness.RequireKvm();
        string kernel = HypervisorHarness.CsGuest("pktgen");
        using var hv = HostHypervisor.Open();
        var outcome = Cycle(hv, ElfImage.Load(kernel), kernel, 0, out var vif, out var d, out string console);
        Assert.Multiple(() =>
        {
            Assert.That(outcome, Is.EqualTo(RunOutcome.Ended), console);
            Assert.That(d.Exit?.Status, Is.EqualTo(0), console);
            Assert.That(vif.Connects, Is.EqualTo(1), console);
            Assert.That(vif.Counters.TxFrames, Is.EqualTo(20), console);
            Assert.That(vif.Mac.ToString(), Is.EqualTo($"00:16:3e:00:{d.Id:x2}:00"), "derived from the domain id");
            Assert.That(vif.Rings, Is.Null, "detached");
            using var xs = hv.Store.OpenClient();
            Assert.That(xs.Read(vif.Paths.Backend + "/state"), Is.Null, "the backend directory is removed");
        });
    }

    [Test]
    public void A_hundred_cycles_with_a_vif_leave_nothing_behind()
    {
        HypervisorHarness.RequireKvm();
        string kernel = HypervisorHarness.CsGuest("pktgen");
        var image = ElfImage.Load(kernel);
        using var hv = HostHypervisor.Open();
        for (int i = 0; i < 5; i++)
            Cycle(hv, image, kernel, i, out _, out _, out _);   // warm up: JIT, thread pool
        GC.Collect();
        GC.WaitForPendingFinalizers();
        int fds = Directory.GetFiles("/proc/self/fd").Length;
        int threads = Directory.GetDirectories("/proc/self/task").Length;
        long rss = RssKiB();
        int failed = 0;
        string lastConsole = "";
        for (int i = 0; i < 100; i++)
        {
            var outcome = Cycle(hv, image, kernel, i, out var vif, out var d, out lastConsole);
            if (outcome != RunOutcome.Ended || d.Exit?.Status != 0 || vif.Counters.TxFrames != 20)
                failed++;
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Multiple(() =>
        {
            Assert.That(failed, Is.Zero, "cycles where the guest did not connect, send 20 frames and power off; last console:\n" + lastConsole);
            Assert.That(Directory.GetFiles("/proc/self/fd").Length, Is.LessThanOrEqualTo(fds + 4), "file descriptors leaked");
            Assert.That(Directory.GetDirectories("/proc/self/task").Length, Is.LessThanOrEqualTo(threads + 2), "threads leaked (a switch worker per cycle would show as 100)");
            Assert.That(RssKiB() - rss, Is.LessThan(48 * 1024), "RSS grew by more than 48 MiB over 100 cycles");
            Assert.That(hv.Domains, Is.Empty);
            using var xs = hv.Store.OpenClient();
            Assert.That(xs.Directory("/local/domain/0/backend/vif") ?? [], Is.Empty, "no backend directory left behind");
        });
    }

    [Test]
    public void A_restarted_domain_gets_a_fresh_vif_and_the_old_one_is_gone()
    {
        HypervisorHarness.RequireKvm();
        string kernel = HypervisorHarness.CsGuest("crash");
        using var hv = HostHypervisor.Open();
        var sink = new BufferConsoleSink();
        using var ts = new DomainToolstack(hv, _ => sink);
        var slot = ts.Add(new DomainConfig
        {
            Name = "crasher",
            Kernel = kernel,
            MemoryMiB = 16,
            OnCrash = CrashAction.Restart,
            Vifs = [new VifConfig { Index = 0, Bridge = "lab" }],
        }, ElfImage.Load(kernel));
        ts.Run(TimeSpan.FromSeconds(30));
        var vifs = slot.Devices.Cast<VifDevice>().ToList();
        using var xs = hv.Store.OpenClient();
        Assert.Multiple(() =>
        {
            Assert.That(slot.Restarts, Is.EqualTo(DomainToolstack.MaxRestarts), sink.Text);
            Assert.That(vifs, Has.Count.EqualTo(DomainToolstack.MaxRestarts + 1), "one vif per instance");
            Assert.That(vifs.Select(v => v.Name).Distinct().Count(), Is.EqualTo(vifs.Count), "each instance's vif is named after its own domain id");
            Assert.That(xs.Directory("/local/domain/0/backend/vif") ?? [], Is.Empty, "every instance's backend directory is gone");
            Assert.That(ts.Networks.All.Single().Name, Is.EqualTo("lab"));
            Assert.That(ts.Networks.All.Single().Switch.Ports, Is.Empty, "every instance's port left the switch");
            Assert.That(ts.Networks.All.Single().Switch.RemovedPorts, Has.Count.EqualTo(vifs.Count));
        });
    }

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
