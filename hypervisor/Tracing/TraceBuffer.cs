// One thread's records in one trace session. Exactly one thread writes it (the record path in
// TracePoint), so its count and lost counter are plain fields; the collector reads Count once,
// after recording has stopped.
namespace ParaKit.Hypervisor.Tracing;

internal sealed class TraceBuffer
{
    internal readonly TraceRecord[] Records;
    /// <summary>Records written; only the owning thread writes it.</summary>
    internal int Count;
    /// <summary>Records that found the buffer full; only the owning thread writes it.</summary>
    internal long Lost;
    /// <summary>The thread's index in the trace file's thread table.</summary>
    internal readonly ushort Index;
    internal readonly string ThreadName;
    internal readonly TraceSession Session;

    internal TraceBuffer(TraceSession session, ushort index, string threadName, int capacity)
    {
        Session = session;
        Index = index;
        ThreadName = threadName;
        // Uninitialized: the kernel hands out zero pages on first touch, so a large buffer a
        // thread never fills costs address space, not memory.
        Records = GC.AllocateUninitializedArray<TraceRecord>(capacity);
    }
}
