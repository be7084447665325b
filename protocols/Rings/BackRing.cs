// The backend's private half of a shared ring (struct __name##_back_ring in io/ring.h): it
// consumes requests and produces responses. The backend does not trust the frontend: request
// counts are bounded, overflow is detectable, and every request is copied out once before use.
using System;
using System.Threading;

namespace ParaKit.Protocols.Rings;

/// <summary>Backend view of a one-page shared ring. A mutable struct: keep it in a field or local.</summary>
public unsafe struct BackRing<TReq, TRsp>
    where TReq : unmanaged
    where TRsp : unmanaged
{
    /// <summary>The shared page (mapped from the frontend's grant).</summary>
    public SharedRingHeader* Shared;
    /// <summary>rsp_prod_pvt: responses written but maybe not yet published.</summary>
    public uint RspProdPvt;
    /// <summary>req_cons: requests consumed.</summary>
    public uint ReqCons;
    /// <summary>nr_ents: number of slots, a power of two.</summary>
    public uint Size;
    /// <summary>Bytes per slot (the request/response union).</summary>
    public int EntrySize;

    /// <summary>BACK_RING_ATTACH at the page's current rsp_prod (0 on a freshly initialised ring;
    /// the right place to resume on a reconnect).</summary>
    public static BackRing<TReq, TRsp> Attach(void* page)
        => Attach(page, Volatile.Read(ref ((SharedRingHeader*)page)->RspProd));

    /// <summary>BACK_RING_ATTACH with an explicit start index.</summary>
    public static BackRing<TReq, TRsp> Attach(void* page, uint index)
    {
        BackRing<TReq, TRsp> r;
        r.Shared = (SharedRingHeader*)page;
        r.RspProdPvt = index;
        r.ReqCons = index;
        r.EntrySize = RingSize.EntrySize<TReq, TRsp>();
        r.Size = RingSize.For(r.EntrySize);
        return r;
    }

    private readonly byte* Slot(uint index) => (byte*)Shared + SharedRingHeader.Size + (nuint)((index & (Size - 1)) * (uint)EntrySize);

    /// <summary>The request slot for an index. Prefer <see cref="TryTakeRequest"/>: reading a
    /// slot twice lets the frontend change it in between.</summary>
    public readonly ref TReq RequestSlot(uint index) => ref *(TReq*)Slot(index);

    /// <summary>RING_GET_RESPONSE: the response slot for an index.</summary>
    public readonly ref TRsp ResponseSlot(uint index) => ref *(TRsp*)Slot(index);

    /// <summary>RING_REQUEST_PROD_OVERFLOW on the current req_prod, extended to a req_prod that moved
    /// backwards: true if req_prod lies outside [req_cons, rsp_prod_pvt + size], i.e. the frontend
    /// claims more requests than can be outstanding. Treat it as misbehaving (Linux netback disconnects).</summary>
    public readonly bool RequestsOverflowed()
    {
        uint prod = Volatile.Read(ref Shared->ReqProd);
        return prod - ReqCons > Size - (ReqCons - RspProdPvt);
    }

    /// <summary>RING_HAS_UNCONSUMED_REQUESTS with a stricter bound: Xen takes
    /// min(req_prod - req_cons, size - (req_cons - rsp_prod_pvt)); we return 0 instead when the first
    /// exceeds the second (an overflowed or backwards req_prod), so a misbehaving frontend can make us
    /// consume nothing at all, not even a ring of stale slots, and a consume loop always ends.</summary>
    public readonly uint UnconsumedRequests
    {
        get
        {
            uint prod = Volatile.Read(ref Shared->ReqProd);
            uint req = prod - ReqCons;
            uint room = Size - (ReqCons - RspProdPvt);
            return req <= room ? req : 0;
        }
    }

    /// <summary>Requests consumed but not yet answered.</summary>
    public readonly uint PendingResponses => ReqCons - RspProdPvt;

    /// <summary>RING_COPY_REQUEST + req_cons++: copies the next request out of shared memory
    /// exactly once; validate the copy, never the slot.</summary>
    public bool TryTakeRequest(out TReq request)
    {
        if (UnconsumedRequests == 0)
        {
            request = default;
            return false;
        }
        request = *(TReq*)Slot(ReqCons);
        ReqCons++;
        return true;
    }

    /// <summary>Copies the next slot out as another type sharing the request slot (netif_extra_info
    /// after a TX request with the extra_info flag). False if empty or <typeparamref name="T"/> is larger than a slot.</summary>
    public bool TryTakeRequestAs<T>(out T entry) where T : unmanaged
    {
        if (sizeof(T) > EntrySize || UnconsumedRequests == 0)
        {
            entry = default;
            return false;
        }
        entry = *(T*)Slot(ReqCons);
        ReqCons++;
        return true;
    }

    /// <summary>Copies up to <c>into.Length</c> requests out and consumes them; returns how many.</summary>
    public int TakeRequests(Span<TReq> into)
    {
        uint n = UnconsumedRequests;
        if (n > (uint)into.Length)
        {
            n = (uint)into.Length;
        }
        for (int i = 0; i < (int)n; i++)
        {
            into[i] = *(TReq*)Slot(ReqCons);
            ReqCons++;
        }
        return (int)n;
    }

    /// <summary>Writes a response into the next slot (not yet visible). False if every consumed
    /// request already has a response: a response may only reuse a slot whose request was copied out.</summary>
    public bool TryPushResponse(in TRsp response)
    {
        if (RspProdPvt == ReqCons)
        {
            return false;
        }
        *(TRsp*)Slot(RspProdPvt) = response;
        RspProdPvt++;
        return true;
    }

    /// <summary>RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: publish and say whether the frontend asked
    /// to be notified about any of the new responses (rsp_event in (old, new]).</summary>
    public bool PushResponsesAndCheckNotify() =>
        RingPublish.AndCheckNotify(ref Shared->RspProd, ref Shared->RspEvent, RspProdPvt);

    /// <summary>RING_PUSH_RESPONSES: publish without checking rsp_event.</summary>
    public void PushResponses() => Volatile.Write(ref Shared->RspProd, RspProdPvt);

    /// <summary>RING_FINAL_CHECK_FOR_REQUESTS: call before sleeping. If nothing is left, arms
    /// req_event and looks again; true means "more work, do not sleep". With <paramref name="ahead"/>
    /// above 1 the backend asks to be woken only once that many new requests are published (a
    /// batching consumer; it then needs a timer of its own for a trickle of fewer requests).</summary>
    public bool FinalCheckForRequests(uint ahead = 1)
    {
        if (UnconsumedRequests != 0)
        {
            return true;
        }
        Volatile.Write(ref Shared->ReqEvent, ReqCons + (ahead == 0 ? 1 : ahead));
        // mb(): req_event visible before re-reading req_prod (pairs with the frontend's push).
        Interlocked.MemoryBarrier();
        return UnconsumedRequests != 0;
    }
}
