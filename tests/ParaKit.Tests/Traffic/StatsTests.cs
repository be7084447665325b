// SequenceTracker and LatencyStats (guestkernel/Net/Traffic) against simple models, and the
// fixed-point text the apps' report lines are made of.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Traffic;

namespace ParaKit.Tests.Traffic;

public class SequenceTrackerTests
{
    private static SequenceTracker Feed(SequenceTracker t, params ulong[] seqs)
    {
        foreach (ulong s in seqs)
            t.Track(s);
        return t;
    }

    [Test]
    public void In_order_gap_late_duplicate_and_below_first()
    {
        var t = Feed(new SequenceTracker(), 10, 11, 12);
        Assert.That((t.Received, t.Lost, t.Reordered, t.Duplicates, t.ExpectedNext), Is.EqualTo((3UL, 0UL, 0UL, 0UL, 13UL)));
        t.Track(15);                       // 13, 14 missing
        Assert.That((t.Received, t.Lost), Is.EqualTo((4UL, 2UL)));
        t.Track(13);                       // late: no longer lost
        Assert.That((t.Received, t.Lost, t.Reordered), Is.EqualTo((5UL, 1UL, 1UL)));
        t.Track(13);
        t.Track(15);
        Assert.That((t.Received, t.Duplicates), Is.EqualTo((5UL, 2UL)));
        t.Track(7);                        // before the first one seen: 8 and 9 are missing now too
        Assert.That((t.First, t.Received, t.Lost, t.Reordered), Is.EqualTo((7UL, 6UL, 3UL, 2UL)));
        Assert.That(t.Received + t.Lost, Is.EqualTo(t.Highest + 1 - t.First));
    }

    [Test]
    public void Frames_a_window_behind_are_too_old_and_a_big_jump_forgets_the_window()
    {
        var t = Feed(new SequenceTracker(64), 0, 1, 200);
        Assert.That(t.Window, Is.EqualTo(64UL));
        t.Track(2);                         // 198 behind: late or duplicate, cannot tell
        t.Track(1);
        Assert.That((t.TooOld, t.Received, t.Lost), Is.EqualTo((2UL, 3UL, 198UL)));
        t.Track(199);
        Assert.That((t.Received, t.Lost, t.Reordered), Is.EqualTo((4UL, 197UL, 1UL)));
        t.Reset();
        t.Track(5);
        Assert.That((t.First, t.Received, t.Lost, t.ExpectedNext), Is.EqualTo((5UL, 1UL, 0UL, 6UL)));
    }

    internal sealed record Arrivals(ulong[] Seqs)
    {
        public override string ToString() => string.Join(",", Seqs.Take(60)) + (Seqs.Length > 60 ? ",..." : "");
    }

    /// <summary>start, start+1, ... with some dropped, some duplicated, then shuffled locally by
    /// at most <paramref name="maxDisplacement"/> positions per swap.</summary>
    private static Gen<Arrivals> ArrivalsGen(int maxDisplacement) =>
        from start in Gen.OneOf(Gen.Constant(0UL), TrafficFrameTests.U64.Select(u => u >> 2))
        from n in Gen.Choose(1, 400)
        from fate in Gen.ArrayOf(Gen.Choose(0, 9), n)            // 0 drop, 1 duplicate, else once
        from swaps in Gen.ArrayOf(Gen.Choose(0, maxDisplacement), 2 * n + 2)
        select new Arrivals(Shuffle(start, fate, swaps));

    private static ulong[] Shuffle(ulong start, int[] fate, int[] swaps)
    {
        var list = new List<ulong>();
        for (int i = 0; i < fate.Length; i++)
        {
            if (fate[i] == 0)
                continue;
            list.Add(start + (ulong)i);
            if (fate[i] == 1)
                list.Add(start + (ulong)i);
        }
        for (int i = 0; i < list.Count; i++)
        {
            int j = Math.Min(list.Count - 1, i + swaps[i]);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list.ToArray();
    }

    [FsCheck.NUnit.Property(MaxTest = 500, Replay = "(271828,314159)")]
    public Property Counts_match_a_model_when_reordering_stays_inside_the_window() =>
        Prop.ForAll(ArrivalsGen(40).ToArbitrary(), a =>
        {
            var t = new SequenceTracker(4096);
            var seen = new HashSet<ulong>();
            ulong highest = 0, reordered = 0, duplicates = 0;
            foreach (ulong s in a.Seqs)
            {
                t.Track(s);
                if (!seen.Add(s))
                    duplicates++;
                else if (seen.Count > 1 && s < highest)
                    reordered++;
                highest = seen.Count == 1 ? s : Math.Max(highest, s);
            }
            if (a.Seqs.Length == 0)
                return;
            ulong first = seen.Min();
            Assert.That((t.First, t.Highest, t.Received, t.Reordered, t.Duplicates, t.TooOld),
                Is.EqualTo((first, highest, (ulong)seen.Count, reordered, duplicates, 0UL)));
            Assert.That(t.Received + t.Lost, Is.EqualTo(highest + 1 - first), "received + lost = highest + 1 - first");
            Assert.That(t.Lost, Is.EqualTo(highest + 1 - first - (ulong)seen.Count));
        });

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(1618,2719)")]
    public Property With_a_small_window_every_arrival_is_counted_once_and_the_invariant_holds() =>
        Prop.ForAll(ArrivalsGen(150).ToArbitrary(), a =>
        {
            var t = new SequenceTracker(64);
            foreach (ulong s in a.Seqs)
                t.Track(s);
            int unique = a.Seqs.Distinct().Count();
            int modelDuplicates = a.Seqs.Length - unique;
            Assert.That(t.Received + t.Duplicates + t.TooOld, Is.EqualTo((ulong)a.Seqs.Length), "each arrival is counted once");
            Assert.That(t.Received + t.Lost, Is.EqualTo(t.Highest + 1 - t.First));
            Assert.That(t.Highest, Is.EqualTo(a.Seqs.Max()));
            Assert.That(t.Received, Is.LessThanOrEqualTo((ulong)unique));
            Assert.That(t.Duplicates, Is.LessThanOrEqualTo((ulong)modelDuplicates), "a counted duplicate is a real one");
            Assert.That(t.First, Is.GreaterThanOrEqualTo(a.Seqs.Min()));
        });
}

public class LatencyStatsTests
{
    private static ulong NearestRank(ulong[] sorted, int p) =>
        sorted[Math.Max(0, (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1)];

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(8,9)")]
    public Property Summary_matches_a_sorted_model_and_the_capacity_holds() =>
        Prop.ForAll((from n in Gen.Choose(0, 700) from cap in Gen.Choose(1, 600) from xs in Gen.ArrayOf(Gen.OneOf(Gen.Choose(0, 50), Gen.Choose(0, int.MaxValue)).Select(x => (ulong)x), n) select (cap, xs)).ToArbitrary(), t =>
        {
            var stats = new LatencyStats(t.cap);
            foreach (ulong x in t.xs)
                stats.Add(x);
            var kept = t.xs.Take(t.cap).ToArray();
            var sorted = kept.OrderBy(x => x).ToArray();
            var s = stats.Summarize();
            Assert.That((stats.Count, stats.Overflow), Is.EqualTo((kept.Length, (ulong)(t.xs.Length - kept.Length))));
            Assert.That(s.Count, Is.EqualTo(kept.Length));
            if (kept.Length == 0)
            {
                Assert.That((s.Min, s.Median, s.P99, s.Max, s.Mean), Is.EqualTo((0UL, 0UL, 0UL, 0UL, 0UL)));
                return;
            }
            Assert.That((s.Min, s.Median, s.P99, s.Max, s.Mean),
                Is.EqualTo((sorted[0], NearestRank(sorted, 50), NearestRank(sorted, 99), sorted[^1], (ulong)(kept.Aggregate(0m, (a, x) => a + x) / kept.Length))));
            Assert.That(stats.Summarize(), Is.EqualTo(s), "summarizing sorts a copy: a second summary is the same");
        });

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(55,89)")]
    public Property Decimating_keeps_every_stride_th_sample_from_start_to_end() =>
        Prop.ForAll((from n in Gen.Choose(0, 3000) from cap in Gen.Choose(1, 300) select (cap, xs: Enumerable.Range(0, n).Select(i => (ulong)(i * 7919 % 1000)).ToArray())).ToArbitrary(), t =>
        {
            var stats = new LatencyStats(t.cap, decimate: true);
            foreach (ulong x in t.xs)
                stats.Add(x);
            ulong stride = stats.Stride;
            var kept = t.xs.Where((_, i) => (ulong)i % stride == 0).ToArray();
            Assert.That(stride & (stride - 1), Is.EqualTo(0UL), "a power of two");
            Assert.That(stats.Count, Is.EqualTo(kept.Length));
            Assert.That(stats.Count, Is.LessThanOrEqualTo(t.cap));
            Assert.That(stride == 1 || kept.Length * 2 >= t.cap, Is.True, "the stride grows only when it has to");
            Assert.That((stats.Offered, stats.Overflow), Is.EqualTo(((ulong)t.xs.Length, (ulong)(t.xs.Length - kept.Length))));
            var s = stats.Summarize();
            var sorted = kept.OrderBy(x => x).ToArray();
            if (kept.Length > 0)
                Assert.That((s.Min, s.Median, s.Max), Is.EqualTo((sorted[0], NearestRank(sorted, 50), sorted[^1])));
        });

    [FsCheck.NUnit.Property(MaxTest = 200, Replay = "(21,35)")]
    public Property Heapsort_sorts() =>
        Prop.ForAll(Gen.ArrayOf(TrafficFrameTests.U64).ToArbitrary(), xs =>
        {
            var a = (ulong[])xs.Clone();
            LatencyStats.Sort(a);
            Assert.That(a, Is.EqualTo(xs.OrderBy(x => x).ToArray()));
        });

    [Test]
    public void Nearest_rank_on_small_sets()
    {
        ulong[] one = { 7 }, two = { 1, 2 }, hundred = Enumerable.Range(1, 100).Select(i => (ulong)i).ToArray();
        Assert.That((LatencyStats.NearestRank(one, 50), LatencyStats.NearestRank(one, 99)), Is.EqualTo((7UL, 7UL)));
        Assert.That((LatencyStats.NearestRank(two, 50), LatencyStats.NearestRank(two, 99)), Is.EqualTo((1UL, 2UL)), "the lower median");
        Assert.That((LatencyStats.NearestRank(hundred, 50), LatencyStats.NearestRank(hundred, 99)), Is.EqualTo((50UL, 99UL)));
        Assert.That(LatencyStats.NearestRank(ReadOnlySpan<ulong>.Empty, 50), Is.EqualTo(0UL));
    }
}

public class TrafficTextTests
{
    [TestCase(0.0, 3, "0.000")]
    [TestCase(1.5, 0, "2")]
    [TestCase(12.3449, 3, "12.345")]
    [TestCase(0.0049, 2, "0.00")]
    [TestCase(9.9999, 3, "10.000")]
    [TestCase(-4.0, 1, "0.0")]
    [TestCase(double.NaN, 1, "0.0")]
    [TestCase(123456789.0, 1, "123456789.0")]
    public void Fixed(double value, int decimals, string text) => Assert.That(TrafficText.Fixed(value, decimals), Is.EqualTo(text));

    [Test]
    public void Rates_and_micros()
    {
        Assert.That(TrafficText.PerSecond(1_000, 2_000_000_000), Is.EqualTo(500UL));
        Assert.That(TrafficText.PerSecond(5, 0), Is.EqualTo(0UL));
        Assert.That(TrafficText.Gbps(125_000_000, 1_000_000_000), Is.EqualTo(1.0));
        Assert.That(TrafficText.Micros(12_345), Is.EqualTo("12.3"));
        Assert.That(TrafficText.Micros(12_350), Is.EqualTo("12.4"));
        Assert.That(TrafficText.Micros(0), Is.EqualTo("0.0"));
    }

    [Test]
    public void Key_value_arguments()
    {
        Assert.That(TrafficText.TrySplit("dst=00:16:3e:00:00:01", out string k, out string v) && k == "dst" && v == "00:16:3e:00:00:01", Is.True);
        Assert.That(TrafficText.TrySplit("count=", out k, out v) && k == "count" && v == "", Is.True);
        Assert.That(TrafficText.TrySplit("=5", out _, out _), Is.False);
        Assert.That(TrafficText.TrySplit("quiet", out _, out _), Is.False);
        Assert.That(TrafficText.TryParseUInt64("18446744073709551615", out ulong max) && max == ulong.MaxValue, Is.True);
        Assert.That(TrafficText.TryParseUInt64("18446744073709551616", out _), Is.False);
        Assert.That(TrafficText.TryParseUInt64("1e3", out _), Is.False);
    }
}

public class TrafficHotPathTests
{
    [Test]
    public void Building_verifying_tracking_and_sampling_allocate_nothing()
    {
        var frame = new byte[1514];
        var echo = new byte[60];
        var reply = new byte[60];
        var flow = TrafficFrameTests.Flow;
        var tracker = new SequenceTracker();
        var stats = new LatencyStats(64, decimate: true);
        void Round(ulong seq)
        {
            TrafficFrame.Write(frame, flow, seq, seq);
            TrafficFrame.Verify(frame, out var info);
            tracker.Track(info.Seq);
            stats.Add(info.TimestampNs);
            L2Echo.Write(echo, 1, 2, L2EchoType.Request, 3, seq, seq);
            L2Echo.WriteReply(echo, reply, 2);
            L2Echo.Parse(reply, out _);
        }
        Round(0);   // JIT and first-use costs out of the way
        stats.Summarize();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong seq = 1; seq < 1000; seq++)
            Round(seq);
        stats.Summarize();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        Assert.That((tracker.Received, tracker.Lost), Is.EqualTo((1000UL, 0UL)));
    }
}
