// Encoding and decoding of XenStore messages and payloads. Everything a peer sends is parsed
// here without trusting it: every failure is a status value, never an exception, and every loop
// is bounded by the input length. Little-endian by hand, because guests have no BinaryPrimitives.
using System;

namespace ParaKit.Protocols.Store;

/// <summary>Outcome of decoding peer-controlled XenStore bytes.</summary>
public enum XsDecodeStatus
{
    Ok = 0,
    /// <summary>Not enough bytes yet (a partial header or payload): wait for more.</summary>
    Truncated = 1,
    /// <summary>The header announces more than <see cref="XsLimits.PayloadMax"/> bytes: a broken peer.</summary>
    TooLong = 2,
    /// <summary>The payload does not have the shape its message type requires (e.g. a missing nul).</summary>
    Malformed = 3,
    /// <summary>The ring's counters are impossible (see <see cref="Rings.ByteRingStatus.Corrupt"/>): stop using the ring.</summary>
    RingCorrupt = 4,
}

/// <summary>XenStore wire codec (io/xs_wire.h, docs/misc/xenstore.txt).</summary>
public static class XsCodec
{
    /// <summary>Little-endian u32 store.</summary>
    public static void WriteU32(Span<byte> dest, int offset, uint value)
    {
        dest[offset] = (byte)value;
        dest[offset + 1] = (byte)(value >> 8);
        dest[offset + 2] = (byte)(value >> 16);
        dest[offset + 3] = (byte)(value >> 24);
    }

    /// <summary>Little-endian u32 load.</summary>
    public static uint ReadU32(ReadOnlySpan<byte> src, int offset)
        => src[offset] | (uint)src[offset + 1] << 8 | (uint)src[offset + 2] << 16 | (uint)src[offset + 3] << 24;

    /// <summary>Byte-wise equality (MemoryExtensions is not available in guests).</summary>
    public static bool BytesEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Index of the first nul, or -1.</summary>
    public static int IndexOfNul(ReadOnlySpan<byte> s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == 0)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Copies <paramref name="src"/> to <paramref name="dest"/> at <paramref name="at"/>; false if it does not fit.</summary>
    private static bool Put(Span<byte> dest, ref int at, ReadOnlySpan<byte> src)
    {
        if (src.Length > dest.Length - at)
        {
            return false;
        }
        for (int i = 0; i < src.Length; i++)
        {
            dest[at + i] = src[i];
        }
        at += src.Length;
        return true;
    }

    private static bool PutNul(Span<byte> dest, ref int at)
    {
        if (at >= dest.Length)
        {
            return false;
        }
        dest[at++] = 0;
        return true;
    }

    /// <summary>Writes the 16-byte header; false if <paramref name="dest"/> is too small.</summary>
    public static bool TryWriteHeader(Span<byte> dest, in XsdSockMsg header)
    {
        if (dest.Length < XsdSockMsg.Size)
        {
            return false;
        }
        WriteU32(dest, 0, header.Type);
        WriteU32(dest, 4, header.ReqId);
        WriteU32(dest, 8, header.TxId);
        WriteU32(dest, 12, header.Len);
        return true;
    }

    /// <summary>Reads a header. Truncated if fewer than 16 bytes, TooLong if len exceeds the payload limit.</summary>
    public static XsDecodeStatus TryReadHeader(ReadOnlySpan<byte> src, out XsdSockMsg header)
    {
        header = default;
        if (src.Length < XsdSockMsg.Size)
        {
            return XsDecodeStatus.Truncated;
        }
        header.Type = ReadU32(src, 0);
        header.ReqId = ReadU32(src, 4);
        header.TxId = ReadU32(src, 8);
        header.Len = ReadU32(src, 12);
        return header.Len > XsLimits.PayloadMax ? XsDecodeStatus.TooLong : XsDecodeStatus.Ok;
    }

    /// <summary>Encodes header + payload; false if the payload exceeds the limit or <paramref name="dest"/> is too small.</summary>
    public static bool TryEncode(Span<byte> dest, XsdSockMsgType type, uint reqId, uint txId, ReadOnlySpan<byte> payload, out int written)
    {
        written = 0;
        if (payload.Length > XsLimits.PayloadMax || dest.Length < XsdSockMsg.Size + payload.Length)
        {
            return false;
        }
        XsdSockMsg h;
        h.Type = (uint)type;
        h.ReqId = reqId;
        h.TxId = txId;
        h.Len = (uint)payload.Length;
        TryWriteHeader(dest, h);
        int at = XsdSockMsg.Size;
        Put(dest, ref at, payload);
        written = at;
        return true;
    }

    /// <summary>Decodes one whole message from the front of <paramref name="src"/>. On Ok,
    /// <paramref name="payload"/> aliases <paramref name="src"/> and <paramref name="consumed"/> is
    /// header + payload length. The type is not checked here (unknown types get an error reply).</summary>
    public static XsDecodeStatus TryDecode(ReadOnlySpan<byte> src, out XsdSockMsg header, out ReadOnlySpan<byte> payload, out int consumed)
    {
        payload = default;
        consumed = 0;
        XsDecodeStatus st = TryReadHeader(src, out header);
        if (st != XsDecodeStatus.Ok)
        {
            return st;
        }
        int total = XsdSockMsg.Size + (int)header.Len;
        if (src.Length < total)
        {
            return XsDecodeStatus.Truncated;
        }
        payload = src.Slice(XsdSockMsg.Size, (int)header.Len);
        consumed = total;
        return XsDecodeStatus.Ok;
    }

    // ---- payload builders ------------------------------------------------------------------

    /// <summary>"path\0": READ, DIRECTORY, MKDIR, RM, GET_PERMS, GET_DOMAIN_PATH requests.</summary>
    public static bool TryBuildPath(Span<byte> dest, ReadOnlySpan<byte> path, out int written)
    {
        int at = 0;
        bool ok = Put(dest, ref at, path) && PutNul(dest, ref at) && at <= XsLimits.PayloadMax;
        written = ok ? at : 0;
        return ok;
    }

    /// <summary>WRITE: "path\0value" (the value is not nul-terminated).</summary>
    public static bool TryBuildWrite(Span<byte> dest, ReadOnlySpan<byte> path, ReadOnlySpan<byte> value, out int written)
    {
        int at = 0;
        bool ok = Put(dest, ref at, path) && PutNul(dest, ref at) && Put(dest, ref at, value) && at <= XsLimits.PayloadMax;
        written = ok ? at : 0;
        return ok;
    }

    /// <summary>WATCH, UNWATCH and WATCH_EVENT: "path\0token\0".</summary>
    public static bool TryBuildWatch(Span<byte> dest, ReadOnlySpan<byte> path, ReadOnlySpan<byte> token, out int written)
    {
        int at = 0;
        bool ok = Put(dest, ref at, path) && PutNul(dest, ref at) && Put(dest, ref at, token) && PutNul(dest, ref at)
            && at <= XsLimits.PayloadMax;
        written = ok ? at : 0;
        return ok;
    }

    /// <summary>TRANSACTION_END: "T\0" to commit, "F\0" to abort (Linux sends the nul; decoding accepts either).</summary>
    public static bool TryBuildTransactionEnd(Span<byte> dest, bool commit, out int written)
    {
        int at = 0;
        bool ok = Put(dest, ref at, commit ? "T"u8 : "F"u8) && PutNul(dest, ref at);
        written = ok ? at : 0;
        return ok;
    }

    /// <summary>ERROR reply payload: the error's name and a nul ("EINVAL\0").</summary>
    public static bool TryBuildError(Span<byte> dest, XsError error, out int written)
    {
        ReadOnlySpan<byte> name = XsErrors.Name(error);
        int at = 0;
        bool ok = name.Length != 0 && Put(dest, ref at, name) && PutNul(dest, ref at);
        written = ok ? at : 0;
        return ok;
    }

    /// <summary>The "OK\0" payload of a successful WRITE, MKDIR, RM, WATCH, ... reply.</summary>
    public static ReadOnlySpan<byte> OkPayload => "OK\0"u8;

    // ---- payload parsers (peer-controlled input) --------------------------------------------

    /// <summary>"path\0" with exactly one nul, at the end, and a non-empty path.</summary>
    public static XsDecodeStatus TryParsePath(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> path)
    {
        path = default;
        int nul = IndexOfNul(payload);
        if (nul <= 0 || nul != payload.Length - 1)
        {
            return XsDecodeStatus.Malformed;
        }
        path = payload.Slice(0, nul);
        return XsDecodeStatus.Ok;
    }

    /// <summary>"path\0value": the value is everything after the first nul (it may be empty or binary).</summary>
    public static XsDecodeStatus TryParseWrite(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> value)
    {
        path = default;
        value = default;
        int nul = IndexOfNul(payload);
        if (nul <= 0)
        {
            return XsDecodeStatus.Malformed;
        }
        path = payload.Slice(0, nul);
        value = payload.Slice(nul + 1);
        return XsDecodeStatus.Ok;
    }

    /// <summary>"path\0token\0" (WATCH, UNWATCH, WATCH_EVENT): two nul-terminated strings, nothing after.</summary>
    public static XsDecodeStatus TryParseWatch(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> token)
    {
        path = default;
        token = default;
        int first = IndexOfNul(payload);
        if (first <= 0)
        {
            return XsDecodeStatus.Malformed;
        }
        ReadOnlySpan<byte> rest = payload.Slice(first + 1);
        int second = IndexOfNul(rest);
        if (second < 0 || second != rest.Length - 1)
        {
            return XsDecodeStatus.Malformed;
        }
        path = payload.Slice(0, first);
        token = rest.Slice(0, second);
        return XsDecodeStatus.Ok;
    }

    /// <summary>TRANSACTION_END payload: "T" or "F", with or without a trailing nul.</summary>
    public static XsDecodeStatus TryParseTransactionEnd(ReadOnlySpan<byte> payload, out bool commit)
    {
        commit = false;
        if (payload.Length == 0 || payload.Length > 2 || (payload.Length == 2 && payload[1] != 0))
        {
            return XsDecodeStatus.Malformed;
        }
        if (payload[0] == (byte)'T')
        {
            commit = true;
            return XsDecodeStatus.Ok;
        }
        return payload[0] == (byte)'F' ? XsDecodeStatus.Ok : XsDecodeStatus.Malformed;
    }

    /// <summary>ERROR payload: a known error name, with or without its trailing nul.</summary>
    public static XsDecodeStatus TryParseError(ReadOnlySpan<byte> payload, out XsError error)
    {
        error = XsError.None;
        int nul = IndexOfNul(payload);
        if (nul >= 0 && nul != payload.Length - 1)
        {
            return XsDecodeStatus.Malformed;
        }
        ReadOnlySpan<byte> name = nul >= 0 ? payload.Slice(0, nul) : payload;
        ReadOnlySpan<byte> all = XsErrors.All;
        for (int i = 0; i < all.Length; i++)
        {
            if (BytesEqual(name, XsErrors.Name((XsError)all[i])))
            {
                error = (XsError)all[i];
                return XsDecodeStatus.Ok;
            }
        }
        return XsDecodeStatus.Malformed;
    }

    /// <summary>Iterates a list of nul-terminated strings (a DIRECTORY reply): takes the next one
    /// off <paramref name="rest"/>. False at the end, or if the last string lacks its nul.</summary>
    public static bool TryNextString(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> item)
    {
        item = default;
        int nul = IndexOfNul(rest);
        if (nul < 0)
        {
            return false;
        }
        item = rest.Slice(0, nul);
        rest = rest.Slice(nul + 1);
        return true;
    }

    /// <summary>Parses an unsigned decimal (a TX id, a port, a grant ref, a XenbusState): digits only,
    /// optionally followed by one nul, no overflow.</summary>
    public static bool TryParseUInt(ReadOnlySpan<byte> text, out uint value)
    {
        value = 0;
        int end = text.Length;
        if (end > 0 && text[end - 1] == 0)
        {
            end--;
        }
        if (end == 0)
        {
            return false;
        }
        ulong v = 0;
        for (int i = 0; i < end; i++)
        {
            byte c = text[i];
            if (c < (byte)'0' || c > (byte)'9')
            {
                return false;
            }
            v = v * 10 + (ulong)(c - (byte)'0');
            if (v > uint.MaxValue)
            {
                return false;
            }
        }
        value = (uint)v;
        return true;
    }

    /// <summary>Formats an unsigned decimal without a nul; returns the digits written, 0 if it does not fit.</summary>
    public static int FormatUInt(Span<byte> dest, uint value)
    {
        int digits = 1;
        for (uint v = value; v >= 10; v /= 10)
        {
            digits++;
        }
        if (digits > dest.Length)
        {
            return 0;
        }
        for (int i = digits - 1; i >= 0; i--)
        {
            dest[i] = (byte)('0' + value % 10);
            value /= 10;
        }
        return digits;
    }
}

/// <summary>XenStore path rules (docs/misc/xenstore.txt).</summary>
public static class XsPaths
{
    private static bool IsPathChar(byte c)
        => (c >= (byte)'a' && c <= (byte)'z') || (c >= (byte)'A' && c <= (byte)'Z') || (c >= (byte)'0' && c <= (byte)'9')
        || c == (byte)'-' || c == (byte)'/' || c == (byte)'_' || c == (byte)'@';

    /// <summary>A node path: characters [0-9A-Za-z-/_@], no "//", no trailing '/' (except "/" itself),
    /// at most <see cref="XsLimits.AbsPathMax"/> bytes if absolute or <see cref="XsLimits.RelPathMax"/>
    /// if relative to the domain's home.</summary>
    public static bool IsValid(ReadOnlySpan<byte> path)
    {
        if (path.Length == 0)
        {
            return false;
        }
        bool absolute = path[0] == (byte)'/';
        if (path.Length > (absolute ? XsLimits.AbsPathMax : XsLimits.RelPathMax))
        {
            return false;
        }
        for (int i = 0; i < path.Length; i++)
        {
            byte c = path[i];
            if (!IsPathChar(c))
            {
                return false;
            }
            if (c == (byte)'/' && i > 0 && path[i - 1] == (byte)'/')
            {
                return false;
            }
        }
        return path.Length == 1 || path[path.Length - 1] != (byte)'/';
    }

    /// <summary>A watch path: a node path, or one of the special "@introduceDomain" / "@releaseDomain".</summary>
    public static bool IsValidWatch(ReadOnlySpan<byte> path)
        => XsCodec.BytesEqual(path, "@introduceDomain"u8) || XsCodec.BytesEqual(path, "@releaseDomain"u8) || IsValid(path);
}
