// Example-based checks of the shared ring: initial state, a misbehaving peer's indices, the
// copy-once read, extra-info slots and the response-before-request guard.
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;

namespace ParaKit.Tests.Protocols;

public unsafe class SharedRingTests
{
    [Test]
    public void Init_sets_indices_and_arms_both_events_for_the_first_entry()
    {
        using var page = new TestPage();
        new Span<byte>(page.Pointer, TestPage.Size).Fill(0xAA);
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(page.Pointer);
        SharedRingHeader* h = page.As<SharedRingHeader>();
        Assert.Multiple(() =>
        {
            Assert.That((h->ReqProd, h->RspProd, h->ReqEvent, h->RspEvent, h->Pvt), Is.EqualTo((0u, 0u, 1u, 1u, 0u)));
            Assert.That(new ReadOnlySpan<byte>(h->Pad, 44).ToArray(), Is.All.EqualTo(0));
            Assert.That(front.Size, Is.EqualTo(256u));
            Assert.That(front.FreeRequests, Is.EqualTo(256u));
        });
    }

    [Test]
    public void First_request_on_a_fresh_ring_notifies_and_second_does_not()
    {
        using var page = new TestPage();
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(page.Pointer);
        front.TryPushRequest(new NetifTxRequest { Id = 1 });
        Assert.That(front.PushRequestsAndCheckNotify(), Is.True, "req_event = 1 asks for the first request");
        front.TryPushRequest(new NetifTxRequest { Id = 2 });
        Assert.That(front.PushRequestsAndCheckNotify(), Is.False, "the backend has not re-armed");
    }

    [Test]
    public void Backend_detects_a_frontend_claiming_more_than_a_ring_and_never_reads_past_it()
    {
        using var page = new TestPage();
        FrontRing<NetifTxRequest, NetifTxResponse>.Init(page.Pointer);
        var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(page.Pointer);
        SharedRingHeader* h = page.As<SharedRingHeader>();
        h->ReqProd = 256;
        Assert.That(back.RequestsOverflowed(), Is.False, "exactly one ring is legal");
        h->ReqProd = 257;
        Assert.That(back.RequestsOverflowed(), Is.True);
        h->ReqProd = 0x8000_0000;
        Assert.That(back.RequestsOverflowed(), Is.True);
        Assert.That(back.TryTakeRequest(out _), Is.False, "nothing is consumed from an overflowed ring");
        h->ReqProd = 0xFFFF_FFFF;
        Assert.That(back.RequestsOverflowed(), Is.True, "a req_prod behind req_cons (moved backwards) is flagged");
        Assert.That(back.UnconsumedRequests, Is.EqualTo(0u));
        h->ReqProd = 3;
        Assert.That(back.RequestsOverflowed(), Is.False);
        int taken = 0;
        while (back.TryTakeRequest(out _))
        {
            taken++;
        }
        Assert.That(taken, Is.EqualTo(3), "a legal req_prod again: normal service");
    }

    [Test]
    public void Frontend_ignores_responses_it_never_asked_for()
    {
        using var page = new TestPage();
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(page.Pointer);
        front.TryPushRequest(default);
        front.TryPushRequest(default);
        front.PushRequestsAndCheckNotify();
        page.As<SharedRingHeader>()->RspProd = 100;
        Assert.Multiple(() =>
        {
            Assert.That(front.ResponsesOverflowed(), Is.True);
            Assert.That(front.UnconsumedResponses, Is.EqualTo(0u), "nothing is read from a lying backend");
        });
        page.As<SharedRingHeader>()->RspProd = 2;
        front.TryPushRequest(default); // written but not published: no response can answer it yet
        Assert.That(front.ResponsesOverflowed(), Is.False);
        Assert.That(front.UnconsumedResponses, Is.EqualTo(2u));
        Assert.That(front.TakeResponses(new NetifTxResponse[8]), Is.EqualTo(2));
        Assert.That(front.TryTakeResponse(out _), Is.False);
    }

    [Test]
    public void A_request_is_copied_out_once_so_later_writes_by_the_frontend_do_not_change_it()
    {
        using var page = new TestPage();
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(page.Pointer);
        var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(page.Pointer);
        front.TryPushRequest(new NetifTxRequest { Gref = 7, Size = 100 });
        front.PushRequestsAndCheckNotify();
        Assert.That(back.TryTakeRequest(out var copy), Is.True);
        front.RequestSlot(0).Size = 60000; // a hostile frontend rewrites the slot after validation
        Assert.That((copy.Gref, copy.Size), Is.EqualTo((7u, (ushort)100)));
    }

    [Test]
    public void Extra_info_travels_in_a_request_slot_and_gets_a_null_response()
    {
        using var page = new TestPage();
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(page.Pointer);
        var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(page.Pointer);
        front.TryPushRequest(new NetifTxRequest { Id = 3, Flags = NetTxFlags.ExtraInfo, Size = 9000 });
        front.TryPushRequestAs(new NetifExtraInfo { Type = NetifExtraType.Gso, GsoSize = 1448, GsoType = NetifGsoType.TcpV4 });
        front.PushRequestsAndCheckNotify();
        Assert.That(back.TryTakeRequest(out var req) && (req.Flags & NetTxFlags.ExtraInfo) != 0, Is.True);
        Assert.That(back.TryTakeRequestAs(out NetifExtraInfo extra), Is.True);
        Assert.That((extra.Type, extra.GsoSize, extra.GsoType), Is.EqualTo((NetifExtraType.Gso, (ushort)1448, NetifGsoType.TcpV4)));
        Assert.That(back.TryTakeRequestAs(out WideEntry _), Is.False, "a 64-byte type does not fit a 12-byte slot");
        back.TryPushResponse(new NetifTxResponse { Id = 3, Status = NetifStatus.Okay });
        back.TryPushResponse(new NetifTxResponse { Status = NetifStatus.Null });
        Assert.That(back.TryPushResponse(default), Is.False, "no third request to answer");
        Assert.That(back.PushResponsesAndCheckNotify(), Is.True);
        Span<NetifTxResponse> rsp = stackalloc NetifTxResponse[4];
        Assert.That(front.TakeResponses(rsp), Is.EqualTo(2));
        Assert.That((rsp[0].Id, rsp[1].Status), Is.EqualTo(((ushort)3, NetifStatus.Null)));
    }

    [Test]
    public void Backend_attach_resumes_at_the_published_response_index()
    {
        using var page = new TestPage();
        var front = FrontRing<NetifRxRequest, NetifRxResponse>.InitAt(page.Pointer, 4000);
        var back = BackRing<NetifRxRequest, NetifRxResponse>.Attach(page.Pointer);
        Assert.That((back.ReqCons, back.RspProdPvt, back.Size), Is.EqualTo((4000u, 4000u, 256u)));
        Assert.That(front.FinalCheckForResponses(), Is.False);
        Assert.That(page.As<SharedRingHeader>()->RspEvent, Is.EqualTo(4001u));
    }
}
