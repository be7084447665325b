// The protocols library running inside a unikernel: the same sources the hypervisor uses, compiled
// against the guest CoreLib (ring across 2^32, event bits, grants, XenStore codec and byte ring).
// One line per check and a summary line; the exit status is the number of failures.
using System;
using ParaKit.Kernel;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Protocols.Store;

public static unsafe class ProtoCheckApp
{
    static int passed, failures;
    static void Check(bool ok, string what)
    {
        Console.Write(ok ? "ok   " : "FAIL ");
        Console.WriteLine(what);
        if (ok) passed++; else failures++;
    }

    public static int Main(string[] args)
    {
        byte* raw = stackalloc byte[3 * 4096];
        byte* page = (byte*)(((ulong)raw + 4095) & ~4095ul);
        for (int i = 0; i < 4096; i++) page[i] = 0;

        var front = FrontRing<NetifTxRequest, NetifTxResponse>.InitAt(page, 0xFFFFFF00u);
        var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(page);
        Check(front.Size == 256 && back.Size == 256, "ring size 256");
        uint sent = 0, got = 0, rsp = 0, notifies = 0;
        bool order = true;
        for (int round = 0; round < 100; round++)
        {
            for (int i = 0; i < 37 && front.TryPushRequest(new NetifTxRequest { Gref = sent, Id = (ushort)sent, Size = 60 }); i++) sent++;
            if (front.PushRequestsAndCheckNotify()) notifies++;
            while (back.TryTakeRequest(out NetifTxRequest r)) { if (r.Gref != got) order = false; got++; back.TryPushResponse(new NetifTxResponse { Id = r.Id }); }
            back.PushResponsesAndCheckNotify();
            back.FinalCheckForRequests();
            while (front.TryTakeResponse(out NetifTxResponse s)) { if (s.Id != (ushort)rsp) order = false; rsp++; }
            front.FinalCheckForResponses();
        }
        Check(order && sent == 3700 && got == 3700 && rsp == 3700, "3700 requests through the ring across 2^32, in order");
        Check(notifies == 100, "one notify per round (backend re-arms each round)");
        Check(!back.RequestsOverflowed(), "no overflow");

        for (int i = 0; i < 4096; i++) page[i] = 0;
        SharedInfo* si = (SharedInfo*)page;
        Check(EventChannelBits.SetPending(si, 70) && !EventChannelBits.SetPending(si, 70), "event edge rule");
        EventChannelBits.Mask(si, 3);
        EventChannelBits.SetPending(si, 3);
        var scan = EventChannelBits.BeginScan(si);
        Check(scan.TryNext(out uint p) && p == 70 && !scan.TryNext(out _), "scan finds 70, skips masked 3");
        Check(EventChannelBits.Unmask(si, 3), "unmask raises held event");

        for (int i = 0; i < 4096; i++) page[i] = 0;
        GrantEntryV1* g = (GrantEntryV1*)page + 8;
        GrantEntries.Publish(g, 0, 1234, false);
        Check(GrantEntries.TryAcquire(g, 0, true, out uint frame) == GrantStatus.Okay && frame == 1234, "grant acquire");
        Check(!GrantEntries.TryRevoke(g), "revoke refused while in use");
        GrantEntries.Release(g, true);
        Check(GrantEntries.TryRevoke(g), "revoke after release");

        for (int i = 0; i < 4096; i++) page[i] = 0;
        var xs = (XenstoreDomainInterface*)page;
        xs->ReqProd = xs->ReqCons = 0xFFFFFFF0u;
        byte* msg = stackalloc byte[256];
        byte* pay = stackalloc byte[128];
        var payload = new Span<byte>(pay, 128);
        XsCodec.TryBuildWrite(payload, "device/vif/0/state"u8, "4"u8, out int plen);
        XsCodec.TryEncode(new Span<byte>(msg, 256), XsdSockMsgType.Write, 9, 0, new ReadOnlySpan<byte>(pay, plen), out int mlen);
        XenstoreRing.WriteRequest(xs, new ReadOnlySpan<byte>(msg, mlen), out int w);
        byte* into = stackalloc byte[256];
        XenstoreRing.ReadRequest(xs, new Span<byte>(into, 256), out int rd);
        var st = XsCodec.TryDecode(new ReadOnlySpan<byte>(into, rd), out XsdSockMsg h, out ReadOnlySpan<byte> pl, out int used);
        Check(w == mlen && rd == mlen && st == XsDecodeStatus.Ok && h.ReqId == 9 && XsCodec.TryParseWrite(pl, out var path, out var value) == XsDecodeStatus.Ok
              && XsCodec.BytesEqual(path, "device/vif/0/state"u8) && XsCodec.BytesEqual(value, "4"u8), "xenstore write message through the byte ring across 2^32");
        Check(XsCodec.TryParseError("EAGAIN\0"u8, out XsError e) == XsDecodeStatus.Ok && e == XsError.EAGAIN, "error parse");
        Check(XsCodec.TryDecode(new ReadOnlySpan<byte>(into, 10), out _, out _, out _) == XsDecodeStatus.Truncated, "truncated header");
        Console.Write("protocheck: ");
        Console.Write(passed);
        Console.Write(" passed, ");
        Console.Write(failures);
        Console.WriteLine(" failed");
        return failures;
    }
}
