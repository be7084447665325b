// The Internet checksum (RFC 1071) for both sides of the data plane: the guests' IP stack and
// traffic generator, and domain 0's software offload (completing a partial checksum, checksumming
// the segments it cuts from a GSO frame). Compiled into every guest image too, so it uses only
// what the guest runtime has (spans and pointers; x86-64 loads need no alignment).
using System;
using System.Runtime.CompilerServices;

namespace ParaKit.Protocols.Net;

public static unsafe class InternetChecksum
{
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
                sum = Add(sum, *(ulong*)(p + i));
            if (i + 4 <= n)
            {
                sum = Add(sum, *(uint*)(p + i));
                i += 4;
            }
            if (i + 2 <= n)
            {
                sum = Add(sum, *(ushort*)(p + i));
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

    /// <summary>The running sum of the UDP/TCP pseudo-header (RFC 768, RFC 793) for an L4 packet
    /// of <paramref name="length"/> bytes; addresses are host-order uints (192.168.0.1 = 0xC0A80001).</summary>
    public static ulong PseudoHeaderSum(uint source, uint destination, byte protocol, int length)
    {
        ulong sum = AddWord(0, (ushort)(source >> 16));
        sum = AddWord(sum, (ushort)source);
        sum = AddWord(sum, (ushort)(destination >> 16));
        sum = AddWord(sum, (ushort)destination);
        sum = AddWord(sum, protocol);
        return AddWord(sum, (ushort)length);
    }

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

    /// <summary>The checksum to store for data summed into <paramref name="sum"/>: the complement
    /// of its fold.</summary>
    public static ushort Complete(ulong sum) => (ushort)~Finish(sum);

    /// <summary>The Internet checksum of <paramref name="b"/> (the value to store in a header).</summary>
    public static ushort Checksum(ReadOnlySpan<byte> b) => Complete(Sum(b, 0));
}
