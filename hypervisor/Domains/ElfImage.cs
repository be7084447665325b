// A small ELF64 reader for guest images: checks that a file is a static x86-64 executable,
// lists its PT_LOAD segments, and keeps the symbol table so crash reports can name the
// function a guest died in. Images are untrusted input: every offset and size is bounded
// before use and problems come back as a GuestImageException with a readable message.
using System.Buffers.Binary;
using System.Text;
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Domains;

/// <summary>The file is not a guest image ParaKit can boot.</summary>
public sealed class GuestImageException(string message) : Exception(message);

/// <summary>One PT_LOAD program header.</summary>
public readonly record struct ElfSegment(ulong VirtualAddress, ulong PhysicalAddress, ulong FileOffset, ulong FileSize, ulong MemorySize, uint Flags)
{
    public const uint Execute = 1, Write = 2, Read = 4;
    public ulong End => VirtualAddress + MemorySize;
    public bool IsExecutable => (Flags & Execute) != 0;
    public bool IsWritable => (Flags & Write) != 0;
}

/// <summary>One function or object symbol.</summary>
public readonly record struct ElfSymbol(string Name, ulong Address, ulong Size, bool IsFunction);

public sealed class ElfImage
{
    private const int ElfHeaderSize = 64, ProgramHeaderSize = 56, SectionHeaderSize = 64;
    private const ushort EtExec = 2, EmX86_64 = 62;
    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3;
    private const uint ShtSymtab = 2;
    private const byte SttObject = 1, SttFunc = 2;

    private readonly byte[] _file;
    private readonly (ulong Offset, ushort EntrySize, ushort Count) _sections;
    // Sorted by address; read on first use: only crash reports and a few tests need symbols, and
    // reading them up front was a measurable part of `parakit run`'s start-up.
    private ElfSymbol[]? _symbolsRead;
    private ElfSymbol[] _symbols => _symbolsRead ??= ReadSymbols(_file, _sections.Offset, _sections.EntrySize, _sections.Count);

    public ulong Entry { get; }
    public IReadOnlyList<ElfSegment> Segments { get; }
    public IReadOnlyList<ElfSymbol> Symbols => _symbols;
    /// <summary>Lowest and one-past-highest loaded address (bss included).</summary>
    public ulong LowAddress { get; }
    public ulong HighAddress { get; }
    public int FileSize => _file.Length;

    private ElfImage(byte[] file, ulong entry, ElfSegment[] segments, (ulong, ushort, ushort) sections)
    {
        _file = file;
        Entry = entry;
        Segments = segments;
        _sections = sections;
        LowAddress = ulong.MaxValue;
        foreach (var s in segments)
        {
            LowAddress = Math.Min(LowAddress, s.VirtualAddress);
            HighAddress = Math.Max(HighAddress, s.End);
        }
        (SharedPages, PrivatePages) = ClassifyPages(segments);
    }

    // Images already parsed, by full path, size and modification time: `parakit create` of 100
    // domains of one kernel keeps one copy (the file's bytes stay for lazy symbols, 60 KB for
    // blocker). An image is immutable, so sharing it is safe; weak, so it goes with its last domain.
    private static readonly Lock s_cacheLock = new();
    private static readonly Dictionary<(string, long, DateTime), WeakReference<ElfImage>> s_cache = [];

    public static ElfImage Load(string path)
    {
        var info = new FileInfo(path);   // one stat: Exists is false for a directory
        if (!info.Exists && Directory.Exists(path))
            throw new GuestImageException($"{path}: is a directory, not a guest image");
        (string, long, DateTime) key = default;
        if (info.Exists)
        {
            key = (info.FullName, info.Length, info.LastWriteTimeUtc);
            lock (s_cacheLock)
            {
                if (s_cache.TryGetValue(key, out var weak) && weak.TryGetTarget(out var cached))
                    return cached;
            }
        }
        byte[] bytes = ReadFile(path, info.Exists ? info.Length : 0);
        try
        {
            var image = Parse(bytes);
            if (key.Item1 is not null)   // ReadFile read exactly the length the key holds
            {
                lock (s_cacheLock)
                {
                    foreach (var (k, weak) in s_cache)
                    {
                        if (!weak.TryGetTarget(out _))
                            s_cache.Remove(k);   // allowed while enumerating a Dictionary
                    }
                    s_cache[key] = new WeakReference<ElfImage>(image);
                }
            }
            return image;
        }
        catch (GuestImageException e)
        {
            throw new GuestImageException($"{path}: {e.Message}");
        }
    }

    /// <summary>The whole file, with open and read into an array that is not zeroed first: as
    /// `parakit run` starts, File.ReadAllBytes' first use and the zeroing of a fresh large array
    /// were a fifth of the time before KVM is asked for anything.</summary>
    private static unsafe byte[] ReadFile(string path, long length)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            int e = Libc.LastErrno;
            throw new GuestImageException(e == Libc.ENOENT ? $"{path}: no such file" : $"{path}: cannot open it: {Libc.StrError(e)}");
        }
        try
        {
            if (length > Array.MaxLength)
                throw new GuestImageException($"{path}: {length} bytes is too large for a guest image");
            var bytes = GC.AllocateUninitializedArray<byte>((int)length);
            fixed (byte* p = bytes)
            {
                for (long done = 0; done < length;)
                {
                    nint n = Libc.Read(fd, p + done, (nuint)(length - done));
                    if (n < 0 && Libc.LastErrno == Libc.EINTR)
                        continue;
                    if (n <= 0)
                        throw new GuestImageException(n < 0 ? $"{path}: cannot read it: {Libc.StrError(Libc.LastErrno)}" : $"{path}: the file shrank while it was read");
                    done += n;
                }
            }
            return bytes;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Parses an image. <paramref name="minAddress"/>/<paramref name="maxAddress"/>
    /// bound where segments may load (guest RAM minus the fixed low pages).</summary>
    public static ElfImage Parse(byte[] file, ulong minAddress = ParaKit.Protocols.Boot.GuestLayout.ImageBase, ulong maxAddress = ParaKit.Protocols.Boot.GuestLayout.MaxMemoryBytes)
    {
        ReadOnlySpan<byte> f = file;
        if (f.Length < 4 || f[0] != 0x7F || f[1] != (byte)'E' || f[2] != (byte)'L' || f[3] != (byte)'F')
            throw new GuestImageException("not an ELF file (bad magic)");
        if (f.Length < ElfHeaderSize)
            throw new GuestImageException("truncated ELF header");
        if (f[4] != 2)
            throw new GuestImageException("not a 64-bit ELF file (ELFCLASS64 required)");
        if (f[5] != 1)
            throw new GuestImageException("not a little-endian ELF file");
        if (f[6] != 1)
            throw new GuestImageException($"unsupported ELF version {f[6]}");
        ushort type = U16(f, 16), machine = U16(f, 18);
        if (machine != EmX86_64)
            throw new GuestImageException($"not an x86-64 image (e_machine {machine}, expected {EmX86_64})");
        if (type != EtExec)
            throw new GuestImageException(type == 3
                ? "position-independent executable (ET_DYN): link the guest static with -no-pie at 0x100000"
                : $"not an executable (e_type {type}, expected ET_EXEC)");
        ulong entry = U64(f, 24), phoff = U64(f, 32), shoff = U64(f, 40);
        ushort phentsize = U16(f, 54), phnum = U16(f, 56), shentsize = U16(f, 58), shnum = U16(f, 60);
        if (phnum == 0)
            throw new GuestImageException("no program headers");
        if (phentsize != ProgramHeaderSize)
            throw new GuestImageException($"unexpected program header size {phentsize}");
        if (!Fits(phoff, (ulong)phnum * ProgramHeaderSize, (ulong)f.Length))
            throw new GuestImageException("program headers lie outside the file");

        var segments = new List<ElfSegment>();
        for (int i = 0; i < phnum; i++)
        {
            int o = (int)phoff + i * ProgramHeaderSize;
            uint ptype = U32(f, o);
            if (ptype == PtInterp || ptype == PtDynamic)
                throw new GuestImageException("dynamically linked image: guests must be static (no PT_INTERP/PT_DYNAMIC)");
            if (ptype != PtLoad)
                continue;
            var seg = new ElfSegment(U64(f, o + 16), U64(f, o + 24), U64(f, o + 8), U64(f, o + 32), U64(f, o + 40), U32(f, o + 4));
            if (seg.MemorySize == 0)
                continue;
            if (seg.FileSize > seg.MemorySize)
                throw new GuestImageException($"segment {i}: file size 0x{seg.FileSize:x} exceeds memory size 0x{seg.MemorySize:x}");
            if (!Fits(seg.FileOffset, seg.FileSize, (ulong)f.Length))
                throw new GuestImageException($"segment {i}: data lies outside the file");
            if (seg.VirtualAddress != seg.PhysicalAddress)
                throw new GuestImageException($"segment {i}: virtual 0x{seg.VirtualAddress:x} != physical 0x{seg.PhysicalAddress:x} (guests are identity-mapped)");
            if (seg.VirtualAddress < minAddress || !Fits(seg.VirtualAddress, seg.MemorySize, maxAddress))
                throw new GuestImageException($"segment {i} [0x{seg.VirtualAddress:x}, 0x{seg.VirtualAddress + seg.MemorySize:x}) is outside the allowed range [0x{minAddress:x}, 0x{maxAddress:x}); link at 0x{ParaKit.Protocols.Boot.GuestLayout.ImageBase:x}");
            foreach (var other in segments)
            {
                if (seg.VirtualAddress < other.End && other.VirtualAddress < seg.End)
                    throw new GuestImageException($"segment {i} overlaps another segment");
            }
            segments.Add(seg);
        }
        if (segments.Count == 0)
            throw new GuestImageException("no loadable (PT_LOAD) segments");
        if (!segments.Exists(s => s.IsExecutable && entry >= s.VirtualAddress && entry < s.End))
            throw new GuestImageException($"entry point 0x{entry:x} is not inside an executable segment");

        return new ElfImage(file, entry, segments.ToArray(), (shoff, shentsize, shnum));
    }

    /// <summary>Function and object symbols, sorted. A missing or malformed table gives none:
    /// symbols only improve crash reports, so they never stop a boot.</summary>
    private static ElfSymbol[] ReadSymbols(ReadOnlySpan<byte> f, ulong shoff, ushort shentsize, ushort shnum)
    {
        if (shoff == 0 || shnum == 0 || shentsize != SectionHeaderSize || !Fits(shoff, (ulong)shnum * SectionHeaderSize, (ulong)f.Length))
            return [];
        var result = new List<ElfSymbol>();
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)shoff + i * SectionHeaderSize;
            if (U32(f, sh + 4) != ShtSymtab)
                continue;
            ulong off = U64(f, sh + 24), size = U64(f, sh + 32), entsize = U64(f, sh + 56);
            uint link = U32(f, sh + 40);
            if (entsize != 24 || !Fits(off, size, (ulong)f.Length) || link >= shnum)
                continue;
            int strSh = (int)shoff + (int)link * SectionHeaderSize;
            ulong strOff = U64(f, strSh + 24), strSize = U64(f, strSh + 32);
            if (!Fits(strOff, strSize, (ulong)f.Length))
                continue;
            var strtab = f.Slice((int)strOff, (int)strSize);
            for (ulong s = 0; s + 24 <= size; s += 24)
            {
                int o = (int)(off + s);
                uint name = U32(f, o);
                byte info = f[o + 4];
                ushort shndx = U16(f, o + 6);
                ulong value = U64(f, o + 8), symSize = U64(f, o + 16);
                byte stt = (byte)(info & 0xF);
                if ((stt != SttFunc && stt != SttObject && stt != 0) || shndx == 0 || value == 0 || name >= strtab.Length)
                    continue;
                var rest = strtab[(int)name..];
                int nul = rest.IndexOf((byte)0);
                if (nul <= 0)
                    continue;
                string n = Encoding.UTF8.GetString(rest[..nul]);
                if (stt == 0 && (n.StartsWith('$') || n.StartsWith(".L", StringComparison.Ordinal)))
                    continue;
                result.Add(new ElfSymbol(n, value, symSize, stt == SttFunc));
            }
        }
        result.Sort((a, b) => a.Address != b.Address ? a.Address.CompareTo(b.Address) : b.Size.CompareTo(a.Size));
        return result.ToArray();
    }

    /// <summary>The symbol containing <paramref name="address"/>, or the nearest one below it
    /// inside the same loaded segment; null when nothing fits.</summary>
    public ElfSymbol? FindSymbol(ulong address)
    {
        int lo = 0, hi = _symbols.Length - 1, best = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_symbols[mid].Address <= address) { best = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        // Prefer a sized symbol that really contains the address (walk back over neighbours at lower addresses).
        for (int i = best; i >= 0 && i > best - 64; i--)
        {
            var s = _symbols[i];
            if (s.Size > 0 && address - s.Address < s.Size)
                return s;
        }
        if (best < 0)
            return null;
        var nearest = _symbols[best];
        foreach (var seg in Segments)
        {
            if (address >= seg.VirtualAddress && address < seg.End)
                return nearest.Address >= seg.VirtualAddress ? nearest : null;
        }
        return null;
    }

    /// <summary>"Symbol+0x12" (or "Symbol" at offset 0), or null when unknown.</summary>
    public string? Symbolize(ulong address)
    {
        if (FindSymbol(address) is not { } s)
            return null;
        ulong off = address - s.Address;
        return off == 0 ? s.Name : $"{s.Name}+0x{off:x}";
    }

    private LineTable? _lines;

    /// <summary>Source lines from .debug_line (images built with DEBUG=1); empty without one.
    /// Parsed on first use: only crash reports need it.</summary>
    public LineTable Lines => _lines ??= LineTable.Parse(Section(".debug_line"), DescribeSourceFile);

    /// <summary>A source path as reports print it: relative to the current folder when inside it.</summary>
    private static string DescribeSourceFile(string path)
    {
        string cwd = Environment.CurrentDirectory;
        return path.StartsWith(cwd + "/", StringComparison.Ordinal) ? path[(cwd.Length + 1)..] : path;
    }

    /// <summary>The bytes of the section called <paramref name="name"/>, or empty.</summary>
    public ReadOnlySpan<byte> Section(string name)
    {
        ReadOnlySpan<byte> f = _file;
        if (f.Length < ElfHeaderSize)
            return default;
        ulong shoff = U64(f, 40);
        ushort shentsize = U16(f, 58), shnum = U16(f, 60), shstrndx = U16(f, 62);
        if (shoff == 0 || shentsize != SectionHeaderSize || shstrndx >= shnum || !Fits(shoff, (ulong)shnum * SectionHeaderSize, (ulong)f.Length))
            return default;
        int strSh = (int)shoff + shstrndx * SectionHeaderSize;
        ulong strOff = U64(f, strSh + 24), strSize = U64(f, strSh + 32);
        if (!Fits(strOff, strSize, (ulong)f.Length))
            return default;
        var names = f.Slice((int)strOff, (int)strSize);
        byte[] wanted = Encoding.ASCII.GetBytes(name);
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)shoff + i * SectionHeaderSize;
            uint nameOff = U32(f, sh);
            if (nameOff >= names.Length)
                continue;
            var rest = names[(int)nameOff..];
            int nul = rest.IndexOf((byte)0);
            if (nul < 0 || !rest[..nul].SequenceEqual(wanted))
                continue;
            ulong off = U64(f, sh + 24), size = U64(f, sh + 32);
            return Fits(off, size, (ulong)f.Length) ? f.Slice((int)off, (int)size) : default;
        }
        return default;
    }

    public ulong? SymbolAddress(string name)
    {
        foreach (var s in _symbols)
        {
            if (s.Name == name)
                return s.Address;
        }
        return null;
    }

    /// <summary>Pages of file data that no writable segment touches (code, read-only data):
    /// what a boot template shares between domains. Page-aligned, sorted, merged.</summary>
    public (ulong Start, ulong End)[] SharedPages { get; }

    /// <summary>Pages of file data a writable segment touches (data, the start of the bss):
    /// every guest writes them at once, so each domain gets its own copy at build time rather
    /// than a copy-on-write fault later.</summary>
    public (ulong Start, ulong End)[] PrivatePages { get; }

    // Plain loops: this runs on every load, on the way to a guest's first instruction, where
    // Linq's and SortedSet's first use cost more than the work.
    private static ((ulong Start, ulong End)[] Shared, (ulong Start, ulong End)[] Private) ClassifyPages(ElfSegment[] segments)
    {
        var pages = new List<ulong>();
        foreach (var s in segments)
        {
            if (s.FileSize == 0)
                continue;   // all bss: nothing of the file to place
            for (ulong p = s.VirtualAddress & ~0xFFFUL; p < s.VirtualAddress + s.FileSize; p += 0x1000)
                pages.Add(p);
        }
        pages.Sort();
        var shared = new List<(ulong Start, ulong End)>();
        var priv = new List<(ulong Start, ulong End)>();
        for (int i = 0; i < pages.Count; i++)
        {
            ulong p = pages[i];
            if (i > 0 && pages[i - 1] == p)
                continue;   // two segments share the page
            var list = IsWritten(segments, p) ? priv : shared;
            if (list.Count > 0 && list[^1].End == p)
                list[^1] = (list[^1].Start, p + 0x1000);
            else
                list.Add((p, p + 0x1000));
        }
        return ([.. shared], [.. priv]);
    }

    private static bool IsWritten(ElfSegment[] segments, ulong page)
    {
        foreach (var s in segments)
        {
            if (s.IsWritable && s.VirtualAddress < page + 0x1000 && page < s.End)
                return true;
        }
        return false;
    }

    /// <summary>Copies the file data lying in [<paramref name="start"/>, <paramref name="start"/> +
    /// dest.Length) into <paramref name="dest"/>, which must read as zero (the bss is not written).</summary>
    public void CopyFileData(ulong start, Span<byte> dest)
    {
        ulong end = start + (ulong)dest.Length;
        foreach (var s in Segments)
        {
            ulong from = Math.Max(start, s.VirtualAddress), to = Math.Min(end, s.VirtualAddress + s.FileSize);
            if (from < to)
                _file.AsSpan((int)(s.FileOffset + (from - s.VirtualAddress)), (int)(to - from)).CopyTo(dest[(int)(from - start)..]);
        }
    }

    private static bool Fits(ulong offset, ulong length, ulong limit) => offset <= limit && length <= limit - offset;
    private static ushort U16(ReadOnlySpan<byte> f, int o) => BinaryPrimitives.ReadUInt16LittleEndian(f[o..]);
    private static uint U32(ReadOnlySpan<byte> f, int o) => BinaryPrimitives.ReadUInt32LittleEndian(f[o..]);
    private static ulong U64(ReadOnlySpan<byte> f, int o) => BinaryPrimitives.ReadUInt64LittleEndian(f[o..]);
}
