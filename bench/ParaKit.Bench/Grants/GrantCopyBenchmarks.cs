// Domain 0's grant copy (GrantTable.TryCopyFromGuest / TryCopyToGuest, what a backend such as
// netback calls per packet) against a plain Span.CopyTo of the same bytes, so the report's
// ratio column is the price of the grant checks: the lifetime read lock, the entry claim with
// its pin count and flag, the frame check, and the release. Built as the tests build a domain
// without KVM: memfd guest memory with the standard layout and its grant table.
// `make bench BENCH='*GrantCopy*'`.
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Grants;

namespace ParaKit.Bench.Grants;

[MemoryDiagnoser]
public unsafe class GrantCopyBenchmarks
{
    private const uint Gref = 5;
    /// <summary>A heap page of a 4 MiB domain (0x300000), which the guest itself may write.</summary>
    private const ulong DataFrame = 0x300;

    private GuestMemory _memory = null!;
    private GrantTable _grants = null!;
    private byte[] _local = null!;

    /// <summary>64 B: a small control message; 1500 B: an Ethernet frame; 4096 B: a whole page.</summary>
    [Params(64, 1500, 4096)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var layout = MemoryLayout.Plan(4 << 20, 0x100000, 0x110000);
        _memory = GuestMemory.Allocate(layout.MemoryBytes, "bench-grants");
        _memory.SetWritableRanges(layout.WritableRanges());
        _grants = new GrantTable(1, _memory);
        var entry = (GrantEntryV1*)Unsafe.AsPointer(ref _memory.RefAt<GrantEntryV1>(GrantTable.FrameAddress + Gref * 8));
        // Granted read-write to domain 0, as a netfront rx buffer is.
        GrantEntries.Publish(entry, GrantCopier.Domain0, (uint)DataFrame, readOnly: false);
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
