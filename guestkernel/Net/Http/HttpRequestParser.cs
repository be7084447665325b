// HTTP/1.1 request heads (RFC 9112) as a server reads them from a byte stream: one call looks at
// what has arrived and says whether a whole head is there, what it asks for, how many bytes it
// and its body take, and whether the connection stays open. Peer-controlled input: every way a
// head can be wrong ends in a status (400, 413, 431, 501, 505), never an exception, and nothing
// is allocated, so a keep-alive connection serves request after request without garbage.
using System;

namespace ParaKit.Net.Http;

public enum HttpParseStatus : byte
{
    /// <summary>No complete head yet: read more and call again.</summary>
    NeedMore,
    /// <summary>A whole head: see the <see cref="HttpRequestHead"/>.</summary>
    Complete,
    /// <summary>400: malformed request line or header field, missing Host in 1.1, conflicting lengths.</summary>
    BadRequest,
    /// <summary>413: a Content-Length above the server's limit.</summary>
    ContentTooLarge,
    /// <summary>431: the head does not fit the server's limit.</summary>
    HeaderTooLarge,
    /// <summary>501: a Transfer-Encoding (this server reads Content-Length bodies only).</summary>
    NotImplemented,
    /// <summary>505: an HTTP version other than 1.0 and 1.1.</summary>
    VersionNotSupported,
}

public enum HttpRequestMethod : byte
{
    Other,
    Get,
    Head,
}

/// <summary>What a complete head says; the target is a range of the parsed bytes.</summary>
public struct HttpRequestHead
{
    public HttpRequestMethod Method;
    public int TargetStart, TargetLength;
    /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
    public int MinorVersion;
    /// <summary>The connection stays open after the response (1.1 unless "close"; 1.0 only with "keep-alive").</summary>
    public bool KeepAlive;
    /// <summary>Bytes of the head, from the request line through the empty line.</summary>
    public int HeadLength;
    /// <summary>Content-Length (0 when absent): body bytes that follow the head.</summary>
    public long ContentLength;
}

public static class HttpRequestParser
{
    /// <summary>Looks for one request head at the start of <paramref name="data"/>.</summary>
    /// <param name="maxHead">The largest head accepted (431 above it).</param>
    /// <param name="maxBody">The largest Content-Length accepted (413 above it).</param>
    public static HttpParseStatus Parse(ReadOnlySpan<byte> data, int maxHead, long maxBody, out HttpRequestHead head)
    {
        head = default;
        // RFC 9112 2.2: ignore at least one empty line before the request line.
        int skip = 0;
        while (skip < data.Length && skip < 4 && (data[skip] == (byte)'\r' || data[skip] == (byte)'\n'))
            skip++;
        int end = FindHeadEnd(data, skip, out int terminator);
        if (end < 0)
            return data.Length >= maxHead ? HttpParseStatus.HeaderTooLarge : HttpParseStatus.NeedMore;
        if (end + terminator > maxHead)
            return HttpParseStatus.HeaderTooLarge;
        head.HeadLength = end + terminator;

        // Request line: method SP target SP HTTP/1.x
        int lineEnd = LineEnd(data, skip, end);
        ReadOnlySpan<byte> line = data.Slice(skip, lineEnd - skip);
        int sp1 = IndexOf(line, (byte)' ');
        if (sp1 <= 0)
            return HttpParseStatus.BadRequest;
        int sp2 = IndexOf(line.Slice(sp1 + 1), (byte)' ');
        if (sp2 <= 0)
            return HttpParseStatus.BadRequest;
        sp2 += sp1 + 1;
        ReadOnlySpan<byte> method = line.Slice(0, sp1);
        ReadOnlySpan<byte> target = line.Slice(sp1 + 1, sp2 - sp1 - 1);
        ReadOnlySpan<byte> version = line.Slice(sp2 + 1);
        for (int i = 0; i < method.Length; i++)
            if (!IsTokenChar(method[i]))
                return HttpParseStatus.BadRequest;
        for (int i = 0; i < target.Length; i++)
            if (target[i] <= 0x20 || target[i] >= 0x7F)
                return HttpParseStatus.BadRequest;
        if (version.Length != 8 || !version.Slice(0, 5).SequenceEqual("HTTP/"u8) || !IsDigit(version[5]) || version[6] != (byte)'.' || !IsDigit(version[7]))
            return HttpParseStatus.BadRequest;
        if (version[5] != (byte)'1' || version[7] > (byte)'1')
            return HttpParseStatus.VersionNotSupported;
        head.MinorVersion = version[7] - '0';
        head.Method = method.SequenceEqual("GET"u8) ? HttpRequestMethod.Get : method.SequenceEqual("HEAD"u8) ? HttpRequestMethod.Head : HttpRequestMethod.Other;
        head.TargetStart = skip + sp1 + 1;
        head.TargetLength = target.Length;

        // Header fields: name ":" OWS value OWS
        bool sawClose = false, sawKeepAlive = false, sawHost = false, sawLength = false;
        long length = 0;
        int at = lineEnd + LineBreakLength(data, lineEnd);
        while (at < end)
        {
            int fieldEnd = LineEnd(data, at, end);
            ReadOnlySpan<byte> field = data.Slice(at, fieldEnd - at);
            at = fieldEnd + LineBreakLength(data, fieldEnd);
            int colon = IndexOf(field, (byte)':');
            if (colon <= 0)
                return HttpParseStatus.BadRequest;   // also obsolete line folding (a line starting with space)
            ReadOnlySpan<byte> name = field.Slice(0, colon);
            for (int i = 0; i < name.Length; i++)
                if (!IsTokenChar(name[i]))
                    return HttpParseStatus.BadRequest;   // RFC 9112 5.1: no whitespace before the colon
            ReadOnlySpan<byte> value = Trim(field.Slice(colon + 1));
            for (int i = 0; i < value.Length; i++)
                if ((value[i] < 0x20 && value[i] != (byte)'\t') || value[i] == 0x7F)
                    return HttpParseStatus.BadRequest;
            if (EqualsIgnoreCase(name, "host"))
            {
                if (sawHost)
                    return HttpParseStatus.BadRequest;   // RFC 9112 3.2: more than one Host
                sawHost = true;
            }
            else if (EqualsIgnoreCase(name, "content-length"))
            {
                if (!TryParseLength(value, out long n))
                    return HttpParseStatus.BadRequest;
                if (sawLength && n != length)
                    return HttpParseStatus.BadRequest;
                sawLength = true;
                length = n;
            }
            else if (EqualsIgnoreCase(name, "transfer-encoding"))
            {
                return HttpParseStatus.NotImplemented;
            }
            else if (EqualsIgnoreCase(name, "connection"))
            {
                ScanConnection(value, ref sawClose, ref sawKeepAlive);
            }
        }
        if (head.MinorVersion == 1 && !sawHost)
            return HttpParseStatus.BadRequest;
        if (length > maxBody)
            return HttpParseStatus.ContentTooLarge;
        head.ContentLength = length;
        head.KeepAlive = head.MinorVersion == 1 ? !sawClose : sawKeepAlive && !sawClose;
        return HttpParseStatus.Complete;
    }

    /// <summary>The reason phrase's status code for a failed parse (0 for NeedMore/Complete).</summary>
    public static int StatusCode(HttpParseStatus s) => s switch
    {
        HttpParseStatus.BadRequest => 400,
        HttpParseStatus.ContentTooLarge => 413,
        HttpParseStatus.HeaderTooLarge => 431,
        HttpParseStatus.NotImplemented => 501,
        HttpParseStatus.VersionNotSupported => 505,
        _ => 0,
    };

    // The offset of the empty line that ends the head, and the length of the terminator there
    // (CRLF CRLF, or bare LFs, which RFC 9112 2.2 lets a server accept).
    private static int FindHeadEnd(ReadOnlySpan<byte> d, int from, out int terminator)
    {
        terminator = 0;
        for (int i = from; i < d.Length; i++)
        {
            if (d[i] != (byte)'\n')
                continue;
            // i ends a line; is the next line empty?
            if (i + 1 < d.Length && d[i + 1] == (byte)'\n')
            {
                int lineStart = i > from && d[i - 1] == (byte)'\r' ? i - 1 : i;
                terminator = i + 2 - lineStart;
                return lineStart;
            }
            if (i + 2 < d.Length && d[i + 1] == (byte)'\r' && d[i + 2] == (byte)'\n')
            {
                int lineStart = i > from && d[i - 1] == (byte)'\r' ? i - 1 : i;
                terminator = i + 3 - lineStart;
                return lineStart;
            }
        }
        return -1;
    }

    private static int LineEnd(ReadOnlySpan<byte> d, int from, int limit)
    {
        int i = from;
        while (i < limit && d[i] != (byte)'\n' && d[i] != (byte)'\r')
            i++;
        return i;
    }

    private static int LineBreakLength(ReadOnlySpan<byte> d, int at)
    {
        if (at < d.Length && d[at] == (byte)'\r')
            return at + 1 < d.Length && d[at + 1] == (byte)'\n' ? 2 : 1;
        return at < d.Length && d[at] == (byte)'\n' ? 1 : 0;
    }

    private static void ScanConnection(ReadOnlySpan<byte> value, ref bool close, ref bool keepAlive)
    {
        while (value.Length > 0)
        {
            int comma = IndexOf(value, (byte)',');
            ReadOnlySpan<byte> option = Trim(comma < 0 ? value : value.Slice(0, comma));
            if (EqualsIgnoreCase(option, "close"))
                close = true;
            else if (EqualsIgnoreCase(option, "keep-alive"))
                keepAlive = true;
            value = comma < 0 ? ReadOnlySpan<byte>.Empty : value.Slice(comma + 1);
        }
    }

    private static bool TryParseLength(ReadOnlySpan<byte> v, out long n)
    {
        n = 0;
        if (v.Length == 0 || v.Length > 15)
            return false;
        for (int i = 0; i < v.Length; i++)
        {
            if (!IsDigit(v[i]))
                return false;
            n = n * 10 + (v[i] - '0');
        }
        return true;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> v)
    {
        int s = 0, e = v.Length;
        while (s < e && (v[s] == (byte)' ' || v[s] == (byte)'\t'))
            s++;
        while (e > s && (v[e - 1] == (byte)' ' || v[e - 1] == (byte)'\t'))
            e--;
        return v.Slice(s, e - s);
    }

    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, string b)
    {
        if (a.Length != b.Length)
            return false;
        for (int i = 0; i < a.Length; i++)
        {
            int x = a[i], y = b[i];
            if (x >= 'A' && x <= 'Z')
                x += 32;
            if (y >= 'A' && y <= 'Z')
                y += 32;
            if (x != y)
                return false;
        }
        return true;
    }

    // The guest's span type has no IndexOf.
    private static int IndexOf(ReadOnlySpan<byte> s, byte b)
    {
        for (int i = 0; i < s.Length; i++)
            if (s[i] == b)
                return i;
        return -1;
    }

    private static bool IsDigit(byte c) => c >= (byte)'0' && c <= (byte)'9';

    // RFC 9110 5.6.2 tchar
    private static bool IsTokenChar(byte c) =>
        (c >= (byte)'a' && c <= (byte)'z') || (c >= (byte)'A' && c <= (byte)'Z') || IsDigit(c)
        || c == (byte)'!' || c == (byte)'#' || c == (byte)'$' || c == (byte)'%' || c == (byte)'&' || c == (byte)'\''
        || c == (byte)'*' || c == (byte)'+' || c == (byte)'-' || c == (byte)'.' || c == (byte)'^' || c == (byte)'_'
        || c == (byte)'`' || c == (byte)'|' || c == (byte)'~';
}
