// Domain 0's grant copy (GrantTable.TryCopyFromGuest / TryCopyToGuest, what a backend such as
// netback calls per packet) against a plain Span.CopyTo of the same bytes, so the report's
// ratio column is the price of the grant checks: the lifetime read lock, the entry claim with
// its pin count and flag, the frame check, and the release (set-up: GrantedPage).
// `make bench BENCH='*GrantCopy*'`.
using BenchmarkDotNet.Attributes;
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Grants;

namespace ParaKit.Bench.Grants;

[MemoryDiagnoser]
public unsafe class GrantCopyBenchmarks
{
    private const uint Gref = GrantedPage.Gref;
    private const ulong DataFrame = GrantedPage.DataFrame;

    private GuestMemory _memory = null!;
    private GrantTable _grants = null!;
    private byte[] _local = null!;

    /// <summary>64 B: a small control message; 1500 B: an Ethernet frame; 4096 B: a whole page.</summary>
    [Params(64, 1500, 4096)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_memory, _grants) = GrantedPage.Create("bench-grants");
        _local = new byte[4096];
        Random.Shared.NextBytes(_local);
        // Fail here, not with a silent fast error path in every iteration.
        if (_grants.TryCopyToGuest(Gref, 0, _local.AsSpan(0, Size)) != GrantStatus.Okay
            || _grants.TryCopyFromGuest(Gref, 0, _local.AsSpan(0, Size)) != GrantStatus.Okay)
            throw new InvalidOperationException("the grant does not work");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// domain-0 copies: {_grants.Domain0Copies}, bytes: {_grants.Domain0CopyBytes}");
        _grants.Detach();
        _memory.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Span.CopyTo (guest page -> local)")]
    public void SpanCopy() => _memory.Slice(DataFrame * 4096, Size).CopyTo(_local);

    [Benchmark(Description = "TryCopyFromGuest")]
    public short CopyFromGuest() => _grants.TryCopyFromGuest(Gref, 0, _local.AsSpan(0, Size));

    [Benchmark(Description = "TryCopyToGuest")]
    public short CopyToGuest() => _grants.TryCopyToGuest(Gref, 0, _local.AsSpan(0, Size));
}
