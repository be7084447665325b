// The `parakit demo ring` engine: a frontend and a backend thread over one ring page must move
// every request and batch their notifications.
using ParaKit.Hypervisor.Demo;

namespace ParaKit.Tests.Protocols;

public class RingDemoTests
{
    [TestCase(1)]
    [TestCase(32)]
    [TestCase(256)]
    public void Demo_moves_every_request_with_batched_notifications(int batch)
    {
        const int Requests = 300_000;
        var r = RingDemo.Transfer(Requests, batch);
        TestContext.Out.WriteLine($"batch {batch}: {r.RequestNotifies} request notifies, {r.ResponseNotifies} response notifies, {r.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Multiple(() =>
        {
            Assert.That(r.Failure, Is.Null);
            Assert.That(r.Ok, Is.True);
            Assert.That(r.Responses, Is.EqualTo(Requests));
            Assert.That(r.Errors, Is.EqualTo(0));
            // Every sleep ended with a notify (no timeouts), and each notify answers a distinct arming
            // of the event index: the initial one from Init or one final check.
            Assert.That(r.BackendSleeps, Is.LessThanOrEqualTo(r.RequestNotifies));
            Assert.That(r.RequestNotifies, Is.LessThanOrEqualTo(r.BackendFinalChecks + 1));
            Assert.That(r.FrontendSleeps, Is.LessThanOrEqualTo(r.ResponseNotifies));
            Assert.That(r.ResponseNotifies, Is.LessThanOrEqualTo(r.FrontendFinalChecks + 1));
        });
    }

    [Test]
    public void A_paced_frontend_loses_nothing_and_notifies_only_armed_backends()
    {
        // A frontend that pauses between requests exercises the other regime: the backend keeps
        // going to sleep and most pushes must notify. How much batching remains depends on how fast
        // this machine wakes threads (see RingPacedBenchmarks), so only the protocol invariants are
        // asserted here.
        var r = RingDemo.Transfer(300, 1, TimeSpan.FromMicroseconds(100));
        TestContext.Out.WriteLine($"paced: {r.RequestNotifies} request notifies for {r.Requests} requests, {r.BackendSleeps} backend sleeps");
        Assert.Multiple(() =>
        {
            Assert.That(r.Ok, Is.True, r.Failure);
            Assert.That(r.RequestNotifies, Is.GreaterThan(0));
            Assert.That(r.BackendSleeps, Is.LessThanOrEqualTo(r.RequestNotifies));
            Assert.That(r.RequestNotifies, Is.LessThanOrEqualTo(r.BackendFinalChecks + 1));
        });
    }

    [Test]
    public void Run_prints_a_report_and_succeeds()
    {
        var saved = Console.Out;
        var text = new StringWriter();
        Console.SetOut(text);
        int code;
        try
        {
            code = RingDemo.Run(50_000);
        }
        finally
        {
            Console.SetOut(saved);
        }
        Assert.That(code, Is.EqualTo(0));
        Assert.That(text.ToString(), Does.Contain("requests moved").And.Contain("requests per notify").And.Contain("50,000"));
        var savedError = Console.Error;
        var errors = new StringWriter();
        Console.SetError(errors);
        try
        {
            Assert.That(RingDemo.Run(0), Is.EqualTo(2));
        }
        finally
        {
            Console.SetError(savedError);
        }
        Assert.That(errors.ToString(), Does.Contain("must be positive"));
    }
}
