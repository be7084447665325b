// What the gdb session needs from a stopped guest: its registers in gdb's numbering, and its
// memory by guest-virtual address. The domain's implementation reads the trap frame that the
// guest's #BP/#DB handler saved (DomainDebugger); tests use a fake.
namespace ParaKit.Hypervisor.Debugging;

public interface IDebugTarget
{
    /// <summary>Register <paramref name="number"/> (GdbRegisters numbering) of the stopped
    /// vCPU, little-endian, exactly its size. False when it cannot be read.</summary>
    bool ReadRegister(int number, Span<byte> value);

    /// <summary>Writes a register of the stopped vCPU; false when it cannot be written
    /// (the segment selectors) or the target is not stopped.</summary>
    bool WriteRegister(int number, ReadOnlySpan<byte> value);

    /// <summary>Reads all of [address, address + length) or nothing.</summary>
    bool ReadMemory(ulong address, Span<byte> buffer);

    /// <summary>Writes all of it or nothing (code pages included: breakpoints live there).</summary>
    bool WriteMemory(ulong address, ReadOnlySpan<byte> data);
}

/// <summary>Why the guest stopped.</summary>
public enum DebugStopKind
{
    /// <summary>An int3 ran (#BP): one of gdb's breakpoints, or one in the code (Debugger.Break,
    /// the stop before Main).</summary>
    Breakpoint,
    /// <summary>A single step ended (#DB with RFLAGS.TF).</summary>
    Step,
    /// <summary>gdb asked to interrupt the running guest (Ctrl-C).</summary>
    Interrupt,
}
