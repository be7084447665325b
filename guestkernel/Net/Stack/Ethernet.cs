// Ethernet II framing for the stack: header offsets, EtherTypes and MAC classes. A frame here
// never carries an FCS (the device strips it), and VLAN tags are not ours to handle.
using System;
using ParaKit.Net.Traffic;

namespace ParaKit.Net.Stack;

public static class Ethernet
{
    public const int HeaderLength = 14;
    public const ushort TypeIpv4 = 0x0800;
    public const ushort TypeArp = 0x0806;
    public const ulong Broadcast = 0xFFFF_FFFF_FFFF;
    /// <summary>The frame size below which a sender pads (60 without FCS).</summary>
    public const int MinFrame = 60;

    /// <summary>The I/G bit: set in group (multicast and broadcast) addresses, which must
    /// never appear as a source.</summary>
    public static bool IsGroup(ulong mac) => (mac & 0x0100_0000_0000) != 0;

    public static void WriteHeader(Span<byte> frame, ulong dst, ulong src, ushort type)
    {
        Wire.WriteMac(frame, 0, dst);
        Wire.WriteMac(frame, 6, src);
        Wire.WriteU16(frame, 12, type);
    }
}
