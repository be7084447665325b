// gdb's x87 and SSE registers over an fxsave64 image (Intel SDM vol. 1, 10.5.1): st0-7 are the
// 80-bit values in stack order (fxsave stores them as ST(i), so no rotation is needed), ftag is
// the full two-bit-per-register tag word gdb shows, rebuilt from fxsave's abridged one-bit
// form and the register contents (SDM vol. 1, 8.1.7), fioff/fiseg and fooff/foseg are the
// low 32 bits and the next 16 of the 64-bit instruction and operand pointers, as gdb's own
// i387_supply_fxsave splits them.
using System.Buffers.Binary;
using ParaKit.Protocols.Traps;

namespace ParaKit.Hypervisor.Debugging;

public static class X87
{
    /// <summary>Reads register <paramref name="number"/> (st0..mxcsr) from the image; false for others.</summary>
    public static bool Read(ReadOnlySpan<byte> fx, int number, Span<byte> value)
    {
        switch (number)
        {
            case >= GdbRegisters.St0 and <= GdbRegisters.St7:
                fx.Slice(FxsaveArea.St0 + 16 * (number - GdbRegisters.St0), 10).CopyTo(value);
                return true;
            case >= GdbRegisters.Xmm0 and <= GdbRegisters.Xmm15:
                fx.Slice(FxsaveArea.Xmm0 + 16 * (number - GdbRegisters.Xmm0), 16).CopyTo(value);
                return true;
        }
        uint v;
        switch (number)
        {
            case GdbRegisters.Fctrl: v = BinaryPrimitives.ReadUInt16LittleEndian(fx[FxsaveArea.Fcw..]); break;
            case GdbRegisters.Fstat: v = BinaryPrimitives.ReadUInt16LittleEndian(fx[FxsaveArea.Fsw..]); break;
            case GdbRegisters.Ftag: v = FullTag(fx); break;
            case GdbRegisters.Fiseg: v = BinaryPrimitives.ReadUInt16LittleEndian(fx[(FxsaveArea.Fip + 4)..]); break;
            case GdbRegisters.Fioff: v = BinaryPrimitives.ReadUInt32LittleEndian(fx[FxsaveArea.Fip..]); break;
            case GdbRegisters.Foseg: v = BinaryPrimitives.ReadUInt16LittleEndian(fx[(FxsaveArea.Fdp + 4)..]); break;
            case GdbRegisters.Fooff: v = BinaryPrimitives.ReadUInt32LittleEndian(fx[FxsaveArea.Fdp..]); break;
            case GdbRegisters.Fop: v = BinaryPrimitives.ReadUInt16LittleEndian(fx[FxsaveArea.Fop..]) & 0x7FFu; break;
            case GdbRegisters.Mxcsr: v = BinaryPrimitives.ReadUInt32LittleEndian(fx[FxsaveArea.Mxcsr..]); break;
            default: return false;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(value, v);
        return true;
    }

    /// <summary>Writes register <paramref name="number"/> into the image (the trap stub's
    /// fxrstor64 loads it on resume); false for registers that are not x87/SSE.</summary>
    public static bool Write(Span<byte> fx, int number, ReadOnlySpan<byte> value)
    {
        switch (number)
        {
            case >= GdbRegisters.St0 and <= GdbRegisters.St7:
                value[..10].CopyTo(fx.Slice(FxsaveArea.St0 + 16 * (number - GdbRegisters.St0), 10));
                return true;
            case >= GdbRegisters.Xmm0 and <= GdbRegisters.Xmm15:
                value[..16].CopyTo(fx.Slice(FxsaveArea.Xmm0 + 16 * (number - GdbRegisters.Xmm0), 16));
                return true;
        }
        if (number is < GdbRegisters.Fctrl or > GdbRegisters.Mxcsr || number is > GdbRegisters.Fop and < GdbRegisters.Mxcsr)
            return false;
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(value);
        switch (number)
        {
            case GdbRegisters.Fctrl: BinaryPrimitives.WriteUInt16LittleEndian(fx[FxsaveArea.Fcw..], (ushort)v); break;
            case GdbRegisters.Fstat: BinaryPrimitives.WriteUInt16LittleEndian(fx[FxsaveArea.Fsw..], (ushort)v); break;
            case GdbRegisters.Ftag: fx[FxsaveArea.AbridgedTag] = AbridgedTag(v); break;
            case GdbRegisters.Fiseg: BinaryPrimitives.WriteUInt16LittleEndian(fx[(FxsaveArea.Fip + 4)..], (ushort)v); break;
            case GdbRegisters.Fioff: BinaryPrimitives.WriteUInt32LittleEndian(fx[FxsaveArea.Fip..], v); break;
            case GdbRegisters.Foseg: BinaryPrimitives.WriteUInt16LittleEndian(fx[(FxsaveArea.Fdp + 4)..], (ushort)v); break;
            case GdbRegisters.Fooff: BinaryPrimitives.WriteUInt32LittleEndian(fx[FxsaveArea.Fdp..], v); break;
            case GdbRegisters.Fop: BinaryPrimitives.WriteUInt16LittleEndian(fx[FxsaveArea.Fop..], (ushort)(v & 0x7FF)); break;
            case GdbRegisters.Mxcsr: BinaryPrimitives.WriteUInt32LittleEndian(fx[FxsaveArea.Mxcsr..], v); break;
        }
        return true;
    }

    /// <summary>The 16-bit tag word: per physical register 3 = empty, else 0 valid, 1 zero, 2 special.</summary>
    public static uint FullTag(ReadOnlySpan<byte> fx)
    {
        byte abridged = fx[FxsaveArea.AbridgedTag];
        int top = (BinaryPrimitives.ReadUInt16LittleEndian(fx[FxsaveArea.Fsw..]) >> 11) & 7;
        uint tag = 0;
        for (int physical = 0; physical < 8; physical++)
        {
            uint t;
            if ((abridged & (1 << physical)) == 0)
            {
                t = 3;
            }
            else
            {
                // Physical register R(i) is ST((i - top) mod 8), which fxsave stores in stack order.
                var reg = fx.Slice(FxsaveArea.St0 + 16 * ((physical - top) & 7), 10);
                ulong significand = BinaryPrimitives.ReadUInt64LittleEndian(reg);
                int exponent = BinaryPrimitives.ReadUInt16LittleEndian(reg[8..]) & 0x7FFF;
                bool integerBit = (significand >> 63) != 0;
                t = exponent == 0x7FFF ? 2u
                    : exponent == 0 ? (significand == 0 ? 1u : 2u)
                    : integerBit ? 0u : 2u;
            }
            tag |= t << (2 * physical);
        }
        return tag;
    }

    /// <summary>fxsave's one bit per register: set unless the full tag says empty (3).</summary>
    public static byte AbridgedTag(uint fullTag)
    {
        byte abridged = 0;
        for (int physical = 0; physical < 8; physical++)
        {
            if (((fullTag >> (2 * physical)) & 3) != 3)
                abridged |= (byte)(1 << physical);
        }
        return abridged;
    }
}
