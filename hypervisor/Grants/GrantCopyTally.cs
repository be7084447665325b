// Domain 0's grant copies of one direction, counted by the thread that makes them until the end
// of its batch (a netback TX pass or RX flush). One batch then adds to the table's shared counters
// once and writes one trace record (GrantTable.EndCopyBatch), instead of two interlocked adds and
// one record per copy: at 64-byte frames a copy is ~0.2 µs, and per-copy records filled the trace
// buffers at over a million records a second. One writer (the batch's thread), so plain fields.
namespace ParaKit.Hypervisor.Grants;

public struct GrantCopyTally
{
    /// <summary>Successful copies since the last <see cref="GrantTable.EndCopyBatch"/>.</summary>
    public long Copies;
    /// <summary>Bytes those copies moved.</summary>
    public long Bytes;
    /// <summary>TSC cycles of the copies that were timed (tracing grants when they started),
    /// entry checks included.</summary>
    public ulong Cycles;

    public readonly bool IsEmpty => Copies == 0;
}
