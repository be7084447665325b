// A domain's device interrupt lines (the bus's other half: devices speak to the guest through
// it). A line that is asserted wakes the vCPU if it sleeps in SCHEDOP_block, as an interrupt
// wakes a halted CPU, and stays pending until its device deasserts it (the guest read the cause
// register). When domain 0 can inject interrupts into the guest (an IRQFD routed as an MSI to
// the guest's IDT, see Interrupts in the e1000 README), each assertion also sends that message.
namespace ParaKit.Hypervisor.Devices.Bus;

/// <summary>Sends one message-signalled interrupt to the guest (an IRQFD's eventfd write).</summary>
public interface IMsiSender
{
    void Send();
}

public sealed class DomainInterrupts(Action wake)
{
    private int _asserted;

    /// <summary>True while any line is asserted: SCHEDOP_block returns for it.</summary>
    public bool AnyAsserted => Volatile.Read(ref _asserted) != 0;

    /// <summary>Messages sent and wake-ups given, over every line.</summary>
    public long Asserts, Messages;

    /// <summary>A new line for one device; <paramref name="msi"/> delivers it into the guest when set.</summary>
    public InterruptLine NewLine(string name, IMsiSender? msi = null) => new(this, name, msi);

    public sealed class InterruptLine : IInterruptLine
    {
        private readonly DomainInterrupts _owner;
        private readonly IMsiSender? _msi;
        private int _on;

        internal InterruptLine(DomainInterrupts owner, string name, IMsiSender? msi)
        {
            _owner = owner;
            Name = name;
            _msi = msi;
        }

        public string Name { get; }
        public bool IsAsserted => Volatile.Read(ref _on) != 0;

        public void Assert()
        {
            if (Interlocked.Exchange(ref _on, 1) == 0)
                Interlocked.Increment(ref _owner._asserted);
            Interlocked.Increment(ref _owner.Asserts);
            if (_msi is { } m)
            {
                m.Send();
                Interlocked.Increment(ref _owner.Messages);
            }
            _owner.Wake();
        }

        public void Deassert()
        {
            if (Interlocked.Exchange(ref _on, 0) != 0)
                Interlocked.Decrement(ref _owner._asserted);
        }
    }

    private void Wake() => wake();
}
