// XenStore operations in process, without KVM: what domain 0 spends per request in the store
// itself (XenStore.Process on pre-encoded payloads), through LocalStoreClient (the API domain 0's
// own code uses, which adds encoding, decoding and strings), and through a guest's ring
// connection over an in-memory xenstore_domain_interface page (the guest side is played here:
// it writes the request bytes and reads the reply back). Allocations matter: the store runs on
// one thread for every domain. `make bench BENCH='*XenStore*'`.
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Bench.Store;

[MemoryDiagnoser]
public unsafe class XenStoreBenchmarks
{
    private const string Data = "/local/domain/1/data";

    private XenStore _store = null!;
    private LocalStoreClient _xs = null!;
    private LocalStoreClient _watcher = null!;
    private StoreConnection _raw = null!;
    private byte[] _readPayload = null!, _writePayload = null!;
    private int _fired;

    private XenstoreDomainInterface* _page;
    private RingConnection _ring = null!;
    private byte[] _ringRequest = null!;
    private readonly byte[] _ringReply = new byte[XsLimits.MessageMax];

    [GlobalSetup]
    public void Setup()
    {
        _store = new XenStore();
        _store.IntroduceDomain(1, "guest", 4096);
        _xs = new LocalStoreClient(_store);
        // A directory of realistic size: a vif frontend has about ten entries.
        for (int i = 0; i < 10; i++)
            _xs.Write($"{Data}/dir/entry{i}", "value" + i);
        _xs.Write(Data + "/key", "some-value-of-moderate-length");
        _xs.Write(Data + "/watched", "0");

        // A second client watches, so a fired watch crosses connections as a backend's would.
        _watcher = new LocalStoreClient(_store, 0, "watcher");
        _watcher.Watch(Data + "/watched", "tok", (_, _) => _fired++);

        _raw = new StoreConnection(0, "raw");
        _store.Attach(_raw);
        _readPayload = Encoding.ASCII.GetBytes(Data + "/key\0");
        _writePayload = Encoding.ASCII.GetBytes(Data + "/key\0some-value-of-moderate-length");

        // The guest's page, as domain 0 initialises it at domain creation.
        _page = (XenstoreDomainInterface*)NativeMemory.AlignedAlloc(4096, 4096);
        NativeMemory.Clear(_page, 4096);
        RingConnection.InitPage(_page, 1);
        _ring = new RingConnection(_store, 1, "guest", _page, new ActionNotifier(() => { }));
        _store.Attach(_ring);
        byte[] p = Encoding.ASCII.GetBytes("data/key\0"); // relative, as guests usually ask
        _ringRequest = new byte[XsdSockMsg.Size + p.Length];
        XsCodec.TryEncode(_ringRequest, XsdSockMsgType.Read, 1, 0, p, out _);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// watch callbacks: {_fired}, store requests: {_store.Stats.Requests}, errors: {_store.Stats.Errors}, internal errors: {_store.Stats.InternalErrors}");
        _xs.Dispose();
        _watcher.Dispose();
        _store.Close(_raw);
        _store.Close(_ring);
        NativeMemory.AlignedFree(_page);
    }

    // ---- the store's request handler, payloads encoded once ----

    [Benchmark(Description = "Process READ (handler only)")]
    public int ProcessRead() => ProcessOne(XsdSockMsgType.Read, _readPayload);

    [Benchmark(Description = "Process WRITE (handler only)")]
    public int ProcessWrite() => ProcessOne(XsdSockMsgType.Write, _writePayload);

    private int ProcessOne(XsdSockMsgType type, byte[] payload)
    {
        var h = new XsdSockMsg { Type = (uint)type, ReqId = 1, Len = (uint)payload.Length };
        _store.Process(_raw, h, payload);
        // The transport's share: take the reply off the outbox (a socket would write it).
        return _raw.TakeOutput()!.Length;
    }

    // ---- LocalStoreClient, as domain 0's backends call it ----

    [Benchmark(Description = "LocalStoreClient READ")]
    public string? Read() => _xs.Read(Data + "/key");

    [Benchmark(Description = "LocalStoreClient WRITE")]
    public XsError Write() => _xs.Write(Data + "/key", "some-value-of-moderate-length");

    [Benchmark(Description = "LocalStoreClient DIRECTORY (10 entries)")]
    public string[]? Directory() => _xs.Directory(Data + "/dir");

    [Benchmark(Description = "transaction: start, read, write, commit")]
    public XsError Transaction()
    {
        var (err, tx) = _xs.TransactionStart();
        if (err != XsError.None)
            return err;
        _xs.Read(Data + "/key", tx);
        _xs.Write(Data + "/key", "some-value-of-moderate-length", tx);
        return _xs.TransactionEnd(tx, commit: true);
    }

    [Benchmark(Description = "WRITE that fires a watch (callback run)")]
    public XsError WriteFiringWatch() => _xs.Write(Data + "/watched", "1");

    // ---- a guest's ring connection over an in-memory page ----

    [Benchmark(Description = "ring: guest READ request -> Service -> reply read back")]
    public int RingRead()
    {
        XenstoreRing.WriteRequest(_page, _ringRequest, out _);
        _ring.Service();
        int have = 0;
        if (XenstoreMessageReader.ReadResponse(_page, _ringReply, ref have, out _, out int len) != XsDecodeStatus.Ok)
            throw new InvalidOperationException("no reply in the ring");
        return len;
    }
}
