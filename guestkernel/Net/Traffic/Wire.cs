// Network byte order, MAC addresses as 48-bit integers and the Internet checksum (RFC 1071),
// for the traffic generator and checker. Pure code: compiled into the guest kernel library and
// into the host tests, so it uses only what the guest runtime has (spans, pointers, Unsafe).
using System;
using System.Runtime.CompilerServices;

namespace ParaKit.Net.Traffic;

public static unsafe class Wire
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

    /// <summary>Adds <paramref name="b"/> to a running one's-complement sum. The sum is kept in
    /// host (little-endian) order, which RFC 1071 shows is equivalent up to a final byte swap
    /// (see <see cref="Finish"/>); adding 64 bits at a time with end-around carry is what keeps
    /// checking a 9000-byte frame cheap. Chunks after the first must start at an even offset of
    /// the checksummed data, so 16-bit words stay aligned.</summary>
    public static ulong Sum(ReadOnlySpan<byte> b, ulong sum)
    {
        int n = b.Length;
        if (n == 0)
            return sum;
        fixed (byte* p = b)
        {
            int i = 0;
            for (; i + 8 <= n; i += 8)
                sum = Add(sum, Unsafe.ReadUnaligned<ulong>(p + i));
            if (i + 4 <= n)
            {
                sum = Add(sum, Unsafe.ReadUnaligned<uint>(p + i));
                i += 4;
            }
            if (i + 2 <= n)
            {
                sum = Add(sum, Unsafe.ReadUnaligned<ushort>(p + i));
                i += 2;
            }
            if (i < n)
                sum = Add(sum, p[i]);   // an odd last byte is the high byte of a zero-padded word
        }
        return sum;
    }

    /// <summary>One's-complement addition of a 64-bit chunk (end-around carry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Add(ulong sum, ulong value)
    {
        sum += value;
        if (sum < value)
            sum++;
        return sum;
    }

    /// <summary>A 16-bit word given in network order, added to a host-order running sum.</summary>
    public static ulong AddWord(ulong sum, ushort networkOrderWord) =>
        Add(sum, (ushort)((networkOrderWord >> 8) | (networkOrderWord << 8)));

    /// <summary>Folds a running sum to 16 bits and returns it in network order, not inverted:
    /// 0xFFFF when data that includes its own correct checksum is summed.</summary>
    public static ushort Finish(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        ushort s = (ushort)sum;
        return (ushort)((s >> 8) | (s << 8));
    }

    /// <summary>The Internet checksum of <paramref name="b"/> (the value to store in a header).</summary>
    public static ushort Checksum(ReadOnlySpan<byte> b) => (ushort)~Finish(Sum(b, 0));
}
