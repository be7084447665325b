// Writes outgoing TCP headers (with MSS and window-scale options on SYNs) and the checksum.
// The caller has already placed the data after the header in the stack's transmit buffer.
using System;
using ParaKit.Net.Traffic;
using ParaKit.Protocols.Net;

namespace ParaKit.Net.Stack;

internal static class TcpSegmentBuilder
{
    /// <summary>Header length for a segment with or without the SYN options (MSS 4 bytes,
    /// NOP + window scale 4 bytes).</summary>
    public static int HeaderLength(bool synOptions, bool windowScale) =>
        TcpSegment.HeaderLength + (synOptions ? 4 + (windowScale ? 4 : 0) : 0);

    /// <summary>Fills the header at the start of <paramref name="s"/>; <paramref name="mss"/> = 0
    /// writes no options, <paramref name="windowScale"/> &lt; 0 no window-scale option.</summary>
    public static void Write(Span<byte> s, ushort sourcePort, ushort destinationPort, uint seq, uint ack, byte flags,
        ushort window, ushort mss, int windowScale)
    {
        bool options = mss != 0;
        int header = HeaderLength(options, windowScale >= 0);
        Wire.WriteU16(s, 0, sourcePort);
        Wire.WriteU16(s, 2, destinationPort);
        Wire.WriteU32(s, 4, seq);
        Wire.WriteU32(s, 8, ack);
        s[12] = (byte)((header / 4) << 4);
        s[13] = flags;
        Wire.WriteU16(s, 14, window);
        Wire.WriteU32(s, 16, 0);   // checksum and urgent pointer
        if (options)
        {
            s[20] = 2;
            s[21] = 4;
            Wire.WriteU16(s, 22, mss);
            if (windowScale >= 0)
            {
                s[24] = 1;
                s[25] = 3;
                s[26] = 3;
                s[27] = (byte)windowScale;
            }
        }
    }

    /// <summary>Stores the checksum of the whole segment (header and data).</summary>
    public static void Checksum(Span<byte> s, uint sourceIp, uint destinationIp)
    {
        ulong sum = InternetChecksum.PseudoHeaderSum(sourceIp, destinationIp, Ipv4.ProtoTcp, s.Length);
        Wire.WriteU16(s, 16, InternetChecksum.Complete(InternetChecksum.Sum(s, sum)));
    }
}
