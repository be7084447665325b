// The guest's lower network stack (guestkernel/Net/Stack) over a fake link: ARP answers,
// learns, resolves with retries and a bounded queue and gives up; IPv4 checks drop and count
// each kind of malformed header; pings are answered and sent; UDP is checksummed both ways and
// delivered to bound ports; the next hop is the gateway off-link; steady traffic allocates nothing.
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;
using static ParaKit.Tests.NetStack.Peer;
// The test namespace (the folder) shadows the type's name.
using IpStack = ParaKit.Net.Stack.NetStack;

namespace ParaKit.Tests.NetStack;

public class NetStackTests
{
    private const ulong Second = 1_000_000_000;

    private static (IpStack, FakeLink) Make(NetStackConfig? c = null)
    {
        var link = new FakeLink(OurMac);
        return (new IpStack(link, c ?? Config()), link);
    }

    /// <summary>Teaches the stack the peer's MAC (an ARP request from the peer for us).</summary>
    private static void Learn(IpStack s, FakeLink link, ulong mac = PeerMac, uint ip = PeerIp)
    {
        s.Receive(Arp(1, mac, ip, 0, OurIp), 0);
        link.Sent.Clear();
    }

    [Test]
    public void Start_sends_a_gratuitous_arp()
    {
        var (s, link) = Make();
        s.Start(0);
        Assert.That(link.Sent, Has.Count.EqualTo(1));
        var f = link.Sent[0];
        Assert.That(Wire.ReadMac(f, 0), Is.EqualTo(Ethernet.Broadcast));
        Assert.That(Wire.ReadU16(f, 12), Is.EqualTo(0x0806));
        Assert.That(Wire.ReadU16(f, 20), Is.EqualTo(1));
        Assert.That((Wire.ReadMac(f, 22), Wire.ReadU32(f, 28), Wire.ReadU32(f, 38)), Is.EqualTo((OurMac, OurIp, OurIp)));
        Assert.That(s.Counters.ArpGratuitousSent, Is.EqualTo(1UL));
    }

    [Test]
    public void Arp_request_for_us_is_answered_and_the_sender_learned()
    {
        var (s, link) = Make();
        s.Receive(Arp(1, PeerMac, PeerIp, 0, OurIp), 0);
        Assert.That(link.Sent, Has.Count.EqualTo(1));
        var f = link.Sent[0];
        Assert.That(Wire.ReadMac(f, 0), Is.EqualTo(PeerMac));
        Assert.That(Wire.ReadU16(f, 20), Is.EqualTo(2));
        Assert.That((Wire.ReadMac(f, 22), Wire.ReadU32(f, 28), Wire.ReadMac(f, 32), Wire.ReadU32(f, 38)),
            Is.EqualTo((OurMac, OurIp, PeerMac, PeerIp)));
        Assert.That(s.Arp.TryLookup(PeerIp, 1, out ulong mac) && mac == PeerMac);
        // Not for us: no answer, and an unknown sender is not added.
        s.Receive(Arp(1, 0x00163E000009, 0x0A000009, 0, PeerIp), 0);
        Assert.That(link.Sent, Has.Count.EqualTo(1));
        Assert.That(s.Arp.TryLookup(0x0A000009, 1, out _), Is.False);
    }

    [Test]
    public void Arp_entries_expire()
    {
        var (s, link) = Make();
        Learn(s, link);
        Assert.That(s.Arp.TryLookup(PeerIp, 59 * Second, out _));
        s.Tick(61 * Second);
        Assert.That(s.Arp.TryLookup(PeerIp, 61 * Second, out _), Is.False);
    }

    [Test]
    public void Arp_rejects_malformed_and_hostile_packets()
    {
        var (s, _) = Make();
        s.Receive(Arp(1, PeerMac, PeerIp, 0, OurIp).AsSpan(0, 40), 0);
        var bad = Arp(1, PeerMac, PeerIp, 0, OurIp);
        bad[19] = 16;   // plen
        s.Receive(bad, 0);
        s.Receive(Arp(1, 0x01005E000001, PeerIp, 0, OurIp), 0);    // multicast sender
        s.Receive(Arp(2, PeerMac, OurIp, 0, OurIp), 0);            // claims our address
        Assert.That((s.Counters.ArpMalformed, s.Counters.ArpUnsupported, s.Counters.ArpBadSender, s.Counters.ArpConflict),
            Is.EqualTo((1UL, 1UL, 1UL, 1UL)));
        Assert.That(s.Arp.TryLookup(PeerIp, 0, out _), Is.False);
        Assert.That(s.Arp.TryLookup(OurIp, 0, out _), Is.False);
    }

    [Test]
    public void Sending_to_an_unknown_host_resolves_then_sends_the_queued_packets()
    {
        var (s, link) = Make();
        Assert.That(s.SendUdp(PeerIp, 5000, 7, "one"u8, 0), Is.EqualTo(SendStatus.Queued));
        Assert.That(s.SendUdp(PeerIp, 5000, 7, "two"u8, 0), Is.EqualTo(SendStatus.Queued));
        Assert.That(link.Sent, Has.Count.EqualTo(1), "one ARP request for both");
        Assert.That(Wire.ReadU32(link.Sent[0], 38), Is.EqualTo(PeerIp));
        link.Sent.Clear();
        s.Receive(Arp(2, PeerMac, PeerIp, OurMac, OurIp, OurMac), 1000);
        Assert.That(link.Sent, Has.Count.EqualTo(2));
        Assert.That(link.Sent.Select(f => System.Text.Encoding.ASCII.GetString(f, 42, 3)), Is.EqualTo(new[] { "one", "two" }));
        Assert.That(link.Sent.All(f => Wire.ReadMac(f, 0) == PeerMac));
        Assert.That(s.Arp.PendingCount, Is.EqualTo(0));
        // Now resolved: sent at once.
        Assert.That(s.SendUdp(PeerIp, 5000, 7, "three"u8, 2000), Is.EqualTo(SendStatus.Sent));
    }

    [Test]
    public void Resolution_retries_then_gives_up_and_drops_the_queue()
    {
        var (s, link) = Make();
        s.SendUdp(PeerIp, 1, 2, "x"u8, 0);
        s.Tick(Second / 2);
        Assert.That(link.Sent, Has.Count.EqualTo(1));
        s.Tick(Second);
        s.Tick(2 * Second);
        Assert.That(link.Sent, Has.Count.EqualTo(3), "three requests in all");
        s.Tick(3 * Second);
        Assert.That(link.Sent, Has.Count.EqualTo(3));
        Assert.That(s.Counters.ArpResolveFailed, Is.EqualTo(1UL));
        Assert.That(s.Arp.PendingCount, Is.EqualTo(0));
        Assert.That(s.Arp.IsResolving(PeerIp), Is.False);
    }

    [Test]
    public void The_queue_waiting_for_resolution_is_bounded()
    {
        var c = Config();
        c.ArpPendingFrames = 4;
        var (s, _) = Make(c);
        for (int i = 0; i < 4; i++)
            Assert.That(s.SendUdp(PeerIp, 1, 2, "x"u8, 0), Is.EqualTo(SendStatus.Queued));
        Assert.That(s.SendUdp(PeerIp, 1, 2, "x"u8, 0), Is.EqualTo(SendStatus.QueueFull));
        Assert.That(s.Counters.ArpQueueFull, Is.EqualTo(1UL));
    }

    [Test]
    public void Off_link_goes_to_the_gateway_and_without_one_there_is_no_route()
    {
        var (s, link) = Make();
        Learn(s, link, GatewayMac, GatewayIp);
        Assert.That(s.SendUdp(FarIp, 1, 53, "q"u8, 0), Is.EqualTo(SendStatus.Sent));
        Assert.That(Wire.ReadMac(link.Sent[0], 0), Is.EqualTo(GatewayMac));
        Assert.That(Wire.ReadU32(link.Sent[0], 30), Is.EqualTo(FarIp));
        var c = Config();
        c.Gateway = 0;
        var (s2, _) = Make(c);
        Assert.That(s2.SendUdp(FarIp, 1, 53, "q"u8, 0), Is.EqualTo(SendStatus.NoRoute));
        Assert.That(s2.SendUdp(0x0A0000FF, 1, 53, "q"u8, 0), Is.EqualTo(SendStatus.Sent), "subnet broadcast needs no ARP");
    }

    [Test]
    public void Pings_are_answered_byte_exact()
    {
        var (s, link) = Make();
        Learn(s, link);
        byte[] data = Enumerable.Range(0, 56).Select(i => (byte)i).ToArray();
        s.Receive(Ip(1, Icmp(8, 0x1234, 9, data)), 0);
        Assert.That(link.Sent, Has.Count.EqualTo(1));
        var f = link.Sent[0];
        Assert.That(Checksum(f.AsSpan(14, 20)), Is.EqualTo(0), "IP header checksum");
        Assert.That((Wire.ReadU32(f, 26), Wire.ReadU32(f, 30), f[23]), Is.EqualTo((OurIp, PeerIp, (byte)1)));
        var m = f.AsSpan(34, 8 + data.Length);
        Assert.That(Checksum(m), Is.EqualTo(0), "ICMP checksum");
        Assert.That((m[0], Wire.ReadU16(m, 4), Wire.ReadU16(m, 6)), Is.EqualTo(((byte)0, (ushort)0x1234, (ushort)9)));
        Assert.That(m.Slice(8).ToArray(), Is.EqualTo(data));
        // A broadcast ping is not answered.
        s.Receive(Ip(1, Icmp(8, 1, 1, data), dst: 0xFFFFFFFF, dstMac: Ethernet.Broadcast), 0);
        Assert.That(s.Counters.IcmpBroadcastIgnored, Is.EqualTo(1UL));
        Assert.That(link.Sent, Has.Count.EqualTo(1));
    }

    [Test]
    public void Send_ping_and_receive_the_reply()
    {
        var (s, link) = Make();
        Learn(s, link);
        (uint, ushort, ushort, byte[])? got = null;
        s.OnEchoReply = (src, id, seq, d) => got = (src, id, seq, d.ToArray());
        Assert.That(s.SendPing(PeerIp, 77, 3, "abcd"u8, 0), Is.EqualTo(SendStatus.Sent));
        var m = link.Sent[0].AsSpan(34, 12);
        Assert.That((m[0], Checksum(m)), Is.EqualTo(((byte)8, (ushort)0)));
        s.Receive(Ip(1, Icmp(0, 77, 3, "abcd"u8)), 0);
        Assert.That(got, Is.EqualTo((PeerIp, (ushort)77, (ushort)3, "abcd"u8.ToArray())).Using<(uint, ushort, ushort, byte[])?>(
            (a, b) => a!.Value.Item1 == b!.Value.Item1 && a.Value.Item2 == b.Value.Item2 && a.Value.Item3 == b.Value.Item3 && a.Value.Item4.SequenceEqual(b.Value.Item4)));
    }

    [Test]
    public void Udp_is_delivered_to_bound_ports_and_checked()
    {
        var (s, link) = Make();
        var got = new List<(uint, ushort, ushort, string)>();
        Assert.That(s.BindUdp(7, (src, sp, dp, d) => got.Add((src, sp, dp, System.Text.Encoding.ASCII.GetString(d)))));
        Assert.That(s.BindUdp(7, (_, _, _, _) => { }), Is.False, "port taken");
        s.Receive(Udp("hello"u8, 4000, 7), 0);
        Assert.That(got, Is.EqualTo(new[] { (PeerIp, (ushort)4000, (ushort)7, "hello") }));

        var bad = Udp("hello"u8, 4000, 7);
        bad[43] ^= 0x40;   // a payload byte (42..46; the frame is padded to 60)
        s.Receive(bad, 0);
        var noSum = Udp("nosum"u8, 4000, 7);
        noSum[40] = noSum[41] = 0;    // checksum 0: not computed, accepted
        s.Receive(noSum, 0);
        s.Receive(Udp("x"u8, 4000, 9), 0);
        var longLen = Udp("x"u8, 4000, 7);
        Wire.WriteU16(longLen, 38, 200);
        s.Receive(longLen, 0);
        Assert.That((s.Counters.UdpBadChecksum, s.Counters.UdpNoPort, s.Counters.UdpBadLength, got.Count), Is.EqualTo((1UL, 1UL, 1UL, 2)));
        Assert.That(s.UnbindUdp(7));
        s.Receive(Udp("x"u8, 4000, 7), 0);
        Assert.That(s.Counters.UdpNoPort, Is.EqualTo(2UL));
        Assert.That(link.Sent, Is.Empty);
    }

    [Test]
    public void Sent_udp_has_correct_checksums_and_a_peer_stack_accepts_it()
    {
        var (a, linkA) = Make();
        Learn(a, linkA);
        byte[] payload = Enumerable.Range(0, 333).Select(i => (byte)(i * 7)).ToArray();
        Assert.That(a.SendUdp(PeerIp, 1111, 2222, payload, 0), Is.EqualTo(SendStatus.Sent));
        var f = linkA.Sent[0];
        Assert.That(f.AsSpan(34).ToArray(), Is.EqualTo(UdpSegment(payload, 1111, 2222, OurIp, PeerIp)));
        // A second stack at the peer's address takes it.
        var linkB = new FakeLink(PeerMac);
        var b = new IpStack(linkB, new NetStackConfig { Address = PeerIp, PrefixLength = 24 });
        byte[]? got = null;
        b.BindUdp(2222, (_, _, _, d) => got = d.ToArray());
        b.Receive(f, 0);
        Assert.That(got, Is.EqualTo(payload));
    }

    [Test]
    public void Malformed_ip_headers_are_counted_by_reason()
    {
        var (s, _) = Make();
        var good = Udp("abc"u8, 1, 2);
        byte[] Mut(Action<byte[]> m, bool fixSum = true)
        {
            var f = (byte[])good.Clone();
            m(f);
            if (fixSum)
            {
                Wire.WriteU16(f, 24, 0);
                int ihl = Math.Min((f[14] & 15) * 4, f.Length - 14);
                Wire.WriteU16(f, 24, Checksum(f.AsSpan(14, ihl)));
            }
            return f;
        }
        s.Receive(good.AsSpan(0, 30), 0);                         // truncated
        s.Receive(Mut(f => f[14] = 0x65), 0);                       // version 6
        s.Receive(Mut(f => f[14] = 0x44), 0);                       // IHL 4
        s.Receive(Mut(f => f[14] = 0x46), 0);                       // options
        s.Receive(Mut(f => Wire.WriteU16(f, 16, 300)), 0);          // total length past the frame
        s.Receive(Mut(f => Wire.WriteU16(f, 16, 10)), 0);           // total length below the header
        s.Receive(Mut(f => f[22] ^= 1, fixSum: false), 0);          // bad checksum
        s.Receive(Mut(f => f[20] |= 0x80), 0);                      // reserved flag
        s.Receive(Mut(f => f[22] = 0), 0);                          // TTL 0
        s.Receive(Mut(f => Wire.WriteU32(f, 30, 0x0A000063)), 0);   // not our address
        s.Receive(Mut(f => Wire.WriteU32(f, 26, 0xE0000001)), 0);   // multicast source
        s.Receive(Mut(f => f[23] = 99), 0);                         // unknown protocol
        s.Receive(good.AsSpan(0, 10), 0);                           // Ethernet truncated
        var c = s.Counters;
        Assert.That(new[] { c.IpTruncated, c.IpBadVersion, c.IpBadHeaderLength, c.IpOptions, c.IpBadTotalLength, c.IpBadChecksum,
                c.IpBadFlags, c.IpTtlExpired, c.IpNotForUs, c.IpBadSource, c.IpUnknownProtocol, c.EthTruncated },
            Is.EqualTo(new ulong[] { 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1 }));
        Assert.That(c.IpDelivered, Is.EqualTo(0UL));
    }

    [Test]
    public void Unfinished_datagrams_time_out_and_free_their_slot()
    {
        var (s, _) = Make();
        s.Receive(Ip(17, new byte[16], id: 1, offset: 0, more: true), 0);
        Assert.That(s.ReassemblyInUse, Is.EqualTo(1));
        s.Tick(29 * Second);
        Assert.That(s.ReassemblyInUse, Is.EqualTo(1));
        s.Tick(31 * Second);
        Assert.That((s.ReassemblyInUse, s.Counters.FragTimeouts), Is.EqualTo((0, 1UL)));
    }

    [Test]
    public void A_fragment_flood_evicts_the_oldest_and_stays_bounded()
    {
        var (s, _) = Make();
        for (ushort id = 0; id < 100; id++)
            s.Receive(Ip(17, new byte[16], id: id, offset: 0, more: true), id);
        Assert.That((s.ReassemblyInUse, s.Counters.FragEvicted), Is.EqualTo((4, 96UL)));
        s.Receive(Ip(17, new byte[16], id: 1, offset: 65520, more: false), 200);
        Assert.That(s.Counters.FragTooBig, Is.EqualTo(1UL));
    }

    [Test]
    public void Steady_ping_and_udp_traffic_does_not_allocate()
    {
        var (s, link) = Make();
        Learn(s, link);
        int delivered = 0;
        s.BindUdp(7, (_, _, _, _) => delivered++);
        var ping = Ip(1, Icmp(8, 1, 1, new byte[56]));
        var udp = Udp(new byte[100], 1, 7);
        var quiet = new QuietLink(OurMac);
        var q = new IpStack(quiet, Config());
        q.Receive(Arp(1, PeerMac, PeerIp, 0, OurIp), 0);
        q.BindUdp(7, (_, _, _, _) => delivered++);
        for (int i = 0; i < 10; i++)
        {
            q.Receive(ping, 1);
            q.Receive(udp, 1);
            q.SendUdp(PeerIp, 7, 7, udp.AsSpan(42, 50), 1);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            q.Receive(ping, 2);
            q.Receive(udp, 2);
            q.SendUdp(PeerIp, 7, 7, udp.AsSpan(42, 50), 2);
            q.Tick(3);
        }
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.That(after - before, Is.EqualTo(0));
        Assert.That(q.Counters.IcmpEchoRequests, Is.EqualTo(1010UL));
        Assert.That(delivered, Is.EqualTo(1010));
    }

    /// <summary>A link that keeps nothing, so the allocation test measures only the stack.</summary>
    private sealed class QuietLink(ulong mac) : ParaKit.Drivers.IEthernetDevice
    {
        private readonly byte[] _mac = MacBytes(mac);
        private static byte[] MacBytes(ulong m) { var b = new byte[6]; Wire.WriteMac(b, 0, m); return b; }
        public ReadOnlySpan<byte> Mac => _mac;
        public int Mtu => 1500;
        public bool IsUp => true;
        public bool ChecksumOffload => false;
        public int MaxOffloadFrame => 0;
        public bool RxChecksumValidated => false;
        public bool TrySendOffload(ReadOnlySpan<byte> frame, int gsoSize) => false;
        public ParaKit.Drivers.NetDeviceCounters Counters { get; } = new();
        public bool TrySend(ReadOnlySpan<byte> frame) => true;
        public void Flush() { }
        public int Poll(ParaKit.Drivers.FrameHandler handler, int budget) => 0;
        public bool TxIdle => true;
    }

    [Test]
    public void Poll_hands_frames_to_the_stack_and_flushes_once()
    {
        var (s, link) = Make();
        link.Incoming.Enqueue(Arp(1, PeerMac, PeerIp, 0, OurIp));
        link.Incoming.Enqueue(Ip(1, Icmp(8, 1, 1, new byte[8])));
        int flushes = link.Flushes;
        Assert.That(s.Poll(0, 64), Is.EqualTo(2));
        Assert.That(link.Sent, Has.Count.EqualTo(2), "ARP reply and echo reply");
        Assert.That(link.Flushes - flushes, Is.EqualTo(1));
    }
}
