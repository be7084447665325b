// Source lines for guest code addresses, from the image's DWARF .debug_line (versions 2-4, which
// ILC writes for `build.sh` with DEBUG=1). Used by crash reports ("at Crash.cs:50"). The table
// lives only in the ELF file domain 0 reads, never in guest memory. Malformed or absent tables
// give no lines, never an exception: line numbers only improve a report.
using System.Buffers.Binary;
using System.Text;

namespace ParaKit.Hypervisor.Domains;

public readonly record struct SourceLine(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

public sealed class LineTable
{
    private readonly record struct Row(ulong Address, int File, int Line, bool EndSequence);

    private readonly Row[] _rows;       // sorted by address
    private readonly string[] _files;   // index = global file number

    private LineTable(Row[] rows, string[] files)
    {
        _rows = rows;
        _files = files;
    }

    public static LineTable Empty { get; } = new([], []);

    public int Count => _rows.Length;

    /// <summary>The line of <paramref name="address"/> inside a function that starts at
    /// <paramref name="functionStart"/>: the last row at or before it in that function. ILC ends
    /// its sequence at the last row rather than at the end of the last function, so rows past an
    /// end-of-sequence still count when they are in the same function.</summary>
    public SourceLine? Find(ulong address, ulong functionStart)
    {
        int best = LastAtOrBefore(address);
        while (best >= 0 && (_rows[best].EndSequence || _rows[best].Line <= 0))
            best--;
        if (best < 0 || _rows[best].Address < functionStart)
            return null;
        return new SourceLine(_files[_rows[best].File], _rows[best].Line);
    }

    private int LastAtOrBefore(ulong address)
    {
        int lo = 0, hi = _rows.Length - 1, best = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_rows[mid].Address <= address) { best = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return best;
    }

    /// <summary>The line whose code contains <paramref name="address"/>, or null.</summary>
    public SourceLine? Find(ulong address)
    {
        int lo = 0, hi = _rows.Length - 1, best = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_rows[mid].Address <= address) { best = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (best < 0 || _rows[best].EndSequence || _rows[best].Line <= 0)
            return null;
        return new SourceLine(_files[_rows[best].File], _rows[best].Line);
    }

    /// <summary>Parses a .debug_line section; <paramref name="describeFile"/> turns a file's
    /// full path into what reports print.</summary>
    public static LineTable Parse(ReadOnlySpan<byte> section, Func<string, string>? describeFile = null)
    {
        var rows = new List<Row>();
        var files = new List<string>();
        int at = 0;
        try
        {
            while (at + 4 <= section.Length)
            {
                uint unitLength = BinaryPrimitives.ReadUInt32LittleEndian(section[at..]);
                if (unitLength == 0 || unitLength >= 0xFFFF_FFF0 || at + 4 + (long)unitLength > section.Length)
                    break;
                var unit = section.Slice(at + 4, (int)unitLength);
                at += 4 + (int)unitLength;
                ParseUnit(unit, rows, files, describeFile ?? (f => f));
            }
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or FormatException)
        {
            // A truncated unit: keep what was read before it.
        }
        rows.Sort((a, b) => a.Address != b.Address ? a.Address.CompareTo(b.Address) : a.EndSequence.CompareTo(b.EndSequence));
        return new LineTable(rows.ToArray(), files.ToArray());
    }

    private static void ParseUnit(ReadOnlySpan<byte> u, List<Row> rows, List<string> files, Func<string, string> describe)
    {
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(u);
        if (version < 2 || version > 4)
            return;
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(u[2..]);
        int p = 6;
        int programStart = p + (int)headerLength;
        byte minInstLength = u[p++];
        if (version >= 4)
            p++; // maximum operations per instruction
        bool defaultIsStmt = u[p++] != 0;
        sbyte lineBase = (sbyte)u[p++];
        byte lineRange = u[p++];
        byte opcodeBase = u[p++];
        var argCounts = u.Slice(p, opcodeBase - 1);
        p += opcodeBase - 1;
        var dirs = new List<string> { "" };
        while (u[p] != 0)
            dirs.Add(ReadString(u, ref p));
        p++;
        int firstFile = files.Count;
        while (u[p] != 0)
        {
            string name = ReadString(u, ref p);
            int dir = (int)ReadUleb(u, ref p);
            ReadUleb(u, ref p); // time
            ReadUleb(u, ref p); // size
            string full = name.StartsWith('/') || dir >= dirs.Count || dirs[dir].Length == 0 ? name : dirs[dir] + "/" + name;
            files.Add(describe(full));
        }
        if (lineRange == 0)
            return;

        p = programStart;
        ulong address = 0;
        int file = 1, line = 1;
        while (p < u.Length)
        {
            byte op = u[p++];
            if (op >= opcodeBase)
            {
                int adjusted = op - opcodeBase;
                address += (ulong)(adjusted / lineRange * minInstLength);
                line += lineBase + adjusted % lineRange;
                Emit(rows, address, firstFile, file, line, false, files.Count);
                continue;
            }
            switch (op)
            {
                case 0: // extended
                {
                    ulong length = ReadUleb(u, ref p);
                    int end = p + (int)length;
                    byte sub = u[p++];
                    if (sub == 1)
                    {
                        Emit(rows, address, firstFile, file, line, true, files.Count);
                        address = 0; file = 1; line = 1;
                    }
                    else if (sub == 2)
                        address = BinaryPrimitives.ReadUInt64LittleEndian(u[p..]);
                    p = end;
                    break;
                }
                case 1: Emit(rows, address, firstFile, file, line, false, files.Count); break;
                case 2: address += ReadUleb(u, ref p) * minInstLength; break;
                case 3: line += (int)ReadSleb(u, ref p); break;
                case 4: file = (int)ReadUleb(u, ref p); break;
                case 5: ReadUleb(u, ref p); break; // column
                case 6: case 7: case 10: case 11: break;
                case 8: address += (ulong)((255 - opcodeBase) / lineRange * minInstLength); break;
                case 9: address += BinaryPrimitives.ReadUInt16LittleEndian(u[p..]); p += 2; break;
                case 12: ReadUleb(u, ref p); break; // isa
                default:
                    for (int i = 0; i < argCounts[op - 1]; i++)
                        ReadUleb(u, ref p);
                    break;
            }
        }
        _ = defaultIsStmt;
    }

    private static void Emit(List<Row> rows, ulong address, int firstFile, int file, int line, bool end, int fileCount)
    {
        int global = firstFile + file - 1;
        if (global < firstFile || global >= fileCount)
            global = -1;
        rows.Add(new Row(address, global < 0 ? 0 : global, global < 0 ? 0 : line, end));
    }

    private static string ReadString(ReadOnlySpan<byte> u, ref int p)
    {
        int nul = u[p..].IndexOf((byte)0);
        if (nul < 0)
            throw new FormatException("unterminated string");
        string s = Encoding.UTF8.GetString(u.Slice(p, nul));
        p += nul + 1;
        return s;
    }

    private static ulong ReadUleb(ReadOnlySpan<byte> u, ref int p)
    {
        ulong result = 0;
        int shift = 0;
        byte b;
        do
        {
            b = u[p++];
            if (shift < 64)
                result |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        return result;
    }

    private static long ReadSleb(ReadOnlySpan<byte> u, ref int p)
    {
        long result = 0;
        int shift = 0;
        byte b;
        do
        {
            b = u[p++];
            if (shift < 64)
                result |= (long)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0)
            result |= -1L << shift;
        return result;
    }
}
