// Hand-made TCP frames for the tests, built and read the slow, obvious way (not with the
// stack's own code): Ethernet + IPv4 + TCP with a correct checksum unless asked otherwise.
using ParaKit.Net.Traffic;

namespace ParaKit.Tests.NetStack;

internal static class TcpRaw
{
    public const byte Fin = 1, Syn = 2, Rst = 4, Psh = 8, Ack = 16;

    public static byte[] Segment(uint src, uint dst, ushort sport, ushort dport, uint seq, uint ack, byte flags,
        ushort window = 8192, byte[]? options = null, byte[]? data = null, ulong srcMac = TcpTestNet.MacA,
        ulong dstMac = TcpTestNet.MacB, bool badChecksum = false, int? dataOffsetWords = null)
    {
        options ??= [];
        data ??= [];
        int header = 20 + options.Length;
        var t = new byte[header + data.Length];
        Wire.WriteU16(t, 0, sport);
        Wire.WriteU16(t, 2, dport);
        Wire.WriteU32(t, 4, seq);
        Wire.WriteU32(t, 8, ack);
        t[12] = (byte)((dataOffsetWords ?? header / 4) << 4);
        t[13] = flags;
        Wire.WriteU16(t, 14, window);
        options.CopyTo(t, 20);
        data.CopyTo(t, header);
        var pseudo = new byte[12 + t.Length];
        Wire.WriteU32(pseudo, 0, src);
        Wire.WriteU32(pseudo, 4, dst);
        pseudo[9] = 6;
        Wire.WriteU16(pseudo, 10, (ushort)t.Length);
        t.CopyTo(pseudo, 12);
        ushort c = Peer.Checksum(pseudo);
        Wire.WriteU16(t, 16, badChecksum ? (ushort)(c ^ 0x5555) : c);
        return Peer.Ip(6, t, src, dst, srcMac: srcMac, dstMac: dstMac);
    }

    public readonly record struct Parsed(ushort SourcePort, ushort DestinationPort, uint Seq, uint Ack, byte Flags, ushort Window, int DataLength, int HeaderLength)
    {
        public bool Has(byte f) => (Flags & f) != 0;
    }

    /// <summary>The TCP header of a frame, or null when it is not TCP.</summary>
    public static Parsed? Parse(byte[] f)
    {
        if (f.Length < 54 || Wire.ReadU16(f, 12) != 0x0800 || f[23] != 6)
            return null;
        int total = Wire.ReadU16(f, 16);
        int hl = (f[46] >> 4) * 4;
        return new Parsed(Wire.ReadU16(f, 34), Wire.ReadU16(f, 36), Wire.ReadU32(f, 38), Wire.ReadU32(f, 42), f[47],
            Wire.ReadU16(f, 48), total - 20 - hl, hl);
    }
}
