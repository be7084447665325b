// Domain 0's share of an event-channel send between two domains (EventChannels.Send from one
// port table into the other's shared_info), without KVM: two port tables in one directory over
// pages allocated here, as tests/ParaKit.Tests/Events builds them. The receiver's wake-up is a
// real eventfd write, as for a blocked vCPU, so the edge case includes that syscall. Three
// cases: the receiving port masked, unmasked (a 0->1 edge), and already pending (merged).
// The masked and edge cases clear the pending bit after each send, as the guest would when it
// handles the event, so every send sees the same state; "bits only" is the shared_info work
// alone (set + clear), so the rest is the port table, its lock and the wake-up.
// `make bench BENCH='*EventChannel*'`.
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Events;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Bench.Events;

[MemoryDiagnoser]
public unsafe class EventChannelBenchmarks
{
    private SharedInfo* _sharedA, _sharedB;
    private EventChannels _a = null!, _b = null!;
    private Waker _waker = null!;
    private uint _aPort, _bPort, _aMaskedPort, _bToMasked;
    private const uint SparePort = 100;

    [GlobalSetup]
    public void Setup()
    {
        _sharedA = (SharedInfo*)NativeMemory.AlignedAlloc(4096, 4096);
        _sharedB = (SharedInfo*)NativeMemory.AlignedAlloc(4096, 4096);
        NativeMemory.Clear(_sharedA, 4096);
        NativeMemory.Clear(_sharedB, 4096);
        // Nobody drains this eventfd: its counter saturates only after 2^64 - 2 signals, and an
        // [IterationCleanup] to drain it would make BenchmarkDotNet run one call per iteration.
        _waker = new Waker();
        var dir = new EventChannelDirectory();
        _a = new EventChannels(1, _sharedA, _waker.Signal);
        _b = new EventChannels(2, _sharedB, () => { });
        dir.Add(_a);
        dir.Add(_b);
        // Two channels from B to A: one A leaves unmasked, one A masks.
        Check(_a.AllocUnbound(DomId.Self, 2, out _aPort));
        Check(_b.BindInterdomain(1, _aPort, out _bPort));
        Check(_a.AllocUnbound(DomId.Self, 2, out _aMaskedPort));
        Check(_b.BindInterdomain(1, _aMaskedPort, out _bToMasked));
        EventChannelBits.Mask(_sharedA, _aMaskedPort);
        EventChannelBits.ClearPending(_sharedA, _aPort);
        EventChannelBits.ClearPending(_sharedA, _aMaskedPort);
    }

    private static void Check(long rc)
    {
        if (rc != 0)
            throw new InvalidOperationException("event channel setup failed: " + rc);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// sends by B: {_b.Sends}, deliveries to A: {_a.Deliveries}");
        _a.Detach();
        _b.Detach();
        _waker.Dispose();
        NativeMemory.AlignedFree(_sharedA);
        NativeMemory.AlignedFree(_sharedB);
    }

    /// <summary>The shared_info bits alone (set with the edge rule, then clear) on a port the
    /// table never looks at: what is left of a send without the port table, its lock and the wake.</summary>
    [Benchmark(Description = "bits only: SetPending + ClearPending (no table, no wake)")]
    public bool BitsOnly()
    {
        EventChannelBits.SetPending(_sharedA, SparePort);
        return EventChannelBits.ClearPending(_sharedA, SparePort);
    }

    [Benchmark(Description = "send to a masked port (+ clear)")]
    public bool SendMasked()
    {
        _b.Send(_bToMasked);
        return EventChannelBits.ClearPending(_sharedA, _aMaskedPort);
    }

    [Benchmark(Description = "send to an unmasked port: edge, eventfd wake (+ clear)")]
    public bool SendEdge()
    {
        _b.Send(_bPort);
        return EventChannelBits.ClearPending(_sharedA, _aPort);
    }

    [Benchmark(Description = "send to an already-pending port: merged")]
    public long SendMerged()
    {
        // The first send of the iteration makes the edge; the rest merge into it.
        return _b.Send(_bPort);
    }
}
