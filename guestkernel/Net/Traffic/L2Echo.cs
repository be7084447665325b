// A ping below IP: request and reply frames with the IEEE local experimental ethertype
// 0x88B5, so l2ping measures the round trip through rings, backends and the switch without
// ARP or an IP stack on either side.
//
// Layout (network byte order): 0 dst MAC, 6 src MAC, 12 ethertype 0x88B5, 14 magic "PKEC",
// 18 type (1 request, 2 reply, 3 announce), 19 flags, 20 id (the pinger's), 22 sequence (8),
// 30 timestamp in ns (8, the pinger's clock; the echo copies it back), 38.. zero padding up to
// the requested size (at least 60, the Ethernet minimum without FCS).
using System;

namespace ParaKit.Net.Traffic;

public enum L2EchoType : byte
{
    Request = 1,
    Reply = 2,
    /// <summary>A station saying where it is, broadcast once when it comes up, so a learning
    /// switch sends it unicast frames instead of flooding them (what a gratuitous ARP does for
    /// an IP host). Nobody answers it.</summary>
    Announce = 3,
}

/// <summary>Bits of the flags byte (copied into the reply).</summary>
public static class L2EchoFlags
{
    /// <summary>A probe sent until the echo answers, before the measured pings: the echo
    /// answers it but does not count it towards its count=N.</summary>
    public const byte Warmup = 1;
}

public enum L2EchoStatus
{
    Ok = 0,
    /// <summary>Another ethertype, or 0x88B5 used by some other experiment (no magic).</summary>
    NotOurs,
    Truncated,
    /// <summary>Our magic but neither a request nor a reply.</summary>
    BadType,
}

/// <summary>A parsed echo frame (set only when the status is Ok).</summary>
public struct L2EchoInfo
{
    public L2EchoType Type;
    public byte Flags;
    public ushort Id;
    public ulong Seq, TimestampNs, SrcMac, DstMac;
    public int Size;
}

public static class L2Echo
{
    public const ushort EtherType = 0x88B5;
    /// <summary>"PKEC".</summary>
    public const uint Magic = 0x504B4543;
    public const int HeaderSize = 38;
    public const int MinSize = 60, MaxSize = TrafficFrame.MaxSize;
    private const int TypeOffset = 18, FlagsOffset = 19, IdOffset = 20, SeqOffset = 22, TimestampOffset = 30;

    /// <summary>Writes an echo frame filling all of <paramref name="frame"/>; false (nothing
    /// written) if its length is outside MinSize..MaxSize.</summary>
    public static bool Write(Span<byte> frame, ulong dstMac, ulong srcMac, L2EchoType type, ushort id, ulong seq, ulong timestampNs, byte flags = 0)
    {
        if (frame.Length < MinSize || frame.Length > MaxSize)
            return false;
        Wire.WriteMac(frame, 0, dstMac);
        Wire.WriteMac(frame, 6, srcMac);
        Wire.WriteU16(frame, 12, EtherType);
        Wire.WriteU32(frame, 14, Magic);
        frame[TypeOffset] = (byte)type;
        frame[FlagsOffset] = flags;
        Wire.WriteU16(frame, IdOffset, id);
        Wire.WriteU64(frame, SeqOffset, seq);
        Wire.WriteU64(frame, TimestampOffset, timestampNs);
        frame.Slice(HeaderSize).Clear();
        return true;
    }

    /// <summary>Parses a received frame; never throws.</summary>
    public static L2EchoStatus Parse(ReadOnlySpan<byte> frame, out L2EchoInfo info)
    {
        info = default;
        if (frame.Length < 14)
            return L2EchoStatus.Truncated;
        if (Wire.ReadU16(frame, 12) != EtherType)
            return L2EchoStatus.NotOurs;
        if (frame.Length < 18)
            return L2EchoStatus.Truncated;
        if (Wire.ReadU32(frame, 14) != Magic)
            return L2EchoStatus.NotOurs;
        if (frame.Length < HeaderSize)
            return L2EchoStatus.Truncated;
        byte type = frame[TypeOffset];
        if (type != (byte)L2EchoType.Request && type != (byte)L2EchoType.Reply && type != (byte)L2EchoType.Announce)
            return L2EchoStatus.BadType;
        info.Type = (L2EchoType)type;
        info.Flags = frame[FlagsOffset];
        info.Id = Wire.ReadU16(frame, IdOffset);
        info.Seq = Wire.ReadU64(frame, SeqOffset);
        info.TimestampNs = Wire.ReadU64(frame, TimestampOffset);
        info.SrcMac = Wire.ReadMac(frame, 6);
        info.DstMac = Wire.ReadMac(frame, 0);
        info.Size = frame.Length;
        return L2EchoStatus.Ok;
    }

    /// <summary>Turns a request into its reply in <paramref name="reply"/>: the whole frame
    /// copied (padding included, so the pinger gets back what it sent), addressed back to the
    /// requester and sent from <paramref name="ourMac"/> (the request may have been broadcast).
    /// Returns the reply's length, or 0 if <paramref name="request"/> is not a valid request or
    /// does not fit.</summary>
    public static int WriteReply(ReadOnlySpan<byte> request, Span<byte> reply, ulong ourMac)
    {
        if (Parse(request, out L2EchoInfo info) != L2EchoStatus.Ok || info.Type != L2EchoType.Request)
            return 0;
        if (request.Length > reply.Length)
            return 0;
        request.CopyTo(reply);
        Wire.WriteMac(reply, 0, info.SrcMac);
        Wire.WriteMac(reply, 6, ourMac);
        reply[TypeOffset] = (byte)L2EchoType.Reply;
        return request.Length;
    }
}
