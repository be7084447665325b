// IPv4 header layout (RFC 791) and the checks every received header must pass before any of
// its fields is believed. Addresses are host-order uints (192.168.0.1 = 0xC0A80001) so they
// compare and hash without arrays.
using System;
using ParaKit.Net.Traffic;
using ParaKit.Protocols.Net;

namespace ParaKit.Net.Stack;

/// <summary>What the upper layers need of a received (possibly reassembled) datagram.</summary>
public struct Ipv4Info
{
    public uint Source, Destination;
    public byte Protocol, Ttl;
    /// <summary>Sent to a broadcast address (limited or our subnet's): ICMP does not answer it.</summary>
    public bool Broadcast;
    /// <summary>The device vouched for the L4 checksum (receive offload): TCP and UDP skip verifying it.</summary>
    public bool ChecksumValidated;
}

public enum Ipv4Check
{
    Ok,
    Truncated,
    BadVersion,
    BadHeaderLength,
    Options,
    BadTotalLength,
    BadChecksum,
    BadFlags,
}

public static class Ipv4
{
    public const int HeaderLength = 20;
    public const byte ProtoIcmp = 1;
    public const byte ProtoTcp = 6;
    public const byte ProtoUdp = 17;
    public const ushort FlagReserved = 0x8000, FlagDontFragment = 0x4000, FlagMoreFragments = 0x2000;
    public const ushort OffsetMask = 0x1FFF;
    public const int MaxPacket = 65535;
    public const uint LimitedBroadcast = 0xFFFF_FFFF;

    /// <summary>Validates the header at the start of <paramref name="packet"/> (everything after
    /// the Ethernet header, padding included). On Ok, <paramref name="totalLength"/> is the
    /// datagram's length, never more than the span. Options are refused rather than skipped:
    /// a unikernel host needs none, and the ones that matter (source routing, router alert)
    /// are the ones a host should not act on.</summary>
    public static Ipv4Check Check(ReadOnlySpan<byte> packet, out int totalLength)
    {
        totalLength = 0;
        if (packet.Length < HeaderLength)
            return Ipv4Check.Truncated;
        if (packet[0] >> 4 != 4)
            return Ipv4Check.BadVersion;
        int ihl = (packet[0] & 0xF) * 4;
        if (ihl < HeaderLength)
            return Ipv4Check.BadHeaderLength;
        if (ihl > packet.Length)
            return Ipv4Check.Truncated;
        if (InternetChecksum.Finish(InternetChecksum.Sum(packet.Slice(0, ihl), 0)) != 0xFFFF)
            return Ipv4Check.BadChecksum;
        if (ihl != HeaderLength)
            return Ipv4Check.Options;
        int total = Wire.ReadU16(packet, 2);
        if (total < ihl || total > packet.Length)
            return Ipv4Check.BadTotalLength;
        if ((Wire.ReadU16(packet, 6) & FlagReserved) != 0)
            return Ipv4Check.BadFlags;
        totalLength = total;
        return Ipv4Check.Ok;
    }

    /// <summary>Writes a 20-byte header with its checksum.</summary>
    public static void WriteHeader(Span<byte> b, int totalLength, ushort id, ushort flagsAndOffset, byte ttl, byte protocol, uint src, uint dst)
    {
        b[0] = 0x45;
        b[1] = 0;
        Wire.WriteU16(b, 2, (ushort)totalLength);
        Wire.WriteU16(b, 4, id);
        Wire.WriteU16(b, 6, flagsAndOffset);
        b[8] = ttl;
        b[9] = protocol;
        Wire.WriteU16(b, 10, 0);
        Wire.WriteU32(b, 12, src);
        Wire.WriteU32(b, 16, dst);
        Wire.WriteU16(b, 10, InternetChecksum.Checksum(b.Slice(0, HeaderLength)));
    }

    /// <summary>The mask of a prefix length (0..32).</summary>
    public static uint Mask(int prefixLength) =>
        prefixLength <= 0 ? 0 : prefixLength >= 32 ? 0xFFFF_FFFF : ~(0xFFFF_FFFFu >> prefixLength);

    public static bool IsMulticast(uint a) => (a >> 28) == 0xE;
}
