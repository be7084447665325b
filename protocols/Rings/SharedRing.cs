// The shared ring page of xen/include/public/io/ring.h: the header both sides see, ring-size
// arithmetic, and initialisation. The private halves (FrontRing, BackRing) live beside it.
// Everything here is compiled into guests too: no exceptions, no allocation, no BCL helpers.
using System.Runtime.InteropServices;
using System.Threading;

namespace ParaKit.Protocols.Rings;

/// <summary>The header of a shared ring page (struct __name##_sring in io/ring.h), 64 bytes;
/// the entries (unions of request and response) start right after it.
/// Who writes what: the frontend writes <see cref="ReqProd"/> and <see cref="RspEvent"/>, the
/// backend writes <see cref="RspProd"/> and <see cref="ReqEvent"/>. Indices are free-running u32s.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct SharedRingHeader
{
    /// <summary>Bytes before the first entry: req_prod, req_event, rsp_prod, rsp_event, pvt (4) and pad (44).</summary>
    public const int Size = 64;

    /// <summary>req_prod: requests published by the frontend.</summary>
    [FieldOffset(0)] public uint ReqProd;
    /// <summary>req_event: the backend wants a notification when req_prod passes this index.</summary>
    [FieldOffset(4)] public uint ReqEvent;
    /// <summary>rsp_prod: responses published by the backend.</summary>
    [FieldOffset(8)] public uint RspProd;
    /// <summary>rsp_event: the frontend wants a notification when rsp_prod passes this index.</summary>
    [FieldOffset(12)] public uint RspEvent;
    /// <summary>pvt: per-protocol private bytes (netif uses none; kept for the layout).</summary>
    [FieldOffset(16)] public uint Pvt;
    /// <summary>pad[44] up to the 64-byte entry boundary.</summary>
    [FieldOffset(20)] public fixed byte Pad[44];

    /// <summary>SHARED_RING_INIT: only the frontend does this, before it grants the page.
    /// <paramref name="start"/> is 0 in Xen; other values exist so tests can start near 2^32.</summary>
    public static void Init(SharedRingHeader* ring, uint start = 0)
    {
        ring->ReqProd = start;
        ring->RspProd = start;
        ring->ReqEvent = start + 1;
        ring->RspEvent = start + 1;
        ring->Pvt = 0;
        byte* pad = ring->Pad;
        for (int i = 0; i < 44; i++)
        {
            pad[i] = 0;
        }
        // The page is about to be handed to the peer: make the header visible first.
        Interlocked.MemoryBarrier();
    }
}

/// <summary>Ring sizes as Xen computes them (__CONST_RING_SIZE / __RING_SIZE in io/ring.h).</summary>
public static unsafe class RingSize
{
    /// <summary>A shared ring occupies exactly one page.</summary>
    public const int PageSize = 4096;

    /// <summary>Largest power of two not above (page - header) / entry size; 0 if an entry does not fit.</summary>
    public static uint For(int entrySize)
    {
        if (entrySize <= 0)
        {
            return 0;
        }
        uint slots = (uint)((PageSize - SharedRingHeader.Size) / entrySize);
        if (slots == 0)
        {
            return 0;
        }
        uint size = 1;
        while (size <= slots / 2)
        {
            size <<= 1;
        }
        return size;
    }

    /// <summary>Size of one entry: the C union of request and response. Our ABI structs are all
    /// sized to a multiple of their alignment, so the larger of the two is the union's size.</summary>
    public static int EntrySize<TReq, TRsp>()
        where TReq : unmanaged
        where TRsp : unmanaged
        => sizeof(TReq) > sizeof(TRsp) ? sizeof(TReq) : sizeof(TRsp);

    /// <summary>Ring size for a request/response pair on one page.</summary>
    public static uint For<TReq, TRsp>()
        where TReq : unmanaged
        where TRsp : unmanaged
        => For(EntrySize<TReq, TRsp>());
}

/// <summary>The producer-side publish that io/ring.h writes twice (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY
/// and its response twin), once for both directions.</summary>
internal static class RingPublish
{
    /// <summary>Publishes <paramref name="now"/> as the producer index and says whether the peer
    /// asked to be notified about any of the new entries (its event index in (old, now]).</summary>
    public static bool AndCheckNotify(ref uint producer, ref uint peerEvent, uint now)
    {
        uint old = producer;
        // wmb(): the entries must be visible before the index that publishes them.
        Volatile.Write(ref producer, now);
        // mb(): the index must be visible before we read the peer's event index, or a peer that
        // is just going to sleep and we could each miss the other's write (a lost wake-up).
        Interlocked.MemoryBarrier();
        uint ev = Volatile.Read(ref peerEvent);
        return now - ev < now - old;
    }
}
