// Domain 0's offload pieces without KVM: the Internet checksum against a word-by-word sum, the
// software segmenter (segmenting then reassembling gives the same bytes, every segment valid),
// partial-checksum completion, the checks that refuse a lying description; netback taking a
// guest's TSO packet (csum_blank + GSO extra over several slots) and refusing malformed ones
// (counted, answered ERROR, the vif stays), giving a GSO frontend a super-frame whole (extra_info
// slot, csum flags) and a frontend without GSO segmented frames; a TAP port whose pipe has no
// vnet header segments too.
using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Net.Offload;
using ParaKit.Hypervisor.Net.Tap;
using ParaKit.Protocols.Net;

namespace ParaKit.Tests.Net;

public unsafe class OffloadTests
{
    private const int Eth = 14;

    /// <summary>A TCP/IPv4 frame with <paramref name="payload"/> bytes (a super-frame when large),
    /// valid IP header checksum, TCP checksum left 0.</summary>
    internal static byte[] TcpFrame(int payload, uint seq = 1000, byte flags = 0x18 | 0x01, int seed = 1)
    {
        var f = new byte[Eth + 20 + 20 + payload];
        f[0] = 0x00; f[1] = 0x16; f[2] = 0x3e; f[5] = 0x02;       // destination MAC
        f[6] = 0x00; f[7] = 0x16; f[8] = 0x3e; f[11] = 0x01;      // source MAC
        f[12] = 0x08; f[13] = 0x00;
        f[Eth] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(Eth + 2), (ushort)(f.Length - Eth));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(Eth + 4), 0x1234);
        f[Eth + 6] = 0x40;                                          // DF
        f[Eth + 8] = 64;
        f[Eth + 9] = 6;
        f.AsSpan(Eth + 12, 4).Fill(10); f[Eth + 15] = 1;            // 10.10.10.1
        f.AsSpan(Eth + 16, 4).Fill(10); f[Eth + 19] = 2;            // 10.10.10.2
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(Eth + 10), InternetChecksum.Checksum(f.AsSpan(Eth, 20)));
        int t = Eth + 20;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(t), 5201);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(t + 2), 40000);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(t + 4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(t + 8), 77);
        f[t + 12] = 5 << 4;
        f[t + 13] = (byte)(flags | 0x10);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(t + 14), 512);
        var rng = new Random(seed);
        rng.NextBytes(f.AsSpan(t + 20));
        return f;
    }

    /// <summary>Is the frame's IPv4 header checksum and L4 checksum (over the pseudo-header) right?</summary>
    internal static bool ChecksumsValid(ReadOnlySpan<byte> f)
    {
        int ihl = (f[Eth] & 0xF) * 4;
        if (InternetChecksum.Finish(InternetChecksum.Sum(f.Slice(Eth, ihl), 0)) != 0xFFFF)
            return false;
        int l4 = Eth + ihl;
        ulong sum = InternetChecksum.PseudoHeaderSum(BinaryPrimitives.ReadUInt32BigEndian(f[(Eth + 12)..]), BinaryPrimitives.ReadUInt32BigEndian(f[(Eth + 16)..]), f[Eth + 9], f.Length - l4);
        return InternetChecksum.Finish(InternetChecksum.Sum(f[l4..], sum)) == 0xFFFF;
    }

    /// <summary>RFC 1071 the slow way: big-endian 16-bit words, folded with end-around carry.</summary>
    private static ushort NaiveFold(byte[] data)
    {
        ulong sum = 0;
        for (int i = 0; i < data.Length; i += 2)
            sum += (ulong)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The shared checksum (guests and domain 0) sums 64 bits at a time in host order
    /// and swaps at the end: the same as a word-by-word sum.</summary>
    [FsCheck.NUnit.Property(MaxTest = 200)]
    public bool The_checksum_equals_a_word_by_word_sum(byte[] data) =>
        InternetChecksum.Finish(InternetChecksum.Sum(data ?? [], 0)) == NaiveFold(data ?? []);

    /// <summary>A sum carried over chunks that start at even offsets is the sum of the whole.</summary>
    [FsCheck.NUnit.Property(MaxTest = 200)]
    public bool Summing_in_chunks_is_summing_at_once(byte[] data, byte cut)
    {
        data ??= [];
        int at = Math.Min(data.Length, cut) & ~1;
        ulong parts = InternetChecksum.Sum(data.AsSpan(at), InternetChecksum.Sum(data.AsSpan(0, at), 0));
        return InternetChecksum.Finish(parts) == InternetChecksum.Finish(InternetChecksum.Sum(data, 0));
    }

    private sealed class Frames : IFrameSink
    {
        public readonly List<byte[]> List = new();
        public readonly List<FrameOffload> Offloads = new();

        public void Deliver(ReadOnlySpan<byte> frame)
        {
            List.Add(frame.ToArray());
            Offloads.Add(default);
        }

        // Keeps the offload as it came (a sink that can take it), unlike the interface's default.
        public void Deliver(ReadOnlySpan<byte> frame, in FrameOffload offload)
        {
            List.Add(frame.ToArray());
            Offloads.Add(offload);
        }
    }

    private sealed class PlainFrames : IFrameSink
    {
        public readonly List<byte[]> List = new();

        public void Deliver(ReadOnlySpan<byte> frame) => List.Add(frame.ToArray());
    }

    [FsCheck.NUnit.Property(MaxTest = 60)]
    public Property Segmenting_then_reassembling_gives_the_same_bytes() =>
        Prop.ForAll(
            (from payload in Gen.Choose(0, 65535 - 54)
             from gso in Gen.Choose(64, 1460)
             from seq in Gen.Choose(0, int.MaxValue)
             select (payload, gso, (uint)seq * 2)).ToArbitrary(),
            t =>
            {
                var (payload, gso, seq) = t;
                byte[] super = TcpFrame(payload, seq, seed: payload);
                Assert.That(FrameOffloads.Describe(super, true, gso, false, 1514, out FrameOffload offload), Is.EqualTo(OffloadCheck.Ok));
                var sink = new PlainFrames();
                IFrameSink plain = sink;
                plain.Deliver(super, offload);   // the interface's default: software segmentation
                var joined = new List<byte>();
                uint expectSeq = seq;
                for (int i = 0; i < sink.List.Count; i++)
                {
                    byte[] s = sink.List[i];
                    int data = s.Length - 54;
                    bool last = i == sink.List.Count - 1;
                    if (!ChecksumsValid(s) || data > gso || (!last && data != gso)
                        || BinaryPrimitives.ReadUInt32BigEndian(s.AsSpan(Eth + 24)) != expectSeq
                        || ((s[Eth + 33] & 0x09) != 0) != last)   // FIN and PSH on the last segment only
                        return false.Label($"segment {i} of {sink.List.Count}");
                    joined.AddRange(s.AsSpan(54).ToArray());
                    expectSeq += (uint)data;
                }
                return joined.ToArray().AsSpan().SequenceEqual(super.AsSpan(54)).Label("payload differs");
            });

    [Test]
    public void A_partial_checksum_is_completed_for_tcp_and_udp()
    {
        byte[] tcp = TcpFrame(700);
        Assert.That(FrameOffloads.Describe(tcp, true, 0, false, 1514, out var o), Is.EqualTo(OffloadCheck.Ok));
        Assert.That((o.ChecksumStart, o.ChecksumOffset, o.IsGso), Is.EqualTo(((ushort)34, (ushort)16, false)));
        Assert.That(ChecksumsValid(tcp), Is.False, "only the pseudo-header sum is in the field");
        var sink = new PlainFrames();
        ((IFrameSink)sink).Deliver(tcp, o);
        Assert.That(ChecksumsValid(sink.List.Single()), Is.True);

        byte[] udp = TcpFrame(100);
        udp[Eth + 9] = 17;
        udp[Eth + 10] = udp[Eth + 11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(Eth + 10), InternetChecksum.Checksum(udp.AsSpan(Eth, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(Eth + 24), (ushort)(udp.Length - 34));
        Assert.That(FrameOffloads.Describe(udp, true, 0, false, 1514, out o), Is.EqualTo(OffloadCheck.Ok));
        Assert.That(o.ChecksumOffset, Is.EqualTo((ushort)6));
        sink.List.Clear();
        ((IFrameSink)sink).Deliver(udp, o);
        Assert.That(ChecksumsValid(sink.List.Single()), Is.True);
    }

    [Test]
    public void Descriptions_that_lie_about_the_frame_are_refused()
    {
        OffloadCheck Check(Action<byte[]> spoil, int gso = 1400, int length = 5000)
        {
            byte[] f = TcpFrame(length);
            spoil(f);
            return FrameOffloads.Describe(f, true, gso, false, 1514, out _);
        }
        Assert.That(Check(_ => { }), Is.EqualTo(OffloadCheck.Ok));
        Assert.That(Check(f => f[12] = 0x86), Is.EqualTo(OffloadCheck.NotIpv4), "not IPv4");
        Assert.That(Check(f => f[Eth] = 0x44), Is.EqualTo(OffloadCheck.BadIpHeader), "IHL 4");
        Assert.That(Check(f => f[Eth + 3]++), Is.EqualTo(OffloadCheck.BadLength), "total length off by one");
        Assert.That(Check(f => f[Eth + 6] = 0x20), Is.EqualTo(OffloadCheck.BadLength), "a fragment");
        Assert.That(Check(f => f[Eth + 9] = 17), Is.EqualTo(OffloadCheck.BadProtocol), "GSO on UDP");
        Assert.That(Check(f => f[Eth + 9] = 1), Is.EqualTo(OffloadCheck.BadProtocol), "ICMP");
        Assert.That(Check(f => f[Eth + 32] = 4 << 4), Is.EqualTo(OffloadCheck.BadTcpHeader), "data offset 4");
        Assert.That(Check(f => f[Eth + 32] = 15 << 4, length: 10), Is.EqualTo(OffloadCheck.BadTcpHeader), "TCP header past the end");
        Assert.That(Check(_ => { }, gso: 1461), Is.EqualTo(OffloadCheck.BadGsoSize), "segments above the MTU");
        Assert.That(Check(_ => { }, gso: 4, length: 60000), Is.EqualTo(OffloadCheck.BadGsoSize), "too many segments");
        Assert.That(Check(_ => { }, length: 0), Is.EqualTo(OffloadCheck.Ok), "a super-frame of no data is one segment");
    }

    [Test]
    public void Netback_passes_a_guests_tso_packet_on_whole_with_the_pseudo_header_sum()
    {
        var sink = new Frames();
        using var h = new VifHarness(sink: sink);
        byte[] super = TcpFrame(20000);
        super[Eth + 36] = 0xAB;   // a guest's junk in the checksum field: netback writes the pseudo-header sum
        Assert.That(h.Send(super, [4000, 4096, 4096, 4096, super.Length - 4000 - 3 * 4096], NetifExtraType.Gso,
            NetTxFlags.CsumBlank | NetTxFlags.DataValidated, gsoSize: 1448), Is.True);
        Assert.That(h.Back.ProcessTx(), Is.EqualTo(1));
        var o = sink.Offloads.Single();
        Assert.That((o.GsoSize, o.ChecksumStart, o.ChecksumOffset, o.DataValidated), Is.EqualTo(((ushort)1448, (ushort)34, (ushort)16, true)));
        byte[] got = sink.List.Single();
        Assert.That(got.AsSpan(0, 50).SequenceEqual(super.AsSpan(0, 50)) && got.AsSpan(52).SequenceEqual(super.AsSpan(52)), Is.True);
        var plain = new PlainFrames();
        ((IFrameSink)plain).Deliver(got, o);
        Assert.That(plain.List, Has.Count.EqualTo((20000 + 1447) / 1448));
        Assert.That(plain.List.All(f => ChecksumsValid(f)), Is.True);
        h.ReapTx();
        Assert.That(h.TxResponses.Count(r => r.Status == NetifStatus.Okay), Is.EqualTo(5));
        Assert.That((h.Back.Counters.TxGso, h.Back.Counters.TxFrames, h.Back.Counters.TxDrops), Is.EqualTo((1L, 1L, 0L)));
    }

    [Test]
    public void Malformed_gso_packets_are_counted_answered_with_an_error_and_the_vif_stays()
    {
        var sink = new Frames();
        using var h = new VifHarness(sink: sink);
        byte[] super = TcpFrame(9000);
        byte[] udp = TcpFrame(9000);
        udp[Eth + 9] = 17;
        int[] frags = [3000, 4096, 9054 - 3000 - 4096];
        h.Send(super, frags, NetifExtraType.Gso, NetTxFlags.CsumBlank, gsoSize: 0);                        // size 0
        h.Send(super, frags, NetifExtraType.Gso, NetTxFlags.CsumBlank, gsoSize: 3000);                     // above the MTU
        h.Send(super, frags, NetifExtraType.Gso, NetTxFlags.CsumBlank, gsoType: NetifGsoType.TcpV6);       // wrong type
        h.Send(udp, frags, NetifExtraType.Gso, NetTxFlags.CsumBlank);                                      // not TCP
        h.Send(TcpFrame(1000, seed: 5)[..1000], [1000], 0, NetTxFlags.CsumBlank);                          // lengths that lie
        h.Send(super, frags, NetifExtraType.Gso, NetTxFlags.CsumBlank);                                    // a good one
        h.Back.ProcessTx();
        h.ReapTx();
        Assert.That(h.Back.Counters.TxBadOffload, Is.EqualTo(5));
        Assert.That(h.Back.Counters.TxBadGrant + h.Back.Counters.TxOversize, Is.Zero);
        Assert.That(h.Back.IsConnected, Is.True);
        Assert.That(sink.List, Has.Count.EqualTo(1));
        Assert.That(sink.Offloads.Single().GsoSize, Is.EqualTo((ushort)1400));
        Assert.That(h.TxResponses.Count(r => r.Status == NetifStatus.Error), Is.EqualTo(4 * 3 + 1), "every data slot of a refused packet");
    }

    /// <summary>RX responses as a frontend reads them, with the extra_info slots decoded.</summary>
    private static List<(NetifRxResponse Rsp, NetifExtraInfo? Extra)> TakeRx(VifHarness h)
    {
        var list = new List<(NetifRxResponse, NetifExtraInfo?)>();
        bool extraNext = false;
        while (h.Rx.TryTakeResponse(out var r))
        {
            if (extraNext)
            {
                list.Add((r, *(NetifExtraInfo*)&r));
                extraNext = false;
                continue;
            }
            list.Add((r, null));
            extraNext = (r.Flags & NetRxFlags.ExtraInfo) != 0;
        }
        return list;
    }

    [Test]
    public void A_gso_frontend_gets_a_super_frame_whole_with_its_extra_and_checksum_flags()
    {
        using var h = new VifHarness(rxGso: true, rxChecksumOffload: true);
        h.PostRx(64);
        byte[] super = TcpFrame(30000);
        Assert.That(FrameOffloads.Describe(super, true, 1448, true, 1514, out var o), Is.EqualTo(OffloadCheck.Ok));
        Assert.That(h.Back.DeliverToGuest(super, o), Is.True);
        h.Back.FlushRx();
        var rsps = TakeRx(h);
        int pages = (super.Length + 4095) / 4096;
        Assert.That(rsps, Has.Count.EqualTo(pages + 1));
        Assert.That(rsps[0].Rsp.Flags, Is.EqualTo(NetRxFlags.ExtraInfo | NetRxFlags.CsumBlank | NetRxFlags.DataValidated | NetRxFlags.MoreData));
        var extra = rsps[1].Extra!.Value;
        Assert.That((extra.Type, extra.GsoSize, extra.GsoType, extra.Flags), Is.EqualTo((NetifExtraType.Gso, (ushort)1448, NetifGsoType.TcpV4, (byte)0)));
        Assert.That(rsps.Skip(2).Take(pages - 2).All(r => (r.Rsp.Flags & NetRxFlags.MoreData) != 0), Is.True);
        Assert.That(rsps[^1].Rsp.Flags, Is.EqualTo((ushort)0));
        Assert.That(rsps.Where(r => r.Extra is null).Sum(r => r.Rsp.Status), Is.EqualTo(super.Length));
        Assert.That((h.Back.Counters.RxGso, h.Back.Counters.RxFrames, h.Back.Counters.RxSoftwareOffload), Is.EqualTo((1L, 1L, 0L)));
    }

    [Test]
    public void A_frontend_without_gso_gets_segmented_checksummed_frames()
    {
        using var h = new VifHarness();
        h.PostRx(64);
        byte[] super = TcpFrame(10000);
        Assert.That(FrameOffloads.Describe(super, true, 1460, true, 1514, out var o), Is.EqualTo(OffloadCheck.Ok));
        Assert.That(h.Back.DeliverToGuest(super, o), Is.True);
        byte[] partial = TcpFrame(500, seed: 9);
        Assert.That(FrameOffloads.Describe(partial, true, 0, true, 1514, out var p), Is.EqualTo(OffloadCheck.Ok));
        Assert.That(h.Back.DeliverToGuest(partial, p), Is.True);
        h.Back.FlushRx();
        h.ReapRx();
        Assert.That(h.Received, Has.Count.EqualTo(7 + 1));
        Assert.That(h.Received.All(f => f.Length <= 1514 && ChecksumsValid(f)), Is.True);
        Assert.That(h.Received.Take(7).SelectMany(f => f.Skip(54)).ToArray(), Is.EqualTo(super.Skip(54).ToArray()));
        Assert.That((h.Back.Counters.RxSoftwareOffload, h.Back.Counters.RxFrames, h.Back.Counters.RxGso), Is.EqualTo((2L, 8L, 0L)));
    }

    [Test]
    public void A_tap_port_without_a_vnet_header_writes_segments()
    {
        using var pipe = new SeqPacketPipe();
        using var worker = new NetworkWorker("offload-test");
        TapPort tap = worker.AddTap(pipe);
        try
        {
            byte[] super = TcpFrame(5000);
            Assert.That(FrameOffloads.Describe(super, true, 1460, true, 1514, out var o), Is.EqualTo(OffloadCheck.Ok));
            tap.Deliver(super, o);
            var got = pipe.HostReceive();
            Assert.That(got, Has.Count.EqualTo(4));
            Assert.That(got.All(f => ChecksumsValid(f)), Is.True);
            Assert.That((tap.Counters.ToHostFrames, tap.Counters.ToHostGso, tap.Counters.Drops), Is.EqualTo((4L, 0L, 0L)));
        }
        finally
        {
            worker.RemoveTap(tap);
        }
    }
}
