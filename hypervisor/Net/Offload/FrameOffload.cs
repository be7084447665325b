// What a frame carries besides its bytes when it crosses domain 0 in one large piece: a TCP/IPv4
// GSO super-frame (one IP header for up to 64 KiB of payload, cut into segments of GsoSize by
// whoever last needs real frames) and/or a partial checksum (Linux's CHECKSUM_PARTIAL: the L4
// checksum field holds only the pseudo-header sum; the sum from ChecksumStart to the end
// completes it). Netback (Xen's csum_blank + XEN_NETIF_EXTRA_TYPE_GSO) and a TAP's virtio_net_hdr
// (VIRTIO_NET_HDR_F_NEEDS_CSUM + VIRTIO_NET_HDR_GSO_TCPV4) both map onto it; the check below is
// the one place where such a description is taken apart and refused if it lies.
using System.Buffers.Binary;
using ParaKit.Protocols.Net;

namespace ParaKit.Hypervisor.Net.Offload;

/// <summary>Offload metadata of one frame. default = a plain, complete frame.</summary>
public readonly struct FrameOffload
{
    public FrameOffload(ushort gsoSize, ushort checksumStart, ushort checksumOffset, bool dataValidated)
    {
        GsoSize = gsoSize;
        ChecksumStart = checksumStart;
        ChecksumOffset = checksumOffset;
        DataValidated = dataValidated;
    }

    /// <summary>TCP payload bytes per segment; 0 = the frame goes as it is.</summary>
    public ushort GsoSize { get; }
    /// <summary>Where the L4 checksum's sum starts (the L4 header); 0 = the checksum is complete.</summary>
    public ushort ChecksumStart { get; }
    /// <summary>Offset of the checksum field from <see cref="ChecksumStart"/> (16 TCP, 6 UDP).</summary>
    public ushort ChecksumOffset { get; }
    /// <summary>The producer vouches for the checksums (a local stack; Xen's data_validated).</summary>
    public bool DataValidated { get; }

    public bool IsGso => GsoSize != 0;
    public bool ChecksumPartial => ChecksumStart != 0;
    /// <summary>A receiver that cannot take offload needs work done first (segmenting or a checksum).</summary>
    public bool NeedsWork => GsoSize != 0 || ChecksumStart != 0;
}

/// <summary>Why a frame's offload description was refused (each one a drop counter).</summary>
public enum OffloadCheck
{
    Ok = 0,
    /// <summary>Not an untagged IPv4 frame (offload is TCP/UDP over IPv4 only).</summary>
    NotIpv4,
    /// <summary>IHL below 5, or a header running past the frame.</summary>
    BadIpHeader,
    /// <summary>The IP total length disagrees with the frame, or the packet is a fragment.</summary>
    BadLength,
    /// <summary>A partial checksum on something other than TCP or UDP, or GSO on something other than TCP.</summary>
    BadProtocol,
    /// <summary>The TCP header's data offset is below 5 or runs past the frame.</summary>
    BadTcpHeader,
    /// <summary>GSO size 0, larger than the link allows, or more segments than <see cref="FrameOffloads.MaxSegments"/>.</summary>
    BadGsoSize,
}

public static class FrameOffloads
{
    public const int EthernetHeader = 14;
    public const int MaxSegments = 1024;
    private const ushort TypeIpv4 = 0x0800;
    private const byte ProtoTcp = 6, ProtoUdp = 17;

    /// <summary>Checks and describes an IPv4 frame that asks for a partial checksum and/or GSO,
    /// recomputing the pseudo-header sum in the checksum field (as Linux netback does: a frontend's
    /// value is not trusted). <paramref name="maxFrame"/> bounds each GSO segment (MTU + headers).
    /// On success <paramref name="offload"/> describes the frame; otherwise it is default.</summary>
    public static OffloadCheck Describe(Span<byte> frame, bool checksumPartial, int gsoSize, bool dataValidated, int maxFrame,
        out FrameOffload offload)
    {
        offload = default;
        OffloadCheck c = Locate(frame, gsoSize != 0, out int l4, out byte proto, out int headers);
        if (c != OffloadCheck.Ok)
            return c;
        if (gsoSize != 0)
        {
            int payload = frame.Length - headers;
            if (gsoSize < 1 || headers + gsoSize > maxFrame || (payload + gsoSize - 1) / gsoSize > MaxSegments)
                return OffloadCheck.BadGsoSize;
            checksumPartial = true;   // every segment needs its own checksum anyway
        }
        ushort field = proto == ProtoTcp ? (ushort)16 : (ushort)6;
        if (checksumPartial)
        {
            int l4Length = frame.Length - l4;
            ushort folded = InternetChecksum.Finish(InternetChecksum.PseudoHeaderSum(
                BinaryPrimitives.ReadUInt32BigEndian(frame[(EthernetHeader + 12)..]), BinaryPrimitives.ReadUInt32BigEndian(frame[(EthernetHeader + 16)..]), proto, l4Length));
            // UDP's "no checksum" is 0: a partial sum of 0 would be sent as 0xFFFF after completion anyway.
            frame[l4 + field] = (byte)(folded >> 8);
            frame[l4 + field + 1] = (byte)folded;
        }
        offload = new FrameOffload((ushort)gsoSize, checksumPartial ? (ushort)l4 : (ushort)0, checksumPartial ? field : (ushort)0, dataValidated);
        return OffloadCheck.Ok;
    }

    /// <summary>Finds the L4 header of an untagged IPv4 TCP/UDP frame and checks the lengths;
    /// <paramref name="headers"/> is Ethernet + IP + TCP header bytes (for UDP, up to the UDP payload).</summary>
    public static OffloadCheck Locate(ReadOnlySpan<byte> frame, bool tcpOnly, out int l4, out byte proto, out int headers)
    {
        l4 = 0;
        proto = 0;
        headers = 0;
        if (frame.Length < EthernetHeader + 20 || (frame[12] << 8 | frame[13]) != TypeIpv4 || frame[EthernetHeader] >> 4 != 4)
            return OffloadCheck.NotIpv4;
        int ihl = (frame[EthernetHeader] & 0xF) * 4;
        if (ihl < 20 || EthernetHeader + ihl > frame.Length)
            return OffloadCheck.BadIpHeader;
        int total = frame[EthernetHeader + 2] << 8 | frame[EthernetHeader + 3];
        int fragment = (frame[EthernetHeader + 6] & 0x3F) << 8 | frame[EthernetHeader + 7];   // MF + offset
        if (total != frame.Length - EthernetHeader || fragment != 0)
            return OffloadCheck.BadLength;
        proto = frame[EthernetHeader + 9];
        l4 = EthernetHeader + ihl;
        if (proto == ProtoTcp)
        {
            if (l4 + 20 > frame.Length)
                return OffloadCheck.BadTcpHeader;
            int thl = (frame[l4 + 12] >> 4) * 4;
            if (thl < 20 || l4 + thl > frame.Length)
                return OffloadCheck.BadTcpHeader;
            headers = l4 + thl;
            return OffloadCheck.Ok;
        }
        if (proto == ProtoUdp && !tcpOnly && l4 + 8 <= frame.Length)
        {
            headers = l4 + 8;
            return OffloadCheck.Ok;
        }
        return OffloadCheck.BadProtocol;
    }
}
