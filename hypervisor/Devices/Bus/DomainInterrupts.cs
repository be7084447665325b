// A domain's device interrupt lines (the bus's other half: devices speak to the guest through
// it). A line that is asserted wakes the vCPU if it sleeps in SCHEDOP_block, as an interrupt
// wakes a halted CPU, and stays pending until its device deasserts it (the guest read the cause
// register). When domain 0 can inject interrupts into the guest (an IRQFD routed as an MSI to
// the guest's IDT, see Interrupts in the e1000 README), each assertion also sends that message,
// and a guest that asks to block while a line is still up gets it again (ResendAsserted).
namespace ParaKit.Hypervisor.Devices.Bus;

/// <summary>Sends one message-signalled interrupt to the guest (an IRQFD's eventfd write).</summary>
public interface IMsiSender
{
    void Send();
}

public sealed class DomainInterrupts(Action wake)
{
    private int _asserted;
    private readonly Lock _attach = new();
    private InterruptLine[] _lines = [];   // replaced on attach (rare), read without a lock

    /// <summary>True while any line is asserted: SCHEDOP_block returns for it.</summary>
    public bool AnyAsserted => Volatile.Read(ref _asserted) != 0;

    /// <summary>Messages sent and wake-ups given, over every line.</summary>
    public long Asserts, Messages;

    /// <summary>A new line for one device; <paramref name="msi"/> delivers it into the guest when set.</summary>
    public InterruptLine NewLine(string name, IMsiSender? msi = null)
    {
        var line = new InterruptLine(this, name, msi);
        lock (_attach)
            Volatile.Write(ref _lines, [.. _lines, line]);
        return line;
    }

    /// <summary>The guest asked to block (SCHEDOP_block) while a line was still asserted, so it
    /// has not taken that interrupt: each asserted line's message is sent again, as a
    /// level-triggered line keeps interrupting while it is up. Why: under kvm_pvm the e1000's
    /// first MSI was seen, rarely, to stay pending and never be injected; the guest then spun in
    /// SCHEDOP_block with its handler never run (PvFvBootTests' FV sender, a few runs in a
    /// hundred). Another message makes KVM look at it again; `resent=N` in the card's row tells
    /// if it happens. A duplicate reaches the handler with nothing in the cause register, which
    /// drivers ignore (Linux's e1000_intr returns IRQ_NONE).</summary>
    public void ResendAsserted()
    {
        foreach (var line in Volatile.Read(ref _lines))
            line.Resend();
    }

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
        /// <summary>Messages sent again because the guest blocked with this line up.</summary>
        public long Resent;

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

        internal void Resend()
        {
            if (IsAsserted && _msi is { } m)
            {
                m.Send();
                Interlocked.Increment(ref Resent);
            }
        }

        public void Deassert()
        {
            if (Interlocked.Exchange(ref _on, 0) != 0)
                Interlocked.Decrement(ref _owner._asserted);
        }
    }

    private void Wake() => wake();
}
