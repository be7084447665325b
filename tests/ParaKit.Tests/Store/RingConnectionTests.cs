// A guest's store connection over an in-memory xenstore_domain_interface page: requests split
// anywhere, counters near 2^32, replies larger than the ring, notifications, and a guest that
// corrupts its ring (disconnected; the store keeps serving the others).
using System.Runtime.InteropServices;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Store;

public unsafe class RingConnectionTests
{
    private sealed class Page : IDisposable
    {
        public XenstoreDomainInterface* Intf { get; } = (XenstoreDomainInterface*)NativeMemory.AllocZeroed(4096);
        public void Dispose() => NativeMemory.Free(Intf);
    }

    private sealed class CountingNotifier : IStoreNotifier
    {
        public int Count;
        public void Notify() => Count++;
    }

    private static byte[] Msg(XsdSockMsgType type, uint reqId, string payload, uint tx = 0)
    {
        byte[] p = Encoding.ASCII.GetBytes(payload);
        var m = new byte[XsdSockMsg.Size + p.Length];
        XsCodec.TryEncode(m, type, reqId, tx, p, out _);
        return m;
    }

    /// <summary>The guest side: pushes bytes in chunks, servicing the connection in between, and
    /// collects every whole message that comes back.</summary>
    private static List<(XsdSockMsg H, string Payload)> Exchange(Page page, RingConnection conn, byte[] bytes, int chunk)
    {
        var got = new List<(XsdSockMsg, string)>();
        var buf = new byte[XsLimits.MessageMax];
        int have = 0;
        int sent = 0;
        for (int spins = 0; spins < 100_000; spins++)
        {
            if (sent < bytes.Length)
            {
                XenstoreRing.WriteRequest(page.Intf, bytes.AsSpan(sent, Math.Min(chunk, bytes.Length - sent)), out int w);
                sent += w;
            }
            bool progress = conn.Service();
            while (XenstoreMessageReader.ReadResponse(page.Intf, buf, ref have, out var h, out int len) == XsDecodeStatus.Ok)
            {
                got.Add((h, Encoding.ASCII.GetString(buf, XsdSockMsg.Size, len - XsdSockMsg.Size)));
                have = 0;
                progress = true;
            }
            if (sent == bytes.Length && !progress && conn.PendingOutput == 0)
                break;
        }
        return got;
    }

    private static (XenStore, RingConnection, CountingNotifier) Connect(Page page, uint start)
    {
        var store = new XenStore();
        store.IntroduceDomain(1, "guest", 4096);
        RingConnection.InitPage(page.Intf, 7);
        page.Intf->ReqCons = page.Intf->ReqProd = start;
        page.Intf->RspCons = page.Intf->RspProd = start + 100;
        var n = new CountingNotifier();
        var conn = new RingConnection(store, 1, "guest", page.Intf, n);
        store.Attach(conn);
        return (store, conn, n);
    }

    [Test]
    public void A_connection_whose_guest_never_sends_keeps_no_request_buffer()
    {
        using var page = new Page();
        var (store, warm, _) = Connect(page, 0);
        warm.Service(); // warm up (first calls may set up statics)
        store.IntroduceDomain(2, "idle", 4096);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var conn = new RingConnection(store, 2, "idle", page.Intf, new CountingNotifier());
        for (int i = 0; i < 10; i++)
            conn.Service();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(XsLimits.MessageMax), "an idle ring allocated a request buffer (4 KiB per domain)");
        // The first request still gets its buffer and an answer.
        var got = Exchange(page, warm, Msg(XsdSockMsgType.Read, 1, "name\0").ToArray(), 4096);
        Assert.That(got.Select(g => g.Payload), Is.EqualTo(new[] { "guest" }));
    }

    [Test]
    public void Requests_and_replies_cross_the_ring_with_wraparound()
    {
        using var page = new Page();
        var (store, conn, notes) = Connect(page, 0xFFFF_FFC0);
        var req = Msg(XsdSockMsgType.Write, 1, "data/key\0value")
            .Concat(Msg(XsdSockMsgType.Read, 2, "data/key\0"))
            .Concat(Msg(XsdSockMsgType.Watch, 3, "data\0tok\0"))
            .Concat(Msg(XsdSockMsgType.Read, 4, "name\0")).ToArray();
        var got = Exchange(page, conn, req, 7);
        Assert.That(got.Select(g => (g.H.ReqId, g.Payload)), Is.EqualTo(new[]
        {
            (1u, "OK\0"), (2u, "value"), (3u, "OK\0"), (0u, "data\0tok\0"), (4u, "guest"),
        }));
        Assert.That(page.Intf->ReqCons, Is.LessThan(0x1000u), "the request counter wrapped");
        Assert.That(notes.Count, Is.GreaterThan(0));
        Assert.That(conn.RequestsHandled, Is.EqualTo(4));

        // Domain 0 writes: the guest's watch event is queued and goes out at the next service.
        store.Write("/local/domain/1/data/x", "1");
        got = Exchange(page, conn, [], 1);
        Assert.That(got.Single().Payload, Is.EqualTo("data/x\0tok\0"));
    }

    [Test]
    public void A_reply_larger_than_the_ring_goes_out_in_pieces()
    {
        using var page = new Page();
        var (store, conn, _) = Connect(page, 0);
        string big = new('v', 4000);
        store.Write("/local/domain/1/data/big", big);
        var got = Exchange(page, conn, Msg(XsdSockMsgType.Read, 9, "data/big\0"), 1024);
        Assert.That(got.Single().Payload, Is.EqualTo(big));
    }

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property Any_split_and_start_gives_the_same_replies() =>
        Prop.ForAll(
            (from start in Gen.Choose(0, 4000).Select(d => unchecked(0u - (uint)d))
             from chunk in Gen.Choose(1, 1024)
             from n in Gen.Choose(1, 20)
             from sizes in Gen.ArrayOf(Gen.Choose(0, 3000), n)
             select (start, chunk, sizes)).ToArbitrary(),
            c =>
            {
                using var page = new Page();
                var (_, conn, _) = Connect(page, c.start);
                var req = new List<byte>();
                for (int i = 0; i < c.sizes.Length; i++)
                {
                    req.AddRange(Msg(XsdSockMsgType.Write, (uint)(2 * i + 1), $"data/k{i}\0" + new string('x', c.sizes[i])));
                    req.AddRange(Msg(XsdSockMsgType.Read, (uint)(2 * i + 2), $"data/k{i}\0"));
                }
                var got = Exchange(page, conn, [.. req], c.chunk);
                var expect = c.sizes.SelectMany((s, i) => new[] { ((uint)(2 * i + 1), "OK\0"), ((uint)(2 * i + 2), new string('x', s)) });
                return got.Select(g => (g.H.ReqId, g.Payload)).SequenceEqual(expect).ToProperty();
            });

    [Test]
    public void A_corrupt_ring_or_oversized_message_closes_only_that_connection()
    {
        using var bad = new Page();
        using var good = new Page();
        var (store, badConn, notes) = Connect(bad, 0);
        RingConnection.InitPage(good.Intf, 8);
        store.IntroduceDomain(2, "good", 1024);
        var goodConn = new RingConnection(store, 2, "good", good.Intf, new CountingNotifier());
        store.Attach(goodConn);

        bad.Intf->ReqProd = 5000; // more than a ring's worth of unread bytes: impossible
        Assert.That(badConn.Service(), Is.False);
        Assert.That(badConn.IsClosed, Is.True);
        Assert.That(bad.Intf->Error, Is.EqualTo(XenstoreRingConstants.ErrorRingIdx));
        Assert.That(notes.Count, Is.EqualTo(1), "the guest is told");

        var got = Exchange(good, goodConn, Msg(XsdSockMsgType.Read, 1, "name\0"), 100);
        Assert.That(got.Single().Payload, Is.EqualTo("good"));

        using var huge = new Page();
        RingConnection.InitPage(huge.Intf, 9);
        store.IntroduceDomain(3, "huge", 1024);
        var hugeConn = new RingConnection(store, 3, "huge", huge.Intf, new CountingNotifier());
        store.Attach(hugeConn);
        var header = new byte[16];
        XsCodec.TryWriteHeader(header, new XsdSockMsg { Type = 2, ReqId = 1, Len = 5000 });
        XenstoreRing.WriteRequest(huge.Intf, header, out _);
        hugeConn.Service();
        Assert.That(hugeConn.IsClosed, Is.True);
        Assert.That(huge.Intf->Error, Is.EqualTo(XenstoreRingConstants.ErrorProto));
        Assert.That(store.ConnectionCount, Is.EqualTo(1));
    }

    [Test]
    public void Service_thread_answers_kicks()
    {
        using var page = new Page();
        var store = new XenStore();
        store.IntroduceDomain(1, "guest", 4096);
        RingConnection.InitPage(page.Intf, 7);
        using var notified = new SemaphoreSlim(0);
        var conn = new RingConnection(store, 1, "guest", page.Intf, new ActionNotifier(() => notified.Release()));
        using var service = new StoreService(store);
        service.Add(conn);
        var buf = new byte[XsLimits.MessageMax];
        for (int i = 0; i < 100; i++)
        {
            XenstoreRing.WriteRequest(page.Intf, Msg(XsdSockMsgType.Read, (uint)i, "domid\0"), out _);
            service.Kick(conn);
            int have = 0;
            XsDecodeStatus st;
            while ((st = XenstoreMessageReader.ReadResponse(page.Intf, buf, ref have, out var h, out int len)) == XsDecodeStatus.Truncated)
                Assert.That(notified.Wait(TimeSpan.FromSeconds(5)), Is.True, "no reply notification");
            Assert.That(st, Is.EqualTo(XsDecodeStatus.Ok));
            Assert.That(Encoding.ASCII.GetString(buf, 16, 1), Is.EqualTo("1"));
        }
    }

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property Garbage_in_the_ring_never_throws_and_only_that_ring_can_close(byte[] junk, uint start, uint prodSkew)
    {
        using var page = new Page();
        var (store, conn, _) = Connect(page, start);
        XenstoreRing.WriteRequest(page.Intf, junk, out _);
        // Sometimes the guest also lies about its producer counter.
        if (prodSkew % 4 == 0)
            page.Intf->ReqProd += prodSkew;
        for (int i = 0; i < 10 && conn.Service(); i++)
        {
        }
        // Whatever happened, the store still answers a healthy client.
        var healthy = new StoreClient(store, 0);
        return (healthy.Read("/local/domain/1/name") == "guest" && (!conn.IsClosed || page.Intf->Error != 0)
            && store.Stats.InternalErrors == 0).ToProperty();
    }
}
