// What a device offers the bus: its registers. Called on the vCPU thread of the domain that owns
// the range, once per trapped access, with the offset inside the device's range. Implementations
// answer from their own state and never throw on a guest's values (a bad access is counted, reads
// of nothing give 0 as unimplemented PCI registers do).
namespace ParaKit.Hypervisor.Devices.Bus;

public interface IMmioDevice
{
    /// <summary>A guest load of <paramref name="size"/> bytes (1, 2, 4 or 8) at <paramref name="offset"/>.</summary>
    ulong Read(ulong offset, int size);

    /// <summary>A guest store of the low <paramref name="size"/> bytes of <paramref name="value"/>.</summary>
    void Write(ulong offset, int size, ulong value);
}
