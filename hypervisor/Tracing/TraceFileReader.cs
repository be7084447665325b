// Reads a trace file back: checks the header and tables against the file's length before any
// record is read, so a missing, truncated, damaged or foreign file is rejected with one sentence
// saying what is wrong (TraceFileException), never with an exception from deep inside a parser.
// Records are then streamed in chunks: a trace may be larger than what an analysis wants in memory.
using System.Runtime.InteropServices;

namespace ParaKit.Hypervisor.Tracing;

/// <summary>A file that is not a whole ParaKit trace; the message says why, naming the file.</summary>
public sealed class TraceFileException(string message) : Exception(message);

public sealed class TraceThreadInfo(ushort index, string name, ulong records, ulong lost)
{
    public ushort Index { get; } = index;
    public string Name { get; } = name;
    public ulong Records { get; } = records;
    public ulong Lost { get; } = lost;
}

public sealed class TraceFileReader : IDisposable
{
    private readonly FileStream _file;
    private long _nextRecord;

    public string Path { get; }
    public TraceFileHeader Header { get; }
    public IReadOnlyList<TraceThreadInfo> Threads { get; }
    public IReadOnlyList<TraceDomainName> Domains { get; }
    /// <summary>The devices named in the register table (none in version 1 files).</summary>
    public IReadOnlyList<TraceDevice> Devices { get; }

    private TraceFileReader(string path, FileStream file, TraceFileHeader header, IReadOnlyList<TraceThreadInfo> threads, IReadOnlyList<TraceDomainName> domains, IReadOnlyList<TraceDevice> devices)
    {
        Path = path;
        _file = file;
        Header = header;
        Threads = threads;
        Domains = domains;
        Devices = devices;
    }

    /// <summary>Opens and checks <paramref name="path"/>; throws <see cref="TraceFileException"/>.</summary>
    public static TraceFileReader Open(string path)
    {
        if (Directory.Exists(path))
            throw new TraceFileException($"{path} is a directory, not a trace file");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TraceFileException($"{path}: no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TraceFileException($"{path}: cannot read it ({e.Message})");
        }
        try
        {
            var (header, threads, domains, devices) = ReadTables(path, file);
            return new TraceFileReader(path, file, header, threads, domains, devices);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static (TraceFileHeader, List<TraceThreadInfo>, List<TraceDomainName>, List<TraceDevice>) ReadTables(string path, FileStream file)
    {
        long length = file.Length;
        if (length < 8)
            throw new TraceFileException($"{path} is not a ParaKit trace: {length} bytes, too short to hold the header");
        TraceFileHeader h = default;
        var headerBytes = MemoryMarshal.AsBytes(new Span<TraceFileHeader>(ref h));
        int got = file.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false);
        if (h.Magic != TraceFileHeader.MagicValue)
            throw new TraceFileException($"{path} is not a ParaKit trace (it does not start with \"PKTRACE\")");
        if (got < TraceFileHeader.Size)
            throw new TraceFileException($"{path} is truncated: it ends at byte {length}, inside the {TraceFileHeader.Size}-byte header");
        if (h.Version is not (1 or 2 or TraceFileHeader.CurrentVersion))
            throw new TraceFileException($"{path} is a ParaKit trace of format version {h.Version}; this parakit reads versions 1 to {TraceFileHeader.CurrentVersion}");
        if (h.Version == 1)
        {
            // Version 1 had no register table; these fields were reserved (0).
            h.RegisterEntrySize = 0;
            h.RegisterCount = 0;
        }
        else if (h.RegisterEntrySize != TraceRegisterEntry.Size)
            throw new TraceFileException($"{path} has a damaged header: register entries of {h.RegisterEntrySize} bytes, expected {TraceRegisterEntry.Size}");
        if (h.RegisterCount > 1 << 24)
            throw new TraceFileException($"{path} has a damaged header: {h.RegisterCount} register table entries");
        if (h.HeaderSize != TraceFileHeader.Size || h.RecordSize != TraceRecord.Size || h.ThreadEntrySize != TraceThreadEntry.Size || h.DomainEntrySize != TraceDomainEntry.Size)
            throw new TraceFileException($"{path} has a damaged header: sizes {h.HeaderSize}/{h.RecordSize}/{h.ThreadEntrySize}/{h.DomainEntrySize} (header/record/thread/domain), expected {TraceFileHeader.Size}/{TraceRecord.Size}/{TraceThreadEntry.Size}/{TraceDomainEntry.Size}");
        if (h.TscHz == 0)
            throw new TraceFileException($"{path} has a damaged header: the TSC frequency is 0");
        if (h.ThreadCount > 65536 || h.DomainCount > 65536)
            throw new TraceFileException($"{path} has a damaged header: {h.ThreadCount} threads and {h.DomainCount} domains");
        if (length < h.RecordsOffset)
            throw new TraceFileException($"{path} is truncated: it ends at byte {length}, inside its thread and domain tables (which end at byte {h.RecordsOffset})");
        ulong promised = h.RecordCount;
        long whole = (length - h.RecordsOffset) / TraceRecord.Size;
        long extra = (length - h.RecordsOffset) % TraceRecord.Size;
        if ((ulong)whole < promised)
            throw new TraceFileException($"{path} is truncated: the header promises {promised} records, the file holds {whole}" + (extra != 0 ? $" and {extra} bytes of the next" : ""));
        if ((ulong)whole > promised || extra != 0)
            throw new TraceFileException($"{path} is damaged: {length - h.RecordsOffset - (long)promised * TraceRecord.Size} bytes follow the {promised} records its header promises");

        var threads = new List<TraceThreadInfo>((int)h.ThreadCount);
        ulong sum = 0, lost = 0;
        for (int i = 0; i < h.ThreadCount; i++)
        {
            TraceThreadEntry e = default;
            file.ReadExactly(MemoryMarshal.AsBytes(new Span<TraceThreadEntry>(ref e)));
            if (e.Index != i)
                throw new TraceFileException($"{path} has a damaged thread table: entry {i} says it is thread {e.Index}");
            threads.Add(new TraceThreadInfo(e.Index, e.GetName(), e.Records, e.Lost));
            sum += e.Records;
            lost += e.Lost;
        }
        if (sum != promised || lost != h.LostRecords)
            throw new TraceFileException($"{path} is damaged: its threads hold {sum} records ({lost} lost), its header says {promised} ({h.LostRecords} lost)");
        var domains = new List<TraceDomainName>((int)h.DomainCount);
        for (int i = 0; i < h.DomainCount; i++)
        {
            TraceDomainEntry e = default;
            file.ReadExactly(MemoryMarshal.AsBytes(new Span<TraceDomainEntry>(ref e)));
            domains.Add(new TraceDomainName(e.Id, e.GetName()));
        }
        var devices = new List<TraceDevice>();
        (ushort Id, string Name, List<TraceRegister> Registers)? current = null;
        for (int i = 0; i < h.RegisterCount; i++)
        {
            TraceRegisterEntry e = default;
            file.ReadExactly(MemoryMarshal.AsBytes(new Span<TraceRegisterEntry>(ref e)));
            if (e.Kind == TraceRegisterEntry.KindDevice)
            {
                if (current is { } c)
                    devices.Add(TraceDevices.Make(c.Id, c.Name, c.Registers));
                current = (e.Device, e.GetName(), []);
            }
            else if (current is { } c && c.Id == e.Device)
                c.Registers.Add(new TraceRegister(e.Offset, e.GetName()));
            else
                throw new TraceFileException($"{path} has a damaged register table: entry {i} names a register of device {e.Device} outside that device's entries");
        }
        if (current is { } last)
            devices.Add(TraceDevices.Make(last.Id, last.Name, last.Registers));
        return (h, threads, domains, devices);
    }

    /// <summary>Reads the next records into <paramref name="into"/>; returns how many (0 at the end).</summary>
    public int Read(Span<TraceRecord> into)
    {
        long left = (long)Header.RecordCount - _nextRecord;
        if (left <= 0)
            return 0;
        var slice = into[..(int)Math.Min(into.Length, left)];
        _file.Position = Header.RecordsOffset + _nextRecord * TraceRecord.Size;
        _file.ReadExactly(MemoryMarshal.AsBytes(slice));
        _nextRecord += slice.Length;
        return slice.Length;
    }

    /// <summary>Every record from the first, in file order (TSC order, each thread's order kept).</summary>
    public IEnumerable<TraceRecord> Records()
    {
        _nextRecord = 0;
        var chunk = new TraceRecord[8192];
        int n;
        while ((n = Read(chunk)) > 0)
        {
            for (int i = 0; i < n; i++)
                yield return chunk[i];
        }
    }

    public void Dispose() => _file.Dispose();
}
