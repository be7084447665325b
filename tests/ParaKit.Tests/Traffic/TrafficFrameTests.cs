// The guest's test frame (guestkernel/Net/Traffic/TrafficFrame.cs) on the host: every size
// round-trips, the checksums agree with a plain RFC 1071 reference, any single corrupted byte
// of IP header or payload is caught, and hostile bytes never throw and are never Ok.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Traffic;

namespace ParaKit.Tests.Traffic;

public class TrafficFrameTests
{
    internal static readonly TrafficFlow Flow = new()
    {
        DstMac = 0x00163E000002,
        SrcMac = 0x00163E000001,
        SrcIp = 0xC0A80001,
        DstIp = 0xC0A80002,
        SrcPort = 1234,
        DstPort = 9,
    };

    internal static readonly Gen<ulong> U64 =
        from hi in Gen.Choose(int.MinValue, int.MaxValue)
        from lo in Gen.Choose(int.MinValue, int.MaxValue)
        select ((ulong)(uint)hi << 32) | (uint)lo;

    internal static readonly Gen<int> SizeGen = Gen.OneOf(
        Gen.Choose(TrafficFrame.MinSize, 130),
        Gen.Choose(TrafficFrame.MinSize, 1514),
        Gen.Choose(TrafficFrame.MinSize, TrafficFrame.MaxSize),
        Gen.Elements(TrafficFrame.MinSize, 64, 1514, TrafficFrame.MaxSize));

    internal static byte[] Build(int size, ulong seq, ulong ts = 42, TrafficFlow? flow = null)
    {
        var f = new byte[size];
        Assert.That(TrafficFrame.Write(f, flow ?? Flow, seq, ts), Is.True);
        return f;
    }

    /// <summary>RFC 1071 the slow way: big-endian 16-bit words, carries folded at the end.</summary>
    private static ushort ReferenceChecksum(IEnumerable<byte> data)
    {
        byte[] b = data.ToArray();
        ulong sum = 0;
        for (int i = 0; i < b.Length; i += 2)
            sum += (ulong)(b[i] << 8 | (i + 1 < b.Length ? b[i + 1] : 0));
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static ushort ReferenceUdpChecksum(byte[] f)
    {
        int udpLength = f.Length - 34;
        var pseudo = f[26..34].Concat(new byte[] { 0, 17, (byte)(udpLength >> 8), (byte)udpLength });
        var segment = f[34..].ToArray();
        segment[6] = segment[7] = 0;
        ushort c = ReferenceChecksum(pseudo.Concat(segment));
        return c == 0 ? (ushort)0xFFFF : c;
    }

    [Test]
    public void A_minimum_frame_has_the_documented_layout()
    {
        var f = Build(60, seq: 0x0102030405060708, ts: 0x1112131415161718);
        Assert.Multiple(() =>
        {
            Assert.That(f[0..6], Is.EqualTo(new byte[] { 0x00, 0x16, 0x3E, 0, 0, 2 }), "dst MAC");
            Assert.That(f[6..12], Is.EqualTo(new byte[] { 0x00, 0x16, 0x3E, 0, 0, 1 }), "src MAC");
            Assert.That(f[12..14], Is.EqualTo(new byte[] { 0x08, 0x00 }), "IPv4");
            Assert.That(f[14], Is.EqualTo(0x45));
            Assert.That(f[16] << 8 | f[17], Is.EqualTo(46), "IPv4 total length");
            Assert.That(f[18..20], Is.EqualTo("PK"u8.ToArray()), "magic, high half (IPv4 id)");
            Assert.That(f[20..22], Is.EqualTo(new byte[] { 0x40, 0 }), "DF");
            Assert.That((f[22], f[23]), Is.EqualTo(((byte)64, (byte)17)), "ttl, UDP");
            Assert.That(f[26..34], Is.EqualTo(new byte[] { 192, 168, 0, 1, 192, 168, 0, 2 }));
            Assert.That(f[34..38], Is.EqualTo(new byte[] { 0x04, 0xD2, 0, 9 }), "ports");
            Assert.That(f[38] << 8 | f[39], Is.EqualTo(26), "UDP length");
            Assert.That(f[42..44], Is.EqualTo("TF"u8.ToArray()), "magic, low half");
            Assert.That(f[44..52], Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }), "sequence");
            Assert.That(f[52..60], Is.EqualTo(new byte[] { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 }), "timestamp");
            Assert.That(ReferenceChecksum(f[14..34]), Is.EqualTo(0), "IPv4 header checksum adds up");
            Assert.That(f[40] << 8 | f[41], Is.EqualTo(ReferenceUdpChecksum(f)), "UDP checksum");
        });
    }

    [Test]
    public void Every_size_from_60_to_9018_round_trips_with_checksums_a_reference_agrees_with()
    {
        for (int size = TrafficFrame.MinSize; size <= TrafficFrame.MaxSize; size++)
        {
            ulong seq = (ulong)size * 0x9E3779B97F4A7C15;
            var f = Build(size, seq, ts: (ulong)size);
            var status = TrafficFrame.Verify(f, out var info);
            if (status != TrafficStatus.Ok || info.Seq != seq || info.TimestampNs != (ulong)size || info.Size != size)
                Assert.Fail($"size {size}: {status}, seq {info.Seq:X}, ts {info.TimestampNs}, size {info.Size}");
            if (size % 97 == 0 || size < 80 || size > TrafficFrame.MaxSize - 20)
            {
                Assert.That(ReferenceChecksum(f[14..34]), Is.EqualTo(0), $"IP checksum, size {size}");
                Assert.That(f[40] << 8 | f[41], Is.EqualTo(ReferenceUdpChecksum(f)), $"UDP checksum, size {size}");
            }
        }
    }

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(2024,1105)")]
    public Property Any_size_sequence_timestamp_and_flow_round_trips() =>
        Prop.ForAll((from size in SizeGen from seq in U64 from ts in U64 from mac in U64 from ip in U64 select (size, seq, ts, mac, ip)).ToArbitrary(), t =>
        {
            var flow = new TrafficFlow
            {
                DstMac = t.mac & 0xFFFF_FFFF_FFFF,
                SrcMac = t.mac >> 16,
                SrcIp = (uint)t.ip,
                DstIp = (uint)(t.ip >> 32),
                SrcPort = (ushort)t.seq,
                DstPort = (ushort)t.ts,
            };
            var f = Build(t.size, t.seq, t.ts, flow);
            Assert.That(TrafficFrame.Verify(f, out var info), Is.EqualTo(TrafficStatus.Ok));
            Assert.That((info.Seq, info.TimestampNs, info.SrcMac, info.DstMac, info.Size), Is.EqualTo((t.seq, t.ts, flow.SrcMac, flow.DstMac, t.size)));
            Assert.That(f[40] << 8 | f[41], Is.EqualTo(ReferenceUdpChecksum(f)));
        });

    [FsCheck.NUnit.Property(MaxTest = 1000, Replay = "(31337,4243)")]
    public Property Any_single_corrupted_byte_of_ip_header_or_payload_is_detected() =>
        Prop.ForAll((from size in SizeGen from seq in U64 from at in Gen.Choose(0, int.MaxValue) from x in Gen.Choose(1, 255) select (size, seq, at, x)).ToArbitrary(), t =>
        {
            var f = Build(t.size, t.seq);
            int at = TrafficFrame.IpOffset + t.at % (t.size - TrafficFrame.IpOffset);
            f[at] ^= (byte)t.x;
            var status = TrafficFrame.Verify(f, out _);
            Assert.That(status, Is.Not.EqualTo(TrafficStatus.Ok), $"byte {at} of {t.size} ^ {t.x:X2}");
            // Past the magic, a corruption is always reported as bad, never mistaken for foreign traffic.
            if (at >= TrafficFrame.SeqOffset)
                Assert.That(status, Is.EqualTo(TrafficStatus.BadPayloadChecksum));
        });

    [Test]
    public void Swapped_words_keep_the_checksum_but_not_the_pattern()
    {
        var f = Build(1514, 77);
        (f[100], f[101], f[102], f[103]) = (f[102], f[103], f[100], f[101]);
        Assume.That(f[100..102], Is.Not.EqualTo(f[102..104]));
        Assert.That(TrafficFrame.Verify(f, out _), Is.EqualTo(TrafficStatus.BadPayloadPattern));
    }

    [Test]
    public void A_frame_with_another_sequence_numbers_fill_is_caught()
    {
        var f = Build(600, 5);
        var g = Build(600, 6);
        g[TrafficFrame.FillOffset..].CopyTo(f, TrafficFrame.FillOffset);
        Assert.That(TrafficFrame.Verify(f, out _), Is.Not.EqualTo(TrafficStatus.Ok));
    }

    [Test]
    public void Every_prefix_is_truncated_and_padding_is_a_bad_length()
    {
        var f = Build(200, 9);
        for (int n = 0; n < f.Length; n++)
            Assert.That(TrafficFrame.Verify(f.AsSpan(0, n), out _), Is.EqualTo(TrafficStatus.Truncated), $"{n} bytes");
        var padded = f.Concat(new byte[4]).ToArray();
        Assert.That(TrafficFrame.Verify(padded, out _), Is.EqualTo(TrafficStatus.BadLength));
    }

    [Test]
    public void Other_traffic_is_not_ours()
    {
        var arp = new byte[60];
        arp[12] = 0x08;
        arp[13] = 0x06;
        Assert.That(TrafficFrame.Verify(arp, out _), Is.EqualTo(TrafficStatus.NotOurs));
        var tcp = Build(100, 1);
        tcp[23] = 6;
        Assert.That(TrafficFrame.Verify(tcp, out _), Is.EqualTo(TrafficStatus.NotOurs));
        var foreignUdp = Build(100, 1);
        foreignUdp[18] = 0x12;   // another IPv4 id
        Assert.That(TrafficFrame.Verify(foreignUdp, out _), Is.EqualTo(TrafficStatus.NotOurs));
    }

    [Test]
    public void Sizes_outside_60_to_9018_are_refused_without_writing()
    {
        var small = new byte[59];
        var big = new byte[9019];
        Assert.That(TrafficFrame.Write(small, Flow, 1, 1), Is.False);
        Assert.That(TrafficFrame.Write(big, Flow, 1, 1), Is.False);
        Assert.That(small.All(b => b == 0) && big.All(b => b == 0), Is.True);
    }

    [Test]
    public void Fills_of_different_sequence_numbers_differ()
    {
        var a = Build(100, 0);
        var b = Build(100, 1);
        Assert.That(a[TrafficFrame.FillOffset..], Is.Not.EqualTo(b[TrafficFrame.FillOffset..]));
        Assert.That(a[TrafficFrame.FillOffset..].Distinct().Count(), Is.GreaterThan(20), "pseudo-random, not a constant");
    }

    internal static readonly Gen<byte[]> Hostile = Gen.OneOf(
        // Random bytes of any length, sometimes wearing an IPv4 ethertype.
        from len in Gen.OneOf(Gen.Choose(0, 120), Gen.Choose(0, 2000))
        from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), len)
        from ipv4 in Gen.Elements(false, true)
        select ipv4 && len >= 14 ? bytes.Select((b, i) => i == 12 ? (byte)8 : i == 13 ? (byte)0 : b).ToArray() : bytes,
        // A valid frame whose tail from some offset on is random, then cut or extended.
        from size in SizeGen
        from seq in U64
        from from_ in Gen.Choose(12, 70)
        from noise in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 64)
        from cut in Gen.Choose(-20, 20)
        select Mangle(Build(size, seq), from_, noise, cut));

    private static byte[] Mangle(byte[] f, int from, byte[] noise, int cut)
    {
        for (int i = 0; i < noise.Length && from + i < f.Length; i++)
            f[from + i] = noise[i];
        int n = Math.Max(0, f.Length + cut);
        var g = new byte[n];
        Array.Copy(f, g, Math.Min(n, f.Length));
        return g;
    }

    [FsCheck.NUnit.Property(MaxTest = 2000, Replay = "(99,101)")]
    public Property Hostile_bytes_never_throw_and_are_never_ok() =>
        Prop.ForAll(Hostile.ToArbitrary(), bytes =>
        {
            var status = TrafficFrame.Verify(bytes, out var info);
            Assert.That(status, Is.Not.EqualTo(TrafficStatus.Ok));
            Assert.That(info.Seq, Is.EqualTo(0UL), "nothing is reported from a frame that is not Ok");
        });
}
