// What the toolstack knows about a device of a domain: one small interface, so a vif, the
// emulated e1000 and a future blkback are attached, listed and torn down the same way. Each
// device lives in its own folder (Devices/Vif, ...) with its config key, its xenbus or bus
// wiring, its state machine, its teardown and its counters.
namespace ParaKit.Hypervisor.Devices;

public interface IDomainDevice : IDisposable
{
    /// <summary>The device's name on the host side, e.g. "vif3.0".</summary>
    string Name { get; }

    /// <summary>One line for `parakit list` and the final table: state and main counters.</summary>
    string Summary { get; }
}
