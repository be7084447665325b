// The analyzer on a hand-made trace whose every number is known: exits by reason with handling
// time (asleep time left out), kicks, hypercalls by op and sub-op with mean/median/errors, events,
// blocks and wakes, ring batches both ways, grant copies, drops; and the text that prints them.
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class TraceAnalysisTests : TraceScratch
{
    // The capture's TSC runs at 1 GHz: 1000 cycles = 1 µs.
    private static TraceRecord R(ulong tsc, TraceEvent ev, ushort dom, ushort flags = 0, ulong a0 = 0, ulong a1 = 0, ushort thread = 0) => new(tsc, ev, dom, thread, flags, a0, a1);

    private static ulong Op(int number, int sub) => (uint)number | ((ulong)(uint)sub << 32);

    private TraceAnalysis Analyze(out string text)
    {
        const int Mmio = 6, Intr = 10;
        var vcpu = new List<TraceRecord>
        {
            R(1_000, TraceEvent.DomainStart, 1),
            // Exit 1: mmio after 10 µs in the guest; a send hypercall of 2 µs; back in at 16 000.
            R(11_000, TraceEvent.VcpuExit, 1, a0: Mmio, a1: 10_000),
            R(13_000, TraceEvent.EventSend, 1, a0: 5),
            R(13_500, TraceEvent.Hypercall, 1, a0: Op(Hypercall.EventChannelOp, EvtchnOp.Send), a1: 2_000),
            // Exit 2 (entered at 16 000): mmio, sched_op block: asleep 100 µs, hypercall 104 µs.
            R(20_000, TraceEvent.VcpuExit, 1, a0: Mmio, a1: 4_000),
            R(21_000, TraceEvent.VcpuBlock, 1, flags: (ushort)BlockKind.Block),
            R(121_000, TraceEvent.VcpuWake, 1, flags: (ushort)WakeReason.Event, a0: 100_000),
            R(124_000, TraceEvent.Hypercall, 1, a0: Op(Hypercall.SchedOp, SchedOp.Block), a1: 104_000),
            // Exit 3 (entered at 125 000): intr; back in at 126 000.
            R(130_000, TraceEvent.VcpuExit, 1, a0: Intr, a1: 5_000),
            // A kick (entered at 126 000), then exit 4 (entered at 140 000): a failing send of 4 µs.
            R(127_000, TraceEvent.VcpuKick, 1, a1: 1_000),
            R(150_000, TraceEvent.VcpuExit, 1, a0: Mmio, a1: 10_000),
            R(154_000, TraceEvent.Hypercall, 1, flags: 22, a0: Op(Hypercall.EventChannelOp, EvtchnOp.Send), a1: 4_000),
            // A poll that times out; then a set_timer_op (no sub-op: its argument is a deadline).
            R(155_000, TraceEvent.VcpuBlock, 1, flags: (ushort)BlockKind.Poll),
            R(165_000, TraceEvent.VcpuWake, 1, flags: (ushort)WakeReason.Timeout, a0: 10_000),
            R(166_000, TraceEvent.Hypercall, 1, a0: Op(Hypercall.SetTimerOp, 123456), a1: 1_000),
            R(170_000, TraceEvent.DomainStop, 1),
        };
        var backend = new List<TraceRecord>
        {
            R(12_000, TraceEvent.EventDeliver, 2, flags: 1, a0: 3, thread: 1),
            R(12_100, TraceEvent.EventDeliver, 2, flags: 0, a0: 3, thread: 1),
            R(30_000, TraceEvent.GrantCopy, 1, flags: 0, a0: 1000, a1: 9, thread: 1),
            R(30_100, TraceEvent.GrantCopy, 1, flags: 0, a0: 514, a1: 10, thread: 1),
            R(30_200, TraceEvent.NetTxBatch, 1, flags: 1, a0: 3, a1: 1, thread: 1),
            R(30_300, TraceEvent.NetTxBatch, 1, flags: 0, a0: 0, a1: 0, thread: 1),
            R(30_400, TraceEvent.GrantCopy, 2, flags: 1, a0: 1514, a1: 40, thread: 1),
            R(30_500, TraceEvent.NetRxBatch, 2, flags: 1, a0: 1, a1: 1, thread: 1),
            R(30_600, TraceEvent.NetDrop, 2, flags: (ushort)FrameDropReason.RxNoBuffer, a0: 4, thread: 1),
            R(30_700, TraceEvent.NetDrop, 2, flags: (ushort)FrameDropReason.RxNoBuffer, a0: 1, thread: 1),
            R(30_800, (TraceEvent)0x7777, 2, thread: 1),
        };
        var capture = TraceFileTests.Capture(("vcpu a", vcpu.ToArray(), 0), ("parakit-net-sw0", backend.ToArray(), 3));
        string path = TraceFileTests.WriteFile(Dir, capture, new TraceDomainName(1, "a"), new TraceDomainName(2, "b"));
        var analysis = TraceAnalysis.Of(path);
        text = TraceReport.Format(analysis);
        return analysis;
    }

    [Test]
    public void Exits_are_counted_by_reason_with_handling_time_and_kicks_apart()
    {
        var a = Analyze(out _);
        var d = a.Domains.Single(x => x.Id == 1);
        Assert.Multiple(() =>
        {
            Assert.That(d.Name, Is.EqualTo("a"));
            Assert.That(d.TotalExits, Is.EqualTo(4));
            Assert.That(d.Exits[6].Count, Is.EqualTo(3));
            Assert.That(d.Exits[10].Count, Is.EqualTo(1));
            Assert.That(d.Kicks, Is.EqualTo(1));
            Assert.That(d.GuestCycles, Is.EqualTo(30_000UL));
            // mmio exit 1: 11 000 -> 16 000 = 5 µs; exit 2: 20 000 -> 125 000 minus 100 µs asleep = 5 µs;
            // exit 4 is the last: not timed. intr: 130 000 -> 126 000 (the kick's entry) is negative: not timed.
            Assert.That(d.Exits[6].Handled, Is.EqualTo(2));
            Assert.That(d.Exits[6].HandlingCycles, Is.EqualTo(10_000UL));
            Assert.That(d.Starts, Is.EqualTo(1));
            Assert.That(d.Stops, Is.EqualTo(1));
        });
    }

    [Test]
    public void Hypercalls_are_grouped_by_op_and_sub_op_with_latencies_and_errors()
    {
        var d = Analyze(out _).Domains.Single(x => x.Id == 1);
        var send = d.Hypercalls.Values.Single(h => h.Name == "event_channel_op/send");
        var block = d.Hypercalls.Values.Single(h => h.Name == "sched_op/block");
        var timer = d.Hypercalls.Values.Single(h => h.Name == "set_timer_op");
        Assert.Multiple(() =>
        {
            Assert.That(d.TotalHypercalls, Is.EqualTo(4));
            Assert.That((send.Count, send.Errors, send.MeanCycles), Is.EqualTo((2L, 1L, 3000.0)));
            Assert.That(send.Percentile(50), Is.EqualTo(2000UL));
            Assert.That(send.Percentile(99), Is.EqualTo(4000UL));
            Assert.That(block.Cycles, Is.EqualTo(new ulong[] { 104_000 }));
            Assert.That(timer.SubOp, Is.Null, "set_timer_op's argument is a deadline, not a sub-op");
        });
    }

    [Test]
    public void Events_sleeps_rings_copies_and_drops_are_summed_per_domain()
    {
        var a = Analyze(out _);
        var d1 = a.Domains.Single(x => x.Id == 1);
        var d2 = a.Domains.Single(x => x.Id == 2);
        Assert.Multiple(() =>
        {
            Assert.That(d1.EventSends, Is.EqualTo(1));
            Assert.That((d2.EventDeliveries, d2.EventsMerged), Is.EqualTo((1L, 1L)));
            Assert.That((d1.Blocks, d1.Polls), Is.EqualTo((1L, 1L)));
            Assert.That(d1.Wakes, Is.EqualTo(new long[] { 1, 0, 1, 0 }));
            Assert.That(d1.BlockedCycles, Is.EqualTo(110_000UL));
            Assert.That((d1.Tx.Batches, d1.Tx.EmptyBatches, d1.Tx.Requests, d1.Tx.Frames, d1.Tx.Notifies, d1.Tx.MaxRequests), Is.EqualTo((2L, 1L, 3L, 1L, 1L, 3UL)));
            Assert.That((d2.Rx.Batches, d2.Rx.Requests, d2.Rx.Frames, d2.Rx.Notifies), Is.EqualTo((1L, 1L, 1L, 1L)));
            Assert.That((d1.GrantCopiesOut, d1.GrantBytesOut, d1.GrantCopiesIn), Is.EqualTo((2L, 1514L, 0L)));
            Assert.That((d2.GrantCopiesIn, d2.GrantBytesIn), Is.EqualTo((1L, 1514L)));
            Assert.That(d2.Drops[FrameDropReason.RxNoBuffer], Is.EqualTo(5));
            Assert.That(a.UnknownRecords, Is.EqualTo(1));
            Assert.That(a.Lost, Is.EqualTo(3));
        });
    }

    [Test]
    public void The_report_prints_every_figure_per_domain()
    {
        Analyze(out string text);
        TestContext.Out.WriteLine(text);
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.StartWith("trace "));
            Assert.That(text, Does.Contain("27 records from 2 threads"));
            Assert.That(text, Does.Contain("records lost: 3 (buffers of 64 records per thread filled up"));
            Assert.That(text, Does.Contain("records of unknown events (written by a newer parakit?): 1"));
            Assert.That(text, Does.Contain("domain 1 (a): "));
            Assert.That(text, Does.Contain("domain 2 (b): "));
            Assert.That(text, Does.Contain("  exits: 4 "));
            Assert.That(text, Does.Match(@"mmio\s+3\s+75\.00%\s+5\.00"));
            Assert.That(text, Does.Match(@"intr\s+1\s+25\.00%\s+-"));
            Assert.That(text, Does.Contain("kicks 1"));
            Assert.That(text, Does.Contain("  hypercalls: 4"));
            Assert.That(text, Does.Match(@"event_channel_op/send\s+2\s+1\s+3\.00\s+2\.00\s+4\.00"));
            Assert.That(text, Does.Match(@"sched_op/block\s+1\s+0\s+104\.00"));
            Assert.That(text, Does.Contain("events: 1 sent, 0 delivered to it, 0 merged"));
            Assert.That(text, Does.Contain("events: 0 sent, 1 delivered to it, 1 merged into a pending event"));
            Assert.That(text, Does.Contain("sleeps: 1 blocks, 1 polls; wakes: 2 (event 1, timer 0, timeout 1, stop 0); 0.000 s asleep"));
            Assert.That(text, Does.Contain("ring tx (guest to domain 0): 2 batches (1 empty), 3 requests (1.50 per batch, 3.00 per non-empty one, at most 3), 1 frames, 1 notifies"));
            Assert.That(text, Does.Contain("ring rx (domain 0 to guest): 1 batches (0 empty), 1 requests"));
            Assert.That(text, Does.Contain("frame drops: rx_no_buffer=5"));
            Assert.That(text, Does.Contain("grant copies by domain 0: 2 (1514 bytes): out of the guest 2 (1514 bytes), into it 0 (0 bytes)"));
        });
    }

    [Test]
    public void Ring_figures_are_given_per_vif_and_a_copy_batch_counts_all_its_copies()
    {
        static ushort Vif(int vif, bool notified = false) => (ushort)((vif << 8) | (notified ? 1 : 0));
        var backend = new[]
        {
            // vif 0 of domain 1: two TX passes (4 and 2 requests), one notify; one RX flush of 3.
            R(1_000, TraceEvent.GrantCopyBatch, 1, flags: 0, a0: 4 | (256UL << 32), a1: 800),
            R(1_100, TraceEvent.NetTxBatch, 1, flags: Vif(0, notified: true), a0: 4, a1: 4),
            R(1_200, TraceEvent.NetTxBatch, 1, flags: Vif(0), a0: 2, a1: 2),
            R(1_300, TraceEvent.NetRxBatch, 1, flags: Vif(0, notified: true), a0: 3, a1: 3),
            // vif 2 of domain 1: an empty TX pass, a pass of 9 requests (3 frames), a drop of 2.
            R(2_000, TraceEvent.NetTxBatch, 1, flags: Vif(2), a0: 0, a1: 0),
            R(2_100, TraceEvent.NetTxBatch, 1, flags: Vif(2, notified: true), a0: 9, a1: 3),
            R(2_200, TraceEvent.NetDrop, 1, flags: (ushort)((ushort)FrameDropReason.TxOversize | Vif(2)), a0: 2),
            // copies into the guest: a batch of 3 and one record of an older file (one copy).
            R(2_300, TraceEvent.GrantCopyBatch, 1, flags: 1, a0: 3 | (300UL << 32), a1: 600),
            R(2_400, TraceEvent.GrantCopy, 1, flags: 1, a0: 100, a1: 7),
        };
        var capture = TraceFileTests.Capture(("parakit-net-sw0", backend, 0));
        string path = TraceFileTests.WriteFile(Dir, capture, new TraceDomainName(1, "a"));
        var a = TraceAnalysis.Of(path);
        var d = a.Domains.Single(x => x.Id == 1);
        string text = TraceReport.Format(a);
        TestContext.Out.WriteLine(text);
        Assert.Multiple(() =>
        {
            Assert.That(d.Vifs.Keys, Is.EqualTo(new[] { 0, 2 }));
            var v0 = d.Vifs[0];
            var v2 = d.Vifs[2];
            Assert.That((v0.Tx.Batches, v0.Tx.Requests, v0.Tx.Frames, v0.Tx.Notifies, v0.Rx.Batches, v0.Rx.Requests), Is.EqualTo((2L, 6L, 6L, 1L, 1L, 3L)));
            Assert.That((v2.Tx.Batches, v2.Tx.EmptyBatches, v2.Tx.Requests, v2.Tx.Frames, v2.Tx.MaxRequests, v2.Drops), Is.EqualTo((2L, 1L, 9L, 3L, 9UL, 2L)));
            Assert.That((d.Tx.Batches, d.Tx.Requests), Is.EqualTo((4L, 15L)), "the domain's totals are the sum of its vifs");
            Assert.That(d.Drops[FrameDropReason.TxOversize], Is.EqualTo(2), "the vif byte is not part of the reason");
            Assert.That((d.GrantCopiesOut, d.GrantBytesOut, d.GrantCopiesIn, d.GrantBytesIn, d.GrantCopyCycles), Is.EqualTo((4L, 256L, 4L, 400L, 1400UL)));
            Assert.That(d.GrantCopyBatches, Is.EqualTo(2));
            Assert.That(text, Does.Contain("grant copies by domain 0: 8 (656 bytes): out of the guest 4 (256 bytes), into it 4 (400 bytes), 0.175 µs each, in 2 batches"));
            // vif  ring  batches  empty  requests  req/batch  max  frames  notifies  req/notify  drops
            Assert.That(text, Does.Match(@"\n\s+0\s+tx\s+2\s+0\s+6\s+3\.00\s+4\s+6\s+1\s+6\.00\s+0\n"));
            Assert.That(text, Does.Match(@"\n\s+0\s+rx\s+1\s+0\s+3\s+3\.00\s+3\s+3\s+1\s+3\.00\s*\n"));
            Assert.That(text, Does.Match(@"\n\s+2\s+tx\s+2\s+1\s+9\s+9\.00\s+9\s+3\s+1\s+9\.00\s+2\n"));
            Assert.That(text, Does.Match(@"\n\s+2\s+rx\s+0\s+0\s+0\s+-\s+0\s+0\s+0\s+-\s*\n"));
        });
    }
}
