// The trace points on domain 0's paths, without KVM: event-channel sends and deliveries, domain
// 0's grant copies and a netback's ring batches and drops write the records the format promises,
// and their sums equal the counters the final table prints (one source of truth, two views).
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Net.Switch;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Tests.Events;
using ParaKit.Tests.Grants;
using ParaKit.Tests.Net;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public unsafe class TraceHookTests
{
    private static List<TraceRecord> Recorded(Action work)
    {
        using var session = TraceSession.Start(10_000);
        work();
        var capture = session.Stop();
        Assert.That(capture.Lost, Is.Zero);
        return capture.Threads.SelectMany(t => t.Records.ToArray()).ToList();
    }

    [Test]
    public void Event_sends_and_deliveries_match_the_port_tables_counters()
    {
        var dir = new ParaKit.Hypervisor.Events.EventChannelDirectory();
        using var a = new FakeEventDomain(1, dir);
        using var b = new FakeEventDomain(2, dir);
        Assert.That(a.Events.AllocUnbound(ParaKit.Protocols.Hypercalls.DomId.Self, 2, out uint aPort), Is.EqualTo(0));
        Assert.That(b.Events.BindInterdomain(1, aPort, out uint bPort), Is.EqualTo(0));
        EventChannelBits.ClearPending(a.Shared, aPort);
        long deliveriesBefore = a.Events.Deliveries;
        var records = Recorded(() =>
        {
            b.Events.Send(bPort);   // a new edge: delivered, a's vCPU woken
            b.Events.Send(bPort);   // still pending: merged
            b.Events.Send(bPort);
        });
        var sends = records.Where(r => r.Event == TraceEvent.EventSend).ToList();
        var delivers = records.Where(r => r.Event == TraceEvent.EventDeliver).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(sends, Has.Count.EqualTo(3));
            Assert.That(sends.All(r => r.Domain == 2 && r.A0 == bPort), Is.True);
            Assert.That(delivers.Select(r => (r.Domain, r.A0, r.Flags)), Is.EqualTo(new[] { ((ushort)1, (ulong)aPort, (ushort)1), ((ushort)1, (ulong)aPort, (ushort)0), ((ushort)1, (ulong)aPort, (ushort)0) }));
            Assert.That(delivers.Count(r => (r.Flags & 1) != 0), Is.EqualTo(a.Events.Deliveries - deliveriesBefore), "new edges are the table's deliveries");
        });
    }

    [Test]
    public void Domain0_grant_copies_are_recorded_with_bytes_and_direction_and_failures_are_not()
    {
        using var d = new FakeGrantDomain(1);
        d.Grant(8, to: 0, 0x300);
        var buffer = new byte[100];
        var records = Recorded(() =>
        {
            Assert.That(d.Grants.TryCopyFromGuest(8, 0, buffer), Is.EqualTo(0));
            Assert.That(d.Grants.TryCopyToGuest(8, 10, buffer.AsSpan(0, 50)), Is.EqualTo(0));
            Assert.That(d.Grants.TryCopyFromGuest(9, 0, buffer), Is.Not.EqualTo(0), "never granted");
        });
        var copies = records.Where(r => r.Event == TraceEvent.GrantCopyBatch).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(copies.Select(r => (r.Domain, r.A0 & uint.MaxValue, r.A0 >> 32, r.Flags)), Is.EqualTo(new[] { ((ushort)1, 1UL, 100UL, (ushort)0), ((ushort)1, 1UL, 50UL, (ushort)1) }),
                "a copy outside a backend is a batch of one");
            Assert.That(copies.Select(r => r.A1), Has.All.GreaterThan(0UL), "each copy is timed (cycles in a1)");
            Assert.That(copies.Sum(r => (long)(r.A0 & uint.MaxValue)), Is.EqualTo(d.Grants.Domain0Copies));
            Assert.That(copies.Sum(r => (long)(r.A0 >> 32)), Is.EqualTo(d.Grants.Domain0CopyBytes));
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void A_netback_pass_over_a_real_grant_table_is_one_copy_batch_per_direction(bool tracing)
    {
        // Four one-slot TX packets and three RX buffers: one TX pass (4 copies out of the guest),
        // one RX flush (3 copies into it). The counters see a batch when it ends, whether or not
        // tracing; the trace holds one GrantCopyBatch per direction with exactly those sums.
        using var g = new FakeGrantDomain(1);
        const ulong txFrame = 0x300, rxFrame = 0x301;
        fixed (byte* txGuest = g.Page(txFrame), rxGuest = g.Page(rxFrame))
        {
            var tx = FrontRing<NetifTxRequest, NetifTxResponse>.Init(txGuest);
            var rx = FrontRing<NetifRxRequest, NetifRxResponse>.Init(rxGuest);
            g.Grant(10, to: 0, txFrame);
            g.Grant(11, to: 0, rxFrame);
            for (uint i = 0; i < 4; i++)
                g.Grant(20 + i, to: 0, 0x310 + i, readOnly: true);
            for (uint i = 0; i < 3; i++)
                g.Grant(30 + i, to: 0, 0x320 + i);
            Assert.That(g.Grants.TryClaimForBackend(10, out _, out byte* txRing), Is.EqualTo(GrantStatus.Okay));
            Assert.That(g.Grants.TryClaimForBackend(11, out _, out byte* rxRing), Is.EqualTo(GrantStatus.Okay));
            var back = new Netback(txRing, rxRing, new GrantTableAccess(g.Grants), new RecordingSink(), () => { }) { TraceDomain = 1 };
            for (ushort i = 0; i < 4; i++)
                tx.TryPushRequest(new NetifTxRequest { Gref = 20u + i, Offset = 0, Size = (ushort)(60 + i), Id = i });
            tx.PushRequests();
            for (ushort i = 0; i < 3; i++)
                rx.TryPushRequest(new NetifRxRequest { Id = i, Gref = 30u + i });
            rx.PushRequests();
            long copiesAfterTx = 0, copiesBeforeFlush = 0;
            void Work()
            {
                Assert.That(back.ProcessTx(), Is.EqualTo(4));
                copiesAfterTx = g.Grants.Domain0Copies;
                foreach (int n in new[] { 100, 200, 300 })
                    Assert.That(back.DeliverToGuest(new byte[n]), Is.True);
                copiesBeforeFlush = g.Grants.Domain0Copies;
                back.FlushRx();
            }
            var records = tracing ? Recorded(Work) : [];
            if (!tracing)
                Work();
            Assert.Multiple(() =>
            {
                Assert.That((copiesAfterTx, copiesBeforeFlush), Is.EqualTo((4L, 4L)), "the RX batch reaches the counters at its flush");
                Assert.That((g.Grants.Domain0Copies, g.Grants.Domain0CopyBytes), Is.EqualTo((7L, 60 + 61 + 62 + 63 + 600L)));
                var batches = records.Where(r => r.Event == TraceEvent.GrantCopyBatch).ToList();
                if (tracing)
                {
                    Assert.That(batches.Select(r => (r.Domain, r.Flags, r.A0 & uint.MaxValue, r.A0 >> 32)),
                        Is.EqualTo(new[] { ((ushort)1, (ushort)0, 4UL, 246UL), ((ushort)1, (ushort)1, 3UL, 600UL) }));
                    Assert.That(batches.Select(r => r.A1), Has.All.GreaterThan(0UL), "the copies are timed");
                    var ring = records.Where(r => r.Event is TraceEvent.NetTxBatch or TraceEvent.NetRxBatch).ToList();
                    Assert.That(batches[0].Tsc, Is.LessThanOrEqualTo(ring[0].Tsc), "a pass's copies are recorded before its ring batch");
                }
                else
                {
                    Assert.That(batches, Is.Empty);
                }
            });
            g.Grants.ReleaseFromBackend(10);
            g.Grants.ReleaseFromBackend(11);
        }
    }

    [Test]
    public void The_switchs_drops_are_recorded_for_the_port_they_came_in_by()
    {
        var sw = new VirtualSwitch();
        var port = sw.AddPort("vif5.1", new RecordingSink());
        port.TraceDomain = 5;
        port.TraceVif = 1;
        var frame = new byte[60];
        frame[0] = 0x00; frame[1] = 0x16; frame[6] = 0x00; frame[7] = 0x16; frame[11] = 1;
        var records = Recorded(() =>
        {
            port.Deliver(frame);               // no other port: no_peer
            port.Deliver(frame.AsSpan(0, 10)); // shorter than an Ethernet header: runt
        });
        var drops = records.Where(r => r.Event == TraceEvent.NetDrop).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(drops.Select(r => (r.Domain, (FrameDropReason)(r.Flags & 0xFF), r.Flags >> 8, r.A0)),
                Is.EqualTo(new[] { ((ushort)5, FrameDropReason.SwitchNoPeer, 1, 1UL), ((ushort)5, FrameDropReason.SwitchRunt, 1, 1UL) }));
            Assert.That(port.Counters.Drops, Is.EqualTo(drops.Count), "one record per counted drop");
        });
    }

    [Test]
    public void Every_netback_drop_counter_has_its_own_drop_reason()
    {
        // One of each drop counter moved: the records name each reason once, and add up to
        // TxDrops + RxDrops (a counter added later without a reason would be missing here).
        var c = new NetbackCounters
        {
            TxMalformed = 1, TxBadGrant = 2, TxOversize = 3, TxUndelivered = 4, TxBadOffload = 5,
            RxNoBuffer = 6, RxBadGrant = 7, RxOversize = 8, RxNotConnected = 9, RxBadOffload = 10,
        };
        var records = Recorded(() => new NetbackTraceMarks(0).Drops(3, 1, c));
        var drops = records.Where(r => r.Event == TraceEvent.NetDrop).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(drops.Sum(r => (long)r.A0), Is.EqualTo(c.TxDrops + c.RxDrops));
            Assert.That(drops.Select(r => (FrameDropReason)(r.Flags & 0xFF)).Distinct().Count(), Is.EqualTo(10));
            Assert.That(drops.Select(r => TraceNames.Drop((FrameDropReason)(r.Flags & 0xFF))), Has.None.StartsWith("drop_"), "every reason has a name");
        });
    }

    [Test]
    public void Netback_batches_and_drops_add_up_to_its_counters()
    {
        using var h = new VifHarness();
        var frames = Enumerable.Range(0, 5).Select(i => Enumerable.Repeat((byte)i, 600).ToArray()).ToList();
        var records = Recorded(() =>
        {
            foreach (var f in frames)
                Assert.That(h.Send(f), Is.True);   // three slots each
            Assert.That(h.Back.ProcessTx(), Is.EqualTo(5));
            Assert.That(h.Back.ProcessTx(), Is.Zero, "nothing new: an empty batch");
            h.PostRx(2);
            foreach (var f in frames.Take(3))
                h.Back.DeliverToGuest(f);    // two placed, the third finds no buffer
            h.Back.FlushRx();
            h.Back.Close();
        });
        var tx = records.Where(r => r.Event == TraceEvent.NetTxBatch).ToList();
        var rx = records.Where(r => r.Event == TraceEvent.NetRxBatch).ToList();
        var drops = records.Where(r => r.Event == TraceEvent.NetDrop).ToList();
        var copies = records.Where(r => r.Event is TraceEvent.GrantCopy or TraceEvent.GrantCopyBatch).ToList();
        var c = h.Back.Counters;
        Assert.Multiple(() =>
        {
            Assert.That(tx.Select(r => (r.A0, r.A1)), Is.EqualTo(new[] { (15UL, 5UL), (0UL, 0UL) }), "requests consumed and frames per pass");
            Assert.That(tx.Sum(r => (long)r.A1), Is.EqualTo(c.TxFrames));
            Assert.That(rx.Select(r => (r.A0, r.A1)), Is.EqualTo(new[] { (2UL, 2UL) }));
            Assert.That(rx.Sum(r => (long)r.A1), Is.EqualTo(c.RxFrames));
            Assert.That(tx.Concat(rx).Count(r => (r.Flags & 1) != 0), Is.EqualTo(c.Notifications), "notify flags are the notifications sent");
            Assert.That(drops.Select(r => ((FrameDropReason)r.Flags, r.A0)), Is.EqualTo(new[] { (FrameDropReason.RxNoBuffer, 1UL) }));
            Assert.That(copies, Is.Empty, "a test's fake grants are not a grant table");
        });
    }

    [Test]
    public void With_tracing_off_nothing_is_recorded_anywhere()
    {
        using var h = new VifHarness();
        h.Send(new byte[300]);
        Assert.That(TracePoint.On, Is.False);
        h.Back.ProcessTx();
        using var session = TraceSession.Start(100);
        var capture = session.Stop();
        Assert.That(capture.Records, Is.Zero);
    }
}
