// A span of guest-physical memory, [address, address + length): how the boot pages are written
// both into a boot template and straight into a domain's RAM (GuestMemory.Slice). Guest RAM may
// be larger than one span can cover (3 GiB), so writers ask for each piece where it lies.
namespace ParaKit.Hypervisor.Memory;

public delegate Span<byte> RamSlice(ulong address, int length);
