// Netfront under a hostile backend: the test takes over the ring pages netfront granted and
// writes responses no honest netback would (bad ids, sizes, offsets, flags, chains, overflowed
// rsp_prod), and makes grant copies fail under real netbacks. Everything is counted or fails the
// connection with a reason; nothing throws, and the frames that were fine still arrive.
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Netfront;

public unsafe class NetfrontHostileTests
{
    /// <summary>A connected guest whose backend rings the test drives by hand (netback stops).</summary>
    private static (NetfrontRig Rig, Guest G, Dom0Vif V, BackRing<NetifTxRequest, NetifTxResponse> Tx, BackRing<NetifRxRequest, NetifRxResponse> Rx) Hijacked()
    {
        var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        rig.ConnectAll();
        v.Netback = null; // domain 0 no longer touches the rings: the test is the backend now
        Assert.That(g.Grants.IsGranted(v.Keys.TxRingRef, out nint tx, out _, out _), Is.True);
        Assert.That(g.Grants.IsGranted(v.Keys.RxRingRef, out nint rx, out _, out _), Is.True);
        return (rig, g, v, BackRing<NetifTxRequest, NetifTxResponse>.Attach((void*)tx), BackRing<NetifRxRequest, NetifRxResponse>.Attach((void*)rx));
    }

    private static byte* PageOf(Guest g, uint gref)
    {
        Assert.That(g.Grants.IsGranted(gref, out nint page, out _, out _), Is.True);
        return (byte*)page;
    }

    [Test]
    public void Rx_responses_with_bad_ids_sizes_offsets_flags_or_chains_are_counted_and_good_frames_still_arrive()
    {
        var (rig, g, _, _, rx) = Hijacked();
        using var _rig = rig;
        var reqs = new NetifRxRequest[256];
        Assert.That(rx.TakeRequests(reqs), Is.EqualTo(256));
        int next = 0;
        NetifRxResponse Rsp(int status, ushort offset = 0, ushort flags = 0, ushort? id = null) =>
            new() { Id = id ?? reqs[next++].Id, Offset = offset, Flags = flags, Status = (short)status };
        NetifRxResponse GsoExtra(ushort size)
        {
            next++;
            var extra = new NetifExtraInfo { Type = NetifExtraType.Gso, GsoSize = size, GsoType = NetifGsoType.TcpV4 };
            return *(NetifRxResponse*)&extra;
        }
        NetifRxResponse BogusExtra()
        {
            next++;   // it uses up the buffer posted at its position, as a GSO extra would
            var extra = new NetifExtraInfo { Type = 9 };
            return *(NetifRxResponse*)&extra;
        }
        // Each hostile response consumes one of the requests taken above, as a backend would.
        var good = NetfrontDataPathTests.Frame(5, 60);
        var rsps = new List<NetifRxResponse>
        {
            Rsp(60, id: 999),                                   // an id we never posted (its buffer is lost to us)
            Rsp(60, offset: 4090),                              // runs past its page
            Rsp(NetifStatus.Error),                             // the backend says it failed
            Rsp(60, flags: NetRxFlags.ExtraInfo),               // an extra_info slot follows...
            BogusExtra(),                                       // ...of a type netif does not define
            Rsp(4096, flags: NetRxFlags.ExtraInfo | NetRxFlags.MoreData),
            GsoExtra(0),                                        // a GSO extra with segment size 0
            Rsp(100),
            Rsp(4096, flags: NetRxFlags.MoreData),              // a chain longer than MTU + 14
            Rsp(4096, flags: NetRxFlags.MoreData),
            Rsp(4096),
            Rsp(0),                                             // an empty frame
            Rsp(30, flags: NetRxFlags.MoreData),                // a chain with a bad fragment
            Rsp(60, offset: 4095),
        };
        new ReadOnlySpan<byte>(good).CopyTo(new Span<byte>(PageOf(g, reqs[next].Gref) + 100, 60));
        rsps.Add(Rsp(60, offset: 100));
        foreach (var r in rsps)
            Assert.That(rx.TryPushResponse(r), Is.True);
        rx.PushResponsesAndCheckNotify();

        var got = new List<byte[]>();
        Assert.That(g.Nic.Poll(f => got.Add(f.ToArray()), 64), Is.EqualTo(1));
        Assert.That(got.Single(), Is.EqualTo(good));
        Assert.That((g.Nic.Counters.RxErrors, g.Nic.Counters.RxFrames), Is.EqualTo((8UL, 1UL)));
        Assert.That((g.Nic.IsUp, g.Nic.Failure), Is.EqualTo((true, (string?)null)));
        // Every buffer whose id we knew went straight back on the ring (same id, same grant).
        Assert.That(rx.UnconsumedRequests, Is.EqualTo((uint)rsps.Count - 1));
        Assert.That(rx.TryTakeRequest(out var again), Is.True);
        Assert.That((again.Id, again.Gref), Is.EqualTo((reqs[0].Id, reqs[0].Gref)));
    }

    [Test]
    public void A_chain_split_across_polls_is_reassembled_and_one_too_long_for_the_mtu_is_refused()
    {
        var (rig, g, _, _, rx) = Hijacked();
        using var _rig = rig;
        var reqs = new NetifRxRequest[4];
        rx.TakeRequests(reqs);
        var frame = NetfrontDataPathTests.Frame(9, 1400);
        new ReadOnlySpan<byte>(frame, 0, 1000).CopyTo(new Span<byte>(PageOf(g, reqs[0].Gref), 1000));
        new ReadOnlySpan<byte>(frame, 1000, 400).CopyTo(new Span<byte>(PageOf(g, reqs[1].Gref) + 7, 400));
        rx.TryPushResponse(new NetifRxResponse { Id = reqs[0].Id, Flags = NetRxFlags.MoreData, Status = 1000 });
        rx.PushResponses();
        var got = new List<byte[]>();
        Assert.That(g.Nic.Poll(f => got.Add(f.ToArray()), 64), Is.EqualTo(0), "half a frame waits");
        rx.TryPushResponse(new NetifRxResponse { Id = reqs[1].Id, Offset = 7, Status = 400 });
        rx.PushResponses();
        Assert.That(g.Nic.Poll(f => got.Add(f.ToArray()), 64), Is.EqualTo(1));
        Assert.That(got.Single(), Is.EqualTo(frame), "each fragment's own offset and size");

        // 1000 + 600 bytes > 1514: counted, not delivered.
        rx.TryPushResponse(new NetifRxResponse { Id = reqs[2].Id, Flags = NetRxFlags.MoreData, Status = 1000 });
        rx.TryPushResponse(new NetifRxResponse { Id = reqs[3].Id, Status = 600 });
        rx.PushResponses();
        Assert.That(g.Nic.Poll(f => got.Add(f.ToArray()), 64), Is.EqualTo(0));
        Assert.That((g.Nic.Counters.RxErrors, got.Count), Is.EqualTo((1UL, 1)));
    }

    [Test]
    public void Tx_responses_with_bad_or_repeated_ids_or_error_status_are_counted_and_null_ones_ignored()
    {
        var (rig, g, _, tx, _) = Hijacked();
        using var _rig = rig;
        for (int i = 0; i < 5; i++)
            Assert.That(g.Nic.TrySend(NetfrontDataPathTests.Frame(i, 60)), Is.True);
        g.Nic.Flush();
        var reqs = new NetifTxRequest[5];
        Assert.That(tx.TakeRequests(reqs), Is.EqualTo(5));
        Assert.That(reqs.Select(r => (r.Id, r.Size, r.Flags)), Is.EqualTo(Enumerable.Range(0, 5).Select(i => ((ushort)i, (ushort)60, (ushort)0))));
        tx.TryPushResponse(new NetifTxResponse { Id = 999, Status = NetifStatus.Okay });
        tx.TryPushResponse(new NetifTxResponse { Id = 0, Status = NetifStatus.Okay });
        tx.TryPushResponse(new NetifTxResponse { Id = 0, Status = NetifStatus.Okay });      // already answered
        tx.TryPushResponse(new NetifTxResponse { Id = 3, Status = NetifStatus.Null });      // frees nothing
        tx.TryPushResponse(new NetifTxResponse { Id = 1, Status = NetifStatus.Error });
        tx.PushResponsesAndCheckNotify();
        Assert.That(g.Nic.Poll(_ => { }, 64), Is.EqualTo(0));
        Assert.That((g.Nic.Counters.TxErrors, g.Nic.IsUp), Is.EqualTo((3UL, true)));

        // Ids 0 and 1 came back, 2-4 are still out: 251 + 2 slots are free, 256 + 1 frames do not fit.
        int accepted = 0;
        while (g.Nic.TrySend(NetfrontDataPathTests.Frame(100 + accepted, 60)))
            accepted++;
        Assert.That(accepted, Is.EqualTo(253));
        Assert.That(g.Nic.Counters.TxDroppedFull, Is.EqualTo(1));
    }

    [Test]
    public void An_overflowed_rx_rsp_prod_fails_the_connection_with_a_reason_and_it_recovers_when_the_backend_closes()
    {
        var (rig, g, v, _, rx) = Hijacked();
        using var _rig = rig;
        rx.Shared->RspProd = rx.Shared->ReqProd + 300; // responses to buffers never posted
        Assert.That(g.Nic.Poll(_ => Assert.Fail("nothing may be delivered"), 64), Is.EqualTo(0));
        Assert.That((g.Nic.IsUp, g.Nic.FrontendState, g.Nic.Counters.RxErrors), Is.EqualTo((false, XenbusState.Closing, 1UL)));
        Assert.That(g.Nic.Failure, Does.Contain("RX responses"));
        Assert.That(g.Nic.TrySend(NetfrontDataPathTests.Frame(1, 60)), Is.False);
        Assert.That(g.Nic.Poll(_ => { }, 64), Is.EqualTo(0), "a broken ring is not read again");

        // The backend follows our Closing, closes, offers itself again: a fresh connection.
        rig.Pump();
        Assert.That((g.Nic.IsUp, g.Nic.Connections, g.Nic.Failure), Is.EqualTo((true, 2, (string?)null)));
        Assert.That(v.Netback, Is.Not.Null);
    }

    [Test]
    public void An_overflowed_tx_rsp_prod_fails_the_connection()
    {
        var (rig, g, v, tx, _) = Hijacked();
        using var _rig = rig;
        v.Reactive = false;
        g.Nic.TrySend(NetfrontDataPathTests.Frame(1, 60));
        g.Nic.Flush();
        tx.Shared->RspProd = tx.Shared->ReqProd + 1;
        Assert.That(g.Nic.Poll(_ => { }, 64), Is.EqualTo(0));
        Assert.That((g.Nic.IsUp, g.Nic.Counters.TxErrors), Is.EqualTo((false, 1UL)));
        Assert.That(g.Nic.Failure, Does.Contain("TX responses"));
        rig.Pump();
        Assert.That((g.Nic.FrontendState, v.State), Is.EqualTo((XenbusState.Closing, XenbusState.Connected)), "it waits for the backend");
        // The frame that was out when the ring broke is counted once the connection is gone.
        v.CloseFromBackend();
        rig.Pump();
        Assert.That((g.Nic.FrontendState, g.Nic.Counters.TxErrors), Is.EqualTo((XenbusState.Closed, 2UL)));
    }

    [Test]
    public void Grant_copies_that_fail_under_a_real_netback_come_back_as_counted_errors()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, vb) = rig.Pair(mtu: 9000);
        rig.ConnectAll();
        a.Grants.FailAllCopies = true;
        Assert.That(a.Nic.TrySend(NetfrontDataPathTests.Frame(1, 9014)), Is.True);
        a.Nic.Flush();
        rig.Pump();
        Assert.That(a.Nic.Poll(_ => { }, 64), Is.EqualTo(0));
        Assert.That((a.Nic.Counters.TxErrors, va.Netback!.Counters.TxBadGrant), Is.EqualTo((1UL, 1L)), "one packet, three slots, one error");

        a.Grants.FailAllCopies = false;
        b.Grants.FailAllCopies = true;
        Assert.That(a.Nic.TrySend(NetfrontDataPathTests.Frame(2, 9014)), Is.True);
        a.Nic.Flush();
        rig.Pump();
        Assert.That(b.Nic.Poll(_ => Assert.Fail("nothing may be delivered"), 64), Is.EqualTo(0));
        Assert.That((b.Nic.Counters.RxErrors, vb.Netback!.Counters.RxBadGrant), Is.EqualTo((1UL, 1L)), "one chain of three error responses, one error");

        b.Grants.FailAllCopies = false;
        var ok = NetfrontDataPathTests.Frame(3, 5000);
        a.Nic.TrySend(ok);
        a.Nic.Flush();
        rig.Pump();
        var got = new List<byte[]>();
        b.Nic.Poll(f => got.Add(f.ToArray()), 64);
        Assert.That(got.Single(), Is.EqualTo(ok), "the buffers went back and work");
    }
}
