// The Internet checksum (RFC 1071) for domain 0's software offload: completing a partial L4
// checksum and checksumming software-made GSO segments and IPv4 headers. 64-bit accumulation,
// folded at the end; big-endian 16-bit words as on the wire.
using System.Buffers.Binary;

namespace ParaKit.Hypervisor.Net.Offload;

public static class InternetChecksum
{
    /// <summary>One's-complement sum of <paramref name="data"/> added to <paramref name="sum"/> (unfolded).</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        // Eight bytes at a time as four big-endian words: the byte order only needs fixing at fold time.
        ulong acc = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            ulong v = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            acc += (v & 0xFFFF_FFFF) + (v >> 32);
        }
        // Little-endian reads sum byte-swapped words: swap the folded result back (RFC 1071 1.2.B).
        ushort swapped = Fold(acc);
        sum += (ushort)(swapped << 8 | swapped >> 8);
        for (; i + 1 < data.Length; i += 2)
            sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length)
            sum += (uint)(data[i] << 8);
        return sum;
    }

    /// <summary>Folds an accumulated sum to 16 bits (not complemented).</summary>
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The IPv4 pseudo-header sum (RFC 793/768) for an L4 packet of <paramref name="length"/> bytes.</summary>
    public static uint PseudoHeader(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length) =>
        (uint)(source[0] << 8 | source[1]) + (uint)(source[2] << 8 | source[3])
        + (uint)(destination[0] << 8 | destination[1]) + (uint)(destination[2] << 8 | destination[3])
        + protocol + (uint)length;

    /// <summary>The checksum to store: the complement of the folded sum.</summary>
    public static ushort Complete(ulong sum) => (ushort)~Fold(sum);
}
