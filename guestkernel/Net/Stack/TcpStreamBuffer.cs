// A connection's byte buffer for one direction, indexed by sequence number: the byte with
// sequence number s lives at s mod size (a power of two). The send side keeps [SND.UNA, end)
// there, so retransmissions read it again; the receive side writes out-of-order data straight
// into its place, so reassembly moves no bytes.
using System;

namespace ParaKit.Net.Stack;

internal sealed class TcpStreamBuffer
{
    private readonly byte[] _bytes;
    private readonly int _mask;

    public TcpStreamBuffer(int size)
    {
        _bytes = new byte[size];
        _mask = size - 1;
    }

    public int Size => _bytes.Length;

    /// <summary>The power of two at or above <paramref name="bytes"/> (at least 4 KiB, at most 1 GiB).</summary>
    public static int RoundSize(int bytes)
    {
        int size = 4096;
        while (size < bytes && size < (1 << 30))
            size <<= 1;
        return size;
    }

    public void Write(uint seq, ReadOnlySpan<byte> data)
    {
        int at = (int)(seq & (uint)_mask);
        int first = Math.Min(data.Length, _bytes.Length - at);
        data.Slice(0, first).CopyTo(_bytes.AsSpan(at));
        data.Slice(first).CopyTo(_bytes);
    }

    public void Read(uint seq, Span<byte> into)
    {
        int at = (int)(seq & (uint)_mask);
        int first = Math.Min(into.Length, _bytes.Length - at);
        _bytes.AsSpan(at, first).CopyTo(into);
        _bytes.AsSpan(0, into.Length - first).CopyTo(into.Slice(first));
    }
}
