// One recording: it switches the trace points on, hands each thread that writes a record a buffer
// of its own (registered once, under a lock, on the thread's first record), and at the end switches
// them off and collects every buffer into a TraceCapture. One session at a time per process.
using System.Diagnostics;
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Tracing;

/// <summary>When a session started, on three clocks read back to back: the TSC the records use,
/// the wall clock (ns since the Unix epoch) and CLOCK_MONOTONIC (ns; Stopwatch on Linux, and the
/// clock EventPipe stamps .nettrace events with), so other traces can be joined on one time base.</summary>
public readonly record struct TraceTimeBase(ulong Tsc, long RealtimeNs, long MonotonicNs)
{
    public static TraceTimeBase Now()
    {
        long mono = Stopwatch.GetTimestamp();
        ulong tsc = NativeCode.Rdtsc();
        long real = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        return new TraceTimeBase(tsc, real, (long)(mono * (1e9 / Stopwatch.Frequency)));
    }
}

public sealed class TraceSession : IDisposable
{
    /// <summary>Records per thread unless asked otherwise: 1 Mi records, 32 MiB of address space
    /// (touched only as it fills), about 10 s of a busy vCPU at 100 k records/s.</summary>
    public const int DefaultRecordsPerThread = 1 << 20;
    /// <summary>The largest buffer a thread may get (2 GiB of records would not fit one array).</summary>
    public const int MaxRecordsPerThread = 1 << 26;

    private static readonly Lock s_startLock = new();
    private readonly Lock _lock = new();
    private readonly List<TraceBuffer> _buffers = [];
    private TraceCapture? _capture;

    public int RecordsPerThread { get; }
    public TraceTimeBase Started { get; }
    /// <summary>The classes of events this session records; points of other classes record nothing.</summary>
    public TraceClasses Classes { get; }

    private TraceSession(int recordsPerThread, TraceClasses classes)
    {
        RecordsPerThread = recordsPerThread;
        Classes = classes;
        Started = TraceTimeBase.Now();
    }

    /// <summary>Switches the trace points of <paramref name="classes"/> on. Throws if another session is recording.</summary>
    public static TraceSession Start(int recordsPerThread = DefaultRecordsPerThread, TraceClasses classes = TraceClasses.All)
    {
        if (recordsPerThread < 1 || recordsPerThread > MaxRecordsPerThread)
            throw new ArgumentOutOfRangeException(nameof(recordsPerThread), $"records per thread must be 1..{MaxRecordsPerThread}");
        classes &= TraceClasses.All;
        if (classes == TraceClasses.None)
            throw new ArgumentOutOfRangeException(nameof(classes), "a session records at least one class of events");
        lock (s_startLock)
        {
            if (TracePoint.Session is not null)
                throw new InvalidOperationException("a trace session is already recording in this process");
            var session = new TraceSession(recordsPerThread, classes);
            TracePoint.Begin(session);
            return session;
        }
    }

    /// <summary>A buffer for <paramref name="thread"/>'s records, or null once the session has
    /// stopped (or if 65536 threads already have one: the file's thread index is 16 bits).</summary>
    internal TraceBuffer? NewBuffer(Thread thread)
    {
        lock (_lock)
        {
            if (_capture is not null || _buffers.Count > ushort.MaxValue)
                return null;
            var b = new TraceBuffer(this, (ushort)_buffers.Count, ThreadName(thread), RecordsPerThread);
            _buffers.Add(b);
            return b;
        }
    }

    private static string ThreadName(Thread thread) =>
        thread.Name ?? (thread.ManagedThreadId == 1 ? "main" : $"thread {thread.ManagedThreadId}");

    /// <summary>Switches the trace points off and collects every thread's records. A thread that
    /// was inside a point at that moment may still finish its record; it is not collected. Calling
    /// it again returns the same capture.</summary>
    public TraceCapture Stop()
    {
        lock (s_startLock)
            TracePoint.End(this);
        lock (_lock)
        {
            if (_capture is not null)
                return _capture;
            ulong endTsc = NativeCode.Rdtsc();
            var threads = _buffers.Select(b => new TraceThreadCapture(b.Index, b.ThreadName, b.Records, Volatile.Read(ref b.Count), Volatile.Read(ref b.Lost))).ToList();
            _capture = new TraceCapture(Started, endTsc, TscHz(), RecordsPerThread, threads) { Classes = Classes, Devices = TraceDevices.All() };
            return _capture;
        }
    }

    /// <summary>The TSC's frequency: from KVM_GET_TSC_KHZ once a domain was built, else calibrated.</summary>
    private static ulong TscHz()
    {
        _ = Time.SystemClock.Scale;
        return Time.SystemClock.TscKhz * 1000;
    }

    public void Dispose() => Stop();
}

/// <summary>One thread's records as collected at the end of a session.</summary>
public sealed class TraceThreadCapture(ushort index, string name, TraceRecord[] records, int count, long lost)
{
    public ushort Index { get; } = index;
    public string Name { get; } = name;
    public ReadOnlySpan<TraceRecord> Records => records.AsSpan(0, count);
    public int Count => count;
    public long Lost { get; } = lost;
}

/// <summary>Everything a session recorded: per-thread records in the order each thread wrote them.</summary>
public sealed class TraceCapture(TraceTimeBase started, ulong endTsc, ulong tscHz, int recordsPerThread, IReadOnlyList<TraceThreadCapture> threads)
{
    public TraceTimeBase Started { get; } = started;
    public ulong EndTsc { get; } = endTsc;
    public ulong TscHz { get; } = tscHz;
    public int RecordsPerThread { get; } = recordsPerThread;
    public IReadOnlyList<TraceThreadCapture> Threads { get; } = threads;
    /// <summary>The classes of events recorded (the others are absent from the capture, not zero).</summary>
    public TraceClasses Classes { get; init; } = TraceClasses.All;
    /// <summary>The devices registered for tracing (their names and register names).</summary>
    public IReadOnlyList<TraceDevice> Devices { get; init; } = [];
    public long Records => Threads.Sum(t => (long)t.Count);
    public long Lost => Threads.Sum(t => t.Lost);
}
