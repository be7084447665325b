// What a device gets from the toolstack when it is attached: the store (domain 0's client) and
// the toolstack's control thread. Store watches fire on whichever thread made the change (often
// a guest's store thread); devices only Post their reaction, so every state change of every
// device runs on one thread, in order, and never inside another store request.
using ParaKit.Hypervisor.Store;

namespace ParaKit.Hypervisor.Devices;

public sealed class DeviceContext(LocalStoreClient store, Action<Action> post)
{
    public LocalStoreClient Store { get; } = store;

    /// <summary>Runs <paramref name="work"/> on the control thread, after what was posted before it.</summary>
    public void Post(Action work) => post(work);
}
