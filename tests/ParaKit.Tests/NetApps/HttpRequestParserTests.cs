// HttpRequestParser (guestkernel/Net/Http), the head reader behind Apps/httpd: complete and partial
// heads, keep-alive rules of RFC 9112 9.3, pipelined requests back to back, and every malformed
// head answered with its status; random bytes never throw.
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Http;

namespace ParaKit.Tests.NetApps;

public class HttpRequestParserTests
{
    private static HttpParseStatus Parse(string text, out HttpRequestHead head, int maxHead = 8192, long maxBody = 1 << 20) =>
        HttpRequestParser.Parse(Encoding.ASCII.GetBytes(text), maxHead, maxBody, out head);

    [Test]
    public void A_get_is_complete_with_its_target_and_keeps_the_connection_in_1_1()
    {
        string text = "GET /stats?x=1 HTTP/1.1\r\nHost: guest\r\nAccept: */*\r\n\r\n";
        Assert.That(Parse(text, out var h), Is.EqualTo(HttpParseStatus.Complete));
        Assert.Multiple(() =>
        {
            Assert.That(h.Method, Is.EqualTo(HttpRequestMethod.Get));
            Assert.That(text.Substring(h.TargetStart, h.TargetLength), Is.EqualTo("/stats?x=1"));
            Assert.That(h.MinorVersion, Is.EqualTo(1));
            Assert.That(h.KeepAlive, Is.True);
            Assert.That(h.HeadLength, Is.EqualTo(text.Length));
            Assert.That(h.ContentLength, Is.EqualTo(0));
        });
    }

    [TestCase("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false)]
    [TestCase("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", false)]
    [TestCase("GET / HTTP/1.0\r\n\r\n", false)]
    [TestCase("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true)]
    [TestCase("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", true)]
    public void Keep_alive_follows_the_version_and_the_connection_header(string text, bool keepAlive)
    {
        Assert.That(Parse(text, out var h), Is.EqualTo(HttpParseStatus.Complete));
        Assert.That(h.KeepAlive, Is.EqualTo(keepAlive));
    }

    [Test]
    public void A_partial_head_needs_more_at_every_cut()
    {
        string text = "GET /index.html HTTP/1.1\r\nHost: a\r\nUser-Agent: test\r\n\r\n";
        for (int cut = 0; cut < text.Length; cut++)
            Assert.That(Parse(text[..cut], out _), Is.EqualTo(HttpParseStatus.NeedMore), $"cut at {cut}");
        Assert.That(Parse(text, out _), Is.EqualTo(HttpParseStatus.Complete));
    }

    [Test]
    public void Pipelined_requests_parse_one_after_the_other_with_their_bodies()
    {
        string a = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
        string b = "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
        byte[] all = Encoding.ASCII.GetBytes(a + b);
        Assert.That(HttpRequestParser.Parse(all, 8192, 1 << 20, out var h1), Is.EqualTo(HttpParseStatus.Complete));
        Assert.That(h1.Method, Is.EqualTo(HttpRequestMethod.Other));
        Assert.That(h1.ContentLength, Is.EqualTo(5));
        int next = h1.HeadLength + (int)h1.ContentLength;
        Assert.That(next, Is.EqualTo(a.Length));
        Assert.That(HttpRequestParser.Parse(all.AsSpan(next), 8192, 1 << 20, out var h2), Is.EqualTo(HttpParseStatus.Complete));
        Assert.That(Encoding.ASCII.GetString(all, next + h2.TargetStart, h2.TargetLength), Is.EqualTo("/b"));
    }

    [Test]
    public void Bare_line_feeds_and_leading_empty_lines_are_accepted()
    {
        Assert.That(Parse("\r\nGET / HTTP/1.1\nHost: a\n\n", out var h), Is.EqualTo(HttpParseStatus.Complete));
        Assert.That(h.HeadLength, Is.EqualTo("\r\nGET / HTTP/1.1\nHost: a\n\n".Length));
    }

    [TestCase("BLAH\r\n\r\n", HttpParseStatus.BadRequest)]
    [TestCase("GET /\r\nHost: a\r\n\r\n", HttpParseStatus.BadRequest)]
    [TestCase("GET / HTTP/1.1\r\n\r\n", HttpParseStatus.BadRequest)]                               // no Host in 1.1
    [TestCase("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HttpParseStatus.BadRequest)]
    [TestCase("GET / HTTP/1.1\r\nHost : a\r\n\r\n", HttpParseStatus.BadRequest)]                   // space before the colon
    [TestCase("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", HttpParseStatus.BadRequest)]        // obsolete line folding
    [TestCase("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", HttpParseStatus.BadRequest)]
    [TestCase("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", HttpParseStatus.BadRequest)]
    [TestCase("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", HttpParseStatus.BadRequest)]
    [TestCase("GET / HTTX/1.1\r\nHost: a\r\n\r\n", HttpParseStatus.BadRequest)]
    [TestCase("GET / HTTP/2.0\r\nHost: a\r\n\r\n", HttpParseStatus.VersionNotSupported)]
    [TestCase("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", HttpParseStatus.NotImplemented)]
    [TestCase("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n", HttpParseStatus.ContentTooLarge)]
    public void Malformed_heads_get_their_status(string text, HttpParseStatus expected)
    {
        Assert.That(Parse(text, out _), Is.EqualTo(expected));
        Assert.That(HttpRequestParser.StatusCode(expected), Is.AnyOf(400, 413, 501, 505));
    }

    [Test]
    public void A_head_over_the_limit_is_431_complete_or_not()
    {
        string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + new string('a', 9000);
        Assert.That(Parse(big, out _), Is.EqualTo(HttpParseStatus.HeaderTooLarge), "no end yet, already too long");
        Assert.That(Parse(big + "\r\n\r\n", out _), Is.EqualTo(HttpParseStatus.HeaderTooLarge));
        Assert.That(HttpRequestParser.StatusCode(HttpParseStatus.HeaderTooLarge), Is.EqualTo(431));
    }

    [FsCheck.NUnit.Property(MaxTest = 500, Replay = "(2024,1127)")]
    public Property Any_bytes_get_a_status_and_never_throw() =>
        Prop.ForAll(Gen.ArrayOf(Gen.Elements((byte)'G', (byte)'E', (byte)'T', (byte)' ', (byte)'/', (byte)'\r', (byte)'\n', (byte)':',
                (byte)'H', (byte)'1', (byte)'.', (byte)'P', (byte)'0', (byte)'a', (byte)0, (byte)0xFF)).ToArbitrary(), bytes =>
        {
            var st = HttpRequestParser.Parse(bytes, 64, 100, out var h);
            if (st == HttpParseStatus.Complete)
            {
                Assert.That(h.HeadLength, Is.InRange(1, Math.Min(64, bytes.Length)));
                Assert.That(h.TargetStart + h.TargetLength, Is.LessThanOrEqualTo(h.HeadLength));
            }
            return true;
        });
}
