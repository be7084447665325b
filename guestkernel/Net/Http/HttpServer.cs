// The HTTP/1.1 server behind Apps/httpd, on the stack's sockets: a fixed table of connections,
// each with its own preallocated input and output buffers, served in turn from the event loop.
// Requests on a connection are answered strictly in order (pipelining): the next one is parsed
// only while the output buffer has room for a whole response, so a client that never reads
// cannot make the server buffer without bound. Pure (time passed in), so host tests drive it
// over two stacks on a simulated wire.
using System;
using ParaKit.Drivers;
using ParaKit.Net.Json;
using ParaKit.Net.Stack;

namespace ParaKit.Net.Http;

/// <summary>What the server did, for /stats and the done line.</summary>
public sealed class HttpServerCounters
{
    public ulong Accepted, Closed, Requests, Ok, ClientErrors, ServerErrors, IdleClosed, Failed, BodyBytesDiscarded;
}

public sealed class HttpServer
{
    public const int MaxHeadBytes = 8 * 1024;
    public const long MaxBodyBytes = 1024 * 1024;
    // The largest response we build: headers plus the /stats body.
    private const int MaxResponseBytes = 12 * 1024;
    private const int OutputBytes = 3 * MaxResponseBytes;

    /// <summary>The page at "/": fixed bytes, so a client can compare them exactly.</summary>
    public static readonly byte[] IndexPage = Ascii(
        "<!DOCTYPE html>\n<html><head><title>ParaKit httpd</title></head>\n<body>\n"
        + "<h1>Hello from a C# unikernel</h1>\n"
        + "<p>This page was served by httpd, a ParaKit guest, over its own TCP/IP stack.</p>\n"
        + "<p>Its network counters are at <a href=\"/stats\">/stats</a>.</p>\n"
        + "</body></html>\n");

    private readonly NetStack _stack;
    private readonly IEthernetDevice _nic;
    private readonly Connection[] _connections;
    private readonly ulong _idleNs;
    private readonly byte[] _statsBody = new byte[MaxResponseBytes - 512];
    private readonly JsonWriter _json;
    private readonly byte[] _discard = new byte[4096];

    public HttpServer(NetStack stack, IEthernetDevice nic, int maxConnections, ulong idleNs)
    {
        _stack = stack;
        _nic = nic;
        _idleNs = idleNs;
        _connections = new Connection[maxConnections];
        for (int i = 0; i < maxConnections; i++)
            _connections[i] = new Connection();
        _json = new JsonWriter(_statsBody);
    }

    public HttpServerCounters Counters { get; } = new();

    /// <summary>Connections being served now.</summary>
    public int Active
    {
        get
        {
            int n = 0;
            foreach (Connection c in _connections)
                if (c.Socket != null)
                    n++;
            return n;
        }
    }

    /// <summary>Takes waiting connections while a slot is free; true if any was taken.</summary>
    public bool Accept(TcpListener listener, ulong nowNs)
    {
        bool any = false;
        foreach (Connection c in _connections)
        {
            if (c.Socket != null)
                continue;
            TcpSocket? s = listener.Accept();
            if (s is null)
                break;
            c.Open(s, nowNs);
            Counters.Accepted++;
            any = true;
        }
        return any;
    }

    /// <summary>Moves every connection forward; true if any made progress.</summary>
    public bool Service(ulong nowNs)
    {
        bool any = false;
        foreach (Connection c in _connections)
            if (c.Socket != null)
                any |= Service(c, nowNs);
        return any;
    }

    private bool Service(Connection c, ulong nowNs)
    {
        TcpSocket s = c.Socket!;
        bool progress = false;
        if (s.Error != TcpError.None || s.IsClosed && c.OutLength > c.OutStart)
        {
            Counters.Failed++;
            Release(c, abort: true);
            return true;
        }
        progress |= Flush(c);
        if (c.CloseWhenSent && c.OutStart == c.OutLength)
        {
            Release(c, abort: false);
            return true;
        }

        // Take what has arrived: first the rest of a body we do not want, then request bytes.
        while (c.Discard > 0)
        {
            int n = s.Read(_discard.AsSpan(0, (int)Math.Min(c.Discard, _discard.Length)));
            if (n <= 0)
                break;
            c.Discard -= n;
            Counters.BodyBytesDiscarded += (ulong)n;
            progress = true;
        }
        if (c.Discard == 0 && c.InLength < c.In.Length && !c.PeerDone)
        {
            int n = s.Read(c.In.AsSpan(c.InLength, c.In.Length - c.InLength));
            if (n > 0)
            {
                c.InLength += n;
                progress = true;
            }
            else if (n == 0 || n == TcpSocket.Failed)
            {
                c.PeerDone = true;
                progress = true;
            }
        }

        // Answer complete requests in order while a whole response fits.
        while (c.Discard == 0 && !c.CloseWhenSent && c.Out.Length - c.OutLength >= MaxResponseBytes)
        {
            HttpParseStatus st = HttpRequestParser.Parse(c.In.AsSpan(0, c.InLength), MaxHeadBytes, MaxBodyBytes, out HttpRequestHead head);
            if (st == HttpParseStatus.NeedMore)
            {
                if (c.PeerDone)
                {
                    // The client half-closed: answer what it asked, then close our side too.
                    c.CloseWhenSent = true;
                    if (c.InLength > 0 && !IsBlank(c.In.AsSpan(0, c.InLength)))
                        Respond(c, 400, "Bad Request", "bad request: the connection ended inside a request head\n", HttpRequestMethod.Get, keepAlive: false);
                    c.InLength = 0;
                }
                break;
            }
            progress = true;
            if (st != HttpParseStatus.Complete)
            {
                int code = HttpRequestParser.StatusCode(st);
                Respond(c, code, Reason(code), ErrorBody(code), HttpRequestMethod.Get, keepAlive: false);
                c.InLength = 0;
                c.CloseWhenSent = true;
                break;
            }
            Counters.Requests++;
            Answer(c, head);
            // Consume the head and as much of the body as has arrived; the rest is skipped later.
            long inBuffer = c.InLength - head.HeadLength;
            long bodyHere = Math.Min(head.ContentLength, inBuffer);
            Consume(c, head.HeadLength + (int)bodyHere);
            c.Discard = head.ContentLength - bodyHere;
            if (!head.KeepAlive)
                c.CloseWhenSent = true;
        }
        progress |= Flush(c);
        if (c.CloseWhenSent && c.OutStart == c.OutLength)
        {
            Release(c, abort: false);
            return true;
        }
        if (c.PeerDone && c.InLength == 0 && c.OutStart == c.OutLength)
        {
            Release(c, abort: false);
            return true;
        }
        if (progress)
        {
            c.LastActivityNs = nowNs;
        }
        else if (nowNs - c.LastActivityNs > _idleNs && c.OutStart == c.OutLength)
        {
            Counters.IdleClosed++;
            Release(c, abort: false);
            return true;
        }
        return progress;
    }

    private void Answer(Connection c, in HttpRequestHead head)
    {
        ReadOnlySpan<byte> target = c.In.AsSpan(head.TargetStart, head.TargetLength);
        int q = 0;
        while (q < target.Length && target[q] != (byte)'?')
            q++;
        ReadOnlySpan<byte> path = target.Slice(0, q);
        if (head.Method == HttpRequestMethod.Other)
        {
            Respond(c, 405, "Method Not Allowed", "method not allowed: use GET or HEAD\n", HttpRequestMethod.Get, head.KeepAlive, allow: true);
            return;
        }
        if (path.SequenceEqual("/"u8) || path.SequenceEqual("/index.html"u8))
        {
            Respond(c, 200, "OK", "text/html; charset=utf-8", IndexPage, head.Method, head.KeepAlive);
            return;
        }
        if (path.SequenceEqual("/stats"u8))
        {
            WriteStats();
            if (_json.Overflowed)
            {
                Respond(c, 500, "Internal Server Error", "the counters did not fit the page buffer\n", head.Method, head.KeepAlive);
                return;
            }
            Respond(c, 200, "OK", "application/json", _json.Written, head.Method, head.KeepAlive);
            return;
        }
        Respond(c, 404, "Not Found", "not found\n", head.Method, head.KeepAlive);
    }

    private void WriteStats()
    {
        JsonWriter w = _json;
        w.Reset();
        w.BeginObject();
        NetCountersJson.WriteMembers(w, _stack.Counters, _nic.Counters, _stack.TcpConnections, _stack.TcpHalfOpen);
        HttpServerCounters h = Counters;
        w.Key("httpd").BeginObject()
            .Member("connections_accepted", h.Accepted)
            .Member("connections_closed", h.Closed)
            .Member("connections_active", Active)
            .Member("requests", h.Requests)
            .Member("responses_2xx", h.Ok)
            .Member("responses_4xx", h.ClientErrors)
            .Member("responses_5xx", h.ServerErrors)
            .Member("idle_closed", h.IdleClosed)
            .Member("failed", h.Failed)
            .Member("body_bytes_discarded", h.BodyBytesDiscarded)
            .EndObject();
        w.EndObject();
    }

    private void Respond(Connection c, int code, string reason, string text, HttpRequestMethod method, bool keepAlive, bool allow = false)
    {
        // Error and 404 bodies are short ASCII literals.
        Span<byte> body = stackalloc byte[text.Length];
        for (int i = 0; i < text.Length; i++)
            body[i] = (byte)text[i];
        Respond(c, code, reason, "text/plain; charset=utf-8", body, method, keepAlive, allow);
    }

    private void Respond(Connection c, int code, string reason, string contentType, ReadOnlySpan<byte> body, HttpRequestMethod method, bool keepAlive, bool allow = false)
    {
        if (code < 300)
            Counters.Ok++;
        else if (code < 500)
            Counters.ClientErrors++;
        else
            Counters.ServerErrors++;
        Compact(c);
        c.Ascii("HTTP/1.1 ");
        c.Number(code);
        c.Ascii(" ");
        c.Ascii(reason);
        c.Ascii("\r\nServer: parakit-httpd\r\nContent-Type: ");
        c.Ascii(contentType);
        c.Ascii("\r\nContent-Length: ");
        c.Number(body.Length);
        c.Ascii("\r\n");
        if (allow)
            c.Ascii("Allow: GET, HEAD\r\n");
        c.Ascii(keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
        if (method != HttpRequestMethod.Head)
            c.Bytes(body);
    }

    private static bool Flush(Connection c)
    {
        if (c.OutStart == c.OutLength)
            return false;
        int n = c.Socket!.Write(c.Out.AsSpan(c.OutStart, c.OutLength - c.OutStart));
        if (n <= 0)
            return false;
        c.OutStart += n;
        if (c.OutStart == c.OutLength)
            c.OutStart = c.OutLength = 0;
        return true;
    }

    private static void Compact(Connection c)
    {
        if (c.OutStart == 0)
            return;
        int live = c.OutLength - c.OutStart;
        c.Out.AsSpan(c.OutStart, live).CopyTo(c.Out.AsSpan(0, live));
        c.OutStart = 0;
        c.OutLength = live;
    }

    private static void Consume(Connection c, int n)
    {
        int rest = c.InLength - n;
        if (rest > 0)
            c.In.AsSpan(n, rest).CopyTo(c.In.AsSpan(0, rest));
        c.InLength = rest;
    }

    private void Release(Connection c, bool abort)
    {
        if (abort)
            c.Socket!.Abort();
        else
            c.Socket!.Close();
        c.Socket = null;
        Counters.Closed++;
    }

    private static bool IsBlank(ReadOnlySpan<byte> b)
    {
        foreach (byte x in b)
            if (x != (byte)'\r' && x != (byte)'\n')
                return false;
        return true;
    }

    private static string Reason(int code) => code switch
    {
        400 => "Bad Request",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };

    private static string ErrorBody(int code) => code switch
    {
        400 => "bad request: the request line or a header field is malformed\n",
        413 => "content too large: bodies are limited to 1 MiB\n",
        431 => "request header fields too large: the head is limited to 8 KiB\n",
        501 => "not implemented: this server reads Content-Length bodies only\n",
        505 => "HTTP version not supported: use HTTP/1.1 or HTTP/1.0\n",
        _ => "error\n",
    };

    private static byte[] Ascii(string s)
    {
        var b = new byte[s.Length];
        for (int i = 0; i < s.Length; i++)
            b[i] = (byte)s[i];
        return b;
    }

    /// <summary>One served connection's state and buffers (allocated once, reused).</summary>
    private sealed class Connection
    {
        public readonly byte[] In = new byte[MaxHeadBytes];
        public readonly byte[] Out = new byte[OutputBytes];
        public TcpSocket? Socket;
        public int InLength, OutStart, OutLength;
        public long Discard;
        public bool PeerDone, CloseWhenSent;
        public ulong LastActivityNs;

        public void Open(TcpSocket s, ulong nowNs)
        {
            Socket = s;
            InLength = OutStart = OutLength = 0;
            Discard = 0;
            PeerDone = CloseWhenSent = false;
            LastActivityNs = nowNs;
        }

        // Appending to the output buffer: the caller made sure a whole response fits.
        public void Ascii(string s)
        {
            foreach (char ch in s)
                Out[OutLength++] = (byte)ch;
        }

        public void Number(int v)
        {
            Span<byte> d = stackalloc byte[12];
            int n = 0;
            do
            {
                d[n++] = (byte)('0' + v % 10);
                v /= 10;
            } while (v != 0);
            while (n > 0)
                Out[OutLength++] = d[--n];
        }

        public void Bytes(ReadOnlySpan<byte> b)
        {
            b.CopyTo(Out.AsSpan(OutLength, b.Length));
            OutLength += b.Length;
        }
    }
}
