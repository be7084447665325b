// Netback without KVM: TX packets gathered by grant copy and answered, RX frames copied into
// posted buffers, drops counted by reason, hostile frontends disconnected, and a model-based
// property over random TX/RX interleavings across ring-index wraparound.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Protocols.Net;

namespace ParaKit.Tests.Net;

public unsafe class NetbackTests
{
    private static byte[] Frame(int seq, int length)
    {
        var f = new byte[length];
        for (int i = 0; i < length; i++)
            f[i] = (byte)(seq * 31 + i * 7);
        if (length >= 4)
            BitConverter.TryWriteBytes(f, seq);
        return f;
    }

    [Test]
    public void A_fragmented_tx_packet_reaches_the_sink_whole_and_every_slot_is_answered()
    {
        using var h = new VifHarness();
        var frame = Frame(1, 1514);
        Assert.That(h.Send(frame, new[] { 100, 1000, 414 }), Is.True);
        Assert.That(h.Back.ProcessTx(), Is.EqualTo(1));
        Assert.That(h.Sink.Frames.Single(), Is.EqualTo(frame));
        h.ReapTx();
        Assert.That(h.TxResponses.Select(r => (r.Id, r.Status)), Is.EqualTo(new[] { ((ushort)0, (short)0), ((ushort)1, (short)0), ((ushort)2, (short)0) }));
        Assert.That((h.Back.Counters.TxFrames, h.Back.Counters.TxBytes, h.Back.Counters.TxDrops), Is.EqualTo((1L, 1514L, 0L)));
    }

    [Test]
    public void An_extra_info_slot_gets_a_null_response_and_no_data()
    {
        using var h = new VifHarness();
        var frame = Frame(2, 600);
        h.Send(frame, new[] { 200, 400 }, NetifExtraType.Hash);   // (a GSO extra needs a TCP frame: GsoTests)
        Assert.That(h.Back.ProcessTx(), Is.EqualTo(1));
        Assert.That(h.Sink.Frames.Single(), Is.EqualTo(frame));
        h.ReapTx();
        Assert.That(h.TxResponses.Select(r => r.Status), Is.EqualTo(new short[] { NetifStatus.Okay, NetifStatus.Null, NetifStatus.Okay }));
    }

    [Test]
    public void The_backend_notifies_only_when_the_frontend_asked()
    {
        using var h = new VifHarness();
        h.Send(Frame(1, 60));
        h.Back.ProcessTx();
        Assert.That(h.Notifications, Is.EqualTo(1), "a fresh ring has rsp_event = 1");
        h.Send(Frame(2, 60));
        h.Back.ProcessTx();
        Assert.That(h.Notifications, Is.EqualTo(1), "the frontend has not re-armed rsp_event");
        h.ReapTx();
        h.Tx.FinalCheckForResponses();
        h.Send(Frame(3, 60));
        h.Back.ProcessTx();
        Assert.That(h.Notifications, Is.EqualTo(2));
        Assert.That(h.Back.Counters.Notifications, Is.EqualTo(2));
    }

    [Test]
    public void An_incomplete_packet_waits_for_its_last_fragment_without_rereading_the_ring()
    {
        using var h = new VifHarness();
        var frame = Frame(3, 300);
        h.Tx.TryPushRequest(new NetifTxRequest { Gref = h.Grants.Grant(frame.Take(100).Concat(new byte[3996]).ToArray()), Size = 300, Flags = NetTxFlags.MoreData, Id = 9 });
        h.Tx.PushRequests();
        Assert.That(h.Back.ProcessTx(), Is.EqualTo(0));
        // A hostile frontend rewrites the consumed slot; netback already holds its private copy.
        h.Tx.RequestSlot(0) = new NetifTxRequest { Gref = 9999, Size = 1 };
        h.Tx.TryPushRequest(new NetifTxRequest { Gref = h.Grants.Grant(frame.Skip(100).Concat(new byte[3896]).ToArray()), Size = 200, Id = 10 });
        h.Tx.PushRequestsAndCheckNotify();
        Assert.That(h.Back.ProcessTx(), Is.EqualTo(1));
        Assert.That(h.Sink.Frames.Single(), Is.EqualTo(frame));
    }

    [Test]
    public void Tx_drops_are_answered_and_counted_by_reason()
    {
        using var h = new VifHarness();
        h.Send(Frame(1, 2000), new[] { 1000, 1000 });                  // larger than 1500 + 18
        h.Tx.TryPushRequest(new NetifTxRequest { Gref = 4242, Size = 64, Id = 77 });   // never granted
        h.Tx.PushRequests();
        h.Send(Frame(3, 64));
        Assert.That(h.Back.ProcessTx(), Is.EqualTo(1));
        h.ReapTx();
        Assert.That(h.TxResponses.Count(r => r.Status == NetifStatus.Error), Is.EqualTo(3));
        Assert.That((h.Back.Counters.TxOversize, h.Back.Counters.TxBadGrant, h.Back.Counters.TxFrames), Is.EqualTo((1L, 1L, 1L)));
        Assert.That(h.Back.IsConnected, Is.True, "a bad grant costs the packet, not the vif");
    }

    [Test]
    public void A_tx_req_prod_beyond_the_ring_disconnects_the_vif()
    {
        using var h = new VifHarness();
        h.Tx.Shared->ReqProd = 257;
        Assert.That(h.Back.ProcessTx(), Is.EqualTo(0));
        Assert.That(h.Back.Disconnected, Is.EqualTo(NetbackDisconnect.TxRingOverflow));
        Assert.That(h.Back.DeliverToGuest(Frame(1, 60)), Is.False);
        Assert.That(h.Back.Counters.RxNotConnected, Is.EqualTo(1));
    }

    [Test]
    public void Malformed_tx_slots_are_counted_and_disconnect_the_vif()
    {
        (string name, NetifTxRequest[] slots)[] cases =
        {
            ("empty packet", new[] { new NetifTxRequest { Gref = 8, Size = 0 } }),
            ("crosses its page", new[] { new NetifTxRequest { Gref = 8, Offset = 4000, Size = 200 } }),
            ("fragments larger than the packet", new[]
            {
                new NetifTxRequest { Gref = 8, Size = 100, Flags = NetTxFlags.MoreData },
                new NetifTxRequest { Gref = 8, Size = 200 },
            }),
            ("more_data chain beyond the slot limit", Enumerable.Range(0, 40)
                .Select(_ => new NetifTxRequest { Gref = 8, Size = 1, Flags = NetTxFlags.MoreData }).ToArray()),
        };
        foreach (var (name, slots) in cases)
        {
            using var h = new VifHarness();
            foreach (var s in slots)
                h.Tx.TryPushRequest(s);
            h.Tx.PushRequests();
            Assert.That(h.Back.ProcessTx(), Is.EqualTo(0), name);
            Assert.That((h.Back.Disconnected, h.Back.Counters.TxMalformed), Is.EqualTo((NetbackDisconnect.MalformedTx, 1L)), name);
            Assert.That(h.Sink.Frames, Is.Empty, name);
        }
    }

    [Test]
    public void Rx_frames_fill_posted_buffers_and_span_pages_with_more_data()
    {
        using var h = new VifHarness(mtu: 9000);
        h.PostRx(4);
        var small = Frame(1, 60);
        var jumbo = Frame(2, 9000);
        Assert.That(h.Back.DeliverToGuest(small), Is.True);
        Assert.That(h.Back.DeliverToGuest(jumbo), Is.True);
        Assert.That(h.Back.DeliverToGuest(small), Is.False, "all four buffers are used");
        h.Back.FlushRx();
        h.ReapRx();
        Assert.That(h.Received, Is.EqualTo(new[] { small, jumbo }));
        Assert.That((h.Back.Counters.RxFrames, h.Back.Counters.RxNoBuffer, h.Notifications), Is.EqualTo((2L, 1L, 1)));
    }

    [Test]
    public void Rx_drops_are_counted_by_reason_and_a_bad_buffer_is_answered_with_an_error()
    {
        using var h = new VifHarness();
        Assert.That(h.Back.DeliverToGuest(Frame(1, 60)), Is.False);
        h.Rx.TryPushRequest(new NetifRxRequest { Id = 5, Gref = 31337 });
        h.Rx.PushRequests();
        Assert.That(h.Back.DeliverToGuest(Frame(2, 60)), Is.False);
        Assert.That(h.Back.DeliverToGuest(Frame(3, 1519)), Is.False);
        Assert.That(h.Back.DeliverToGuest(ReadOnlySpan<byte>.Empty), Is.False);
        h.Back.FlushRx();
        Assert.That(h.Rx.TryTakeResponse(out var rsp), Is.True);
        Assert.That((rsp.Id, rsp.Status), Is.EqualTo(((ushort)5, NetifStatus.Error)));
        var c = h.Back.Counters;
        Assert.That((c.RxNoBuffer, c.RxBadGrant, c.RxOversize, c.RxFrames), Is.EqualTo((1L, 1L, 2L, 0L)));
        Assert.That(h.Back.IsConnected, Is.True);
    }

    [Test]
    public void An_rx_req_prod_beyond_the_ring_disconnects_the_vif()
    {
        using var h = new VifHarness();
        h.Rx.Shared->ReqProd = 0x8000_0000;
        Assert.That(h.Back.DeliverToGuest(Frame(1, 60)), Is.False);
        Assert.That(h.Back.Disconnected, Is.EqualTo(NetbackDisconnect.RxRingOverflow));
        Assert.That(h.Back.PostedRxBuffers, Is.EqualTo(0u));
    }

    [Test]
    public void Delivering_a_frame_does_not_allocate()
    {
        using var h = new VifHarness();
        var frame = Frame(1, 1514);
        h.PostRx(200);
        h.Back.DeliverToGuest(frame);
        h.Back.FlushRx();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            h.Back.DeliverToGuest(frame);
        h.Back.FlushRx();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
    }

    // ---- model-based property: random interleavings of guest and backend, across wraparound ----

    internal enum Op { GuestSend, BackTx, GuestReapTx, HostDeliver, GuestPostRx, BackFlushRx, GuestReapRx }

    internal readonly record struct Step(Op Op, int A, int B);

    internal sealed record Scenario(uint TxStart, uint RxStart, Step[] Steps)
    {
        public override string ToString() => $"tx={TxStart:X8} rx={RxStart:X8} [{string.Join(",", Steps.Select(s => $"{s.Op}:{s.A}:{s.B}"))}]";
    }

    private static readonly Gen<uint> StartGen = Gen.OneOf(
        Gen.Constant(0u),
        Gen.Choose(0, 300).Select(d => unchecked(0u - (uint)d)));

    private static readonly Gen<Scenario> ScenarioGen =
        from tx in StartGen
        from rx in StartGen
        from steps in Gen.ListOf(
            from op in Gen.Elements(Enum.GetValues<Op>())
            from a in Gen.Choose(1, 1600)     // frame length (a few oversize) or buffers to post
            from b in Gen.Choose(1, 5)        // fragments
            select new Step(op, a, b))
        select new Scenario(tx, rx, steps.ToArray());

    [FsCheck.NUnit.Property(MaxTest = 200, Replay = "(12345,67891)")]
    public Property Frames_in_equal_frames_out_plus_counted_drops_in_order() =>
        Prop.ForAll(ScenarioGen.ToArbitrary(), sc =>
        {
            using var h = new VifHarness(sc.TxStart, sc.RxStart);
            var sentOk = new List<byte[]>();          // TX frames that fit: must reach the sink in order
            int txSent = 0, txOversize = 0;
            var delivered = new List<byte[]>();      // RX frames netback accepted
            int rxOffered = 0, seq = 0;
            foreach (var s in sc.Steps)
            {
                switch (s.Op)
                {
                    case Op.GuestSend:
                        var f = Frame(seq++, s.A);
                        if (h.Send(f, VifHarness.SplitForTx(f.Length, s.B)))
                        {
                            txSent++;
                            if (f.Length > h.Back.MaxFrame)
                                txOversize++;
                            else
                                sentOk.Add(f);
                        }
                        break;
                    case Op.BackTx:
                        h.Back.ProcessTx();
                        break;
                    case Op.GuestReapTx:
                        h.ReapTx();
                        break;
                    case Op.HostDeliver:
                        var g = Frame(seq++, s.A);
                        rxOffered++;
                        if (h.Back.DeliverToGuest(g))
                            delivered.Add(g);
                        break;
                    case Op.GuestPostRx:
                        h.PostRx(s.A % 20);
                        break;
                    case Op.BackFlushRx:
                        h.Back.FlushRx();
                        break;
                    case Op.GuestReapRx:
                        h.ReapRx();
                        break;
                }
            }
            // Drain: the backend takes what is left, the guest reads every answer.
            h.Back.ProcessTx();
            h.Back.FlushRx();
            h.ReapTx();
            h.ReapRx();
            var c = h.Back.Counters;
            Assert.That(h.Back.IsConnected, Is.True, sc.ToString());
            Assert.That(h.Sink.Frames, Is.EqualTo(sentOk), "TX order and content");
            Assert.That(c.TxFrames + c.TxDrops, Is.EqualTo(txSent), "TX: in = out + drops");
            Assert.That(c.TxOversize, Is.EqualTo(txOversize));
            Assert.That(h.TxResponses.Count, Is.EqualTo(h.Tx.ReqProdPvt - sc.TxStart), "every TX slot answered");
            Assert.That(h.Received, Is.EqualTo(delivered), "RX order and content");
            Assert.That(c.RxFrames + c.RxDrops, Is.EqualTo(rxOffered), "RX: in = out + drops");
            Assert.That(h.RxErrors, Is.EqualTo(0));
        });
}
