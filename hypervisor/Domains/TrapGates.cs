// The guest's IDT, owned by domain 0: ring 3 cannot `lidt`, so domain 0 points IDTR at a
// private page at boot (every gate not present: a fault still ends as a triple fault, the
// crash-report backstop) and fills gates when the guest calls set_trap_table. Every gate is a
// 64-bit trap gate, DPL 3, with the ring-3 code selector: the only kind that works at ring 3
// under kvm_pvm (DESIGN.md, "Exceptions and interrupts at ring 3"). #DF, #SS and #PF switch to
// the trap stack (IST1) so a stack overflow still reaches its handler. Pure over guest memory
// and the layout, so the validation is tested without KVM.
using System.Buffers.Binary;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Traps;

namespace ParaKit.Hypervisor.Domains;

public static class TrapGates
{
    /// <summary>Present, DPL 3, type 0xF (64-bit trap gate).</summary>
    public const byte TrapGateAttributes = 0x80 | (3 << 5) | 0xF;
    /// <summary>Offset of IST1 in the 64-bit TSS.</summary>
    public const int TssIst1Offset = 0x24;
    private const int TssIoMapOffset = 0x66, TssLimit = 0x67;

    /// <summary>Writes the TSS fields the guest's traps need: IST1 = top of the trap stack,
    /// no I/O bitmap. The rest stays 0 (no ring change ever happens: all code is ring 3).</summary>
    public static void WriteTss(Span<byte> ram)
    {
        var tss = ram.Slice((int)PageTableBuilder.TssAddress, TssLimit + 1);
        tss.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(tss[TssIst1Offset..], TrapLayout.TrapStackTop);
        BinaryPrimitives.WriteUInt16LittleEndian(tss[TssIoMapOffset..], TssLimit + 1);
    }

    /// <summary>Encodes one 16-byte gate (Intel SDM vol. 3, figure 6-8).</summary>
    public static void EncodeGate(Span<byte> gate, ulong handler, byte ist)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(gate, (ushort)handler);
        BinaryPrimitives.WriteUInt16LittleEndian(gate[2..], TrapFlags.GuestCodeSelector);
        gate[4] = ist;
        gate[5] = TrapGateAttributes;
        BinaryPrimitives.WriteUInt16LittleEndian(gate[6..], (ushort)(handler >> 16));
        BinaryPrimitives.WriteUInt32LittleEndian(gate[8..], (uint)(handler >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(gate[12..], 0);
    }

    /// <summary>Handler address of a present gate, or null.</summary>
    public static ulong? DecodeGate(ReadOnlySpan<byte> gate)
    {
        if ((gate[5] & 0x80) == 0)
            return null;
        return BinaryPrimitives.ReadUInt16LittleEndian(gate)
            | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(gate[6..]) << 16)
            | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(gate[8..]) << 32);
    }

    /// <summary>set_trap_table(traps): validates the whole array first (copied once), then
    /// installs it, so a bad entry changes nothing. A null pointer clears every gate (as Xen
    /// does). Returns 0, -EFAULT (array outside readable RAM), -EINVAL (reserved vector, flags
    /// other than the privilege level, a selector other than 0x33, a handler address outside
    /// the guest's executable memory) or -E2BIG (no terminator within 256 entries).</summary>
    public static long SetTrapTable(GuestMemory memory, MemoryLayout layout, ulong traps)
    {
        Span<byte> idt = memory.Slice(TrapLayout.IdtAddress, TrapLayout.IdtEntries * TrapLayout.GateSize);
        if (traps == 0)
        {
            idt.Clear();
            return 0;
        }
        Span<TrapInfo> entries = stackalloc TrapInfo[TrapFlags.MaxEntries];
        int count = 0;
        while (true)
        {
            if (count == TrapFlags.MaxEntries)
                return Errno.E2BIG;
            if (!memory.TryRead(traps + (ulong)count * 16, out TrapInfo t))
                return Errno.EFAULT;
            if (t.Address == 0)
                break;
            if (TrapFlags.IsReserved(t.Vector) || (t.Flags & ~TrapFlags.PrivilegeMask) != 0 || t.Cs != TrapFlags.GuestCodeSelector)
                return Errno.EINVAL;
            if (t.Address >= layout.MemoryBytes || (layout.AccessOf(t.Address) & PageAccess.Execute) == 0)
                return Errno.EINVAL;
            entries[count++] = t;
        }
        foreach (var t in entries[..count])
            EncodeGate(idt.Slice(t.Vector * TrapLayout.GateSize, TrapLayout.GateSize), t.Address, TrapFlags.UsesTrapStack(t.Vector) ? (byte)1 : (byte)0);
        return 0;
    }
}
