// A device's interrupt output as its model sees it: a message-signalled line. Assert sends one
// interrupt (an MSI edge: the guest's handler runs once); the line then counts as pending until
// Deassert (the guest read ICR, or masked every pending cause). Domain 0 wires it to KVM (an
// IRQFD routed as an MSI) and to the vCPU's block/wake; tests record the calls.
namespace ParaKit.Hypervisor.Devices.Bus;

public interface IInterruptLine
{
    void Assert();
    void Deassert();
}
