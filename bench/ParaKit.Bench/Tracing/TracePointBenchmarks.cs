// What a trace point costs on a hot path: the call site exactly as Vcpu's run loop writes it
// (`if (TracePoint.On) TracePoint.Exit(...)`), 1024 times per invocation, with tracing off, on
// (a record into this thread's buffer, emptied before each invocation so no record is lost), and
// on with a full buffer (the record is counted lost). "loop only" is the same loop without the
// point, and rdtsc / Stopwatch are the timestamps a record could use. DESIGN.md's budget: under
// 1 ns off, 25-30 ns on. `make bench BENCH='*TracePoint*'`.
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using ParaKit.Hypervisor.Native;
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Bench.Tracing;

public class TracePointBenchmarks
{
    private const int Points = 1024;
    private TraceSession? _session;

    [GlobalSetup(Targets = [nameof(On)])]
    public void StartRecording() => _session = TraceSession.Start(Points);

    [GlobalSetup(Targets = [nameof(OnBufferFull)])]
    public void StartRecordingIntoAFullBuffer()
    {
        _session = TraceSession.Start(1);
        TracePoint.EventSend(1, 0);
    }

    [GlobalCleanup]
    public void StopRecording()
    {
        if (_session is null)
            return;
        var capture = _session.Stop();
        Console.WriteLine($"// recorded {capture.Records} records, {capture.Lost} lost, over {capture.Threads.Count} thread(s)");
        _session = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Points, Description = "loop only (no trace point)")]
    public ulong LoopOnly()
    {
        ulong sum = 0;
        for (uint i = 0; i < Points; i++)
            sum += i;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Points, Description = "trace point, tracing off")]
    public ulong Off() => RunPoints();

    [Benchmark(OperationsPerInvoke = Points, Description = "trace point, tracing on (record stored)")]
    public ulong On()
    {
        TracePoint.RewindCurrentThread();
        return RunPoints();
    }

    [Benchmark(OperationsPerInvoke = Points, Description = "trace point, tracing on, buffer full (record lost)")]
    public ulong OnBufferFull() => RunPoints();

    /// <summary>The call site as the vCPU run loop writes it; the three cases differ only in setup.</summary>
    private static ulong RunPoints()
    {
        ulong sum = 0;
        for (uint i = 0; i < Points; i++)
        {
            if (TracePoint.On)
                TracePoint.Exit(1, i, sum);
            sum += i;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Points, Description = "rdtsc (NativeCode.Rdtsc) alone")]
    public ulong Rdtsc()
    {
        ulong sum = 0;
        for (uint i = 0; i < Points; i++)
            sum += NativeCode.Rdtsc();
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Points, Description = "Stopwatch.GetTimestamp alone")]
    public long StopwatchTimestamp()
    {
        long sum = 0;
        for (uint i = 0; i < Points; i++)
            sum += Stopwatch.GetTimestamp();
        return sum;
    }
}
