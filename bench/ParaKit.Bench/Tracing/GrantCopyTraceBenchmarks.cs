// What tracing adds to domain 0's grant copies as netback makes them: a batch of 64 copies of
// 64 bytes (a busy TX pass at 64-byte frames) through GrantTable's backend copy with a tally, then
// EndCopyBatch, with tracing off and with every class on. On, the first copy of the batch and
// every 8th are timed (two rdtsc each) and the batch writes one GrantCopyBatch record; before,
// every copy was timed and wrote its own record. Reported per copy. `make bench BENCH='*GrantCopyTrace*'`.
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Memory;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Grants;

namespace ParaKit.Bench.Tracing;

public unsafe class GrantCopyTraceBenchmarks
{
    private const int Copies = 64, Bytes = 64;
    private const uint Gref = ParaKit.Bench.Grants.GrantedPage.Gref;

    private GuestMemory _memory = null!;
    private GrantTable _grants = null!;
    private byte[] _local = null!;
    private TraceSession? _session;

    [GlobalSetup]
    public void Setup()
    {
        (_memory, _grants) = ParaKit.Bench.Grants.GrantedPage.Create("bench-grant-trace");
        _local = new byte[Bytes];
        if (Batch() != Copies)
            throw new InvalidOperationException("the grant does not work");
    }

    [GlobalSetup(Target = nameof(TracingOn))]
    public void SetupTraced()
    {
        Setup();
        _session = TraceSession.Start(1024);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_session is { } s)
        {
            var capture = s.Stop();
            Console.WriteLine($"// recorded {capture.Records} records, {capture.Lost} lost");
        }
        Console.WriteLine($"// domain-0 copies: {_grants.Domain0Copies}");
        _grants.Detach();
        _memory.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Copies, Description = "64 B grant copy in a batch of 64, tracing off")]
    public int TracingOff() => Batch();

    [Benchmark(OperationsPerInvoke = Copies, Description = "64 B grant copy in a batch of 64, tracing on (all classes)")]
    public int TracingOn()
    {
        TracePoint.RewindCurrentThread();
        return Batch();
    }

    private int Batch()
    {
        var tally = new GrantCopyTally();
        int ok = 0;
        for (int i = 0; i < Copies; i++)
            ok += _grants.TryCopyFromGuestForBackend(Gref, 0, _local, ref tally) == GrantStatus.Okay ? 1 : 0;
        _grants.EndCopyBatch(ref tally, toGuest: false);
        return ok;
    }
}
