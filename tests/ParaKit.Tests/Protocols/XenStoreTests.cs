// XenStore wire codec and byte ring: round trips, the exact bytes Xen's peers expect, and
// hostile input (truncated, oversized, missing nul, random garbage) that must yield an error
// status, never an exception or a hang.
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Protocols.Rings;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Protocols;

public unsafe class XenStoreTests
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Test]
    public void Write_message_has_xen_wire_bytes()
    {
        var payload = new byte[64];
        Assert.That(XsCodec.TryBuildWrite(payload, B("device/vif/0/state"), B("4"), out int plen), Is.True);
        var msg = new byte[128];
        Assert.That(XsCodec.TryEncode(msg, XsdSockMsgType.Write, reqId: 0x01020304, txId: 7, payload.AsSpan(0, plen), out int n), Is.True);
        byte[] expected = [11, 0, 0, 0, 4, 3, 2, 1, 7, 0, 0, 0, 20, 0, 0, 0, .. B("device/vif/0/state\04")];
        Assert.That(msg.AsSpan(0, n).ToArray(), Is.EqualTo(expected));

        Assert.That(XsCodec.TryDecode(msg.AsSpan(0, n), out var h, out var p, out int used), Is.EqualTo(XsDecodeStatus.Ok));
        Assert.That((h.Type, h.ReqId, h.TxId, h.Len, used), Is.EqualTo((11u, 0x01020304u, 7u, 20u, n)));
        Assert.That(XsCodec.TryParseWrite(p, out var path, out var value), Is.EqualTo(XsDecodeStatus.Ok));
        Assert.That((Encoding.ASCII.GetString(path), Encoding.ASCII.GetString(value)), Is.EqualTo(("device/vif/0/state", "4")));
    }

    [Test]
    public void Watch_event_error_ok_and_transaction_end_payloads()
    {
        var buf = new byte[64];
        Assert.That(XsCodec.TryBuildWatch(buf, B("backend/vif"), B("tok1"), out int n) && buf.AsSpan(0, n).SequenceEqual(B("backend/vif\0tok1\0")), Is.True);
        Assert.That(XsCodec.TryParseWatch(buf.AsSpan(0, n), out var path, out var token), Is.EqualTo(XsDecodeStatus.Ok));
        Assert.That((Encoding.ASCII.GetString(path), Encoding.ASCII.GetString(token)), Is.EqualTo(("backend/vif", "tok1")));

        Assert.That(XsCodec.TryBuildError(buf, XsError.EINVAL, out n) && buf.AsSpan(0, n).SequenceEqual(B("EINVAL\0")), Is.True);
        Assert.That(XsCodec.TryParseError(B("EAGAIN\0"), out var err), Is.EqualTo(XsDecodeStatus.Ok));
        Assert.That(err, Is.EqualTo(XsError.EAGAIN));
        Assert.That(XsCodec.TryParseError(B("EWHAT\0"), out _), Is.EqualTo(XsDecodeStatus.Malformed));
        Assert.That(XsCodec.OkPayload.ToArray(), Is.EqualTo(B("OK\0")));

        Assert.That(XsCodec.TryBuildTransactionEnd(buf, true, out n) && buf.AsSpan(0, n).SequenceEqual(B("T\0")), Is.True);
        Assert.That(XsCodec.TryParseTransactionEnd(B("F"), out bool commit) == XsDecodeStatus.Ok && !commit, Is.True);
        Assert.That(XsCodec.TryParseTransactionEnd(B("T\0"), out commit) == XsDecodeStatus.Ok && commit, Is.True);
        Assert.That(XsCodec.TryParseTransactionEnd(B("X"), out _), Is.EqualTo(XsDecodeStatus.Malformed));
    }

    [Test]
    public void Every_error_name_round_trips()
    {
        var buf = new byte[16];
        foreach (byte e in XsErrors.All.ToArray())
        {
            Assert.That(XsCodec.TryBuildError(buf, (XsError)e, out int n), Is.True);
            Assert.That(XsCodec.TryParseError(buf.AsSpan(0, n), out var back), Is.EqualTo(XsDecodeStatus.Ok));
            Assert.That(back, Is.EqualTo((XsError)e));
        }
        Assert.That(XsCodec.TryBuildError(buf, XsError.None, out _), Is.False);
    }

    [Test]
    public void Malformed_messages_give_errors()
    {
        Assert.Multiple(() =>
        {
            Assert.That(XsCodec.TryDecode(new byte[15], out _, out _, out _), Is.EqualTo(XsDecodeStatus.Truncated), "short header");
            byte[] big = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0, 0]; // len 4097
            Assert.That(XsCodec.TryDecode(big, out _, out _, out _), Is.EqualTo(XsDecodeStatus.TooLong));
            byte[] huge = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
            Assert.That(XsCodec.TryDecode(huge, out _, out _, out _), Is.EqualTo(XsDecodeStatus.TooLong), "len near 2^32 must not overflow");
            byte[] partial = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, (byte)'a', (byte)'b'];
            Assert.That(XsCodec.TryDecode(partial, out _, out _, out _), Is.EqualTo(XsDecodeStatus.Truncated), "partial payload");
            Assert.That(XsCodec.TryParsePath(B("no-nul"), out _), Is.EqualTo(XsDecodeStatus.Malformed));
            Assert.That(XsCodec.TryParsePath(B("a\0b\0"), out _), Is.EqualTo(XsDecodeStatus.Malformed), "embedded nul");
            Assert.That(XsCodec.TryParsePath(B("\0"), out _), Is.EqualTo(XsDecodeStatus.Malformed), "empty path");
            Assert.That(XsCodec.TryParseWrite(B("pathvalue"), out _, out _), Is.EqualTo(XsDecodeStatus.Malformed));
            Assert.That(XsCodec.TryParseWatch(B("path\0token"), out _, out _), Is.EqualTo(XsDecodeStatus.Malformed));
            Assert.That(XsCodec.TryParseWatch(B("path\0token\0junk"), out _, out _), Is.EqualTo(XsDecodeStatus.Malformed));
            Assert.That(XsCodec.TryBuildPath(new byte[5000], new byte[4096], out _), Is.False, "payload limit");
        });
    }

    [Test]
    public void Paths_and_numbers()
    {
        Assert.Multiple(() =>
        {
            Assert.That(XsPaths.IsValid(B("/local/domain/1/device/vif/0")), Is.True);
            Assert.That(XsPaths.IsValid(B("device/vif/0/state")), Is.True);
            Assert.That(XsPaths.IsValid(B("/")), Is.True);
            Assert.That(XsPaths.IsValid(B("/a//b")), Is.False);
            Assert.That(XsPaths.IsValid(B("/a/")), Is.False);
            Assert.That(XsPaths.IsValid(B("/a b")), Is.False);
            Assert.That(XsPaths.IsValid(B("")), Is.False);
            Assert.That(XsPaths.IsValid(B("/" + new string('a', 3071))), Is.True);
            Assert.That(XsPaths.IsValid(B("/" + new string('a', 3072))), Is.False);
            Assert.That(XsPaths.IsValidWatch(B("@releaseDomain")), Is.True);
            Assert.That(XsCodec.TryParseUInt(B("4294967295"), out uint v) && v == uint.MaxValue, Is.True);
            Assert.That(XsCodec.TryParseUInt(B("4294967296"), out _), Is.False);
            Assert.That(XsCodec.TryParseUInt(B("12\0"), out v) && v == 12, Is.True);
            Assert.That(XsCodec.TryParseUInt(B("-1"), out _), Is.False);
        });
    }

    [Test]
    public void Directory_listing_iterates_names()
    {
        ReadOnlySpan<byte> rest = B("0\01\0vif\0");
        var names = new List<string>();
        while (XsCodec.TryNextString(ref rest, out var name))
        {
            names.Add(Encoding.ASCII.GetString(name));
        }
        Assert.That(names, Is.EqualTo(new[] { "0", "1", "vif" }));
    }

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Any_message_round_trips(uint type, uint reqId, uint txId, byte[] payload)
    {
        if (payload.Length > XsLimits.PayloadMax)
        {
            payload = payload[..XsLimits.PayloadMax];
        }
        var buf = new byte[XsLimits.MessageMax + 8];
        bool encoded = XsCodec.TryEncode(buf, (XsdSockMsgType)type, reqId, txId, payload, out int n);
        var status = XsCodec.TryDecode(buf.AsSpan(0, n), out var h, out var p, out int used);
        return (encoded && status == XsDecodeStatus.Ok && h.Type == type && h.ReqId == reqId && h.TxId == txId
            && used == n && p.SequenceEqual(payload)
            && XsCodec.TryDecode(buf.AsSpan(0, n - 1), out _, out _, out _) == XsDecodeStatus.Truncated).ToProperty();
    }

    private static byte[] NoNul(byte[] bytes) => bytes.Select(b => b == 0 ? (byte)'x' : b).ToArray();

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Write_and_watch_payloads_round_trip(NonEmptyArray<byte> pathBytes, byte[] value, NonEmptyArray<byte> tokenBytes)
    {
        byte[] path = NoNul(pathBytes.Get), token = NoNul(tokenBytes.Get);
        var buf = new byte[XsLimits.PayloadMax];
        bool ok = XsCodec.TryBuildWrite(buf, path, value, out int n)
            && XsCodec.TryParseWrite(buf.AsSpan(0, n), out var p, out var v) == XsDecodeStatus.Ok
            && p.SequenceEqual(path) && v.SequenceEqual(value);
        ok &= XsCodec.TryBuildWatch(buf, path, token, out n)
            && XsCodec.TryParseWatch(buf.AsSpan(0, n), out var wp, out var wt) == XsDecodeStatus.Ok
            && wp.SequenceEqual(path) && wt.SequenceEqual(token);
        ok &= XsCodec.TryBuildPath(buf, path, out n)
            && XsCodec.TryParsePath(buf.AsSpan(0, n), out var pp) == XsDecodeStatus.Ok && pp.SequenceEqual(path);
        return ok.ToProperty();
    }

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Decimal_numbers_round_trip(uint value)
    {
        var buf = new byte[10];
        int n = XsCodec.FormatUInt(buf, value);
        return (n > 0 && XsCodec.TryParseUInt(buf.AsSpan(0, n), out uint back) && back == value
            && Encoding.ASCII.GetString(buf, 0, n) == value.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToProperty();
    }

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public Property Random_bytes_never_throw_and_decode_consistently(byte[] junk, bool forceLen, uint len)
    {
        if (forceLen && junk.Length >= 16)
        {
            BitConverter.GetBytes(len).CopyTo(junk, 12);
        }
        var st = XsCodec.TryDecode(junk, out var h, out var p, out int used);
        bool ok = st switch
        {
            XsDecodeStatus.Ok => h.Len <= XsLimits.PayloadMax && used == 16 + h.Len && used <= junk.Length && p.Length == h.Len,
            XsDecodeStatus.TooLong => junk.Length >= 16 && BitConverter.ToUInt32(junk, 12) > XsLimits.PayloadMax,
            XsDecodeStatus.Truncated => junk.Length < 16 || junk.Length < 16 + BitConverter.ToUInt32(junk, 12),
            _ => false,
        };
        // Every payload parser must answer (any status) on arbitrary bytes.
        XsCodec.TryParsePath(junk, out _);
        XsCodec.TryParseWrite(junk, out _, out _);
        XsCodec.TryParseWatch(junk, out _, out _);
        XsCodec.TryParseError(junk, out _);
        XsCodec.TryParseTransactionEnd(junk, out _);
        XsCodec.TryParseUInt(junk, out _);
        XsPaths.IsValidWatch(junk);
        ReadOnlySpan<byte> rest = junk;
        int items = 0;
        while (XsCodec.TryNextString(ref rest, out _))
        {
            items++;
        }
        return (ok && items <= junk.Length).ToProperty();
    }

    [Test]
    public void Byte_ring_reports_corrupt_peer_indices()
    {
        using var page = new TestPage();
        var intf = page.As<XenstoreDomainInterface>();
        intf->ReqCons = 0;
        intf->ReqProd = 1025;
        Assert.Multiple(() =>
        {
            Assert.That(XenstoreRing.ReadRequest(intf, new byte[10], out int r), Is.EqualTo(ByteRingStatus.Corrupt));
            Assert.That(r, Is.EqualTo(0));
            Assert.That(XenstoreRing.WriteRequest(intf, new byte[10], out int w), Is.EqualTo(ByteRingStatus.Corrupt));
            Assert.That(w, Is.EqualTo(0));
            Assert.That(intf->ReqProd, Is.EqualTo(1025u), "nothing moved");
        });
        intf->RspProd = 0xFFFF_FFF0;
        intf->RspCons = 0xFFFF_FFF0 + 1; // consumer ahead of producer
        Assert.That(XenstoreRing.ReadResponse(intf, new byte[10], out _), Is.EqualTo(ByteRingStatus.Corrupt));
    }

    [Test]
    public void Byte_ring_fills_to_exactly_1024()
    {
        using var page = new TestPage();
        var intf = page.As<XenstoreDomainInterface>();
        Assert.That(XenstoreRing.WriteRequest(intf, new byte[2000], out int w), Is.EqualTo(ByteRingStatus.Ok));
        Assert.That(w, Is.EqualTo(1024));
        Assert.That(XenstoreRing.WriteRequest(intf, new byte[1], out w) == ByteRingStatus.Ok && w == 0, Is.True);
        Assert.That(XenstoreRing.RequestSpace(intf, out int free) == ByteRingStatus.Ok && free == 0, Is.True);
    }

    /// <summary>Random chunked writes and reads starting near 2^32 deliver the same byte stream.</summary>
    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Byte_ring_round_trips_chunks_across_wraparound() =>
        Prop.ForAll(
            (from start in Gen.Choose(0, 3000).Select(d => unchecked(0u - (uint)d))
             from chunks in Gen.ListOf(Gen.Zip(Gen.Choose(0, 1500), Gen.Choose(0, 1500)))
             select (start, chunks)).ToArbitrary(),
            t =>
            {
                using var page = new TestPage();
                var intf = page.As<XenstoreDomainInterface>();
                intf->RspCons = intf->RspProd = t.start;
                var sent = new List<byte>();
                var got = new List<byte>();
                byte next = 0;
                foreach (var (w, r) in t.chunks)
                {
                    var data = new byte[w];
                    for (int i = 0; i < w; i++) data[i] = next++;
                    Assert.That(XenstoreRing.WriteResponse(intf, data, out int written), Is.EqualTo(ByteRingStatus.Ok));
                    Assert.That(written, Is.EqualTo(Math.Min(w, 1024 - (sent.Count - got.Count))), "writes as much as fits");
                    next = (byte)(next - (w - written)); // bytes that did not fit are offered again next time
                    sent.AddRange(data.Take(written));
                    var into = new byte[r];
                    Assert.That(XenstoreRing.ReadResponse(intf, into, out int read), Is.EqualTo(ByteRingStatus.Ok));
                    Assert.That(read, Is.EqualTo(Math.Min(r, sent.Count - got.Count)));
                    got.AddRange(into.Take(read));
                }
                var rest = new byte[2048];
                XenstoreRing.ReadResponse(intf, rest, out int tail);
                got.AddRange(rest.Take(tail));
                Assert.That(got, Is.EqualTo(sent));
                Assert.That(intf->RspProd - t.start, Is.EqualTo((uint)sent.Count));
            });

    /// <summary>Messages of any size (up to the 4096-byte payload limit) written in random chunks
    /// come out whole and in order from the message reader, with no byte read twice or lost.</summary>
    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Message_reader_reassembles_messages_split_anywhere() =>
        Prop.ForAll(
            (from start in Gen.Choose(0, 5000).Select(d => unchecked(0u - (uint)d))
             from lengths in Gen.ListOf(Gen.Frequency((8, Gen.Choose(0, 64)), (2, Gen.Choose(65, 1500)), (1, Gen.Choose(4000, 4096))))
             from chunks in Gen.ArrayOf(Gen.Choose(1, 1100))
             select (start, lengths: lengths.ToArray(), chunks)).ToArbitrary(),
            t =>
            {
                using var page = new TestPage();
                var intf = page.As<XenstoreDomainInterface>();
                intf->RspCons = intf->RspProd = t.start;
                // The byte stream the writer sends: message i has req_id i and payload bytes (i + k).
                var stream = new List<byte>();
                var buf = new byte[XsLimits.MessageMax];
                for (int i = 0; i < t.lengths.Length; i++)
                {
                    byte[] payload = Enumerable.Range(0, t.lengths[i]).Select(k => (byte)(i + k)).ToArray();
                    XsCodec.TryEncode(buf, XsdSockMsgType.WatchEvent, (uint)i, 0, payload, out int n);
                    stream.AddRange(buf.AsSpan(0, n).ToArray());
                }
                byte[] all = stream.ToArray();
                int sentBytes = 0, chunk = 0, received = 0, have = 0, idle = 0;
                var rbuf = new byte[XsLimits.MessageMax];
                while (received < t.lengths.Length)
                {
                    int size = t.chunks.Length == 0 ? 1024 : t.chunks[chunk++ % t.chunks.Length];
                    size = Math.Min(size, all.Length - sentBytes);
                    XenstoreRing.WriteResponse(intf, all.AsSpan(sentBytes, size), out int w);
                    sentBytes += w;
                    XsDecodeStatus st;
                    while ((st = XenstoreMessageReader.ReadResponse(intf, rbuf, ref have, out var h, out int len)) == XsDecodeStatus.Ok)
                    {
                        bool intact = h.ReqId == received && h.Len == t.lengths[received] && len == 16 + t.lengths[received];
                        for (int k = 0; intact && k < h.Len; k++) intact = rbuf[16 + k] == (byte)(received + k);
                        if (!intact) return false;
                        received++;
                        have = 0;
                    }
                    if (st != XsDecodeStatus.Truncated) return false;
                    idle = w == 0 ? idle + 1 : 0;
                    if (idle > 2) return false; // neither side can make progress: a reader bug
                }
                return sentBytes == all.Length && intf->RspCons == intf->RspProd;
            });

    [Test]
    public void Message_reader_stops_on_an_oversized_header_or_a_corrupt_ring()
    {
        using var page = new TestPage();
        var intf = page.As<XenstoreDomainInterface>();
        byte[] header = [15, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0, 0]; // len 4097
        XenstoreRing.WriteResponse(intf, header, out _);
        var rbuf = new byte[XsLimits.MessageMax];
        int have = 0;
        Assert.That(XenstoreMessageReader.ReadResponse(intf, rbuf, ref have, out _, out _), Is.EqualTo(XsDecodeStatus.TooLong));
        Assert.That(XenstoreMessageReader.ReadResponse(intf, new byte[100], ref have, out _, out _), Is.EqualTo(XsDecodeStatus.Malformed), "buffer too small");
        intf->RspProd = intf->RspCons + 5000;
        have = 0;
        Assert.That(XenstoreMessageReader.ReadResponse(intf, rbuf, ref have, out _, out _), Is.EqualTo(XsDecodeStatus.RingCorrupt));
    }

    [Test]
    public void Two_threads_stream_messages_through_the_byte_ring()
    {
        using var page = new TestPage();
        var intf = page.As<XenstoreDomainInterface>();
        const int Messages = 20_000;
        var writer = new Thread(() =>
        {
            var buf = new byte[XsLimits.MessageMax];
            var payload = new byte[300];
            for (uint i = 0; i < Messages; i++)
            {
                int plen = (int)(i % 300);
                for (int k = 0; k < plen; k++) payload[k] = (byte)(i + (uint)k);
                XsCodec.TryEncode(buf, XsdSockMsgType.Read, i, 0, payload.AsSpan(0, plen), out int n);
                int off = 0;
                while (off < n)
                {
                    XenstoreRing.WriteRequest(intf, buf.AsSpan(off, n - off), out int w);
                    off += w;
                    if (w == 0) Thread.Yield();
                }
            }
        });
        writer.Start();
        var acc = new byte[XsLimits.MessageMax * 2];
        int have = 0;
        uint expect = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (expect < Messages && DateTime.UtcNow < deadline)
        {
            Assert.That(XenstoreRing.ReadRequest(intf, acc.AsSpan(have), out int r), Is.EqualTo(ByteRingStatus.Ok));
            have += r;
            while (XsCodec.TryDecode(acc.AsSpan(0, have), out var h, out var p, out int used) == XsDecodeStatus.Ok)
            {
                bool intact = h.ReqId == expect && p.Length == (int)(expect % 300);
                for (int k = 0; intact && k < p.Length; k++) intact = p[k] == (byte)(expect + (uint)k);
                if (!intact) Assert.Fail($"message {expect} corrupted (got req_id {h.ReqId}, {p.Length} bytes)");
                acc.AsSpan(used, have - used).CopyTo(acc);
                have -= used;
                expect++;
            }
            if (r == 0) Thread.Yield();
        }
        writer.Join();
        Assert.That(expect, Is.EqualTo((uint)Messages));
    }
}
