// Virtual unwinding over the DWARF call-frame information ILC writes for Linux x64 (.eh_frame,
// bounded by Toolchain/guest.ld), and the NativeAOT method data each FDE's LSDA points at
// (funclet kind, the owning method's start, its EH clauses). Everything here only reads the
// image; nothing allocates, so it also works on the trap stack.
//
// Facts relied on (checked against ILC 10 output): every managed method and funclet has its
// own FDE; CIEs are "zLR" with pc-relative sdata4 pointers; the CFI covers prologs only (no
// epilog rules are needed: calls and faults never sit in an epilog); the CFA is rsp- or
// rbp-based; saved registers are DW_CFA_offset rules.
namespace Internal.Runtime;

/// <summary>The registers an unwind step recovers (and a funclet's frame needs): the
/// callee-saved ones of the SysV ABI, plus rip and rsp. Layout shared with Native/exceptions.S.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
public struct RegisterContext
{
    public ulong Rip, Rsp, Rbx, Rbp, R12, R13, R14, R15;
}

/// <summary>A method's EH data: where it starts (funclets share their parent's offsets) and
/// its clause table, or null when it has none.</summary>
internal unsafe struct MethodEhInfo
{
    public ulong MethodStart;
    public byte* Clauses;
    /// <summary>0 = the method body, 1 = a catch/finally funclet, 2 = a filter funclet.</summary>
    public int FuncletKind;
}

internal enum ClauseKind { Typed = 0, Fault = 1, Filter = 2 }

/// <summary>One EH clause, decoded (NativeAOT's encoding: try start, (try length &lt;&lt; 2) |
/// kind, handler offset, then a relative MethodTable pointer for typed clauses or the filter
/// offset for filters; numbers in NativeFormat's variable-length unsigned encoding).</summary>
internal unsafe struct EhClause
{
    public ClauseKind Kind;
    public uint TryStart, TryEnd;
    public ulong Handler, Filter;
    public MethodTable* CatchType;
}

internal unsafe struct ClauseReader
{
    private byte* _p;
    private uint _left;
    private ulong _methodStart;

    public ClauseReader(in MethodEhInfo method)
    {
        _p = method.Clauses;
        _methodStart = method.MethodStart;
        _left = _p == null ? 0 : Unwinder.ReadVarUInt(ref _p);
    }

    public bool Next(out EhClause clause)
    {
        clause = default;
        if (_left == 0)
            return false;
        _left--;
        clause.TryStart = Unwinder.ReadVarUInt(ref _p);
        uint lengthAndKind = Unwinder.ReadVarUInt(ref _p);
        clause.Kind = (ClauseKind)(lengthAndKind & 3);
        clause.TryEnd = clause.TryStart + (lengthAndKind >> 2);
        clause.Handler = _methodStart + Unwinder.ReadVarUInt(ref _p);
        if (clause.Kind == ClauseKind.Typed)
        {
            clause.CatchType = (MethodTable*)(_p + *(int*)_p);
            _p += 4;
        }
        else if (clause.Kind == ClauseKind.Filter)
        {
            clause.Filter = _methodStart + Unwinder.ReadVarUInt(ref _p);
        }
        return true;
    }
}

internal static unsafe class Unwinder
{
    // DWARF register numbers (x86-64 psABI).
    private const int DwRbx = 3, DwRbp = 6, DwRsp = 7, DwR12 = 12, DwR15 = 15, DwRa = 16;
    private const int Untracked = int.MinValue;

    [System.Runtime.RuntimeImport("*", "ParaKitExceptionAddresses"), System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.InternalCall)]
    private static extern ulong* Addresses();

    internal static ulong CatchFuncletReturn => Addresses()[0];
    internal static ulong FinallyFuncletReturn => Addresses()[1];
    internal static ulong FilterFuncletReturn => Addresses()[2];
    internal static ulong ThrowHardwareEntry => Addresses()[3];
    private static byte* EhFrameStart => (byte*)Addresses()[4];
    private static byte* EhFrameEnd => (byte*)Addresses()[5];

    /// <summary>NativeFormat's unsigned encoding: the low bits of the first byte give the length.</summary>
    internal static uint ReadVarUInt(ref byte* p)
    {
        uint b = *p;
        uint value;
        if ((b & 1) == 0) { value = b >> 1; p += 1; }
        else if ((b & 2) == 0) { value = (b >> 2) | ((uint)p[1] << 6); p += 2; }
        else if ((b & 4) == 0) { value = (b >> 3) | ((uint)p[1] << 5) | ((uint)p[2] << 13); p += 3; }
        else if ((b & 8) == 0) { value = (b >> 4) | ((uint)p[1] << 4) | ((uint)p[2] << 12) | ((uint)p[3] << 20); p += 4; }
        else { value = *(uint*)(p + 1); p += 5; }
        return value;
    }

    private static ulong ReadUleb(ref byte* p)
    {
        ulong result = 0;
        int shift = 0;
        byte b;
        do
        {
            b = *p++;
            result |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        return result;
    }

    private static long ReadSleb(ref byte* p)
    {
        long result = 0;
        int shift = 0;
        byte b;
        do
        {
            b = *p++;
            result |= (long)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0)
            result |= -1L << shift;
        return result;
    }

    /// <summary>A DW_EH_PE-encoded pointer (absptr/udata4/sdata4/udata8, absolute or pc-relative).</summary>
    private static ulong ReadEncoded(ref byte* p, byte encoding)
    {
        byte* at = p;
        ulong value;
        switch (encoding & 0x0F)
        {
            case 0x03: value = *(uint*)p; p += 4; break;
            case 0x0B: value = (ulong)(long)*(int*)p; p += 4; break;
            case 0x02: value = *(ushort*)p; p += 2; break;
            case 0x0A: value = (ulong)(long)*(short*)p; p += 2; break;
            default: value = *(ulong*)p; p += 8; break;
        }
        if ((encoding & 0x70) == 0x10 && value != 0)
            value += (ulong)at;
        return value;
    }

    private struct Cie
    {
        public ulong CodeAlign;
        public long DataAlign;
        public byte FdeEncoding, LsdaEncoding;
        public bool HasAugmentationData;
        public byte* Instructions, InstructionsEnd;
    }

    private static bool ParseCie(byte* cie, out Cie info)
    {
        info = default;
        uint length = *(uint*)cie;
        byte* end = cie + 4 + length;
        byte* p = cie + 8;
        byte version = *p++;
        byte* augmentation = p;
        while (*p != 0)
            p++;
        p++;
        info.CodeAlign = ReadUleb(ref p);
        info.DataAlign = ReadSleb(ref p);
        if (version == 1)
            p++;
        else
            ReadUleb(ref p);
        if (augmentation[0] == (byte)'z')
        {
            info.HasAugmentationData = true;
            ulong augLength = ReadUleb(ref p);
            byte* augEnd = p + augLength;
            for (byte* a = augmentation + 1; *a != 0; a++)
            {
                if (*a == (byte)'L')
                    info.LsdaEncoding = *p++;
                else if (*a == (byte)'R')
                    info.FdeEncoding = *p++;
                else if (*a == (byte)'P')
                {
                    byte enc = *p++;
                    ReadEncoded(ref p, enc);
                }
            }
            p = augEnd;
        }
        info.Instructions = p;
        info.InstructionsEnd = end;
        return true;
    }

    /// <summary>The FDE covering <paramref name="pc"/>: its code range, LSDA and CFI.</summary>
    internal struct Fde
    {
        public ulong Start, End;
        public byte* Lsda;
        public byte* Instructions, InstructionsEnd;
        public byte* CieInstructions, CieInstructionsEnd;
        public ulong CodeAlign;
        public long DataAlign;
    }

    // FDE start addresses and their records, sorted (ILC emits them in code order); built at
    // the first throw. Until then (and if the table were ever out of order) FindFde scans.
    private static ulong* s_index;
    private static int s_indexCount;

    /// <summary>Builds the FDE index (one pass over .eh_frame, 16 bytes per method); called by
    /// the dispatcher, never from a trap handler (it allocates).</summary>
    internal static void EnsureIndex()
    {
        if (s_index != null)
            return;
        int count = 0;
        for (byte* p = EhFrameStart; p + 8 <= EhFrameEnd && *(uint*)p != 0; p += 4 + *(uint*)p)
        {
            if (*(uint*)(p + 4) != 0)
                count++;
        }
        ulong* index = (ulong*)Allocator.AllocateRaw((ulong)count * 16 + 16);
        int n = 0;
        ulong previous = 0;
        for (byte* p = EhFrameStart; p + 8 <= EhFrameEnd && *(uint*)p != 0; p += 4 + *(uint*)p)
        {
            uint id = *(uint*)(p + 4);
            if (id == 0)
                continue;
            ParseCie(p + 4 - id, out Cie cie);
            byte* q = p + 8;
            ulong start = ReadEncoded(ref q, cie.FdeEncoding);
            if (start < previous)
                return; // not sorted: keep scanning
            previous = start;
            index[2 * n] = start;
            index[2 * n + 1] = (ulong)p;
            n++;
        }
        s_indexCount = n;
        s_index = index;
    }

    internal static bool FindFde(ulong pc, out Fde fde)
    {
        fde = default;
        byte* p = EhFrameStart;
        byte* end = EhFrameEnd;
        if (s_index != null)
        {
            int lo = 0, hi = s_indexCount - 1, best = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                if (s_index[2 * mid] <= pc) { best = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            if (best < 0)
                return false;
            p = (byte*)s_index[2 * best + 1];
            end = p + 4 + *(uint*)p;
        }
        while (p + 8 <= end)
        {
            uint length = *(uint*)p;
            if (length == 0 || length == 0xFFFFFFFF)
                return false;
            uint id = *(uint*)(p + 4);
            byte* next = p + 4 + length;
            if (id != 0)
            {
                byte* ciePtr = p + 4 - id;
                ParseCie(ciePtr, out Cie cie);
                byte* q = p + 8;
                ulong start = ReadEncoded(ref q, cie.FdeEncoding);
                ulong range = ReadEncoded(ref q, (byte)(cie.FdeEncoding & 0x0F));
                if (pc >= start && pc < start + range)
                {
                    fde.Start = start;
                    fde.End = start + range;
                    if (cie.HasAugmentationData)
                    {
                        ulong augLength = ReadUleb(ref q);
                        byte* augEnd = q + augLength;
                        if (augLength != 0 && cie.LsdaEncoding != 0xFF)
                            fde.Lsda = (byte*)ReadEncoded(ref q, cie.LsdaEncoding);
                        q = augEnd;
                    }
                    fde.Instructions = q;
                    fde.InstructionsEnd = next;
                    fde.CieInstructions = cie.Instructions;
                    fde.CieInstructionsEnd = cie.InstructionsEnd;
                    fde.CodeAlign = cie.CodeAlign;
                    fde.DataAlign = cie.DataAlign;
                    return true;
                }
            }
            p = next;
        }
        return false;
    }

    /// <summary>The method data behind an FDE's LSDA (NativeAOT's unwind block flags).</summary>
    internal static bool GetMethodInfo(in Fde fde, out MethodEhInfo info)
    {
        info = default;
        byte* p = fde.Lsda;
        if (p == null)
            return false;
        byte flags = *p++;
        info.FuncletKind = flags & 3;
        info.MethodStart = fde.Start;
        if (info.FuncletKind != 0)
        {
            byte* main = p + *(int*)p;
            p += 4;
            info.MethodStart = fde.Start - (ulong)(long)*(int*)p;
            p = main;
            flags = *p++;
        }
        if ((flags & 0x10) != 0)
            p += 4; // associated data
        if ((flags & 0x04) != 0)
            info.Clauses = p + *(int*)p;
        return true;
    }

    private struct Row
    {
        public int CfaRegister;
        public long CfaOffset;
        public long Rbx, Rbp, R12, R13, R14, R15, Ra;
    }

    private static void SetRule(ref Row row, ulong reg, long offset)
    {
        switch (reg)
        {
            case DwRbx: row.Rbx = offset; break;
            case DwRbp: row.Rbp = offset; break;
            case 12: row.R12 = offset; break;
            case 13: row.R13 = offset; break;
            case 14: row.R14 = offset; break;
            case 15: row.R15 = offset; break;
            case DwRa: row.Ra = offset; break;
        }
    }

    /// <summary>Runs CFI instructions until the location passes <paramref name="pc"/>.
    /// False on an opcode this unwinder does not know (the caller then stops walking).</summary>
    private static bool Execute(byte* p, byte* end, ulong location, ulong pc, ulong codeAlign, long dataAlign, ref Row row, ref Row initial)
    {
        Row saved = row;
        while (p < end)
        {
            byte op = *p++;
            int high = op & 0xC0;
            if (high == 0x40)
            {
                location += (ulong)(op & 0x3F) * codeAlign;
                if (location > pc)
                    return true;
                continue;
            }
            if (high == 0x80)
            {
                SetRule(ref row, (ulong)(op & 0x3F), (long)ReadUleb(ref p) * dataAlign);
                continue;
            }
            if (high == 0xC0)
            {
                ulong reg = (ulong)(op & 0x3F);
                SetRule(ref row, reg, RuleOf(ref initial, reg));
                continue;
            }
            switch (op)
            {
                case 0x00: break;
                case 0x02: location += *p++ * codeAlign; if (location > pc) return true; break;
                case 0x03: location += *(ushort*)p * codeAlign; p += 2; if (location > pc) return true; break;
                case 0x04: location += *(uint*)p * codeAlign; p += 4; if (location > pc) return true; break;
                case 0x05: { ulong reg = ReadUleb(ref p); SetRule(ref row, reg, (long)ReadUleb(ref p) * dataAlign); break; }
                case 0x06: { ulong reg = ReadUleb(ref p); SetRule(ref row, reg, RuleOf(ref initial, reg)); break; }
                case 0x07: case 0x08: { ulong reg = ReadUleb(ref p); SetRule(ref row, reg, Untracked); break; }
                case 0x0A: saved = row; break;
                case 0x0B: row = saved; break;
                case 0x0C: row.CfaRegister = (int)ReadUleb(ref p); row.CfaOffset = (long)ReadUleb(ref p); break;
                case 0x0D: row.CfaRegister = (int)ReadUleb(ref p); break;
                case 0x0E: row.CfaOffset = (long)ReadUleb(ref p); break;
                case 0x11: { ulong reg = ReadUleb(ref p); SetRule(ref row, reg, ReadSleb(ref p) * dataAlign); break; }
                case 0x12: row.CfaRegister = (int)ReadUleb(ref p); row.CfaOffset = ReadSleb(ref p) * dataAlign; break;
                case 0x13: row.CfaOffset = ReadSleb(ref p) * dataAlign; break;
                case 0x2E: ReadUleb(ref p); break; // GNU_args_size
                default: return false;
            }
        }
        return true;
    }

    private static long RuleOf(ref Row row, ulong reg) => reg switch
    {
        DwRbx => row.Rbx,
        DwRbp => row.Rbp,
        12 => row.R12,
        13 => row.R13,
        14 => row.R14,
        15 => row.R15,
        DwRa => row.Ra,
        _ => Untracked,
    };

    /// <summary>Moves <paramref name="context"/> from a frame to its caller. <paramref name="active"/>
    /// says rip is the faulting instruction itself rather than a return address.</summary>
    internal static bool Step(ref RegisterContext context, bool active, in Fde fde)
    {
        ulong pc = active ? context.Rip : context.Rip - 1;
        Row row = default;
        row.Rbx = row.Rbp = row.R12 = row.R13 = row.R14 = row.R15 = row.Ra = Untracked;
        if (!Execute(fde.CieInstructions, fde.CieInstructionsEnd, fde.Start, ulong.MaxValue, fde.CodeAlign, fde.DataAlign, ref row, ref row))
            return false;
        Row initial = row;
        if (!Execute(fde.Instructions, fde.InstructionsEnd, fde.Start, pc, fde.CodeAlign, fde.DataAlign, ref row, ref initial))
            return false;
        ulong cfaBase = row.CfaRegister == DwRsp ? context.Rsp : row.CfaRegister == DwRbp ? context.Rbp : 0;
        if (cfaBase == 0 || row.Ra == Untracked)
            return false;
        ulong cfa = (ulong)((long)cfaBase + row.CfaOffset);
        if (row.Rbx != Untracked) context.Rbx = *(ulong*)(cfa + (ulong)row.Rbx);
        if (row.Rbp != Untracked) context.Rbp = *(ulong*)(cfa + (ulong)row.Rbp);
        if (row.R12 != Untracked) context.R12 = *(ulong*)(cfa + (ulong)row.R12);
        if (row.R13 != Untracked) context.R13 = *(ulong*)(cfa + (ulong)row.R13);
        if (row.R14 != Untracked) context.R14 = *(ulong*)(cfa + (ulong)row.R14);
        if (row.R15 != Untracked) context.R15 = *(ulong*)(cfa + (ulong)row.R15);
        context.Rip = *(ulong*)(cfa + (ulong)row.Ra);
        context.Rsp = cfa;
        return true;
    }
}
