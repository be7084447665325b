// Latency samples in a fixed-capacity array and their summary (min, median, p99, max, mean).
// Both arrays are allocated up front, so recording a sample and summarizing allocate nothing
// and a long run cannot grow the heap. When the array is full, samples are either counted and
// dropped, or (decimating) every other kept sample is dropped and from then on only every
// second one offered is kept, so a long run is sampled evenly from start to end, not only
// at its start.
using System;

namespace ParaKit.Net.Traffic;

/// <summary>Percentiles are nearest-rank: the smallest sample with at least p% of the samples
/// at or below it (the median of an even count is the lower middle one).</summary>
public struct LatencySummary
{
    public int Count;
    public ulong Min, Median, P99, Max, Mean;

    /// <summary>" {prefix}min_us=… {prefix}median_us=… {prefix}p99_us=… {prefix}max_us=…", as the
    /// apps' done lines print a distribution (bench scripts parse these keys).</summary>
    public readonly string PercentilesText(string prefix) =>
        " " + prefix + "min_us=" + TrafficText.Micros(Min) + " " + prefix + "median_us=" + TrafficText.Micros(Median)
        + " " + prefix + "p99_us=" + TrafficText.Micros(P99) + " " + prefix + "max_us=" + TrafficText.Micros(Max);
}

public sealed class LatencyStats
{
    private readonly ulong[] _samples;
    private readonly ulong[] _sorted;
    private readonly bool _decimate;
    private int _count;

    /// <param name="capacity">Samples kept at most (at least 1).</param>
    /// <param name="decimate">When full, thin out instead of dropping the newest (see above).</param>
    public LatencyStats(int capacity, bool decimate = false)
    {
        if (capacity < 1)
            capacity = 1;
        _samples = new ulong[capacity];
        _sorted = new ulong[capacity];
        _decimate = decimate;
        Stride = 1;
    }

    public int Capacity => _samples.Length;
    /// <summary>Samples kept.</summary>
    public int Count => _count;
    /// <summary>Samples offered to <see cref="Add"/>.</summary>
    public ulong Offered { get; private set; }
    /// <summary>Samples offered but not kept.</summary>
    public ulong Overflow => Offered - (ulong)_count;
    /// <summary>Decimating: the kept samples are those offered at indices that are multiples
    /// of Stride (a power of two). Always 1 otherwise.</summary>
    public ulong Stride { get; private set; }

    /// <summary>Records one sample; false when it is not kept.</summary>
    public bool Add(ulong sample)
    {
        ulong index = Offered++;
        if ((index & (Stride - 1)) != 0)
            return false;
        if (_count == _samples.Length)
        {
            if (!_decimate)
                return false;
            // Keep offered indices that are multiples of 2 * Stride: the even positions.
            int kept = 0;
            for (int i = 0; i < _count; i += 2)
                _samples[kept++] = _samples[i];
            _count = kept;
            Stride *= 2;
            if ((index & (Stride - 1)) != 0)
                return false;
        }
        _samples[_count++] = sample;
        return true;
    }

    public void Clear()
    {
        _count = 0;
        Offered = 0;
        Stride = 1;
    }

    /// <summary>Sorts a copy (the samples keep their arrival order) and reads the summary.</summary>
    public LatencySummary Summarize()
    {
        var summary = new LatencySummary { Count = _count };
        if (_count == 0)
            return summary;
        Span<ulong> sorted = new Span<ulong>(_sorted, 0, _count);
        new ReadOnlySpan<ulong>(_samples, 0, _count).CopyTo(sorted);
        Sort(sorted);
        ulong sum = 0;
        for (int i = 0; i < sorted.Length; i++)
            sum += sorted[i];
        summary.Min = sorted[0];
        summary.Max = sorted[sorted.Length - 1];
        summary.Median = NearestRank(sorted, 50);
        summary.P99 = NearestRank(sorted, 99);
        summary.Mean = sum / (ulong)sorted.Length;
        return summary;
    }

    /// <summary>The nearest-rank percentile of sorted samples (0 for none).</summary>
    public static ulong NearestRank(ReadOnlySpan<ulong> sorted, int percent)
    {
        int n = sorted.Length;
        if (n == 0)
            return 0;
        if (percent <= 0)
            return sorted[0];
        if (percent >= 100)
            return sorted[n - 1];
        long rank = ((long)percent * n + 99) / 100;   // ceil(p * n / 100), 1-based
        return sorted[(int)rank - 1];
    }

    /// <summary>Heapsort: in place, O(n log n) at worst, no recursion or extra memory (there is
    /// no Array.Sort in the guest).</summary>
    public static void Sort(Span<ulong> a)
    {
        int n = a.Length;
        for (int i = n / 2 - 1; i >= 0; i--)
            SiftDown(a, i, n);
        for (int end = n - 1; end > 0; end--)
        {
            ulong top = a[0];
            a[0] = a[end];
            a[end] = top;
            SiftDown(a, 0, end);
        }
    }

    private static void SiftDown(Span<ulong> a, int root, int n)
    {
        ulong v = a[root];
        while (true)
        {
            int child = 2 * root + 1;
            if (child >= n)
                break;
            if (child + 1 < n && a[child + 1] > a[child])
                child++;
            if (a[child] <= v)
                break;
            a[root] = a[child];
            root = child;
        }
        a[root] = v;
    }
}
