// Domain 0's share of an event-channel send, without KVM: the port-table lookup, the pending
// bit with the edge rule, and the wake-up (a real eventfd write, as for a blocked vCPU). The
// bound is loose (the number is printed); it catches a send path that starts to sleep,
// allocate heavily or take a syscall per merged event.
using System.Diagnostics;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Events;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Tests.Protocols;

namespace ParaKit.Tests.Events;

public unsafe class EventChannelCostTests
{
    [Test]
    public void A_send_costs_domain0_well_under_the_exit_that_carries_it()
    {
        var dir = new EventChannelDirectory();
        using var pa = new TestPage();
        using var pb = new TestPage();
        using var waker = new Waker();
        var a = new EventChannels(1, pa.As<SharedInfo>(), waker.Signal);
        var b = new EventChannels(2, pb.As<SharedInfo>(), () => { });
        dir.Add(a);
        dir.Add(b);
        Assert.That(a.AllocUnbound(DomId.Self, 2, out uint ap), Is.EqualTo(0));
        Assert.That(b.BindInterdomain(1, ap, out uint bp), Is.EqualTo(0));
        const int N = 100_000;
        double edge = double.MaxValue, merged = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < N; i++)
            {
                b.Send(bp);
                EventChannelBits.ClearPending(pa.As<SharedInfo>(), ap); // the guest consumed it
            }
            edge = Math.Min(edge, sw.Elapsed.TotalMicroseconds / N);
            sw.Restart();
            for (int i = 0; i < N; i++)
                b.Send(bp);
            merged = Math.Min(merged, sw.Elapsed.TotalMicroseconds / N);
            waker.Wait(0);
        }
        TestContext.Out.WriteLine($"domain 0 per send: {edge:F3} µs with a new edge and an eventfd wake, {merged:F3} µs merged into a pending event");
        // Each merged loop starts with one new edge, which the next edge loop's first send merges into.
        Assert.That(a.Deliveries, Is.EqualTo(3L * N + 1), "one delivery per new edge");
        Assert.That(edge, Is.LessThan(10), "a send is a lock, a bit and one eventfd write");
        Assert.That(merged, Is.LessThan(edge), "a merged send makes no wake-up syscall");
    }
}
