// A classic libpcap capture file (the format tcpdump -w writes: a 24-byte global header, then a
// 16-byte record header before each frame; LINKTYPE_ETHERNET, microsecond timestamps), so
// tcpdump, tshark and Wireshark read what crossed a switch. Frames are appended to a buffered
// file by the one thread that drives the switch; nothing is allocated per frame.
using System.Buffers.Binary;

namespace ParaKit.Hypervisor.Net.Pcap;

public sealed class PcapWriter : IFrameSink, IDisposable
{
    /// <summary>Bytes kept of each frame (tcpdump's default snaplen).</summary>
    public const int SnapLength = 262144;
    private const uint Magic = 0xA1B2C3D4;     // microsecond timestamps, written in host order
    private const uint LinkTypeEthernet = 1;

    private readonly Stream _out;
    private readonly byte[] _header = new byte[16];
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Frames written so far.</summary>
    public long Frames { get; private set; }

    public string? Path { get; }

    public PcapWriter(Stream output, string? path = null)
    {
        _out = output;
        Path = path;
        Span<byte> g = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(g, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(g[4..], 2);      // version 2.4
        BinaryPrimitives.WriteUInt16LittleEndian(g[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(g[8..], 0);       // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(g[12..], 0);     // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(g[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(g[20..], LinkTypeEthernet);
        _out.Write(g);
    }

    /// <summary>A new capture file at <paramref name="path"/> (its folder is created; an existing file is replaced).</summary>
    public static PcapWriter Create(string path)
    {
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null)
            Directory.CreateDirectory(dir);
        return new PcapWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), path);
    }

    public void Deliver(ReadOnlySpan<byte> frame)
    {
        long us = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        int kept = Math.Min(frame.Length, SnapLength);
        lock (_lock)
        {
            if (_disposed)
                return;
            BinaryPrimitives.WriteUInt32LittleEndian(_header, (uint)(us / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(4), (uint)(us % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(8), (uint)kept);
            BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(12), (uint)frame.Length);
            _out.Write(_header);
            _out.Write(frame[..kept]);
            Frames++;
        }
    }

    /// <summary>Pushes buffered records to the file (a reader may open it while the switch runs).</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (!_disposed)
                _out.Flush();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _out.Dispose();
        }
    }
}
