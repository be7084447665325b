// Two real threads over one native page: a frontend producing netif TX requests in random
// batches and a backend answering them, each sleeping on a semaphore only after its final check.
// A lost wake-up shows up as a side that sleeps past the timeout with work published for it.
using System.Diagnostics;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;

namespace ParaKit.Tests.Protocols;

public unsafe class SharedRingStressTests
{
    private const int Requests = 10_000_000;
    private static readonly TimeSpan SleepLimit = TimeSpan.FromSeconds(5);

    private sealed class Counters
    {
        public long RequestNotifies, ResponseNotifies, BackSleeps, FrontSleeps, BackFinalChecks, FrontFinalChecks;
        public string? Failure;
    }

    [Test, CancelAfter(60_000)]
    public void Two_threads_move_millions_of_requests_in_order_with_no_lost_wakeup()
    {
        using var page = new TestPage();
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.InitAt(page.Pointer, uint.MaxValue - 1000);
        var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(page.Pointer);
        using var wakeBack = new SemaphoreSlim(0);
        using var wakeFront = new SemaphoreSlim(0);
        var c = new Counters();
        var sw = Stopwatch.StartNew();

        var backend = new Thread(() =>
        {
            uint expected = 0;
            while (expected < Requests && c.Failure == null)
            {
                bool progressed = false;
                while (back.TryTakeRequest(out NetifTxRequest req))
                {
                    if (req.Gref != expected || req.Id != (ushort)expected)
                    {
                        c.Failure = $"backend: got request {req.Gref}, expected {expected}";
                        return;
                    }
                    back.TryPushResponse(new NetifTxResponse { Id = req.Id, Status = NetifStatus.Okay });
                    expected++;
                    progressed = true;
                }
                if (progressed && back.PushResponsesAndCheckNotify())
                {
                    c.ResponseNotifies++;
                    wakeFront.Release();
                }
                if (expected >= Requests)
                {
                    break;
                }
                c.BackFinalChecks++;
                if (!back.FinalCheckForRequests())
                {
                    c.BackSleeps++;
                    // The frontend never idles before the backend is done, so every sleep must end in a notify.
                    if (!wakeBack.Wait(SleepLimit))
                    {
                        c.Failure = $"backend: lost wake-up at request {expected} (unconsumed {back.UnconsumedRequests})";
                        return;
                    }
                }
            }
        }) { Name = "backend", IsBackground = true };

        var frontend = new Thread(() =>
        {
            var rng = new Random(12345);
            uint sent = 0, received = 0;
            while (received < Requests && c.Failure == null)
            {
                int batch = rng.Next(1, 64);
                bool pushed = false;
                for (int i = 0; i < batch && sent < Requests && front.TryPushRequest(new NetifTxRequest { Gref = sent, Id = (ushort)sent, Size = 60 }); i++)
                {
                    sent++;
                    pushed = true;
                }
                if (pushed && front.PushRequestsAndCheckNotify())
                {
                    c.RequestNotifies++;
                    wakeBack.Release();
                }
                while (front.TryTakeResponse(out NetifTxResponse rsp))
                {
                    if (rsp.Id != (ushort)received || rsp.Status != NetifStatus.Okay)
                    {
                        c.Failure = $"frontend: got response {rsp.Id}, expected {(ushort)received}";
                        return;
                    }
                    received++;
                }
                // Sleep only when there is nothing to send (ring full or all sent) and the final check agrees.
                bool canSend = sent < Requests && !front.IsFull;
                if (canSend || received >= Requests)
                {
                    continue;
                }
                c.FrontFinalChecks++;
                if (!front.FinalCheckForResponses())
                {
                    c.FrontSleeps++;
                    if (!wakeFront.Wait(SleepLimit))
                    {
                        c.Failure = $"frontend: lost wake-up at response {received} (unconsumed {front.UnconsumedResponses})";
                        return;
                    }
                }
            }
        }) { Name = "frontend", IsBackground = true };

        backend.Start();
        frontend.Start();
        Assert.That(frontend.Join(TimeSpan.FromSeconds(50)) && backend.Join(TimeSpan.FromSeconds(5)), Is.True, "threads finished");
        sw.Stop();
        Assert.That(c.Failure, Is.Null);
        Assert.Multiple(() =>
        {
            Assert.That(front.RspCons - (uint.MaxValue - 1000), Is.EqualTo((uint)Requests), "all responses consumed");
            Assert.That(back.ReqCons, Is.EqualTo(front.ReqProdPvt));
            // Every sleep ended with a notify (none timed out), and each notify answers a distinct arming
            // of the event index (the initial one from Init, or one final check): none are spurious.
            Assert.That(c.BackSleeps, Is.LessThanOrEqualTo(c.RequestNotifies));
            Assert.That(c.RequestNotifies, Is.LessThanOrEqualTo(c.BackFinalChecks + 1));
            Assert.That(c.FrontSleeps, Is.LessThanOrEqualTo(c.ResponseNotifies));
            Assert.That(c.ResponseNotifies, Is.LessThanOrEqualTo(c.FrontFinalChecks + 1));
            Assert.That(c.RequestNotifies, Is.LessThan(Requests / 4), "batching: far fewer notifies than requests");
        });
        TestContext.Out.WriteLine($"{Requests} requests in {sw.Elapsed.TotalMilliseconds:F0} ms; request notifies {c.RequestNotifies} " +
            $"({(double)Requests / Math.Max(1, c.RequestNotifies):F1} req/notify), response notifies {c.ResponseNotifies}, " +
            $"backend sleeps {c.BackSleeps} of {c.BackFinalChecks} final checks, frontend sleeps {c.FrontSleeps} of {c.FrontFinalChecks}");
    }
}
