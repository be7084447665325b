// Network byte order and MAC addresses as 48-bit integers, for the traffic generator and
// checker and the IP stack (the Internet checksum is protocols/Net/InternetChecksum.cs). Pure
// code: compiled into the guest kernel library and into the host tests.
using System;

namespace ParaKit.Net.Traffic;

public static class Wire
{
    public static ushort ReadU16(ReadOnlySpan<byte> b, int at) => (ushort)((b[at] << 8) | b[at + 1]);

    public static uint ReadU32(ReadOnlySpan<byte> b, int at) =>
        ((uint)b[at] << 24) | ((uint)b[at + 1] << 16) | ((uint)b[at + 2] << 8) | b[at + 3];

    public static ulong ReadU64(ReadOnlySpan<byte> b, int at) => ((ulong)ReadU32(b, at) << 32) | ReadU32(b, at + 4);

    public static void WriteU16(Span<byte> b, int at, ushort v)
    {
        b[at] = (byte)(v >> 8);
        b[at + 1] = (byte)v;
    }

    public static void WriteU32(Span<byte> b, int at, uint v)
    {
        b[at] = (byte)(v >> 24);
        b[at + 1] = (byte)(v >> 16);
        b[at + 2] = (byte)(v >> 8);
        b[at + 3] = (byte)v;
    }

    public static void WriteU64(Span<byte> b, int at, ulong v)
    {
        WriteU32(b, at, (uint)(v >> 32));
        WriteU32(b, at + 4, (uint)v);
    }

    /// <summary>A MAC as an integer (first byte in bits 47..40), so apps compare and store
    /// addresses without arrays.</summary>
    public static ulong ReadMac(ReadOnlySpan<byte> b, int at) => ((ulong)ReadU16(b, at) << 32) | ReadU32(b, at + 2);

    public static void WriteMac(Span<byte> b, int at, ulong mac)
    {
        WriteU16(b, at, (ushort)(mac >> 32));
        WriteU32(b, at + 2, (uint)mac);
    }
}
