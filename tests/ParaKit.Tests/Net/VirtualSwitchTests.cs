// The learning switch: learning, flooding, filtering, counters, table limits and a property that
// every frame is either delivered where a learning switch must send it or counted as a drop.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Net.Switch;

namespace ParaKit.Tests.Net;

public class VirtualSwitchTests
{
    private static readonly byte[] Broadcast = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

    private static byte[] Mac(int station) => new byte[] { 0x00, 0x16, 0x3E, 0x00, 0x00, (byte)station };

    private static byte[] Eth(byte[] dst, byte[] src, int payload = 46, byte tag = 0)
    {
        var f = new byte[14 + payload];
        dst.CopyTo(f, 0);
        src.CopyTo(f, 6);
        f[12] = 0x88;
        f[13] = 0xB5;   // local experimental ethertype
        if (payload > 0)
            f[14] = tag;
        return f;
    }

    private static (VirtualSwitch sw, SwitchPort[] ports, RecordingSink[] sinks) Make(int n, int maxAddresses = 1024)
    {
        var sw = new VirtualSwitch(maxAddresses);
        var sinks = Enumerable.Range(0, n).Select(_ => new RecordingSink()).ToArray();
        var ports = sinks.Select((s, i) => sw.AddPort($"vif{i}", s)).ToArray();
        return (sw, ports, sinks);
    }

    [Test]
    public void Unknown_destinations_flood_then_learned_ones_go_to_one_port()
    {
        var (sw, p, s) = Make(3);
        p[0].Deliver(Eth(Mac(2), Mac(1)));                 // 2 unknown: flood to ports 1 and 2
        Assert.That(s.Select(x => x.Frames.Count), Is.EqualTo(new[] { 0, 1, 1 }));
        p[1].Deliver(Eth(Mac(1), Mac(2)));                 // 1 was learned on port 0
        Assert.That(s.Select(x => x.Frames.Count), Is.EqualTo(new[] { 1, 1, 1 }));
        p[0].Deliver(Eth(Mac(2), Mac(1)));                 // 2 is now known on port 1
        Assert.That(s.Select(x => x.Frames.Count), Is.EqualTo(new[] { 1, 2, 1 }));
        Assert.That(sw.Lookup(Mac(1)), Is.SameAs(p[0]));
        Assert.That(sw.Lookup(Mac(2)), Is.SameAs(p[1]));
        Assert.That((p[0].Counters.InFrames, p[0].Counters.Flooded, p[0].Counters.OutFrames), Is.EqualTo((2L, 1L, 1L)));
    }

    [Test]
    public void Broadcast_and_multicast_always_flood_to_every_other_port()
    {
        var (_, p, s) = Make(4);
        p[1].Deliver(Eth(Mac(9), Mac(1)));
        p[2].Deliver(Eth(Broadcast, Mac(9)));
        p[2].Deliver(Eth(new byte[] { 0x01, 0x00, 0x5E, 0, 0, 1 }, Mac(9)));
        Assert.That(s.Select(x => x.Frames.Count), Is.EqualTo(new[] { 3, 2, 1, 3 }));
        Assert.That(p[2].Counters.Flooded, Is.EqualTo(2));
    }

    [Test]
    public void Bad_frames_are_counted_on_their_ingress_port()
    {
        var (sw, p, s) = Make(2);
        p[0].Deliver(new byte[13]);
        p[0].Deliver(Eth(Mac(2), Broadcast));
        p[0].Deliver(Eth(Mac(1), Mac(1)));   // learned on port 0 by this very frame: it stays there
        var c = p[0].Counters;
        Assert.That((c.InFrames, c.DropRunt, c.DropBadSource, c.DropSamePort, c.Drops), Is.EqualTo((3L, 1L, 1L, 1L, 3L)));
        Assert.That(s[1].Frames, Is.Empty);
        var (_, lone, _) = Make(1);
        lone[0].Deliver(Eth(Broadcast, Mac(5)));
        Assert.That(lone[0].Counters.DropNoPeer, Is.EqualTo(1));
        Assert.That(sw.LearnedAddresses, Is.EqualTo(1));
    }

    [Test]
    public void A_station_that_moves_is_relearned_and_a_removed_port_is_forgotten()
    {
        var (sw, p, s) = Make(3);
        p[0].Deliver(Eth(Broadcast, Mac(1)));
        p[2].Deliver(Eth(Broadcast, Mac(1)));
        Assert.That(sw.Lookup(Mac(1)), Is.SameAs(p[2]));
        sw.RemovePort(p[2]);
        Assert.That(sw.Lookup(Mac(1)), Is.Null);
        p[2].Deliver(Eth(Broadcast, Mac(3)));   // ignored: the port is gone
        p[0].Deliver(Eth(Mac(1), Mac(5)));
        Assert.That(s.Select(x => x.Frames.Count), Is.EqualTo(new[] { 1, 3, 1 }));
    }

    [Test]
    public void A_full_table_stops_learning_but_keeps_forwarding()
    {
        var (sw, p, s) = Make(2, maxAddresses: 2);
        for (int i = 1; i <= 3; i++)
            p[0].Deliver(Eth(Broadcast, Mac(i)));
        Assert.That((sw.LearnedAddresses, p[0].Counters.LearnTableFull, s[1].Frames.Count), Is.EqualTo((2, 1L, 3)));
    }

    [Test]
    public void Forwarding_a_known_unicast_frame_does_not_allocate()
    {
        var nullSink = new CountingSink();
        var sw = new VirtualSwitch();
        var a = sw.AddPort("a", nullSink);
        var b = sw.AddPort("b", nullSink);
        var ab = Eth(Mac(2), Mac(1));
        b.Deliver(Eth(Mac(1), Mac(2)));
        a.Deliver(ab);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            a.Deliver(ab);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        Assert.That(nullSink.Count, Is.EqualTo(1002));
    }

    [Test]
    public void Injected_loss_drops_about_its_percentage_counted_and_repeatable_per_seed()
    {
        int[] Run(double percent, ulong seed)
        {
            var (sw, p, s) = Make(2);
            sw.Loss = new SwitchLoss(percent, seed);
            p[1].Deliver(Eth(Mac(1), Mac(2)));
            var lost = new List<int>();
            for (int i = 0; i < 20_000; i++)
            {
                int before = s[1].Frames.Count;
                p[0].Deliver(Eth(Mac(2), Mac(1)));
                if (s[1].Frames.Count == before)
                    lost.Add(i);
            }
            // Every frame in is delivered or counted as lost, nothing else.
            long delivered = s[1].Frames.Count, lostCount = p[0].Counters.DropLoss;
            Assert.That((delivered + lostCount, p[0].Counters.Drops), Is.EqualTo((20_000L, lostCount)));
            Assert.That(lost, Has.Count.EqualTo(lostCount));
            return [.. lost];
        }
        var five = Run(5, 7);
        Assert.That(five.Length, Is.InRange(800, 1200), "5% of 20,000 is 1,000; binomial sd ~31");
        Assert.That(Run(5, 7), Is.EqualTo(five), "one seed, one sequence of drops");
        Assert.That(Run(5, 8), Is.Not.EqualTo(five), "another seed, other drops");
        Assert.That(Run(0, 7), Is.Empty);
        Assert.That(Run(100, 7), Has.Length.EqualTo(20_000));
        Assert.That(Run(0.5, 7).Length, Is.InRange(50, 150));
    }

    [TestCase("5", 5.0, 1UL)]
    [TestCase("0.5,seed=42", 0.5, 42UL)]
    [TestCase("100%", 100.0, 1UL)]
    public void Loss_text_parses(string text, double percent, ulong seed)
    {
        Assert.That(SwitchLoss.TryParse(text, out var loss, out string error), Is.True, error);
        Assert.That((loss!.Percent, loss.Seed), Is.EqualTo((percent, seed)));
    }

    [TestCase("101", "not a percentage from 0 to 100")]
    [TestCase("-1", "not a percentage")]
    [TestCase("five", "not a percentage")]
    [TestCase("5,sead=1", "is not seed=N")]
    [TestCase("5,seed=x", "seed 'x' is not a whole number")]
    public void Bad_loss_text_says_what_is_wrong(string text, string message)
    {
        Assert.That(SwitchLoss.TryParse(text, out _, out string error), Is.False);
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void Forwarding_through_injected_loss_does_not_allocate()
    {
        var nullSink = new CountingSink();
        var sw = new VirtualSwitch { Loss = new SwitchLoss(50) };
        var a = sw.AddPort("a", nullSink);
        sw.AddPort("b", nullSink);
        var ab = Eth(Mac(2), Mac(1));
        a.Deliver(ab);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            a.Deliver(ab);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        Assert.That(nullSink.Count + a.Counters.DropLoss, Is.EqualTo(1001));
    }

    private sealed class CountingSink : ParaKit.Hypervisor.Net.IFrameSink
    {
        public int Count;

        public void Deliver(ReadOnlySpan<byte> frame) => Count++;
    }

    // Property: a model switch (a plain dictionary) predicts where each frame must go; every
    // frame in = its deliveries, or one counted drop, on every port.
    internal readonly record struct Send(int Port, int Dst, int Src);

    private static readonly Gen<Send[]> SendsGen =
        Gen.ListOf(
            from port in Gen.Choose(0, 3)
            from dst in Gen.Choose(0, 6)      // 0 = broadcast, 6 = multicast
            from src in Gen.Choose(1, 6)      // 6 = a bad (multicast) source
            select new Send(port, dst, src)).Select(l => l.ToArray());

    private static byte[] Addr(int n) => n == 0 ? Broadcast : n == 6 ? new byte[] { 0x01, 0, 0x5E, 0, 0, 6 } : Mac(n);

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(424242,1337)")]
    public Property Every_frame_is_forwarded_as_a_learning_switch_must_or_counted() =>
        Prop.ForAll(SendsGen.ToArbitrary(), sends =>
        {
            var (_, p, s) = Make(4);
            var model = new Dictionary<int, int>();
            var expected = new List<byte>[4];
            for (int i = 0; i < 4; i++)
                expected[i] = new List<byte>();
            long drops = 0;
            for (int k = 0; k < sends.Length; k++)
            {
                var (port, dst, src) = sends[k];
                byte tag = (byte)k;
                p[port].Deliver(Eth(Addr(dst), Addr(src), tag: tag));
                if (src == 6)
                {
                    drops++;
                    continue;
                }
                model[src] = port;
                if (dst != 0 && dst != 6 && model.TryGetValue(dst, out int to))
                {
                    if (to == port)
                        drops++;
                    else
                        expected[to].Add(tag);
                    continue;
                }
                for (int i = 0; i < 4; i++)
                {
                    if (i != port)
                        expected[i].Add(tag);
                }
            }
            for (int i = 0; i < 4; i++)
                Assert.That(s[i].Frames.Select(f => f[14]), Is.EqualTo(expected[i]), $"port {i}: frames and order");
            Assert.That(p.Sum(x => x.Counters.InFrames), Is.EqualTo(sends.Length));
            Assert.That(p.Sum(x => x.Counters.Drops), Is.EqualTo(drops));
            Assert.That(p.Sum(x => x.Counters.OutFrames), Is.EqualTo(expected.Sum(e => e.Count)));
        });
}
