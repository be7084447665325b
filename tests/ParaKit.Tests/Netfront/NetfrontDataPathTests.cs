// Netfront's data path through two real netbacks joined back to back: frames byte for byte in
// both directions (one page or several with more_data), refused sizes, a full TX ring, RX
// starvation counted at the backend, notification suppression both ways, and no allocation on
// TrySend, Flush or Poll.
using ParaKit.Drivers;
using ParaKit.Protocols.Rings;

namespace ParaKit.Tests.Netfront;

public unsafe class NetfrontDataPathTests
{
    /// <summary>A frame that carries its sequence number in its first 4 bytes and a pattern after.</summary>
    public static byte[] Frame(int seq, int length)
    {
        var f = new byte[length];
        for (int i = 0; i < length; i++)
            f[i] = (byte)(seq * 131 + i * 7 + (i >> 8));
        BitConverter.TryWriteBytes(f, seq);
        return f;
    }

    private static List<byte[]> PollAll(ParaKit.Drivers.Xen.Netfront nic, int budget = 64)
    {
        var got = new List<byte[]>();
        while (nic.Poll(f => got.Add(f.ToArray()), budget) > 0)
        {
        }
        return got;
    }

    [Test]
    public void Frames_cross_both_ways_byte_for_byte()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, vb) = rig.Pair();
        rig.ConnectAll();
        var sent = new[] { Frame(1, 60), Frame(2, 1514), Frame(3, 14) };
        foreach (var f in sent)
            Assert.That(a.Nic.TrySend(f), Is.True);
        a.Nic.Flush();
        rig.Pump();
        Assert.That(PollAll(b.Nic), Is.EqualTo(sent));
        Assert.That(b.Nic.TrySend(sent[1]), Is.True);
        b.Nic.Flush();
        rig.Pump();
        Assert.That(PollAll(a.Nic), Is.EqualTo(new[] { sent[1] }));

        var ac = a.Nic.Counters;
        var bc = b.Nic.Counters;
        Assert.That((ac.TxFrames, ac.TxBytes, ac.RxFrames, ac.RxBytes), Is.EqualTo((3UL, 1588UL, 1UL, 1514UL)));
        Assert.That((bc.TxFrames, bc.RxFrames, bc.RxBytes), Is.EqualTo((1UL, 3UL, 1588UL)));
        Assert.That((ac.TxErrors, ac.RxErrors, ac.TxDrops, bc.TxErrors, bc.RxErrors, bc.TxDrops), Is.EqualTo((0UL, 0UL, 0UL, 0UL, 0UL, 0UL)));
        Assert.That((va.Netback!.Counters.TxFrames, vb.Netback!.Counters.RxFrames), Is.EqualTo((3L, 3L)));
        Assert.That(a.Grants.CopiesFrom, Is.EqualTo(3), "one grant copy per TX slot");
    }

    [Test]
    public void Jumbo_frames_take_several_slots_with_more_data_both_ways()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, vb) = rig.Pair(mtu: 9000);
        rig.ConnectAll();
        var jumbo = Frame(7, 9014);
        var small = Frame(8, 100);
        Assert.That(a.Nic.TrySend(jumbo), Is.True);
        Assert.That(a.Nic.TrySend(small), Is.True);
        a.Nic.Flush();
        rig.Pump();
        Assert.That(a.Grants.CopiesFrom, Is.EqualTo(4), "9014 bytes in three 4 KiB slots, then one");
        Assert.That(b.Grants.CopiesTo, Is.EqualTo(4), "and three RX buffers, then one");
        Assert.That(PollAll(b.Nic), Is.EqualTo(new[] { jumbo, small }));
        Assert.That(b.Nic.TrySend(jumbo), Is.True);
        b.Nic.Flush();
        rig.Pump();
        Assert.That(PollAll(a.Nic), Is.EqualTo(new[] { jumbo }));
        a.Nic.Poll(_ => { }, 64); // reap
        Assert.That((a.Nic.Counters.TxErrors, vb.Netback!.Counters.TxDrops, va.Netback!.Counters.RxDrops), Is.EqualTo((0UL, 0L, 0L)));
    }

    [Test]
    public void Sizes_outside_a_header_to_mtu_plus_14_and_a_device_that_is_down_are_refused_and_counted()
    {
        using var rig = new NetfrontRig();
        var (a, _, _, _) = rig.Pair();
        Assert.That(a.Nic.TrySend(Frame(0, 60)), Is.False, "not started");
        rig.ConnectAll();
        Assert.That(a.Nic.TrySend(new byte[13]), Is.False);
        Assert.That(a.Nic.TrySend(new byte[1515]), Is.False);
        Assert.That(a.Nic.TrySend(new byte[1514]), Is.True);
        var c = a.Nic.Counters;
        Assert.That((c.TxDroppedDown, c.TxDroppedSize, c.TxDroppedFull, c.TxFrames), Is.EqualTo((1UL, 2UL, 0UL, 1UL)));
    }

    [Test]
    public void A_full_tx_ring_reaps_completions_first_and_counts_what_still_does_not_fit()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, _) = rig.Pair();
        rig.ConnectAll();
        for (int i = 0; i < 256; i++)
            Assert.That(a.Nic.TrySend(Frame(i, 60)), Is.True, $"frame {i}");
        Assert.That(a.Nic.TrySend(Frame(256, 60)), Is.False);
        Assert.That(a.Nic.Counters.TxDroppedFull, Is.EqualTo(1));
        a.Nic.Flush();
        rig.Pump(); // netback answers all 256; B has 256 buffers and takes them all
        Assert.That(a.Nic.TrySend(Frame(257, 60)), Is.True, "TrySend reaps the answers itself");
        a.Nic.Flush();
        rig.Pump();
        var got = PollAll(b.Nic);
        Assert.That(got.Count, Is.EqualTo(256), "the first 256 filled B's RX ring, the 257th found no buffer");
        Assert.That(va.Netback!.Counters.TxFrames, Is.EqualTo(257));
    }

    [Test]
    public void A_receiver_that_never_polls_loses_frames_to_counted_rx_no_buffer_drops_never_silently()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, vb) = rig.Pair();
        rig.ConnectAll();
        var sent = new List<byte[]>();
        for (int burst = 0; burst < 10; burst++)
        {
            for (int i = 0; i < 40; i++)
            {
                var f = Frame(sent.Count, 60 + sent.Count % 1400);
                Assert.That(a.Nic.TrySend(f), Is.True);
                sent.Add(f);
            }
            a.Nic.Flush();
            rig.Pump();
            a.Nic.Poll(_ => Assert.Fail("A receives nothing"), 64);
        }
        Assert.That(vb.Netback!.Counters.RxNoBuffer, Is.EqualTo(400 - 256));
        Assert.That(va.Netback!.Counters.TxFrames, Is.EqualTo(400));
        var got = PollAll(b.Nic);
        Assert.That(got, Is.EqualTo(sent.Take(256)), "the first 256 in order, the rest counted");
        Assert.That((long)b.Nic.Counters.RxFrames + vb.Netback.Counters.RxDrops, Is.EqualTo(400));

        // Polling reposted every buffer: traffic flows again.
        Assert.That(a.Nic.TrySend(Frame(999, 80)), Is.True);
        a.Nic.Flush();
        rig.Pump();
        Assert.That(PollAll(b.Nic).Single(), Is.EqualTo(Frame(999, 80)));
    }

    [Test]
    public void A_busy_sender_notifies_far_less_than_once_per_frame_and_an_idle_receiver_is_notified_once()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, vb) = rig.Pair();
        rig.ConnectAll();
        Assert.That(b.Nic.Poll(_ => { }, 64), Is.EqualTo(0), "B is idle: its rsp_event is armed");
        ulong aSent0 = a.Nic.Counters.NotifiesSent, bGot0 = b.Nic.Counters.NotifiesReceived;
        for (int i = 0; i < 200; i++)
        {
            Assert.That(a.Nic.TrySend(Frame(i, 60)), Is.True);
            a.Nic.Flush(); // a flush per frame, but netback has not re-armed req_event before it runs
            if (i % 50 == 49)
                rig.Pump();
        }
        Assert.That(a.Nic.Counters.NotifiesSent - aSent0, Is.EqualTo(4UL), "one kick per backend batch, not per frame");
        Assert.That(b.Nic.Counters.NotifiesReceived - bGot0, Is.EqualTo(1UL), "B was idle once; it has not polled since");
        Assert.That(PollAll(b.Nic).Count, Is.EqualTo(200));

        // B is idle again (Poll armed rsp_event): the next frame notifies it.
        Assert.That(a.Nic.TrySend(Frame(300, 60)), Is.True);
        a.Nic.Flush();
        rig.Pump();
        Assert.That(b.Nic.Counters.NotifiesReceived - bGot0, Is.EqualTo(2UL));
        Assert.That(vb.Netback!.Counters.Notifications, Is.EqualTo(2));
        Assert.That(va.Netback!.Counters.TxFrames, Is.EqualTo(201));
    }

    [Test]
    public void Reposting_rx_buffers_kicks_a_backend_that_asked_for_it()
    {
        using var rig = new NetfrontRig();
        var (a, _, b, vb) = rig.Pair();
        rig.ConnectAll();
        Assert.That(b.Grants.IsGranted(vb.Keys.RxRingRef, out nint rxPage, out _, out _), Is.True);
        var hdr = (SharedRingHeader*)rxPage;
        a.Nic.TrySend(Frame(1, 60));
        a.Nic.Flush();
        rig.Pump();
        // A backend out of buffers sets req_event just past what it has seen (feature-rx-notify).
        hdr->ReqEvent = hdr->ReqProd + 1;
        ulong before = b.Nic.Counters.NotifiesSent;
        int sends = b.Events.Sends;
        Assert.That(PollAll(b.Nic).Count, Is.EqualTo(1));
        Assert.That((b.Nic.Counters.NotifiesSent - before, b.Events.Sends - sends), Is.EqualTo((1UL, 1)));
    }

    [Test]
    public void TrySend_Flush_and_Poll_do_not_allocate()
    {
        using var rig = new NetfrontRig();
        var (a, _, b, _) = rig.Pair(mtu: 9000);
        rig.ConnectAll();
        var small = Frame(1, 60);
        var jumbo = Frame(2, 9014);
        long received = 0;
        FrameHandler handler = f => received += f.Length;
        long allocated = 0;
        for (int round = 0; round < 20; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            a.Nic.TrySend(small);
            a.Nic.TrySend(jumbo);
            a.Nic.Flush();
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            rig.Pump();
            before = GC.GetAllocatedBytesForCurrentThread();
            b.Nic.Poll(handler, 64);
            a.Nic.Poll(handler, 64);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.That(received, Is.EqualTo(20 * (60 + 9014)));
        Assert.That(allocated, Is.EqualTo(0));
    }
}
