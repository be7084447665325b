// A domain's interrupt lines without KVM: an assertion sends its message and wakes the vCPU,
// and the line stays up (SCHEDOP_block returns for it) until its device lowers it.
using ParaKit.Hypervisor.Devices.Bus;

namespace ParaKit.Tests.Devices;

public sealed class DomainInterruptsTests
{
    private sealed class CountingMsi : IMsiSender
    {
        public int Sent;
        public void Send() => Sent++;
    }

    [Test]
    public void Asserting_sends_the_message_and_wakes_the_vcpu()
    {
        int wakes = 0;
        var irqs = new DomainInterrupts(() => wakes++);
        var msi = new CountingMsi();
        var line = irqs.NewLine("vif1.0", msi);
        line.Assert();
        Assert.That((msi.Sent, wakes, irqs.AnyAsserted, line.IsAsserted), Is.EqualTo((1, 1, true, true)));
        line.Deassert();
        Assert.That(irqs.AnyAsserted, Is.False);
    }
}
