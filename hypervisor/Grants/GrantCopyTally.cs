// Domain 0's grant copies of one direction, counted by the thread that makes them until the end
// of its batch (a netback TX pass or RX flush). One batch then adds to the table's shared counters
// once and writes one trace record (GrantTable.EndCopyBatch), instead of two interlocked adds and
// one record per copy: at 64-byte frames a copy is ~0.2 µs, and per-copy records filled the trace
// buffers at over a million records a second. While tracing grants, the first copy of a batch and
// every TimingStride-th after it are timed (two rdtsc each) and the batch's cycles are scaled up
// from them: timing every copy cost four rdtsc per forwarded 64-byte frame. One writer (the
// batch's thread), so plain fields.
namespace ParaKit.Hypervisor.Grants;

public struct GrantCopyTally
{
    /// <summary>Successful copies since the last <see cref="GrantTable.EndCopyBatch"/>.</summary>
    public long Copies;
    /// <summary>Bytes those copies moved.</summary>
    public long Bytes;
    /// <summary>TSC cycles of the copies that were timed, entry checks included.</summary>
    public ulong Cycles;
    /// <summary>Copies that were timed (tracing grants when they started, and sampled).</summary>
    public long TimedCopies;

    /// <summary>One copy in this many is timed (a power of two).</summary>
    public const int TimingStride = 8;

    public readonly bool IsEmpty => Copies == 0;

    /// <summary>Is the next copy one to time? The first of a batch and every <see cref="TimingStride"/>-th after it.</summary>
    public readonly bool TimeNext => (Copies & (TimingStride - 1)) == 0;

    /// <summary>The batch's copy cycles: the timed copies' cycles scaled to all copies (0 if none was timed).</summary>
    public readonly ulong EstimatedCycles => TimedCopies == 0 ? 0
        : TimedCopies == Copies ? Cycles : (ulong)(Cycles * (double)Copies / TimedCopies);
}
