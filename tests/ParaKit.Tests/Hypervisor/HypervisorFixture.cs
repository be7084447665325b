// Base for in-process KVM tests that share one open Hypervisor across a fixture: opened once
// (failing with the harness's message when /dev/kvm is missing), disposed after the last test.
using Hv = ParaKit.Hypervisor.Domains.Hypervisor;

namespace ParaKit.Tests.Hypervisor;

public abstract class HypervisorFixture
{
    /// <summary>Domain 0 of this fixture's tests.</summary>
    protected Hv Dom0 { get; private set; } = null!;

    [OneTimeSetUp]
    public void OpenKvm()
    {
        HypervisorHarness.RequireKvm();
        Dom0 = Hv.Open();
    }

    [OneTimeTearDown]
    public void CloseKvm() => Dom0?.Dispose();
}
