// The guest-physical memory map every ParaKit domain gets. Guest virtual = guest physical
// (identity mapping), so a guest can hand these addresses straight to hypercalls.
namespace ParaKit.Protocols.Boot;

/// <summary>Fixed addresses of a ParaKit guest. Page 0 is never mapped so null dereferences fault.</summary>
public static class GuestLayout
{
    public const ulong PageSize = 4096;
    /// <summary>ParaKit start_info page (see <see cref="StartInfo"/>).</summary>
    public const ulong StartInfoAddress = 0x1000;
    /// <summary>Xen shared_info page.</summary>
    public const ulong SharedInfoAddress = 0x2000;
    /// <summary>Hypercall page: 128 stubs of 32 bytes; read-only and executable for the guest.</summary>
    public const ulong HypercallPageAddress = 0x3000;
    /// <summary>XenStore ring page.</summary>
    public const ulong StoreRingAddress = 0x4000;
    /// <summary>Console ring page.</summary>
    public const ulong ConsoleRingAddress = 0x5000;
    /// <summary>Start of pages private to the hypervisor (GDT, page tables); not writable by the guest.</summary>
    public const ulong PrivateStart = 0x8000;
    /// <summary>End of the private region.</summary>
    public const ulong PrivateEnd = 0x100000;
    /// <summary>Lowest address an ELF segment may be loaded at; images are linked here.</summary>
    public const ulong ImageBase = 0x100000;
    /// <summary>Largest guest RAM: everything must sit below the doorbell window.</summary>
    public const ulong MaxMemoryBytes = 0xC000_0000;
    /// <summary>Unbacked guest-physical page a hypercall stub writes its number to: the write
    /// misses every memory slot, so KVM exits to domain 0 with KVM_EXIT_MMIO.</summary>
    public const ulong HypercallDoorbell = 0xF000_0000;
    /// <summary>Emulated devices' register windows (a PCI BAR each, where no PCI bus is emulated):
    /// mapped user-writable in every guest's page tables and backed by no memory, so every access
    /// exits to domain 0's bus. Same 2 MiB region as the doorbell, so one more page table covers both.</summary>
    public const ulong DeviceWindowStart = 0xF002_0000;
    /// <summary>One past the device window.</summary>
    public const ulong DeviceWindowEnd = 0xF020_0000;
    /// <summary>BAR0 size of an emulated 82540EM (128 KiB of registers).</summary>
    public const ulong E1000BarSize = 0x2_0000;

    /// <summary>Where the emulated e1000 of vif <paramref name="index"/> has its registers (a fixed
    /// slot per vif index, as a fixed PCI slot would be): 0xF002_0000 + index * 128 KiB.</summary>
    public static ulong E1000Bar(int index) => DeviceWindowStart + (ulong)index * E1000BarSize;

    /// <summary>How many e1000 slots fit in the device window (vif indices 0..14).</summary>
    public const int E1000Slots = (int)((DeviceWindowEnd - DeviceWindowStart) / E1000BarSize);

    /// <summary>Size of one hypercall stub in the hypercall page (as in Xen).</summary>
    public const int HypercallStubSize = 32;
}
