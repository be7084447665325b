// What a driver of an emulated PCI-style device needs from the kernel, as interfaces (as
// IGrantClient is for the split drivers): its register window and memory the device can reach
// by "DMA". The guest passes adapters over its identity-mapped memory (KernelPlatform.cs); host
// tests pass a window onto domain 0's real device model and pages of a real GuestMemory.
namespace ParaKit.Drivers.Platform;

/// <summary>A device's memory-mapped registers (BAR0). Every access is a trapped load or store:
/// one exit to domain 0 each, which is the point of counting them.</summary>
public interface IRegisterWindow
{
    uint Read(uint offset);
    void Write(uint offset, uint value);
}

/// <summary>Memory a device reads and writes by bus address.</summary>
public unsafe interface IDmaMemory
{
    /// <summary>Zeroed, never moved or freed; aligned to <paramref name="alignment"/> (a power of two).
    /// Returns the CPU pointer and, in <paramref name="busAddress"/>, the address the device uses.</summary>
    byte* Allocate(int bytes, int alignment, out ulong busAddress);
}
