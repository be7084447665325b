// `parakit demo ring`: a netfront-like frontend thread and a netback-like backend thread move
// netif TX requests and responses through one shared 4 KiB ring page (io/ring.h), each side
// sleeping only after its final check and woken only when the other side's push says "notify".
// It shows the ring's batching: how many requests travel per notification. No KVM needed.
using System.Diagnostics;
using System.Runtime.InteropServices;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;

namespace ParaKit.Hypervisor.Demo;

/// <summary>What one run of the demo measured.</summary>
internal readonly record struct RingDemoResult(
    long Requests,
    long Responses,
    long RequestNotifies,
    long ResponseNotifies,
    long FrontendSleeps,
    long BackendSleeps,
    long FrontendFinalChecks,
    long BackendFinalChecks,
    long Errors,
    TimeSpan Elapsed,
    string? Failure)
{
    public bool Ok => Failure == null && Errors == 0 && Responses == Requests;
}

internal static unsafe class RingDemo
{
    /// <summary>A side that sleeps this long with work outstanding has lost a wake-up.</summary>
    private static readonly TimeSpan LostWakeupLimit = TimeSpan.FromSeconds(10);

    public static int Run(int requests)
    {
        if (requests <= 0)
        {
            Console.Error.WriteLine("parakit: demo ring: the number of requests must be positive");
            return 2;
        }
        RingDemoResult r = Transfer(requests, producerBatch: 32);
        double ms = r.Elapsed.TotalMilliseconds;
        Console.WriteLine($"ring demo: netif TX ring, {NetifLimits.TxRingSize} slots on one 4 KiB page; frontend and backend threads");
        Console.WriteLine($"  requests moved            {r.Requests,12:N0}   responses {r.Responses:N0}, errors {r.Errors}");
        Console.WriteLine($"  frontend -> backend       {r.RequestNotifies,12:N0} notifies   {PerNotify(r.Requests, r.RequestNotifies)} requests per notify");
        Console.WriteLine($"  backend -> frontend       {r.ResponseNotifies,12:N0} notifies   {PerNotify(r.Responses, r.ResponseNotifies)} responses per notify");
        Console.WriteLine($"  sleeps (front / back)     {r.FrontendSleeps,12:N0} / {r.BackendSleeps:N0}   after {r.FrontendFinalChecks:N0} / {r.BackendFinalChecks:N0} final checks");
        Console.WriteLine($"  elapsed                   {ms,12:F1} ms   {r.Requests / Math.Max(r.Elapsed.TotalSeconds, 1e-9) / 1e6:F2} M requests/s");
        if (!r.Ok)
        {
            Console.Error.WriteLine($"parakit: demo ring failed: {r.Failure ?? "responses missing or wrong"}");
            return 1;
        }
        return 0;
    }

    private static string PerNotify(long items, long notifies) => notifies == 0 ? "n/a" : ((double)items / notifies).ToString("F1");

    /// <summary>Moves <paramref name="requests"/> TX requests through a fresh ring page and back.
    /// The frontend offers up to <paramref name="producerBatch"/> requests per push, and with a
    /// <paramref name="gap"/> waits that long (busy, like a paced sender) after each push, so the
    /// offered load can be lowered from "as fast as possible" to a trickle.</summary>
    internal static RingDemoResult Transfer(int requests, int producerBatch, TimeSpan gap = default)
    {
        void* page = NativeMemory.AlignedAlloc(4096, 4096);
        try
        {
            NativeMemory.Clear(page, 4096);
            return Transfer(page, requests, producerBatch, (long)(gap.TotalSeconds * Stopwatch.Frequency));
        }
        finally
        {
            NativeMemory.AlignedFree(page);
        }
    }

    private sealed class Shared
    {
        public long RequestNotifies, ResponseNotifies, FrontendSleeps, BackendSleeps, FrontendFinalChecks, BackendFinalChecks, Errors, Responses;
        public volatile string? Failure;
        public readonly SemaphoreSlim WakeBackend = new(0);
        public readonly SemaphoreSlim WakeFrontend = new(0);
    }

    private static RingDemoResult Transfer(void* page, int requests, int producerBatch, long gapTicks)
    {
        var s = new Shared();
        // The frontend initialises the page before "granting" it; the backend attaches afterwards.
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(page);
        var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(page);
        var sw = Stopwatch.StartNew();
        var backend = new Thread(() => Backend(ref back, requests, s)) { Name = "ring-backend", IsBackground = true };
        var frontend = new Thread(() => Frontend(ref front, requests, producerBatch, gapTicks, s)) { Name = "ring-frontend", IsBackground = true };
        backend.Start();
        frontend.Start();
        frontend.Join();
        if (!backend.Join(LostWakeupLimit))
        {
            s.Failure ??= "backend did not finish";
        }
        sw.Stop();
        s.WakeBackend.Dispose();
        s.WakeFrontend.Dispose();
        return new RingDemoResult(requests, s.Responses, s.RequestNotifies, s.ResponseNotifies, s.FrontendSleeps,
            s.BackendSleeps, s.FrontendFinalChecks, s.BackendFinalChecks, s.Errors, sw.Elapsed, s.Failure);
    }

    /// <summary>netback's loop: copy each request out once, validate the copy, answer it, publish the
    /// batch and notify only if asked; sleep only when the final check finds nothing.</summary>
    private static void Backend(ref BackRing<NetifTxRequest, NetifTxResponse> back, int requests, Shared s)
    {
        long handled = 0;
        while (handled < requests && s.Failure == null)
        {
            if (back.RequestsOverflowed())
            {
                s.Failure = "frontend overflowed the ring";
                return;
            }
            bool answered = false;
            while (back.TryTakeRequest(out NetifTxRequest req))
            {
                bool valid = req.Size != 0 && req.Offset + req.Size <= 4096 && req.Id < NetifLimits.TxRingSize;
                if (!valid)
                {
                    s.Errors++;
                }
                back.TryPushResponse(new NetifTxResponse { Id = req.Id, Status = valid ? NetifStatus.Okay : NetifStatus.Error });
                handled++;
                answered = true;
            }
            if (answered && back.PushResponsesAndCheckNotify())
            {
                s.ResponseNotifies++;
                s.WakeFrontend.Release();
            }
            if (handled >= requests)
            {
                break;
            }
            s.BackendFinalChecks++;
            if (!back.FinalCheckForRequests())
            {
                s.BackendSleeps++;
                if (!s.WakeBackend.Wait(LostWakeupLimit))
                {
                    s.Failure = $"backend slept {LostWakeupLimit.TotalSeconds} s with {back.UnconsumedRequests} requests published: lost wake-up";
                    return;
                }
            }
        }
    }

    /// <summary>netfront's loop: queue a batch, publish it and notify only if asked, reap responses;
    /// sleep only when it cannot send (ring full or all sent) and the final check finds nothing.</summary>
    private static void Frontend(ref FrontRing<NetifTxRequest, NetifTxResponse> front, int requests, int batch, long gapTicks, Shared s)
    {
        long sent = 0, received = 0;
        while (received < requests && s.Failure == null)
        {
            bool queued = false;
            for (int i = 0; i < batch && sent < requests && !front.IsFull; i++)
            {
                // As netfront does, the id is the slot's index, unique among requests in flight.
                ushort id = (ushort)(front.ReqProdPvt & (NetifLimits.TxRingSize - 1));
                front.TryPushRequest(new NetifTxRequest { Gref = (uint)(sent % 1024) + 8, Offset = 0, Id = id, Size = (ushort)(60 + sent % 1455) });
                sent++;
                queued = true;
            }
            if (queued && front.PushRequestsAndCheckNotify())
            {
                s.RequestNotifies++;
                s.WakeBackend.Release();
            }
            if (queued && gapTicks > 0)
            {
                long until = Stopwatch.GetTimestamp() + gapTicks;
                while (Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(20);
                }
            }
            while (front.TryTakeResponse(out NetifTxResponse rsp))
            {
                if (rsp.Id != (ushort)((front.RspCons - 1) & (NetifLimits.TxRingSize - 1)) || rsp.Status != NetifStatus.Okay)
                {
                    s.Errors++;
                }
                received++;
            }
            s.Responses = received;
            bool canSend = sent < requests && !front.IsFull;
            if (canSend || received >= requests)
            {
                continue;
            }
            s.FrontendFinalChecks++;
            if (!front.FinalCheckForResponses())
            {
                s.FrontendSleeps++;
                if (!s.WakeFrontend.Wait(LostWakeupLimit))
                {
                    s.Failure = $"frontend slept {LostWakeupLimit.TotalSeconds} s with {front.UnconsumedResponses} responses published: lost wake-up";
                    return;
                }
            }
        }
    }
}
