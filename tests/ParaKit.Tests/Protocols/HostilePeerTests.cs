// Properties with a hostile peer: whatever indices a frontend writes into the shared header,
// the backend flags overflow exactly when Xen's rule says so and never consumes more than one
// ring of unanswered requests; whatever a backend writes, the frontend reads no unanswered slot.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;

namespace ParaKit.Tests.Protocols;

public unsafe class HostilePeerTests
{
    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Backend_never_consumes_past_one_ring_whatever_req_prod_says(uint start, uint[] hostileProds, byte answerEvery)
    {
        using var page = new TestPage();
        FrontRing<NetifTxRequest, NetifTxResponse>.InitAt(page.Pointer, start);
        var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(page.Pointer);
        SharedRingHeader* h = page.As<SharedRingHeader>();
        int answer = answerEvery % 8 + 1;
        bool ok = true;
        foreach (uint prod in hostileProds)
        {
            h->ReqProd = prod;
            bool flagged = back.RequestsOverflowed();
            // Legal: req_cons <= req_prod <= rsp_prod_pvt + size (modulo 2^32, measured from req_cons).
            bool legal = unchecked(prod - back.ReqCons) <= unchecked(back.RspProdPvt + back.Size - back.ReqCons);
            ok &= flagged == !legal;
            ok &= !unchecked(prod - back.RspProdPvt > back.Size) || flagged; // Xen's RING_REQUEST_PROD_OVERFLOW implies ours
            uint unansweredBefore = back.PendingResponses;
            int taken = 0, answered = 0;
            while (back.TryTakeRequest(out _) && taken < 100_000)
            {
                taken++;
                if (taken % answer == 0 && back.TryPushResponse(new NetifTxResponse { Status = NetifStatus.Okay }))
                {
                    answered++;
                }
            }
            // Invariants that bound every access to the page, whatever the peer wrote: never more
            // than one ring of consumed-but-unanswered requests, so responses never overrun requests.
            ok &= back.PendingResponses <= back.Size;
            ok &= unansweredBefore + (uint)taken - (uint)answered == back.PendingResponses;
            ok &= taken < 100_000 && (legal || taken == 0);
        }
        return ok.ToProperty();
    }

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Frontend_never_reads_a_slot_it_did_not_publish(uint start, byte published, uint[] hostileRspProds)
    {
        using var page = new TestPage();
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.InitAt(page.Pointer, start);
        for (int i = 0; i < published; i++)
        {
            front.TryPushRequest(default);
        }
        front.PushRequestsAndCheckNotify();
        front.TryPushRequest(default); // written, not published
        SharedRingHeader* h = page.As<SharedRingHeader>();
        int read = 0;
        foreach (uint p in hostileRspProds)
        {
            h->RspProd = p;
            bool flagged = front.ResponsesOverflowed();
            uint claimed = unchecked(p - front.RspCons);
            uint outstanding = unchecked(h->ReqProd - front.RspCons);
            if (flagged != claimed > outstanding)
            {
                return false.ToProperty();
            }
            while (front.TryTakeResponse(out _))
            {
                read++;
            }
        }
        return (read <= published).ToProperty();
    }
}
