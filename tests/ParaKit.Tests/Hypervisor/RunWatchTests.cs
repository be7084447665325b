// `parakit run`'s watch (hypervisor/Cli/RunWatch.cs) on a domain built but not started: its
// timeout shuts the domain down, and once disposed it never does, whenever its detached thread
// gets to run.
using ParaKit.Hypervisor.Cli;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Domains;

namespace ParaKit.Tests.Hypervisor;

[TestFixture]
[NonParallelizable]
public class RunWatchTests : HypervisorFixture
{
    private Domain Spinner(string name) => Dom0.CreateDomain(
        new DomainConfig { Name = name, Kernel = HypervisorHarness.AsmGuest("spin"), MemoryMiB = 4 },
        ElfImage.Load(HypervisorHarness.AsmGuest("spin")), new BufferConsoleSink());

    [Test]
    public void The_timeout_shuts_the_domain_down()
    {
        var domain = Spinner("watch-timeout");
        try
        {
            using var watch = RunWatch.Start(domain, timeoutSeconds: 0.05);
            Assert.That(domain.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, "the timeout ended the domain");
            Assert.That(watch.TimedOut, Is.True);
            Assert.That(domain.Exit!.Value.Message, Does.Contain("timed out after 0.05 s"));
        }
        finally
        {
            Dom0.DestroyDomain(domain);
        }
    }

    [Test]
    public void A_disposed_watch_never_acts_on_the_domain()
    {
        var domains = Enumerable.Range(0, 20).Select(i => Spinner($"watch-over-{i}")).ToArray();
        try
        {
            // Disposed at once: most threads have not even attached to the runtime yet.
            var watches = domains.Select(d => RunWatch.Start(d, timeoutSeconds: 0.02)).ToArray();
            foreach (var w in watches)
                w.Dispose();
            Thread.Sleep(300); // well past every timeout
            Assert.Multiple(() =>
            {
                foreach (var (d, w) in domains.Zip(watches))
                {
                    Assert.That(d.Exit, Is.Null, $"{d.Name} was shut down after its watch ended");
                    Assert.That(w.TimedOut, Is.False);
                }
            });
        }
        finally
        {
            foreach (var d in domains)
                Dom0.DestroyDomain(d);
        }
    }
}
