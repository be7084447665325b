// feature-rx-notify: with it, frames that find no RX buffer wait (bounded, in order) until the
// guest posts buffers, then arrive; without it, or past the bound, they are dropped and counted.
// A property checks frames in = delivered + dropped + still waiting, order kept.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Devices.Vif;

namespace ParaKit.Tests.Net;

public class RxNotifyTests
{
    private static byte[] Frame(int seq, int length = 100)
    {
        var f = new byte[length];
        BitConverter.TryWriteBytes(f, seq);
        return f;
    }

    [Test]
    public void Without_rx_notify_a_frame_with_no_buffer_is_dropped_and_counted()
    {
        using var h = new VifHarness();
        Assert.That(h.Back.DeliverToGuest(Frame(1)), Is.False);
        Assert.That((h.Back.Counters.RxNoBuffer, h.Back.RxQueued), Is.EqualTo((1L, 0)));
    }

    [Test]
    public void With_rx_notify_frames_wait_for_buffers_arm_req_event_and_arrive_in_order()
    {
        using var h = new VifHarness(rxNotify: true);
        for (int i = 0; i < 5; i++)
            Assert.That(h.Back.DeliverToGuest(Frame(i)), Is.True);
        Assert.That(h.Back.RxQueued, Is.EqualTo(5));
        Assert.That(h.Back.Counters.RxNoBuffer, Is.Zero);
        h.Notifications = 0;
        // The guest posts 3 buffers: req_event was armed, so its push asks for a notification.
        h.PostRx(3);
        Assert.That(h.Rx.PushRequestsAndCheckNotify(), Is.False, "PostRx already published; req_event asked to be told");
        Assert.That(h.Back.DrainRx(), Is.EqualTo(3));
        h.Back.FlushRx();
        h.PostRx(10);
        h.Back.DrainRx();
        h.Back.FlushRx();
        h.ReapRx();
        Assert.That(h.Received.Select(f => BitConverter.ToInt32(f)), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That((h.Back.Counters.RxFrames, h.Back.Counters.RxDeferred, h.Back.RxQueued), Is.EqualTo((5L, 5L, 0)));
    }

    [Test]
    public void A_new_frame_never_overtakes_waiting_ones()
    {
        using var h = new VifHarness(rxNotify: true);
        h.Back.DeliverToGuest(Frame(1));
        h.PostRx(1);
        h.Back.DeliverToGuest(Frame(2));     // the waiting frame takes the buffer first
        h.Back.FlushRx();
        h.ReapRx();
        Assert.That(h.Received.Select(f => BitConverter.ToInt32(f)), Is.EqualTo(new[] { 1 }));
        Assert.That(h.Back.RxQueued, Is.EqualTo(1));
    }

    [Test]
    public void Closing_counts_the_frames_still_waiting()
    {
        using var h = new VifHarness(rxNotify: true);
        h.Back.DeliverToGuest(Frame(1));
        h.Back.DeliverToGuest(Frame(2));
        h.Back.Close();
        Assert.That((h.Back.Counters.RxNotConnected, h.Back.RxQueued), Is.EqualTo((2L, 0)));
    }

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property Every_frame_is_delivered_dropped_or_waiting_in_order(int[] steps)
    {
        using var h = new VifHarness(rxNotify: true);
        int sent = 0;
        foreach (int s in steps ?? [])
        {
            if (s % 3 == 0)
                h.PostRx(Math.Abs(s % 40));
            else
                h.Back.DeliverToGuest(Frame(sent++, 60 + Math.Abs(s % 1400)));
            if (s % 5 == 0)
                h.Back.DrainRx();
            h.Back.FlushRx();
            h.ReapRx();
        }
        var c = h.Back.Counters;
        var got = h.Received.Select(f => BitConverter.ToInt32(f)).ToList();
        bool ordered = got.Zip(got.Skip(1)).All(p => p.First < p.Second);
        return (sent == c.RxFrames + c.RxDrops + h.Back.RxQueued && got.Count == c.RxFrames && ordered)
            .Label($"sent={sent} rx={c.RxFrames} drops={c.RxDrops} queued={h.Back.RxQueued} got={got.Count} ordered={ordered}");
    }
}
