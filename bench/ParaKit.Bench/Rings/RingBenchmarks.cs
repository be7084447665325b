// Shared-ring micro-benchmarks: the cost per request of the io/ring.h protocol itself in one
// thread (no notification cost), and the two-thread throughput of the ring demo with real
// sleeps and wake-ups, reporting notifications per request. `make bench BENCH='*Ring*'`.
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using ParaKit.Hypervisor.Demo;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;

namespace ParaKit.Bench.Rings;

/// <summary>One thread plays both sides: push a batch, publish, consume, answer, publish, reap.
/// Reported per request.</summary>
[MemoryDiagnoser]
public unsafe class RingPushConsumeBenchmarks
{
    private const int RequestsPerInvoke = 4096;
    private void* _page;
    private FrontRing<NetifTxRequest, NetifTxResponse> _front;
    private BackRing<NetifTxRequest, NetifTxResponse> _back;
    private long _notifies, _requests;

    [Params(1, 32, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _page = NativeMemory.AlignedAlloc(4096, 4096);
        NativeMemory.Clear(_page, 4096);
        _front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(_page);
        _back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(_page);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// batch {Batch}: {(double)_notifies / Math.Max(1, _requests):F4} notifies per request (both directions, single thread)");
        NativeMemory.AlignedFree(_page);
    }

    [Benchmark(OperationsPerInvoke = RequestsPerInvoke)]
    public int PushAndConsume()
    {
        int notifies = 0;
        int batch = Batch;
        for (int done = 0; done < RequestsPerInvoke; done += batch)
        {
            for (int i = 0; i < batch; i++)
            {
                _front.TryPushRequest(new NetifTxRequest { Gref = (uint)(done + i), Id = (ushort)i, Size = 60 });
            }
            if (_front.PushRequestsAndCheckNotify())
            {
                notifies++;
            }
            while (_back.TryTakeRequest(out NetifTxRequest req))
            {
                _back.TryPushResponse(new NetifTxResponse { Id = req.Id, Status = NetifStatus.Okay });
            }
            if (_back.PushResponsesAndCheckNotify())
            {
                notifies++;
            }
            _back.FinalCheckForRequests();
            while (_front.TryTakeResponse(out _))
            {
            }
            _front.FinalCheckForResponses();
        }
        _notifies += notifies;
        _requests += RequestsPerInvoke;
        return notifies;
    }
}

/// <summary>A frontend thread and a backend thread over one ring page (the `parakit demo ring`
/// engine): semaphores for notifications, each side sleeping only after its final check.
/// Reported per request; notifications per request are printed at cleanup.</summary>
public class RingTwoThreadBenchmarks
{
    private const int Requests = 200_000;
    private long _requests, _requestNotifies, _responseNotifies, _failures;

    [Params(1, 32, 256)]
    public int Batch { get; set; }

    [GlobalCleanup]
    public void Cleanup()
    {
        double n = Math.Max(1, _requests);
        Console.WriteLine($"// batch {Batch}: {_requestNotifies / n:F4} request notifies and {_responseNotifies / n:F4} response notifies per request " +
            $"({_requests / Math.Max(1.0, _requestNotifies):F1} requests per notify) over {_requests:N0} requests, {_failures} failed runs");
    }

    [Benchmark(OperationsPerInvoke = Requests)]
    public long Transfer()
    {
        RingDemoResult r = RingDemo.Transfer(Requests, Batch);
        _requests += r.Requests;
        _requestNotifies += r.RequestNotifies;
        _responseNotifies += r.ResponseNotifies;
        if (!r.Ok)
        {
            _failures++;
        }
        return r.RequestNotifies;
    }
}

/// <summary>The same two threads at lower offered load: the frontend pushes one request, then
/// waits <see cref="GapMicroseconds"/> before the next. As the gap grows past the backend's
/// wake-up time, batching disappears and every request costs a notification and a wake-up: the
/// trade-off behind interrupt/notification mitigation. Reported per request.</summary>
public class RingPacedBenchmarks
{
    private const int Requests = 2_000;
    private long _requests, _requestNotifies, _backendSleeps, _failures;

    [Params(0, 2, 20, 100)]
    public int GapMicroseconds { get; set; }

    [GlobalCleanup]
    public void Cleanup()
    {
        double n = Math.Max(1, _requests);
        Console.WriteLine($"// gap {GapMicroseconds} us: {_requestNotifies / n:F3} request notifies and {_backendSleeps / n:F3} backend sleeps per request " +
            $"over {_requests:N0} requests, {_failures} failed runs");
    }

    [Benchmark(OperationsPerInvoke = Requests)]
    public long PacedTransfer()
    {
        RingDemoResult r = RingDemo.Transfer(Requests, 1, TimeSpan.FromTicks(GapMicroseconds * TimeSpan.TicksPerMicrosecond));
        _requests += r.Requests;
        _requestNotifies += r.RequestNotifies;
        _backendSleeps += r.BackendSleeps;
        if (!r.Ok)
        {
            _failures++;
        }
        return r.RequestNotifies;
    }
}
