// Two vifs joined by the worker's switch, without KVM: a guest's broadcast and a unicast reply
// cross from one TX ring to the other's RX ring, RX is flushed once per batch, and the worker
// thread runs batches when kicked.
using ParaKit.Hypervisor.Net;

namespace ParaKit.Tests.Net;

public class NetworkWorkerTests
{
    private static byte[] Eth(byte dst, byte src, byte tag)
    {
        var f = new byte[60];
        for (int i = 0; i < 6; i++)
            f[i] = dst == 0xFF ? (byte)0xFF : (byte)(i == 5 ? dst : 0x02);
        for (int i = 0; i < 6; i++)
            f[6 + i] = (byte)(i == 5 ? src : 0x02);
        f[12] = 0x88;
        f[13] = 0xB5;
        f[14] = tag;
        return f;
    }

    [Test]
    public void Frames_cross_from_one_guests_tx_ring_to_the_others_rx_ring()
    {
        // Kicks only mark here, so one batch sees both vifs.
        using var t = new TwoVifs(inlineKicks: false);
        var (worker, va, vb, a, b) = (t.Worker, t.VifA, t.VifB, t.A, t.B);
        a.PostRx(8);
        b.PostRx(8);

        var hello = Eth(0xFF, 1, 1);
        a.Send(hello);
        b.Send(Eth(1, 2, 2));          // b has not been learned yet, a has not either: floods to a
        worker.Kick(va);
        worker.Kick(vb);
        Assert.That(worker.RunOnce(), Is.EqualTo(2));
        b.ReapRx();
        a.ReapRx();
        Assert.That(b.Received.Single(), Is.EqualTo(hello));
        Assert.That(a.Received.Single()[14], Is.EqualTo(2));
        Assert.That((a.Notifications, b.Notifications), Is.EqualTo((2, 2)), "one TX and one RX notification each");
        a.Send(Eth(2, 1, 3));          // now a unicast to a learned station
        worker.Kick(va);
        worker.RunOnce();
        b.ReapRx();
        Assert.That(b.Received.Select(f => f[14]), Is.EqualTo(new byte[] { 1, 3 }));
        Assert.That(va.Port.Counters.Flooded, Is.EqualTo(1));
    }

    [Test]
    public void An_idle_worker_runs_the_batch_on_the_kicking_thread()
    {
        using var t = new TwoVifs(inlineKicks: true);
        var (worker, va, a, b) = (t.Worker, t.VifA, t.A, t.B);
        b.PostRx(4);
        a.Send(Eth(0xFF, 1, 7));
        worker.Kick(va);               // no worker thread started: only an inline batch can move it
        b.ReapRx();
        Assert.That(b.Received.Single()[14], Is.EqualTo(7));
        Assert.That(worker.InlineBatches, Is.EqualTo(1));
    }

    [Test]
    public void The_worker_thread_runs_a_batch_when_kicked()
    {
        using var t = new TwoVifs(inlineKicks: false);   // the kick must wake the thread
        var (worker, va, a, b) = (t.Worker, t.VifA, t.A, t.B);
        b.PostRx(4);
        worker.Start();
        a.Send(Eth(0xFF, 1, 7));
        worker.Kick(va);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (b.Back.Counters.RxFrames == 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(1);
        worker.Dispose();
        Assert.That(b.Back.Counters.RxFrames, Is.EqualTo(1));
        b.ReapRx();
        Assert.That(b.Received.Single()[14], Is.EqualTo(7));
    }

    /// <summary>A worker with two bound vifs, each a netback on harness rings.</summary>
    private sealed class TwoVifs : IDisposable
    {
        public readonly NetworkWorker Worker;
        public readonly WorkerVif VifA, VifB;
        public readonly VifHarness A, B;

        public TwoVifs(bool inlineKicks)
        {
            Worker = new NetworkWorker { InlineKicks = inlineKicks };
            VifA = Worker.AddVif("vif1.0");
            VifB = Worker.AddVif("vif2.0");
            A = new VifHarness(sink: VifA.Port);
            B = new VifHarness(sink: VifB.Port);
            Worker.Bind(VifA, A.Back);
            Worker.Bind(VifB, B.Back);
        }

        public void Dispose()
        {
            Worker.Dispose();
            A.Dispose();
            B.Dispose();
        }
    }
}
