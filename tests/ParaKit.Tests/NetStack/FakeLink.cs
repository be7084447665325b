// A fake IEthernetDevice for the stack's host tests: frames the stack sends are recorded,
// frames the test queues are handed to Poll, and helpers build the peer's packets (ARP, IPv4,
// UDP, ICMP) the slow, obvious way so they check the stack rather than share its code.
using ParaKit.Drivers;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;

namespace ParaKit.Tests.NetStack;

internal sealed class FakeLink : IEthernetDevice
{
    private readonly byte[] _mac;
    public readonly List<byte[]> Sent = new();
    public readonly Queue<byte[]> Incoming = new();
    public int Flushes;

    public FakeLink(ulong mac, int mtu = 1500)
    {
        _mac = new byte[6];
        Wire.WriteMac(_mac, 0, mac);
        Mtu = mtu;
    }

    public ReadOnlySpan<byte> Mac => _mac;
    public int Mtu { get; }
    public bool IsUp => true;
    public bool ChecksumOffload => false;
    public int MaxOffloadFrame => 0;
    public bool RxChecksumValidated => false;
    public bool TrySendOffload(ReadOnlySpan<byte> frame, int gsoSize) => false;
    public NetDeviceCounters Counters { get; } = new();

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        Sent.Add(frame.ToArray());
        return true;
    }

    public void Flush() => Flushes++;

    public bool TxIdle => true;   // Sent records a frame as it is sent

    public int Poll(FrameHandler handler, int budget)
    {
        int n = 0;
        while (n < budget && Incoming.Count > 0)
        {
            handler(Incoming.Dequeue());
            n++;
        }
        return n;
    }
}

internal static class Peer
{
    public const ulong OurMac = 0x00163E000001, PeerMac = 0x00163E000002, GatewayMac = 0x00163E0000FE;
    public const uint OurIp = 0x0A000002, PeerIp = 0x0A000003, GatewayIp = 0x0A000001, FarIp = 0x08080808;

    public static NetStackConfig Config() => new() { Address = OurIp, PrefixLength = 24, Gateway = GatewayIp };

    public static ushort Checksum(ReadOnlySpan<byte> b)
    {
        ulong sum = 0;
        for (int i = 0; i < b.Length; i += 2)
            sum += (ulong)(b[i] << 8 | (i + 1 < b.Length ? b[i + 1] : 0));
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    public static byte[] Arp(ushort op, ulong senderMac, uint senderIp, ulong targetMac, uint targetIp, ulong dst = 0xFFFFFFFFFFFF)
    {
        var f = new byte[60];
        Wire.WriteMac(f, 0, dst);
        Wire.WriteMac(f, 6, senderMac);
        Wire.WriteU16(f, 12, 0x0806);
        Wire.WriteU16(f, 14, 1);
        Wire.WriteU16(f, 16, 0x0800);
        f[18] = 6;
        f[19] = 4;
        Wire.WriteU16(f, 20, op);
        Wire.WriteMac(f, 22, senderMac);
        Wire.WriteU32(f, 28, senderIp);
        Wire.WriteMac(f, 32, targetMac);
        Wire.WriteU32(f, 38, targetIp);
        return f;
    }

    /// <summary>An Ethernet + IPv4 frame around <paramref name="payload"/> (a fragment when
    /// <paramref name="offset"/>/<paramref name="more"/> say so).</summary>
    public static byte[] Ip(byte proto, ReadOnlySpan<byte> payload, uint src = PeerIp, uint dst = OurIp, ushort id = 7,
        int offset = 0, bool more = false, byte ttl = 64, ulong srcMac = PeerMac, ulong dstMac = OurMac)
    {
        var f = new byte[Math.Max(60, 34 + payload.Length)];
        Wire.WriteMac(f, 0, dstMac);
        Wire.WriteMac(f, 6, srcMac);
        Wire.WriteU16(f, 12, 0x0800);
        f[14] = 0x45;
        Wire.WriteU16(f, 16, (ushort)(20 + payload.Length));
        Wire.WriteU16(f, 18, id);
        Wire.WriteU16(f, 20, (ushort)((more ? 0x2000 : 0) | (offset / 8)));
        f[22] = ttl;
        f[23] = proto;
        Wire.WriteU32(f, 26, src);
        Wire.WriteU32(f, 30, dst);
        Wire.WriteU16(f, 24, Checksum(f.AsSpan(14, 20)));
        payload.CopyTo(f.AsSpan(34));
        return f;
    }

    public static byte[] UdpSegment(ReadOnlySpan<byte> data, ushort srcPort, ushort dstPort, uint src = PeerIp, uint dst = OurIp)
    {
        var u = new byte[8 + data.Length];
        Wire.WriteU16(u, 0, srcPort);
        Wire.WriteU16(u, 2, dstPort);
        Wire.WriteU16(u, 4, (ushort)u.Length);
        data.CopyTo(u.AsSpan(8));
        var pseudo = new byte[12 + u.Length];
        Wire.WriteU32(pseudo, 0, src);
        Wire.WriteU32(pseudo, 4, dst);
        pseudo[9] = 17;
        Wire.WriteU16(pseudo, 10, (ushort)u.Length);
        u.CopyTo(pseudo, 12);
        ushort c = Checksum(pseudo);
        Wire.WriteU16(u, 6, c == 0 ? (ushort)0xFFFF : c);
        return u;
    }

    public static byte[] Udp(ReadOnlySpan<byte> data, ushort srcPort, ushort dstPort) =>
        Ip(17, UdpSegment(data, srcPort, dstPort));

    public static byte[] Icmp(byte type, ushort id, ushort seq, ReadOnlySpan<byte> data)
    {
        var m = new byte[8 + data.Length];
        m[0] = type;
        Wire.WriteU16(m, 4, id);
        Wire.WriteU16(m, 6, seq);
        data.CopyTo(m.AsSpan(8));
        Wire.WriteU16(m, 2, Checksum(m));
        return m;
    }
}
