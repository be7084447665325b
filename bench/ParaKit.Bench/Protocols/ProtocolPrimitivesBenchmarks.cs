// Costs of the other protocol primitives both sides run on shared pages: raising and scanning
// event channels, the grant-entry life cycle, and a XenStore request through codec and byte ring.
// `make bench BENCH='*Primitives*'`.
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Store;

namespace ParaKit.Bench.Protocols;

[MemoryDiagnoser]
public unsafe class ProtocolPrimitivesBenchmarks
{
    private const int EventsPerInvoke = 64;
    private void* _page;
    private readonly byte[] _payload = new byte[128];
    private readonly byte[] _message = new byte[256];
    private readonly byte[] _into = new byte[256];

    [GlobalSetup]
    public void Setup()
    {
        _page = NativeMemory.AlignedAlloc(4096, 4096);
        NativeMemory.Clear(_page, 4096);
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_page);

    /// <summary>Hypervisor raises 64 ports spread over the bitmap; the guest demultiplexes them. Per event.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public int EventSetPendingAndScan()
    {
        SharedInfo* s = (SharedInfo*)_page;
        for (uint i = 0; i < EventsPerInvoke; i++)
        {
            EventChannelBits.SetPending(s, i * 61 % 4096);
        }
        int n = 0;
        var scan = EventChannelBits.BeginScan(s);
        while (scan.TryNext(out _))
        {
            n++;
        }
        return n;
    }

    /// <summary>Granter publishes, hypervisor acquires and releases (one copy's worth), granter revokes.</summary>
    [Benchmark]
    public bool GrantPublishAcquireReleaseRevoke()
    {
        GrantEntryV1* e = (GrantEntryV1*)_page + 8;
        GrantEntries.Publish(e, 1, 1234, readOnly: false);
        GrantEntries.TryAcquire(e, 1, write: true, out _);
        GrantEntries.Release(e, write: true);
        return GrantEntries.TryRevoke(e);
    }

    /// <summary>A guest encodes a WRITE, pushes it through the XenStore ring; xenstored reads and decodes it.</summary>
    [Benchmark]
    public int XenstoreWriteThroughRing()
    {
        var intf = (XenstoreDomainInterface*)_page;
        XsCodec.TryBuildWrite(_payload, "device/vif/0/state"u8, "4"u8, out int plen);
        XsCodec.TryEncode(_message, XsdSockMsgType.Write, 7, 0, _payload.AsSpan(0, plen), out int mlen);
        XenstoreRing.WriteRequest(intf, _message.AsSpan(0, mlen), out _);
        XenstoreRing.ReadRequest(intf, _into, out int read);
        XsCodec.TryDecode(_into.AsSpan(0, read), out _, out var payload, out _);
        XsCodec.TryParseWrite(payload, out var path, out _);
        return path.Length;
    }
}
