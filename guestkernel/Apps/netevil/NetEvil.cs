// netevil: a hostile netfront, for KVM tests of domain 0's netback. It reads its device
// directory as netfront does (device/vif/N: backend, backend-id, mac) and makes the xenbus
// handshake itself with the kernel's raw clients (Grants, Events, Store, Xenbus) and the
// protocol's FrontRing, so that it can then break netif's rules on purpose:
//   netevil mode=MODE [seconds=S (3)] [vif=N (0)]
//   garbage-index   TX req_prod = req_cons + 100000, then a kick (netback: TxRingOverflow)
//   bad-gref        TX requests naming a grant never made (900) and one revoked right after
//                   it was posted (netback: tx_bad_grant, ERROR answers, the vif stays up); then
//                   one good frame to show that it does
//   oversize-chain  one packet of 40 more_data slots (netif allows 18: MalformedTx)
//   no-rx           connects (with feature-rx-notify=1, a promise to notify when it posts RX
//                   buffers) but never posts one: whatever is sent to it must be counted, and a
//                   sender must not be held for it for more than netback's RxStallMs
//   kick-storm      EVTCHNOP_send on its vif port in a tight loop for S seconds
// Every mode first connects, sends one good broadcast L2Echo announce (so the switch knows its
// MAC and the ring is shown to work), then attacks, prints what it did and its view of both
// rings, and waits S seconds dispatching events (kick-storm: the storm is the S seconds) before
// `netevil: done ...` and exit 0. It never trusts the backend either and never throws: a crash
// here would hide what domain 0 did. Exit 2 for a bad argument, 3 if the vif never connects.
using System.Threading;
using Internal.Runtime;
using ParaKit.Kernel;
using ParaKit.Net.Traffic;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Protocols.Store;

public static unsafe class NetEvil
{
    private const string Usage = "usage: netevil mode=garbage-index|bad-gref|oversize-chain|no-rx|kick-storm [seconds=S] [vif=N]";
    private const ulong Second = 1_000_000_000;
    private const ulong ConnectTimeoutNs = 10 * Second;
    private const ulong AnswerTimeoutNs = Second;
    private const int PageSize = 4096;
    private const int RxBuffers = (int)NetifLimits.RxRingSize;
    /// <summary>A reference this guest never grants: Grants hands out low references first and
    /// netevil grants fewer than 270.</summary>
    private const uint NeverGranted = 900;
    /// <summary>More data slots than netif's 18 (XEN_NETIF_NR_SLOTS_MIN) in one packet.</summary>
    private const int ChainSlots = 40;
    private const int ChainSlotBytes = 60;
    /// <summary>How far past req_cons garbage-index moves req_prod (more than any ring holds).</summary>
    private const uint GarbageDistance = 100_000;

    private static FrontRing<NetifTxRequest, NetifTxResponse> s_tx;
    private static FrontRing<NetifRxRequest, NetifRxResponse> s_rx;
    private static string s_backend = "";
    private static ushort s_backendId;
    private static uint s_port;
    private static XenbusState s_backendState = XenbusState.Unknown;
    private static ulong s_kicksReceived, s_kicksSent, s_kickErrors;
    private static ulong s_txResponses, s_txErrorResponses;
    private static ulong s_ourMac;

    public static int Main(string[] args)
    {
        string mode = "";
        ulong seconds = 3, vif = 0;
        foreach (string a in args)
        {
            bool ok = TrafficText.TrySplit(a, out string key, out string value);
            if (ok)
            {
                switch (key)
                {
                    case "mode":
                        mode = value;
                        ok = value == "garbage-index" || value == "bad-gref" || value == "oversize-chain" || value == "no-rx" || value == "kick-storm";
                        break;
                    case "seconds": ok = TrafficText.TryParseUInt64(value, out seconds) && seconds < 1_000_000; break;
                    case "vif": ok = TrafficText.TryParseUInt64(value, out vif) && vif < 1000; break;
                    default: ok = false; break;
                }
            }
            if (!ok)
            {
                Console.WriteLine("netevil: bad argument '" + a + "'");
                Console.WriteLine(Usage);
                return 2;
            }
        }
        if (mode.Length == 0)
        {
            Console.WriteLine(Usage);
            return 2;
        }

        string dev = "device/vif/" + vif.ToString();
        string? why = Connect(dev, postRx: mode != "no-rx");
        if (why != null)
        {
            Console.WriteLine("netevil: cannot connect " + dev + ": " + why);
            return 3;
        }
        Console.WriteLine("netevil: " + MacText.ToText(s_ourMac) + " connected to " + s_backend + " (domain " + s_backendId.ToString()
            + "), port " + s_port.ToString() + ", mode=" + mode + (mode == "no-rx" ? ", no RX buffers posted" : ", " + RxBuffers.ToString() + " RX buffers posted"));

        // One good frame first: the switch learns where we are, and the attack below is the
        // first thing that goes wrong on a ring shown to work.
        byte* good = Page(s_goodPage);
        L2Echo.Write(new System.Span<byte>(good, L2Echo.MinSize), MacText.Broadcast, s_ourMac, L2EchoType.Announce, 0, 0, Clock.NowNs());
        Post(s_goodRef, 0, 0, L2Echo.MinSize, 0);
        Kick();
        Console.WriteLine("netevil: announce answered with status " + StatusText(AwaitResponses(1)));

        ulong end;
        switch (mode)
        {
            case "garbage-index":
                {
                    // req_cons is netback's private index; with nothing outstanding it equals the
                    // rsp_prod it published.
                    uint cons = Volatile.Read(ref s_tx.Shared->RspProd);
                    uint garbage = cons + GarbageDistance;
                    Volatile.Write(ref s_tx.Shared->ReqProd, garbage);
                    Kick(publish: false);   // publishing would write our honest req_prod back
                    Console.WriteLine("netevil: garbage-index: wrote tx req_prod=" + garbage.ToString() + " (req_cons " + cons.ToString()
                        + " + " + GarbageDistance.ToString() + ") and kicked");
                    break;
                }
            case "bad-gref":
                BadGrants();
                break;
            case "oversize-chain":
                {
                    // Valid grants and sizes; only the slot count breaks the rules.
                    for (int i = 0; i < ChainSlots; i++)
                    {
                        int size = i == 0 ? ChainSlots * ChainSlotBytes : ChainSlotBytes;
                        Post(s_goodRef, (ushort)(10 + i), i + 1 < ChainSlots ? NetTxFlags.MoreData : (ushort)0, size, 0);
                    }
                    Kick();
                    Console.WriteLine("netevil: oversize-chain: posted one packet of " + ChainSlots.ToString() + " more_data slots ("
                        + (ChainSlots * ChainSlotBytes).ToString() + " bytes, netif allows " + NetifLimits.SlotsMin.ToString() + " slots) and kicked");
                    break;
                }
            case "no-rx":
                Console.WriteLine("netevil: no-rx: feature-rx-notify=1 written, rx req_prod stays " + Volatile.Read(ref s_rx.Shared->ReqProd).ToString()
                    + "; waiting " + seconds.ToString() + " s without ever posting a buffer");
                break;
            case "kick-storm":
                {
                    end = Clock.NowNs() + seconds * Second;
                    ulong start = Clock.NowNs();
                    while (Clock.NowNs() < end)
                    {
                        for (int i = 0; i < 64; i++)
                        {
                            if (Events.Send(s_port) >= 0)
                                s_kicksSent++;
                            else
                                s_kickErrors++;
                        }
                    }
                    ulong ns = Clock.NowNs() - start;
                    Console.WriteLine("netevil: kick-storm: " + s_kicksSent.ToString() + " sends (" + s_kickErrors.ToString() + " refused) in "
                        + TrafficText.Fixed(ns / 1e9, 3) + " s, " + TrafficText.PerSecond(s_kicksSent + s_kickErrors, ns).ToString() + " a second");
                    break;
                }
        }
        PrintRings("after " + mode);

        // Stay connected (or whatever domain 0 left of it) for S seconds, handling events: the
        // backend's state changes are printed by the watch, its kicks counted.
        if (mode != "kick-storm")
        {
            end = Clock.NowNs() + seconds * Second;
            while (Clock.NowNs() < end)
                Events.WaitUntil(end);
        }
        Scheduler.SetTimer(0);
        while (s_tx.TryTakeResponse(out NetifTxResponse late))
            Count(late);
        PrintRings("at the end");

        var b = new StringBuilder(400);
        b.Append("netevil: done mode=").Append(mode)
            .Append(" tx_req_prod=").Append((ulong)Volatile.Read(ref s_tx.Shared->ReqProd))
            .Append(" tx_rsp_prod=").Append((ulong)Volatile.Read(ref s_tx.Shared->RspProd))
            .Append(" rx_req_prod=").Append((ulong)Volatile.Read(ref s_rx.Shared->ReqProd))
            .Append(" rx_rsp_prod=").Append((ulong)Volatile.Read(ref s_rx.Shared->RspProd))
            .Append(" tx_responses=").Append(s_txResponses)
            .Append(" tx_error_responses=").Append(s_txErrorResponses)
            .Append(" kicks_sent=").Append(s_kicksSent)
            .Append(" kick_errors=").Append(s_kickErrors)
            .Append(" kicks_received=").Append(s_kicksReceived)
            .Append(" backend_state=").Append((ulong)s_backendState)
            .Append(" (").Append(StateName(s_backendState)).Append(')');
        Console.WriteLine(b.ToString());
        return 0;
    }

    // ---- the handshake, done by hand -------------------------------------------------------------

    private static nint s_pages;
    private static int s_pageCount;
    private static int s_goodPage, s_goodRef = -1;

    /// <summary>Page <paramref name="i"/> of one raw block (zeroed, aligned, never moved or freed).</summary>
    private static byte* Page(int i) => (byte*)s_pages + (nint)i * PageSize;

    /// <summary>Backend in InitWait, then rings, grants, port and keys as netfront writes them,
    /// Connected, and the backend Connected. Null, or why not.</summary>
    private static string? Connect(string dev, bool postRx)
    {
        if (!Xenbus.ReadOtherEnd(dev, fromFrontend: true, out string backend, out uint backendId) || backend.Length < 2 || backendId > 0x7FEF)
            return dev + " has no usable backend/backend-id";
        s_backend = backend;
        s_backendId = (ushort)backendId;
        string? mac = Store.Read(dev + "/mac") ?? Store.Read(backend + "/mac");
        if (!MacText.TryParse(mac, out s_ourMac))
            return "no usable mac";
        long rc = Grants.Initialize();
        if (rc != 0)
            return "the grant table could not be set up (" + rc.ToString() + ")";

        ulong deadline = Clock.NowNs() + ConnectTimeoutNs;
        if (Store.Watch(backend + "/state", "netevil", OnBackendState) != XsError.None)
            return "cannot watch " + backend + "/state";
        while (s_backendState != XenbusState.InitWait && Clock.NowNs() < deadline)
            Events.WaitUntil(deadline);
        if (s_backendState != XenbusState.InitWait)
            return "the backend never reached InitWait (it is " + StateName(s_backendState) + ")";

        // Pages: TX ring, RX ring, one TX data page, the RX buffers. One aligned raw block.
        s_pageCount = 3 + (postRx ? RxBuffers : 0);
        nint raw = (nint)Allocator.AllocateRaw((ulong)(s_pageCount + 1) * PageSize);
        s_pages = (raw + PageSize - 1) & ~(nint)(PageSize - 1);
        s_tx = FrontRing<NetifTxRequest, NetifTxResponse>.Init(Page(0));
        s_rx = FrontRing<NetifRxRequest, NetifRxResponse>.Init(Page(1));
        int txRef = Grants.GrantAccess(s_backendId, Page(0), readOnly: false);
        int rxRef = Grants.GrantAccess(s_backendId, Page(1), readOnly: false);
        s_goodPage = 2;
        s_goodRef = Grants.GrantAccess(s_backendId, Page(2), readOnly: true);
        if (txRef < 0 || rxRef < 0 || s_goodRef < 0)
            return "the grant table is full";
        if (postRx)
        {
            for (int i = 0; i < RxBuffers; i++)
            {
                int g = Grants.GrantAccess(s_backendId, Page(3 + i), readOnly: false);
                if (g < 0)
                    return "the grant table is full";
                NetifRxRequest req;
                req.Id = (ushort)i;
                req.Pad = 0;
                req.Gref = (uint)g;
                s_rx.TryPushRequest(in req);
            }
            s_rx.PushRequests();
        }
        long port = Events.AllocUnbound(s_backendId);
        if (port < 0)
            return "alloc_unbound failed: errno " + (-port).ToString();
        s_port = (uint)port;
        Events.Register(s_port, static p => s_kicksReceived++);

        XsError e = XsError.EAGAIN;
        for (int attempt = 0; attempt < 16 && e == XsError.EAGAIN; attempt++)
        {
            uint t = Store.TransactionStart();
            if (t == 0)
                return "could not start a transaction";
            e = Store.Write(dev + "/tx-ring-ref", txRef.ToString(), t);
            if (e == XsError.None)
                e = Store.Write(dev + "/rx-ring-ref", rxRef.ToString(), t);
            if (e == XsError.None)
                e = Store.Write(dev + "/event-channel", s_port.ToString(), t);
            if (e == XsError.None)
                e = Store.Write(dev + "/request-rx-copy", "1", t);
            // Also in no-rx mode: the promise to notify when buffers are posted is what lets
            // netback queue for us and hold senders, the case worth testing.
            if (e == XsError.None)
                e = Store.Write(dev + "/feature-rx-notify", "1", t);
            if (e != XsError.None)
            {
                Store.TransactionEnd(t, commit: false);
                return "could not write the ring keys";
            }
            e = Store.TransactionEnd(t, commit: true);
        }
        if (e != XsError.None)
            return "could not commit the ring keys";
        if (Xenbus.SwitchState(dev, XenbusState.Connected) != XsError.None)
            return "could not write " + dev + "/state";
        while (s_backendState != XenbusState.Connected && Clock.NowNs() < deadline)
            Events.WaitUntil(deadline);
        if (s_backendState != XenbusState.Connected)
            return "the backend did not connect (it is " + StateName(s_backendState) + ")";
        return null;
    }

    /// <summary>The watch on the backend's state: note it and say so (runs from the event loop).</summary>
    private static void OnBackendState(string path, string token)
    {
        XenbusState now = Xenbus.ReadState(s_backend);
        if (now == s_backendState)
            return;
        s_backendState = now;
        Console.WriteLine("netevil: backend state " + StateName(now));
    }

    // ---- the TX ring, by hand ----------------------------------------------------------------------

    /// <summary>Writes one TX request (not yet published).</summary>
    private static void Post(int gref, ushort id, ushort flags, int size, ushort offset)
    {
        NetifTxRequest req;
        req.Gref = (uint)gref;
        req.Offset = offset;
        req.Flags = flags;
        req.Id = id;
        req.Size = (ushort)size;
        if (!s_tx.TryPushRequest(in req))
            Console.WriteLine("netevil: the TX ring is full, request id " + id.ToString() + " not written");
    }

    /// <summary>Publishes what was written and always notifies (a hostile frontend need not wait to be asked).</summary>
    private static void Kick(bool publish = true)
    {
        if (publish)
            s_tx.PushRequests();
        if (Events.Send(s_port) >= 0)
            s_kicksSent++;
        else
            s_kickErrors++;
    }

    /// <summary>Takes TX responses until <paramref name="n"/> have come (or a second passed);
    /// returns the last status seen (NetifStatus.Null if none came).</summary>
    private static short AwaitResponses(int n)
    {
        short last = NetifStatus.Null;
        int got = 0;
        ulong deadline = Clock.NowNs() + AnswerTimeoutNs;
        while (got < n)
        {
            if (s_tx.ResponsesOverflowed())
            {
                Console.WriteLine("netevil: the backend's tx rsp_prod is past our req_prod");
                break;
            }
            if (s_tx.TryTakeResponse(out NetifTxResponse rsp))
            {
                Count(rsp);
                Console.WriteLine("netevil: tx response id=" + rsp.Id.ToString() + " status=" + StatusText(rsp.Status));
                last = rsp.Status;
                got++;
                continue;
            }
            if (Clock.NowNs() >= deadline)
            {
                Console.WriteLine("netevil: " + (n - got).ToString() + " TX responses missing after 1 s");
                break;
            }
            if (!s_tx.FinalCheckForResponses())
                Events.WaitUntil(deadline);
        }
        return last;
    }

    private static void Count(NetifTxResponse rsp)
    {
        s_txResponses++;
        if (rsp.Status != NetifStatus.Okay && rsp.Status != NetifStatus.Null)
            s_txErrorResponses++;
    }

    /// <summary>bad-gref: a reference never granted, one revoked between posting and the kick,
    /// then a good frame on the same ring (the vif must still work).</summary>
    private static void BadGrants()
    {
        Post((int)NeverGranted, 1, 0, L2Echo.MinSize, 0);
        // A second page with a good frame in it, granted, posted, published, then revoked
        // before the kick: netback, which copies only once kicked, finds the grant gone.
        int page = 2;   // the good page's bytes are fine; what matters is the reference
        int revoked = Grants.GrantAccess(s_backendId, Page(page), readOnly: true);
        Post(revoked, 2, 0, L2Echo.MinSize, 0);
        s_tx.PushRequests();
        bool ended = revoked >= 0 && Grants.EndAccess(revoked);
        Kick();
        Console.WriteLine("netevil: bad-gref: posted gref " + NeverGranted.ToString() + " (never granted) and gref " + revoked.ToString()
            + " (" + (ended ? "revoked before the kick" : "could NOT be revoked") + ") and kicked");
        AwaitResponses(2);
        Post(s_goodRef, 3, 0, L2Echo.MinSize, 0);
        Kick();
        Console.WriteLine("netevil: bad-gref: a good frame after them answered with status " + StatusText(AwaitResponses(1)));
    }

    // ---- what it shows -----------------------------------------------------------------------------

    private static void PrintRings(string when)
    {
        SharedRingHeader* t = s_tx.Shared, r = s_rx.Shared;
        Console.WriteLine("netevil: " + when + ": tx ring req_prod=" + Volatile.Read(ref t->ReqProd).ToString() + " req_event=" + Volatile.Read(ref t->ReqEvent).ToString()
            + " rsp_prod=" + Volatile.Read(ref t->RspProd).ToString() + " rsp_event=" + Volatile.Read(ref t->RspEvent).ToString()
            + " (ours: req_prod_pvt=" + s_tx.ReqProdPvt.ToString() + " rsp_cons=" + s_tx.RspCons.ToString() + ")");
        Console.WriteLine("netevil: " + when + ": rx ring req_prod=" + Volatile.Read(ref r->ReqProd).ToString() + " req_event=" + Volatile.Read(ref r->ReqEvent).ToString()
            + " rsp_prod=" + Volatile.Read(ref r->RspProd).ToString() + " rsp_event=" + Volatile.Read(ref r->RspEvent).ToString()
            + "; backend " + StateName(s_backendState) + ", kicks received " + s_kicksReceived.ToString());
    }

    private static string StatusText(short status) => status switch
    {
        NetifStatus.Okay => "0 (okay)",
        NetifStatus.Error => "-1 (error)",
        NetifStatus.Dropped => "-2 (dropped)",
        NetifStatus.Null => "none",
        _ => status.ToString(),
    };

    private static string StateName(XenbusState s) => s switch
    {
        XenbusState.Initialising => "Initialising",
        XenbusState.InitWait => "InitWait",
        XenbusState.Initialised => "Initialised",
        XenbusState.Connected => "Connected",
        XenbusState.Closing => "Closing",
        XenbusState.Closed => "Closed",
        XenbusState.Reconfiguring => "Reconfiguring",
        XenbusState.Reconfigured => "Reconfigured",
        _ => "Unknown",
    };

}
