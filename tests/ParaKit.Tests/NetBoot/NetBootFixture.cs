// What every data-plane KVM test starts from: KVM and the published parakit present (or a clear
// failure), and a scratch folder for its configs and captures, removed afterwards.
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.NetBoot;

[NonParallelizable]
public abstract class NetBootFixture
{
    /// <summary>This test's scratch folder.</summary>
    protected string Dir { get; private set; } = "";

    [SetUp]
    public void CreateScratch()
    {
        HypervisorHarness.RequireKvm();
        HypervisorHarness.RequireParakit();
        Dir = HypervisorHarness.ScratchDir();
    }

    [TearDown]
    public void RemoveScratch() => Directory.Delete(Dir, recursive: true);
}
