// The frontend's private half of a shared ring (struct __name##_front_ring in io/ring.h):
// it produces requests and consumes responses. Notification is the caller's business: the push
// and final-check operations only say whether a notify is due, as MirageOS's shared-memory-ring does.
using System;
using System.Threading;

namespace ParaKit.Protocols.Rings;

/// <summary>Frontend view of a one-page shared ring of <typeparamref name="TReq"/> requests and
/// <typeparamref name="TRsp"/> responses. A mutable struct: keep it in a field or local and call
/// it in place. Single producer, single consumer per direction.</summary>
public unsafe struct FrontRing<TReq, TRsp>
    where TReq : unmanaged
    where TRsp : unmanaged
{
    /// <summary>The shared page.</summary>
    public SharedRingHeader* Shared;
    /// <summary>req_prod_pvt: requests written but maybe not yet published.</summary>
    public uint ReqProdPvt;
    /// <summary>rsp_cons: responses consumed.</summary>
    public uint RspCons;
    /// <summary>nr_ents: number of slots, a power of two (0 if the entry type does not fit a page).</summary>
    public uint Size;
    /// <summary>Bytes per slot (the request/response union).</summary>
    public int EntrySize;

    /// <summary>SHARED_RING_INIT + FRONT_RING_INIT: the frontend initialises a fresh page.</summary>
    public static FrontRing<TReq, TRsp> Init(void* page) => InitAt(page, 0);

    /// <summary>Like <see cref="Init(void*)"/> but with all indices starting at <paramref name="start"/>
    /// (used to exercise u32 wraparound).</summary>
    public static FrontRing<TReq, TRsp> InitAt(void* page, uint start)
    {
        SharedRingHeader.Init((SharedRingHeader*)page, start);
        return Attach(page, start);
    }

    /// <summary>FRONT_RING_ATTACH: take over a page whose indices already stand at <paramref name="index"/>.</summary>
    public static FrontRing<TReq, TRsp> Attach(void* page, uint index)
    {
        FrontRing<TReq, TRsp> r;
        r.Shared = (SharedRingHeader*)page;
        r.ReqProdPvt = index;
        r.RspCons = index;
        r.EntrySize = RingSize.EntrySize<TReq, TRsp>();
        r.Size = RingSize.For(r.EntrySize);
        return r;
    }

    private readonly byte* Slot(uint index) => (byte*)Shared + SharedRingHeader.Size + (nuint)((index & (Size - 1)) * (uint)EntrySize);

    /// <summary>RING_GET_REQUEST: the request slot for an index (for building a request in place).</summary>
    public readonly ref TReq RequestSlot(uint index) => ref *(TReq*)Slot(index);

    /// <summary>The response slot for an index.</summary>
    public readonly ref TRsp ResponseSlot(uint index) => ref *(TRsp*)Slot(index);

    /// <summary>RING_FREE_REQUESTS: slots the frontend may still fill before responses come back.</summary>
    public readonly uint FreeRequests => Size - (ReqProdPvt - RspCons);

    /// <summary>RING_FULL.</summary>
    public readonly bool IsFull => FreeRequests == 0;

    /// <summary>Requests written privately but not yet published with a push.</summary>
    public readonly uint UnpublishedRequests => ReqProdPvt - Volatile.Read(ref Shared->ReqProd);

    /// <summary>Writes a request into the next free slot (not yet visible to the backend).
    /// False if the ring is full.</summary>
    public bool TryPushRequest(in TReq request)
    {
        if (FreeRequests == 0)
        {
            return false;
        }
        *(TReq*)Slot(ReqProdPvt) = request;
        ReqProdPvt++;
        return true;
    }

    /// <summary>Writes another entry type that shares the request slot (netif_extra_info in a TX
    /// ring). False if the ring is full or <typeparamref name="T"/> is larger than a slot.</summary>
    public bool TryPushRequestAs<T>(in T entry) where T : unmanaged
    {
        if (FreeRequests == 0 || sizeof(T) > EntrySize)
        {
            return false;
        }
        *(T*)Slot(ReqProdPvt) = entry;
        ReqProdPvt++;
        return true;
    }

    /// <summary>RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publish the private requests and say whether
    /// the backend asked to be notified about any of them (req_event in (old, new]).</summary>
    public bool PushRequestsAndCheckNotify() =>
        RingPublish.AndCheckNotify(ref Shared->ReqProd, ref Shared->ReqEvent, ReqProdPvt);

    /// <summary>RING_PUSH_REQUESTS: publish without checking req_event (netif.h: refilling the RX
    /// ring never needs a notification).</summary>
    public void PushRequests() => Volatile.Write(ref Shared->ReqProd, ReqProdPvt);

    /// <summary>True if rsp_prod lies outside [rsp_cons, req_prod]: the backend claims responses to
    /// requests never published (or moved rsp_prod backwards). Its responses must not be trusted.</summary>
    public readonly bool ResponsesOverflowed()
    {
        uint prod = Volatile.Read(ref Shared->RspProd);
        return prod - RspCons > Shared->ReqProd - RspCons;
    }

    /// <summary>RING_HAS_UNCONSUMED_RESPONSES, or 0 if the backend claims more responses than there
    /// are published requests outstanding (see <see cref="ResponsesOverflowed"/>): a bad rsp_prod can
    /// never make us read a slot that holds no response, such as one of our own pending requests.</summary>
    public readonly uint UnconsumedResponses
    {
        get
        {
            uint available = Volatile.Read(ref Shared->RspProd) - RspCons;
            // req_prod is ours: a plain read sees our own last publish.
            uint outstanding = Shared->ReqProd - RspCons;
            return available <= outstanding ? available : 0;
        }
    }

    /// <summary>Copies the next response out of shared memory (once) and consumes it.</summary>
    public bool TryTakeResponse(out TRsp response)
    {
        if (UnconsumedResponses == 0)
        {
            response = default;
            return false;
        }
        response = *(TRsp*)Slot(RspCons);
        RspCons++;
        return true;
    }

    /// <summary>Copies up to <c>into.Length</c> responses out and consumes them; returns how many.</summary>
    public int TakeResponses(Span<TRsp> into)
    {
        uint n = UnconsumedResponses;
        if (n > (uint)into.Length)
        {
            n = (uint)into.Length;
        }
        for (int i = 0; i < (int)n; i++)
        {
            into[i] = *(TRsp*)Slot(RspCons);
            RspCons++;
        }
        return (int)n;
    }

    /// <summary>RING_FINAL_CHECK_FOR_RESPONSES: call before sleeping. If nothing is left, arms
    /// rsp_event and looks again; true means "more work, do not sleep". With <paramref name="ahead"/>
    /// above 1 the frontend asks to be woken only once that many new responses are published
    /// (netfront does this for TX completions it is in no hurry to reap).</summary>
    public bool FinalCheckForResponses(uint ahead = 1)
    {
        if (UnconsumedResponses != 0)
        {
            return true;
        }
        Volatile.Write(ref Shared->RspEvent, RspCons + (ahead == 0 ? 1 : ahead));
        // mb(): rsp_event must be visible before we re-read rsp_prod (pairs with the backend's push).
        Interlocked.MemoryBarrier();
        return UnconsumedResponses != 0;
    }
}
