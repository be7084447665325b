// The test frame pktgen sends and sink checks: Ethernet + IPv4 + UDP + a payload that carries
// a sequence number and a send timestamp, followed by pseudo-random bytes derived from the
// sequence number, so the receiver can check every byte without having seen the sender.
//
// Layout (offsets in the frame, network byte order):
//    0  dst MAC, 6 src MAC, 12 ethertype 0x0800
//   14  IPv4: 0x45, tos 0, total length, id = MagicHigh, flags DF, ttl 64, proto 17, checksum,
//       src IP, dst IP (no options)
//   34  UDP: src port, dst port, length, checksum (always present: RFC 768 over the pseudo-header)
//   42  MagicLow (2 bytes), 44 sequence (8), 52 send timestamp in ns (8)
//   60  fill: xorshift64 output seeded from the sequence, 8 bytes at a time, little-endian
// A minimum Ethernet frame (60 bytes without FCS) leaves exactly 18 UDP payload bytes: room
// for a 64-bit sequence, a 64-bit timestamp and 2 more bytes, but not for a 4-byte magic and a
// 4-byte payload checksum as well. So the 32-bit magic is split between the IPv4
// identification (any value is allowed on a datagram with DF set, RFC 6864) and the first two
// payload bytes, and the payload checksum is the real UDP checksum: it catches any one
// corrupted byte of header or payload, and Linux, tcpdump and Wireshark check it too when the
// frames reach a TAP. The fill is regenerated and compared as well, which also catches what an
// additive checksum misses (swapped words, a page copied to the wrong offset).
using System;
using System.Runtime.CompilerServices;
using ParaKit.Protocols.Net;

namespace ParaKit.Net.Traffic;

/// <summary>What <see cref="TrafficFrame.Verify"/> found.</summary>
public enum TrafficStatus
{
    Ok = 0,
    /// <summary>Not a test frame (another ethertype or protocol, or no magic).</summary>
    NotOurs,
    /// <summary>Shorter than its headers or its IPv4 total length say.</summary>
    Truncated,
    BadIpChecksum,
    /// <summary>IPv4 total length, UDP length and frame length disagree.</summary>
    BadLength,
    /// <summary>The UDP checksum over header and payload does not add up.</summary>
    BadPayloadChecksum,
    /// <summary>The checksum adds up but the fill differs from what the sequence number implies.</summary>
    BadPayloadPattern,
}

/// <summary>Addresses and ports a generator writes into every frame.</summary>
public struct TrafficFlow
{
    public ulong DstMac, SrcMac;
    /// <summary>IPv4 addresses as integers (10.0.0.1 = 0x0A000001).</summary>
    public uint SrcIp, DstIp;
    public ushort SrcPort, DstPort;

    /// <summary>10.0.0.1:9 -> 10.0.0.2:9 (the discard port, as Linux pktgen uses).</summary>
    public static TrafficFlow Between(ulong srcMac, ulong dstMac) => new TrafficFlow
    {
        SrcMac = srcMac,
        DstMac = dstMac,
        SrcIp = 0x0A000001,
        DstIp = 0x0A000002,
        SrcPort = TrafficFrame.DiscardPort,
        DstPort = TrafficFrame.DiscardPort,
    };
}

/// <summary>What a verified frame carried (meaningful only when the status is Ok).</summary>
public struct TrafficInfo
{
    public ulong Seq, TimestampNs, SrcMac, DstMac;
    public int Size;
}

public static class TrafficFrame
{
    /// <summary>Smallest Ethernet frame without FCS.</summary>
    public const int MinSize = 60;
    /// <summary>A 9000-byte jumbo payload plus Ethernet and VLAN headers.</summary>
    public const int MaxSize = 9018;
    public const ushort EtherTypeIpv4 = 0x0800;
    public const byte ProtoUdp = 17;
    public const ushort DiscardPort = 9;
    /// <summary>"PKTF", split: high half in the IPv4 identification, low half at the payload's start.</summary>
    public const uint Magic = 0x504B5446;
    public const ushort MagicHigh = (ushort)(Magic >> 16), MagicLow = (ushort)(Magic & 0xFFFF);

    public const int IpOffset = 14, UdpOffset = 34, PayloadOffset = 42;
    public const int SeqOffset = 44, TimestampOffset = 52, FillOffset = 60;
    private const int IpHeaderLength = 20, UdpHeaderLength = 8;
    private const ushort FlagDontFragment = 0x4000;
    private const byte Ttl = 64;

    /// <summary>Writes a test frame filling all of <paramref name="frame"/> (its length is the
    /// frame size). False, with nothing written, if the size is outside MinSize..MaxSize.</summary>
    public static bool Write(Span<byte> frame, in TrafficFlow flow, ulong seq, ulong timestampNs)
    {
        int size = frame.Length;
        if (size < MinSize || size > MaxSize)
            return false;
        int ipLength = size - IpOffset;
        int udpLength = ipLength - IpHeaderLength;

        Wire.WriteMac(frame, 0, flow.DstMac);
        Wire.WriteMac(frame, 6, flow.SrcMac);
        Wire.WriteU16(frame, 12, EtherTypeIpv4);

        frame[IpOffset] = 0x45;
        frame[IpOffset + 1] = 0;
        Wire.WriteU16(frame, IpOffset + 2, (ushort)ipLength);
        Wire.WriteU16(frame, IpOffset + 4, MagicHigh);
        Wire.WriteU16(frame, IpOffset + 6, FlagDontFragment);
        frame[IpOffset + 8] = Ttl;
        frame[IpOffset + 9] = ProtoUdp;
        Wire.WriteU16(frame, IpOffset + 10, 0);
        Wire.WriteU32(frame, IpOffset + 12, flow.SrcIp);
        Wire.WriteU32(frame, IpOffset + 16, flow.DstIp);
        Wire.WriteU16(frame, IpOffset + 10, InternetChecksum.Checksum(frame.Slice(IpOffset, IpHeaderLength)));

        Wire.WriteU16(frame, UdpOffset, flow.SrcPort);
        Wire.WriteU16(frame, UdpOffset + 2, flow.DstPort);
        Wire.WriteU16(frame, UdpOffset + 4, (ushort)udpLength);
        Wire.WriteU16(frame, UdpOffset + 6, 0);
        Wire.WriteU16(frame, PayloadOffset, MagicLow);
        Wire.WriteU64(frame, SeqOffset, seq);
        Wire.WriteU64(frame, TimestampOffset, timestampNs);

        ulong sum = WriteFill(frame.Slice(FillOffset), seq);
        sum = InternetChecksum.Sum(frame.Slice(UdpOffset, FillOffset - UdpOffset), sum);
        sum = PseudoHeader(frame, udpLength, sum);
        ushort check = InternetChecksum.Complete(sum);
        // 0 means "no checksum" in UDP over IPv4; its one's-complement twin says the same sum.
        Wire.WriteU16(frame, UdpOffset + 6, check == 0 ? (ushort)0xFFFF : check);
        return true;
    }

    /// <summary>Checks a received frame. Never throws, whatever the bytes; the out values are
    /// set only when the status is Ok.</summary>
    public static TrafficStatus Verify(ReadOnlySpan<byte> frame, out TrafficInfo info)
    {
        info = default;
        int n = frame.Length;
        if (n < 14)
            return TrafficStatus.Truncated;
        if (Wire.ReadU16(frame, 12) != EtherTypeIpv4)
            return TrafficStatus.NotOurs;
        if (n < UdpOffset)
            return TrafficStatus.Truncated;
        if (frame[IpOffset] != 0x45 || frame[IpOffset + 9] != ProtoUdp || Wire.ReadU16(frame, IpOffset + 4) != MagicHigh)
            return TrafficStatus.NotOurs;
        if (n < SeqOffset)
            return TrafficStatus.Truncated;
        if (Wire.ReadU16(frame, PayloadOffset) != MagicLow)
            return TrafficStatus.NotOurs;
        if (InternetChecksum.Finish(InternetChecksum.Sum(frame.Slice(IpOffset, IpHeaderLength), 0)) != 0xFFFF)
            return TrafficStatus.BadIpChecksum;

        int ipLength = Wire.ReadU16(frame, IpOffset + 2);
        if (ipLength < MinSize - IpOffset)
            return TrafficStatus.BadLength;
        if (n < IpOffset + ipLength)
            return TrafficStatus.Truncated;
        if (n > IpOffset + ipLength)
            return TrafficStatus.BadLength;   // our frames are never padded: they are at least 60 bytes
        int udpLength = ipLength - IpHeaderLength;
        if (Wire.ReadU16(frame, UdpOffset + 4) != udpLength || Wire.ReadU16(frame, UdpOffset + 6) == 0)
            return TrafficStatus.BadLength;

        ulong seq = Wire.ReadU64(frame, SeqOffset);
        bool patternOk = CheckFill(frame.Slice(FillOffset), seq, out ulong sum);
        sum = InternetChecksum.Sum(frame.Slice(UdpOffset, FillOffset - UdpOffset), sum);
        sum = PseudoHeader(frame, udpLength, sum);
        if (InternetChecksum.Finish(sum) != 0xFFFF)
            return TrafficStatus.BadPayloadChecksum;
        if (!patternOk)
            return TrafficStatus.BadPayloadPattern;

        info.Seq = seq;
        info.TimestampNs = Wire.ReadU64(frame, TimestampOffset);
        info.SrcMac = Wire.ReadMac(frame, 6);
        info.DstMac = Wire.ReadMac(frame, 0);
        info.Size = n;
        return TrafficStatus.Ok;
    }

    /// <summary>The pseudo-header of the UDP checksum: addresses as they are in the frame, the
    /// protocol and the UDP length.</summary>
    private static ulong PseudoHeader(ReadOnlySpan<byte> frame, int udpLength, ulong sum)
    {
        sum = InternetChecksum.Sum(frame.Slice(IpOffset + 12, 8), sum);
        sum = InternetChecksum.AddWord(sum, ProtoUdp);
        return InternetChecksum.AddWord(sum, (ushort)udpLength);
    }

    /// <summary>The generator's first state for a sequence number: an odd multiplier makes it a
    /// bijection, so no two sequence numbers share a fill; xorshift must not start at zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Seed(ulong seq)
    {
        ulong s = unchecked((seq + 1) * 0x9E3779B97F4A7C15UL);
        return s == 0 ? 0x2545F4914F6CDD1DUL : s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Next(ulong s)
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }

    /// <summary>Writes the fill and returns its one's-complement sum (generation and summing in
    /// one pass: the sender pays for each byte once).</summary>
    private static unsafe ulong WriteFill(Span<byte> fill, ulong seq)
    {
        int n = fill.Length;
        if (n == 0)
            return 0;
        ulong s = Seed(seq), sum = 0;
        fixed (byte* p = fill)
        {
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                s = Next(s);
                Unsafe.WriteUnaligned(p + i, s);
                sum = InternetChecksum.Add(sum, s);
            }
            if (i < n)
            {
                s = Next(s);
                for (int k = 0; i < n; i++, k++)
                    p[i] = (byte)(s >> (8 * k));
                sum = InternetChecksum.Sum(new ReadOnlySpan<byte>(p + (n & ~7), n & 7), sum);
            }
        }
        return sum;
    }

    /// <summary>Compares the fill with the expected bytes and sums what was received (one pass).</summary>
    private static unsafe bool CheckFill(ReadOnlySpan<byte> fill, ulong seq, out ulong sum)
    {
        sum = 0;
        int n = fill.Length;
        if (n == 0)
            return true;
        ulong s = Seed(seq), diff = 0;
        fixed (byte* p = fill)
        {
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                s = Next(s);
                ulong got = Unsafe.ReadUnaligned<ulong>(p + i);
                diff |= got ^ s;
                sum = InternetChecksum.Add(sum, got);
            }
            if (i < n)
            {
                s = Next(s);
                for (int k = 0; i < n; i++, k++)
                    diff |= (ulong)(byte)(p[i] ^ (byte)(s >> (8 * k)));
                sum = InternetChecksum.Sum(new ReadOnlySpan<byte>(p + (n & ~7), n & 7), sum);
            }
        }
        return diff == 0;
    }
}
