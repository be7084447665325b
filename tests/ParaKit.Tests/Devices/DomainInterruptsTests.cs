// A domain's interrupt lines without KVM: an assertion sends its message and wakes the vCPU,
// and a guest that blocks with a line still up gets the message again (only for lines that are
// up and can send one), as a level-triggered line keeps interrupting.
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

    [Test]
    public void Blocking_with_a_line_up_sends_its_message_again_and_only_its()
    {
        var irqs = new DomainInterrupts(() => { });
        var upMsi = new CountingMsi();
        var downMsi = new CountingMsi();
        var up = irqs.NewLine("vif1.0", upMsi);
        var down = irqs.NewLine("vif1.1", downMsi);
        var polled = irqs.NewLine("vif1.2");   // no irqchip: it only wakes the vCPU
        up.Assert();
        down.Assert();
        down.Deassert();
        polled.Assert();
        irqs.ResendAsserted();
        irqs.ResendAsserted();
        Assert.Multiple(() =>
        {
            Assert.That((upMsi.Sent, up.Resent), Is.EqualTo((3, 2L)), "sent on assert, then once per resend");
            Assert.That((downMsi.Sent, down.Resent), Is.EqualTo((1, 0L)), "a line that went down is not resent");
            Assert.That(polled.Resent, Is.Zero, "a line without a message has nothing to resend");
        });
        up.Deassert();
        irqs.ResendAsserted();
        Assert.That(upMsi.Sent, Is.EqualTo(3), "nothing once the guest has read the cause");
    }
}
