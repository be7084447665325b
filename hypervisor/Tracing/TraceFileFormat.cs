// The trace file's fixed parts: the header, the thread, domain and register tables (README.md
// beside this file documents them byte by byte). Blittable, little-endian, explicit layout, so
// writer and reader copy them as bytes and a size test pins each one.
using System.Runtime.InteropServices;
using System.Text;

namespace ParaKit.Hypervisor.Tracing;

/// <summary>The file header, 96 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct TraceFileHeader
{
    public const int Size = 96;
    /// <summary>"PKTRACE\0" read as a little-endian u64.</summary>
    public const ulong MagicValue = 0x0045434152544B50;
    /// <summary>Version 2 added the register table (version 1 files have none). Version 3 has the
    /// same layout: domain 0's grant copies are GrantCopyBatch records (one per backend batch, not
    /// one GrantCopy per copy) and network records carry the vif in the high byte of their flags
    /// (a version-2 reader would take a drop's vif for part of its reason). All three are read.</summary>
    public const ushort CurrentVersion = 3;

    [FieldOffset(0)] public ulong Magic;
    [FieldOffset(8)] public ushort Version;
    [FieldOffset(10)] public ushort HeaderSize;
    [FieldOffset(12)] public ushort RecordSize;
    [FieldOffset(14)] public ushort ThreadEntrySize;
    [FieldOffset(16)] public ushort DomainEntrySize;
    /// <summary>Size of a register table entry (48; 0 in version 1 files, which have no table).</summary>
    [FieldOffset(18)] public ushort RegisterEntrySize;
    /// <summary>Capacity of each thread's buffer, in records (what a thread could hold before losing any).</summary>
    [FieldOffset(20)] public uint RecordsPerThread;
    /// <summary>TSC ticks per second.</summary>
    [FieldOffset(24)] public ulong TscHz;
    /// <summary>The time base: TSC, wall clock (ns since 1970) and CLOCK_MONOTONIC (ns), read back to back when recording started.</summary>
    [FieldOffset(32)] public ulong BaseTsc;
    [FieldOffset(40)] public long BaseRealtimeNs;
    [FieldOffset(48)] public long BaseMonotonicNs;
    /// <summary>TSC when recording stopped.</summary>
    [FieldOffset(56)] public ulong EndTsc;
    [FieldOffset(64)] public ulong RecordCount;
    /// <summary>Records lost over all threads (their buffers were full).</summary>
    [FieldOffset(72)] public ulong LostRecords;
    [FieldOffset(80)] public uint ThreadCount;
    [FieldOffset(84)] public uint DomainCount;
    /// <summary>The <see cref="TraceClasses"/> recorded; 0 in files written before filters existed (all classes).</summary>
    [FieldOffset(88)] public uint EventClasses;
    /// <summary>Entries in the register table (devices and their register names).</summary>
    [FieldOffset(92)] public uint RegisterCount;

    /// <summary>The classes of events the file can hold (the others were filtered out while recording).</summary>
    public readonly TraceClasses Classes => EventClasses == 0 ? TraceClasses.All : (TraceClasses)EventClasses & TraceClasses.All;

    /// <summary>Offset of the first record.</summary>
    public readonly long RecordsOffset => (long)HeaderSize + (long)ThreadCount * ThreadEntrySize + (long)DomainCount * DomainEntrySize + (long)RegisterCount * RegisterEntrySize;
}

/// <summary>One thread of the thread table, 48 bytes: records carry its index.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct TraceThreadEntry
{
    public const int Size = 48;
    public const int NameBytes = 24;

    [FieldOffset(0)] public ushort Index;
    [FieldOffset(2)] public byte NameLength;
    [FieldOffset(3)] public byte Reserved0;
    [FieldOffset(4)] public uint Reserved1;
    [FieldOffset(8)] public ulong Records;
    [FieldOffset(16)] public ulong Lost;
    /// <summary>The thread's name, UTF-8, NameLength bytes (truncated to 24).</summary>
    [FieldOffset(24)] public fixed byte Name[NameBytes];

    public string GetName()
    {
        fixed (byte* p = Name)
            return TraceNameField.Read(new ReadOnlySpan<byte>(p, NameBytes), NameLength);
    }

    public void SetName(string name)
    {
        fixed (byte* p = Name)
            NameLength = (byte)TraceNameField.Write(name, new Span<byte>(p, NameBytes));
    }
}

/// <summary>One domain of the domain table, 64 bytes: the names the analyzer prints.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct TraceDomainEntry
{
    public const int Size = 64;
    public const int NameBytes = 56;

    [FieldOffset(0)] public ushort Id;
    [FieldOffset(2)] public byte NameLength;
    [FieldOffset(3)] public byte Reserved0;
    [FieldOffset(4)] public uint Reserved1;
    /// <summary>The domain's name, UTF-8, NameLength bytes (truncated to 56).</summary>
    [FieldOffset(8)] public fixed byte Name[NameBytes];

    public string GetName()
    {
        fixed (byte* p = Name)
            return TraceNameField.Read(new ReadOnlySpan<byte>(p, NameBytes), NameLength);
    }

    public void SetName(string name)
    {
        fixed (byte* p = Name)
            NameLength = (byte)TraceNameField.Write(name, new Span<byte>(p, NameBytes));
    }
}

/// <summary>One entry of the register table, 48 bytes: a device's name (kind 0) or the name of
/// one of its registers (kind 1, at Offset).</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct TraceRegisterEntry
{
    public const int Size = 48;
    public const int NameBytes = 32;
    public const byte KindDevice = 0, KindRegister = 1;

    [FieldOffset(0)] public ushort Device;
    [FieldOffset(2)] public byte NameLength;
    [FieldOffset(3)] public byte Kind;
    [FieldOffset(4)] public uint Reserved;
    [FieldOffset(8)] public ulong Offset;
    /// <summary>UTF-8, NameLength bytes (truncated to 32).</summary>
    [FieldOffset(16)] public fixed byte Name[NameBytes];

    public string GetName()
    {
        fixed (byte* p = Name)
            return TraceNameField.Read(new ReadOnlySpan<byte>(p, NameBytes), NameLength);
    }

    public void SetName(string name)
    {
        fixed (byte* p = Name)
            NameLength = (byte)TraceNameField.Write(name, new Span<byte>(p, NameBytes));
    }
}

/// <summary>A domain id and name for the file's domain table.</summary>
public readonly record struct TraceDomainName(uint Id, string Name);

internal static class TraceNameField
{
    /// <summary>The name a table entry holds (its length byte is file data: bounded by the field).</summary>
    public static string Read(ReadOnlySpan<byte> field, byte length) => Encoding.UTF8.GetString(field[..Math.Min(length, field.Length)]);

    /// <summary>Writes as many whole characters of <paramref name="name"/> as fit; returns the bytes used.</summary>
    public static int Write(string name, Span<byte> field)
    {
        field.Clear();
        var encoder = Encoding.UTF8.GetEncoder();
        encoder.Convert(name, field, flush: true, out _, out int bytes, out _);
        return bytes;
    }
}
