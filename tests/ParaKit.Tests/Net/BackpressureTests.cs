// Backpressure between two vifs: a sender whose destination has no room is held (the frame and
// the ring behind it wait, in order) instead of losing frames; a receiver that stays full for
// RxStallMs counts as stalled and its frames are dropped and counted; a held frame is answered
// only when it leaves, and one still there at close is counted too.
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Net;

namespace ParaKit.Tests.Net;

public class BackpressureTests
{
    private sealed class GateSink : IFrameSink
    {
        public bool Room;
        public readonly List<byte[]> Frames = new();
        public void Deliver(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
        public bool HasRoomFor(ReadOnlySpan<byte> frame) => Room;
    }

    private static byte[] Frame(int seq)
    {
        var f = new byte[100];
        BitConverter.TryWriteBytes(f, seq);
        return f;
    }

    [Test]
    public void A_sender_without_room_is_held_in_order_and_resumes()
    {
        var gate = new GateSink();
        using var h = new VifHarness(sink: gate);
        for (int i = 0; i < 3; i++)
            h.Send(Frame(i));
        Assert.That(h.Back.ProcessTx(), Is.Zero);
        Assert.That((h.Back.TxBlocked, h.Back.Counters.TxHeld, h.Back.Counters.TxFrames), Is.EqualTo((true, 1L, 0L)));
        h.ReapTx();
        Assert.That(h.TxResponses, Is.Empty, "the held frame is not answered: its sender sees it in flight");
        Assert.That(h.Back.ProcessTx(), Is.Zero, "still no room: nothing moves, nothing is lost");
        gate.Room = true;
        Assert.That(h.Back.ProcessTx(), Is.EqualTo(3));
        Assert.That(gate.Frames.Select(f => BitConverter.ToInt32(f)), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That((h.Back.TxBlocked, h.Back.Counters.TxFrames, h.Back.Counters.TxDrops), Is.EqualTo((false, 3L, 0L)));
        h.ReapTx();
        Assert.That(h.TxResponses.Select(r => r.Status).ToArray(), Has.Length.EqualTo(9).And.All.EqualTo(ParaKit.Protocols.Net.NetifStatus.Okay),
            "every slot of the three frames answered once they left, in order");
    }

    [Test]
    public void A_frame_held_at_close_is_counted_as_undelivered()
    {
        var gate = new GateSink();
        using var h = new VifHarness(sink: gate);
        h.Send(Frame(1));
        h.Back.ProcessTx();
        h.Back.Close();
        Assert.That((h.Back.TxBlocked, h.Back.Counters.TxUndelivered, h.Back.Counters.TxDrops), Is.EqualTo((false, 1L, 1L)));
    }

    [Test]
    public void Closing_counts_every_packet_the_guest_published_and_netback_never_sent()
    {
        var gate = new GateSink();
        using var h = new VifHarness(sink: gate);
        for (int i = 0; i < 3; i++)
            h.Send(Frame(i));          // 3 slots each: one is held, two wait in the stage
        h.Back.ProcessTx();
        h.Send(Frame(3));              // and one is still on the ring
        h.Back.Close();
        var c = h.Back.Counters;
        Assert.That((c.TxFrames, c.TxUndelivered, c.TxDrops), Is.EqualTo((0L, 4L, 4L)), "4 published, 0 sent, 4 counted");
    }

    [Test]
    public void A_full_receiver_says_no_room_until_it_counts_as_stalled()
    {
        using var rx = new VifHarness(rxNotify: true);
        int queued = 0;
        while (rx.Back.HasRoomFor(100))
        {
            Assert.That(rx.Back.DeliverToGuest(Frame(queued++)), Is.True);
            Assert.That(queued, Is.LessThan(10_000), "the queue is bounded");
        }
        Assert.That(rx.Back.RxQueued, Is.EqualTo(queued));
        Thread.Sleep(Netback.RxStallMs + 50);
        Assert.That(rx.Back.HasRoomFor(100), Is.True, "stalled: senders are no longer held for it");
        Assert.That(rx.Back.DeliverToGuest(Frame(queued)), Is.False);
        Assert.That(rx.Back.Counters.RxNoBuffer, Is.EqualTo(1));
        rx.PostRx(8);
        rx.Back.DrainRx();
        Assert.That(rx.Back.HasRoomFor(100), Is.True, "reading again: room");
    }
}
