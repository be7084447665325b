// One received TCP segment, parsed and checked before any field is believed: checksum over the
// pseudo-header, data offset, option lengths, impossible flag combinations. The options a host
// needs (MSS, window scale, SACK-permitted, timestamps) are read; unknown ones are skipped by
// their length; a malformed option list rejects the segment. Never throws.
using System;
using ParaKit.Net.Traffic;
using ParaKit.Protocols.Net;

namespace ParaKit.Net.Stack;

internal static class TcpFlags
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;
}

internal enum TcpParse
{
    Ok,
    Truncated,
    BadDataOffset,
    BadChecksum,
    BadOptions,
    BadFlags,
    BadPort,
}

internal ref struct TcpSegment
{
    public const int HeaderLength = 20;

    public ushort SourcePort, DestinationPort;
    public uint Seq, Ack;
    public byte Flags;
    public ushort Window;
    /// <summary>0 when the SYN carried no MSS option.</summary>
    public ushort Mss;
    /// <summary>-1 when the SYN carried no window-scale option.</summary>
    public int WindowScale;
    public bool HasTimestamps;
    public uint TsValue, TsEcho;
    public ReadOnlySpan<byte> Data;

    public bool Has(byte flag) => (Flags & flag) != 0;

    /// <summary>Sequence space the segment occupies: data, plus one each for SYN and FIN.</summary>
    public int Length => Data.Length + (Has(TcpFlags.Syn) ? 1 : 0) + (Has(TcpFlags.Fin) ? 1 : 0);

    /// <summary>Parses and checks a segment; <paramref name="checksumValidated"/> (receive offload:
    /// the device vouched for it) skips the checksum.</summary>
    public static TcpParse Parse(ReadOnlySpan<byte> s, uint sourceIp, uint destinationIp, out TcpSegment seg, bool checksumValidated = false)
    {
        seg = default;
        seg.WindowScale = -1;
        if (s.Length < HeaderLength)
            return TcpParse.Truncated;
        int offset = (s[12] >> 4) * 4;
        if (offset < HeaderLength)
            return TcpParse.BadDataOffset;
        if (offset > s.Length)
            return TcpParse.Truncated;
        ulong sum = InternetChecksum.PseudoHeaderSum(sourceIp, destinationIp, Ipv4.ProtoTcp, s.Length);
        if (!checksumValidated && InternetChecksum.Finish(InternetChecksum.Sum(s, sum)) != 0xFFFF)
            return TcpParse.BadChecksum;
        seg.SourcePort = Wire.ReadU16(s, 0);
        seg.DestinationPort = Wire.ReadU16(s, 2);
        if (seg.SourcePort == 0 || seg.DestinationPort == 0)
            return TcpParse.BadPort;
        seg.Seq = Wire.ReadU32(s, 4);
        seg.Ack = Wire.ReadU32(s, 8);
        seg.Flags = (byte)(s[13] & 0x3F);   // ECE/CWR are not negotiated, so ignored
        seg.Window = Wire.ReadU16(s, 14);
        byte f = seg.Flags;
        // SYN+FIN and SYN+RST have no meaning (scanners use them); a segment without ACK may
        // only be a SYN or a RST.
        if ((f & TcpFlags.Syn) != 0 && (f & (TcpFlags.Fin | TcpFlags.Rst)) != 0)
            return TcpParse.BadFlags;
        if ((f & TcpFlags.Ack) == 0 && (f & (TcpFlags.Syn | TcpFlags.Rst)) == 0)
            return TcpParse.BadFlags;
        if (!ParseOptions(s.Slice(HeaderLength, offset - HeaderLength), ref seg))
            return TcpParse.BadOptions;
        seg.Data = s.Slice(offset);
        return TcpParse.Ok;
    }

    private static bool ParseOptions(ReadOnlySpan<byte> o, ref TcpSegment seg)
    {
        int i = 0;
        while (i < o.Length)
        {
            byte kind = o[i];
            if (kind == 0)
                return true;   // end of list; the rest is padding
            if (kind == 1)
            {
                i++;
                continue;
            }
            if (i + 1 >= o.Length)
                return false;
            int len = o[i + 1];
            if (len < 2 || i + len > o.Length)
                return false;
            switch (kind)
            {
                case 2:
                    if (len != 4)
                        return false;
                    seg.Mss = Wire.ReadU16(o, i + 2);
                    if (seg.Mss == 0)
                        return false;
                    break;
                case 3:
                    if (len != 3)
                        return false;
                    seg.WindowScale = Math.Min((int)o[i + 2], 14);   // RFC 7323 2.3: larger is taken as 14
                    break;
                case 4:
                    if (len != 2)
                        return false;
                    break;
                case 8:
                    if (len != 10)
                        return false;
                    seg.HasTimestamps = true;
                    seg.TsValue = Wire.ReadU32(o, i + 2);
                    seg.TsEcho = Wire.ReadU32(o, i + 6);
                    break;
            }
            i += len;
        }
        return true;
    }
}
