// Properties of the stack's input path: a UDP datagram cut into any set of fragments (aligned
// cuts plus overlapping extra pieces), delivered in any order with any duplicates, interleaved
// with another datagram, reassembles byte-exact; and random or mangled bytes never throw.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;
using static ParaKit.Tests.NetStack.Peer;
using IpStack = ParaKit.Net.Stack.NetStack;

namespace ParaKit.Tests.NetStack;

public class ReassemblyProperties
{
    /// <summary>A fragment as (offset, length, more) over a datagram payload.</summary>
    private static List<(int off, int len, bool more)> Cut(int total, int[] cuts, int[] extras)
    {
        var points = cuts.Select(c => c % total / 8 * 8).Where(p => p > 0).Append(0).Append(total).Distinct().Order().ToList();
        if (points.Count < 3)
            points.Insert(1, Math.Max(8, total / 2 / 8 * 8));   // at least two fragments
        var frags = new List<(int, int, bool)>();
        for (int i = 0; i + 1 < points.Count; i++)
            frags.Add((points[i], points[i + 1] - points[i], points[i + 1] < total));
        // Overlapping extra pieces: same bytes, aligned start, length a multiple of 8 unless they
        // reach the end (then they are a final fragment).
        for (int i = 0; i + 1 < extras.Length; i += 2)
        {
            int off = extras[i] % total / 8 * 8;
            int len = Math.Max(8, extras[i + 1] % 4096 / 8 * 8);
            if (off + len >= total)
                frags.Add((off, total - off, false));
            else
                frags.Add((off, len, true));
        }
        return frags;
    }

    private static byte[] Fragment(byte[] segment, (int off, int len, bool more) f, ushort id) =>
        Ip(17, segment.AsSpan(f.off, f.len), id: id, offset: f.off, more: f.more);

    private static readonly Gen<(byte[] data, int[] cuts, int[] extras, int[] order, int[] dups, int seed)> Case =
        from size in Gen.OneOf(Gen.Choose(1, 100), Gen.Choose(1, 3000), Gen.Choose(1, 20000), Gen.Elements(65507, 1472, 1473, 8))
        from seed in Gen.Choose(0, int.MaxValue)
        from nCuts in Gen.Choose(1, 12)
        from cuts2 in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), nCuts)
        from nExtra in Gen.Choose(0, 4)
        from extras in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), nExtra * 2)
        from nDups in Gen.Choose(0, 5)
        from dups in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), nDups)
        from order in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), 64)
        select (Data(size, seed), cuts2, extras, order, dups, seed);

    private static byte[] Data(int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static List<T> Shuffle<T>(List<T> items, int seed)
    {
        var r = new Random(seed);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = r.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
        return items;
    }

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(4711,815)")]
    public Property Any_fragmentation_order_and_duplication_reassembles_byte_exact() =>
        Prop.ForAll(Case.ToArbitrary(), t =>
        {
            var link = new FakeLink(OurMac);
            var s = new IpStack(link, Config());
            var got = new List<byte[]>();
            s.BindUdp(9, (src, sp, dp, d) => got.Add(d.ToArray()));

            byte[] segA = UdpSegment(t.data, 1234, 9);
            byte[] other = Data(t.data.Length % 700 + 1, t.seed ^ 0x5A5A);
            byte[] segB = UdpSegment(other, 1235, 9);
            var frames = Cut(segA.Length, t.cuts, t.extras).Select(f => Fragment(segA, f, 100)).ToList();
            frames.AddRange(Cut(segB.Length, t.dups.Length > 0 ? t.dups : [segB.Length / 2], []).Select(f => Fragment(segB, f, 101)));
            foreach (int d in t.dups)
                frames.Add(frames[d % frames.Count]);
            Shuffle(frames, t.seed);
            foreach (var f in frames)
                s.Receive(f, 0);

            Assert.That(got, Is.Not.Empty, "something was delivered");
            Assert.That(got.Any(g => g.AsSpan().SequenceEqual(t.data)), "datagram A reassembled byte-exact");
            Assert.That(got.Any(g => g.AsSpan().SequenceEqual(other)), "datagram B reassembled byte-exact");
            Assert.That(got.All(g => g.AsSpan().SequenceEqual(t.data) || g.AsSpan().SequenceEqual(other)), "nothing else was delivered");
            var c = s.Counters;
            Assert.That(c.FragBad + c.FragInconsistent + c.FragTooBig + c.UdpBadChecksum, Is.EqualTo(0UL));
        });

    private static readonly Gen<byte[]> Valid = Gen.Elements(
        Udp("hello"u8, 1, 9),
        Ip(17, UdpSegment(new byte[40], 1, 9).AsSpan(0, 24), id: 3, offset: 0, more: true),
        Ip(17, UdpSegment(new byte[40], 1, 9).AsSpan(24), id: 3, offset: 24, more: false),
        Ip(1, Icmp(8, 1, 2, new byte[32])),
        Ip(1, Icmp(0, 1, 2, new byte[32])),
        Arp(1, PeerMac, PeerIp, 0, OurIp),
        Arp(2, PeerMac, PeerIp, OurMac, OurIp, OurMac));

    private static readonly Gen<byte[]> Hostile = Gen.OneOf(
        from n in Gen.Choose(0, 200)
        from b in Gen.ArrayOf(Gen.Choose(0, 255).Select(x => (byte)x), n)
        select b,
        from v in Valid
        from at in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), 4)
        from x in Gen.ArrayOf(Gen.Choose(0, 255), 4)
        from cut in Gen.Choose(-30, 30)
        select Mangle(v, at, x, cut));

    private static byte[] Mangle(byte[] v, int[] at, int[] x, int cut)
    {
        var f = (byte[])v.Clone();
        for (int i = 0; i < at.Length; i++)
            f[at[i] % f.Length] ^= (byte)x[i];
        if (at[0] % 2 == 0)   // keep it ours and IPv4 half the time, so deep paths are reached
        {
            Wire.WriteMac(f, 0, OurMac);
            if (Wire.ReadU16(v, 12) == 0x0800)
                Wire.WriteU16(f, 12, 0x0800);
        }
        int n = Math.Max(0, f.Length + cut);
        var g = new byte[n];
        Array.Copy(f, g, Math.Min(n, f.Length));
        return g;
    }

    [FsCheck.NUnit.Property(MaxTest = 500, Replay = "(1234,5677)")]
    public Property Random_and_mangled_frames_never_throw() =>
        Prop.ForAll(Gen.ArrayOf(Hostile, 20).ToArbitrary(), frames =>
        {
            var link = new FakeLink(OurMac);
            var s = new IpStack(link, Config());
            s.BindUdp(9, (_, _, _, _) => { });
            s.OnEchoReply = (_, _, _, _) => { };
            ulong now = 0;
            foreach (var f in frames)
            {
                s.Receive(f, now);
                now += 5_000_000_000;
                s.Tick(now);
            }
            Assert.That(s.Counters.RxFrames, Is.EqualTo((ulong)frames.Length));
        });
}
