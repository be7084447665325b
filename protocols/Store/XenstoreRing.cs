// The XenStore ring page (xenstore_domain_interface in io/xs_wire.h) and its two byte rings with
// free-running counters. A guest writes requests and reads responses; xenstored does the opposite.
// Indices written by the peer are never trusted: a distance above the ring size is reported as
// corruption instead of being used to index memory.
using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace ParaKit.Protocols.Store;

/// <summary>xenstore_domain_interface (io/xs_wire.h), 2080 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct XenstoreDomainInterface
{
    public const int Size = 2080;
    /// <summary>XENSTORE_RING_SIZE: bytes in each direction, a power of two.</summary>
    public const int RingSize = 1024;

    /// <summary>Requests, guest to xenstored.</summary>
    [FieldOffset(0)] public fixed byte Req[RingSize];
    /// <summary>Replies and watch events, xenstored to guest.</summary>
    [FieldOffset(1024)] public fixed byte Rsp[RingSize];
    /// <summary>Written by xenstored.</summary>
    [FieldOffset(2048)] public uint ReqCons;
    /// <summary>Written by the guest.</summary>
    [FieldOffset(2052)] public uint ReqProd;
    /// <summary>Written by the guest.</summary>
    [FieldOffset(2056)] public uint RspCons;
    /// <summary>Written by xenstored.</summary>
    [FieldOffset(2060)] public uint RspProd;
    /// <summary>XENSTORE_SERVER_FEATURE_* bits, written by xenstored.</summary>
    [FieldOffset(2064)] public uint ServerFeatures;
    /// <summary>XENSTORE_CONNECTED / XENSTORE_RECONNECT.</summary>
    [FieldOffset(2068)] public uint Connection;
    /// <summary>XENSTORE_ERROR_*: why xenstored gave up on this ring.</summary>
    [FieldOffset(2072)] public uint Error;
    /// <summary>Event channel of the ring (ParaKit also reports it in start_info).</summary>
    [FieldOffset(2076)] public uint EvtchnPort;
}

/// <summary>Constants of the ring page (io/xs_wire.h).</summary>
public static class XenstoreRingConstants
{
    public const uint ServerFeatureReconnection = 1;
    public const uint ServerFeatureError = 2;
    public const uint Connected = 0;
    public const uint Reconnect = 1;
    public const uint ErrorNone = 0;
    public const uint ErrorComm = 1;
    /// <summary>An index was out of range: the peer corrupted the ring.</summary>
    public const uint ErrorRingIdx = 2;
    public const uint ErrorProto = 3;
}

/// <summary>Result of a byte-ring operation.</summary>
public enum XsRingStatus
{
    Ok = 0,
    /// <summary>prod - cons exceeds the ring size: the peer wrote a bad index. Stop using the ring.</summary>
    Corrupt = 1,
}

/// <summary>Byte-ring operations on a <see cref="XenstoreDomainInterface"/>. Counters are u32 and
/// free-running; the byte for counter c is at c &amp; (size - 1). Each call moves as many bytes as fit
/// (possibly 0) and reports the count: a message may span several calls.</summary>
public static unsafe class XenstoreRing
{
    private const uint Mask = XenstoreDomainInterface.RingSize - 1;

    /// <summary>Producer side on one direction: copies up to the free space, then publishes.</summary>
    public static XsRingStatus Write(byte* ring, uint* cons, uint* prod, ReadOnlySpan<byte> data, out int written)
    {
        written = 0;
        uint c = Volatile.Read(ref *cons);
        uint p = *prod;
        uint used = p - c;
        if (used > XenstoreDomainInterface.RingSize)
        {
            return XsRingStatus.Corrupt;
        }
        // mb(): the consumer index must be read before we overwrite the bytes it freed.
        Interlocked.MemoryBarrier();
        uint free = XenstoreDomainInterface.RingSize - used;
        int n = data.Length < (int)free ? data.Length : (int)free;
        for (int i = 0; i < n; i++)
        {
            ring[(p + (uint)i) & Mask] = data[i];
        }
        // wmb(): bytes visible before the index that publishes them.
        Volatile.Write(ref *prod, p + (uint)n);
        written = n;
        return XsRingStatus.Ok;
    }

    /// <summary>Consumer side on one direction: copies up to what is available, then frees the space.</summary>
    public static XsRingStatus Read(byte* ring, uint* cons, uint* prod, Span<byte> into, out int read)
    {
        read = 0;
        // rmb() (acquire): the bytes are read only after the index that published them.
        uint p = Volatile.Read(ref *prod);
        uint c = *cons;
        uint avail = p - c;
        if (avail > XenstoreDomainInterface.RingSize)
        {
            return XsRingStatus.Corrupt;
        }
        int n = into.Length < (int)avail ? into.Length : (int)avail;
        for (int i = 0; i < n; i++)
        {
            into[i] = ring[(c + (uint)i) & Mask];
        }
        // mb(): finish reading the bytes before handing their space back to the producer.
        Interlocked.MemoryBarrier();
        Volatile.Write(ref *cons, c + (uint)n);
        read = n;
        return XsRingStatus.Ok;
    }

    /// <summary>Bytes that can be written now on one direction.</summary>
    public static XsRingStatus Space(uint* cons, uint* prod, out int free)
    {
        uint used = Volatile.Read(ref *prod) - Volatile.Read(ref *cons);
        free = 0;
        if (used > XenstoreDomainInterface.RingSize)
        {
            return XsRingStatus.Corrupt;
        }
        free = (int)(XenstoreDomainInterface.RingSize - used);
        return XsRingStatus.Ok;
    }

    /// <summary>Bytes that can be read now on one direction.</summary>
    public static XsRingStatus Available(uint* cons, uint* prod, out int available)
    {
        uint used = Volatile.Read(ref *prod) - Volatile.Read(ref *cons);
        available = 0;
        if (used > XenstoreDomainInterface.RingSize)
        {
            return XsRingStatus.Corrupt;
        }
        available = (int)used;
        return XsRingStatus.Ok;
    }

    /// <summary>Guest: send request bytes.</summary>
    public static XsRingStatus WriteRequest(XenstoreDomainInterface* intf, ReadOnlySpan<byte> data, out int written)
        => Write(intf->Req, &intf->ReqCons, &intf->ReqProd, data, out written);

    /// <summary>xenstored: receive request bytes.</summary>
    public static XsRingStatus ReadRequest(XenstoreDomainInterface* intf, Span<byte> into, out int read)
        => Read(intf->Req, &intf->ReqCons, &intf->ReqProd, into, out read);

    /// <summary>xenstored: send reply or watch-event bytes.</summary>
    public static XsRingStatus WriteResponse(XenstoreDomainInterface* intf, ReadOnlySpan<byte> data, out int written)
        => Write(intf->Rsp, &intf->RspCons, &intf->RspProd, data, out written);

    /// <summary>Guest: receive reply or watch-event bytes.</summary>
    public static XsRingStatus ReadResponse(XenstoreDomainInterface* intf, Span<byte> into, out int read)
        => Read(intf->Rsp, &intf->RspCons, &intf->RspProd, into, out read);
}
