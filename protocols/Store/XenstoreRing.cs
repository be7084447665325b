// The XenStore ring page (xenstore_domain_interface in io/xs_wire.h) and its two byte rings with
// free-running counters. A guest writes requests and reads responses; xenstored does the opposite.
// The byte-ring discipline itself lives in Rings/ByteRing.cs.
using System;
using System.Runtime.InteropServices;
using ParaKit.Protocols.Rings;

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

/// <summary>Byte-ring operations on a <see cref="XenstoreDomainInterface"/> (see <see cref="ByteRing"/>):
/// a guest writes requests and reads responses, xenstored the opposite. A message may span calls.</summary>
public static unsafe class XenstoreRing
{
    private const uint Size = XenstoreDomainInterface.RingSize;

    /// <summary>Guest: send request bytes.</summary>
    public static ByteRingStatus WriteRequest(XenstoreDomainInterface* intf, ReadOnlySpan<byte> data, out int written)
        => ByteRing.Write(intf->Req, Size, &intf->ReqCons, &intf->ReqProd, data, out written);

    /// <summary>xenstored: receive request bytes.</summary>
    public static ByteRingStatus ReadRequest(XenstoreDomainInterface* intf, Span<byte> into, out int read)
        => ByteRing.Read(intf->Req, Size, &intf->ReqCons, &intf->ReqProd, into, out read);

    /// <summary>xenstored: send reply or watch-event bytes.</summary>
    public static ByteRingStatus WriteResponse(XenstoreDomainInterface* intf, ReadOnlySpan<byte> data, out int written)
        => ByteRing.Write(intf->Rsp, Size, &intf->RspCons, &intf->RspProd, data, out written);

    /// <summary>Guest: receive reply or watch-event bytes.</summary>
    public static ByteRingStatus ReadResponse(XenstoreDomainInterface* intf, Span<byte> into, out int read)
        => ByteRing.Read(intf->Rsp, Size, &intf->RspCons, &intf->RspProd, into, out read);

    /// <summary>Bytes the guest can send now.</summary>
    public static ByteRingStatus RequestSpace(XenstoreDomainInterface* intf, out int free)
        => ByteRing.Space(Size, &intf->ReqCons, &intf->ReqProd, out free);

    /// <summary>Bytes xenstored can read now.</summary>
    public static ByteRingStatus RequestAvailable(XenstoreDomainInterface* intf, out int available)
        => ByteRing.Available(Size, &intf->ReqCons, &intf->ReqProd, out available);

    /// <summary>Bytes xenstored can send now.</summary>
    public static ByteRingStatus ResponseSpace(XenstoreDomainInterface* intf, out int free)
        => ByteRing.Space(Size, &intf->RspCons, &intf->RspProd, out free);

    /// <summary>Bytes the guest can read now.</summary>
    public static ByteRingStatus ResponseAvailable(XenstoreDomainInterface* intf, out int available)
        => ByteRing.Available(Size, &intf->RspCons, &intf->RspProd, out available);
}

/// <summary>Reassembles whole XenStore messages from a byte ring, however the peer splits them.
/// It reads only the bytes the current message still needs (header first, then exactly its
/// payload), so the buffer never holds more than one message and the rest stays in the ring.</summary>
public static unsafe class XenstoreMessageReader
{
    /// <summary>Pulls bytes from one direction of the ring into <paramref name="buffer"/> (at least
    /// <see cref="XsLimits.MessageMax"/> bytes), where <paramref name="have"/> bytes of the current
    /// message already are. Ok: a whole message is in buffer[0..<paramref name="length"/>); handle it
    /// and set <paramref name="have"/> to 0. Truncated: the ring is empty for now (wait for an event).
    /// TooLong or RingCorrupt: the peer is broken; stop reading this ring.</summary>
    public static XsDecodeStatus Read(byte* ring, uint* cons, uint* prod, Span<byte> buffer, ref int have, out XsdSockMsg header, out int length)
    {
        header = default;
        length = 0;
        if (buffer.Length < XsLimits.MessageMax || have < 0 || have > XsLimits.MessageMax)
        {
            return XsDecodeStatus.Malformed;
        }
        // Two rounds at most: the rest of the header, then the rest of the payload.
        for (int round = 0; round < 2; round++)
        {
            int want = XsdSockMsg.Size;
            if (have >= XsdSockMsg.Size)
            {
                XsDecodeStatus hs = XsCodec.TryReadHeader(buffer, out header);
                if (hs != XsDecodeStatus.Ok)
                {
                    return hs;
                }
                want = XsdSockMsg.Size + (int)header.Len;
                if (have >= want)
                {
                    length = want;
                    return XsDecodeStatus.Ok;
                }
            }
            if (ByteRing.Read(ring, XenstoreDomainInterface.RingSize, cons, prod, buffer.Slice(have, want - have), out int read) != ByteRingStatus.Ok)
            {
                return XsDecodeStatus.RingCorrupt;
            }
            have += read;
            if (have < want)
            {
                return XsDecodeStatus.Truncated;
            }
        }
        // The header completed in round 0 and the payload in round 1, or the payload was empty.
        XsDecodeStatus st = XsCodec.TryReadHeader(buffer, out header);
        if (st != XsDecodeStatus.Ok)
        {
            return st;
        }
        length = XsdSockMsg.Size + (int)header.Len;
        return have >= length ? XsDecodeStatus.Ok : XsDecodeStatus.Truncated;
    }

    /// <summary>xenstored: the next request from a guest.</summary>
    public static XsDecodeStatus ReadRequest(XenstoreDomainInterface* intf, Span<byte> buffer, ref int have, out XsdSockMsg header, out int length)
        => Read(intf->Req, &intf->ReqCons, &intf->ReqProd, buffer, ref have, out header, out length);

    /// <summary>Guest: the next reply or watch event.</summary>
    public static XsDecodeStatus ReadResponse(XenstoreDomainInterface* intf, Span<byte> buffer, ref int have, out XsdSockMsg header, out int length)
        => Read(intf->Rsp, &intf->RspCons, &intf->RspProd, buffer, ref have, out header, out length);
}
