// Two domains bounce events and grant copies between them (hypervisor/examples/pingpong-*.cfg).
//
// Rendezvous without XenStore: `parakit create` numbers domains 1, 2, ... in file order, so
// each side gets its peer's id on the command line; a fresh domain's first grant reference is
// 8 (the first after the reserved ones), so each knows the reference of the page the other
// grants. The port is found by probing: bind_interdomain succeeds only on a port the peer
// reserved for us with alloc_unbound, so pong tries ports 1..MaxProbePort until one binds
// (the store or the console may hold a low port already), retrying until ping has allocated:
//   ping (role=ping peer=P): grants pong a page (gref 8), alloc_unbound(P), waits for hello
//   pong (role=pong peer=Q): grants ping a page (gref 8), finds and binds ping's port, sends hello
// Phase 1: N event round trips (ping sends, pong echoes). Phase 2: M rounds where each side
// copies a 4 KiB page into the other's granted page (GNTTABOP_copy) and notifies; both check
// every byte. Ping prints the round-trip times and the copy cost; both exit 0 on success.
using ParaKit.Kernel;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Grants;

public static unsafe class PingPong
{
    private const uint MaxProbePort = 16;
    private const int Batch = 64;
    private const uint AgreedGref = 8;
    private const ulong GiveUpNs = 20_000_000_000;   // a lost peer ends the run, not the test suite

    private static uint s_received;
    private static ulong s_deadline;

    public static int Main(string[] args)
    {
        string role = "";
        ulong peer = 0, events = 1000, copies = 200;
        foreach (string a in args)
        {
            if (a.StartsWith("role="))
                role = a.Substring(5);
            else if (a.StartsWith("peer="))
                ulong.TryParse(a.Substring(5), out peer);
            else if (a.StartsWith("events="))
                ulong.TryParse(a.Substring(7), out events);
            else if (a.StartsWith("copies="))
                ulong.TryParse(a.Substring(7), out copies);
        }
        if ((role != "ping" && role != "pong") || peer == 0 || peer >= 0x7FF0 || peer == Kernel.DomId)
        {
            Console.WriteLine("usage: role=ping|pong peer=DOMID [events=N] [copies=N]");
            return 2;
        }
        s_deadline = Clock.NowNs() + GiveUpNs;
        Scheduler.SetTimer(s_deadline);   // Block returns by then even if the peer is gone

        long rc = Grants.Initialize();
        if (rc != 0)
            return Fail("grant table setup failed: " + rc.ToString());
        byte* shared = Grants.AllocatePage();   // the peer copies into this one
        byte* scratch = Grants.AllocatePage();  // what we copy out of
        int gref = Grants.GrantAccess((ushort)peer, shared, readOnly: false);
        if (gref != (int)AgreedGref)
            return Fail("first grant reference is " + gref.ToString() + ", expected 8");

        uint port;
        if (role == "ping")
        {
            long p = Events.AllocUnbound((ushort)peer);
            if (p <= 0 || p > MaxProbePort)
                return Fail("alloc_unbound gave " + p.ToString() + ", pong only probes ports 1.." + MaxProbePort.ToString());
            port = (uint)p;
            Events.Register(port, OnEvent);
            Console.WriteLine($"ping: domain {Kernel.DomId}, port {port} for domain {peer}, grant {gref}; waiting for pong");
            if (!WaitFor(1))
                return Fail("pong never said hello");
        }
        else
        {
            long p = -1;
            uint remote = 0;
            int tries = 0;
            while (p < 0)
            {
                // -EINVAL until ping has allocated the port (-ESRCH before ping exists).
                for (remote = 1; remote <= MaxProbePort && p < 0; remote++)
                    p = Events.BindInterdomain((ushort)peer, remote);
                if (p >= 0)
                    break;
                if (++tries > 20_000 || Clock.NowNs() > s_deadline)
                    return Fail("no port of domain " + peer.ToString() + " is reserved for us: " + p.ToString());
                Scheduler.Sleep(100_000);
            }
            remote--;
            port = (uint)p;
            EventChannelBits.ClearPending(Kernel.SharedInfo, port);  // the bind's own event
            Events.Register(port, OnEvent);
            Console.WriteLine($"pong: domain {Kernel.DomId}, bound port {port} to domain {peer} port {remote} after {tries} retries, grant {gref}");
            Events.Send(port);
        }
        s_received = 0;
        return role == "ping"
            ? Ping(port, (ushort)peer, (int)events, (int)copies, shared, scratch)
            : Pong(port, (ushort)peer, (int)events, (int)copies, shared, scratch);
    }

    private static void OnEvent(uint port) => s_received++;

    /// <summary>Runs the event loop until <paramref name="count"/> events have arrived in total.</summary>
    private static bool WaitFor(uint count)
    {
        while (s_received < count)
        {
            Events.WaitAndDispatch();
            if (s_received < count && Clock.NowNs() > s_deadline)
                return false;
        }
        return true;
    }

    private static int Ping(uint port, ushort peer, int events, int copies, byte* shared, byte* scratch)
    {
        var rtt = new ulong[events];
        for (int i = 0; i < events; i++)
        {
            ulong t0 = Clock.NowNs();
            Events.Send(port);
            if (!WaitFor((uint)i + 1))
                return Fail("event " + i.ToString() + " was never echoed");
            rtt[i] = Clock.NowNs() - t0;
        }
        Report("event round trip", rtt, events);

        var copyRtt = new ulong[copies];
        int bad = 0;
        for (int r = 0; r < copies; r++)
        {
            for (int i = 0; i < 4096; i++)
                scratch[i] = Pattern(i, r);
            ulong t0 = Clock.NowNs();
            long st = Grants.CopyTo(peer, AgreedGref, 0, scratch, 4096);
            if (st != 0)
                return Fail("copy to pong failed with status " + st.ToString());
            Events.Send(port);
            if (!WaitFor((uint)(events + r + 1)))
                return Fail("copy round " + r.ToString() + " was never answered");
            copyRtt[r] = Clock.NowNs() - t0;
            for (int i = 0; i < 4096; i++)
            {
                if (shared[i] != (byte)~Pattern(i, r))
                    bad++;
            }
        }
        Report("4 KiB copy+event round trip", copyRtt, copies);
        // What a copy costs in domain 0, apart from the exit: one GNTTABOP_copy hypercall with
        // 1 copy against one with 64 (a self-grant, so the peer's page is left alone), and a
        // hypercall that does almost nothing.
        if (copies > 0)
        {
            int self = Grants.GrantAccess((ushort)Kernel.DomId, scratch, readOnly: true);
            GnttabCopy* batch = stackalloc GnttabCopy[Batch];
            for (int i = 0; i < Batch; i++)
            {
                batch[i] = default;
                batch[i].Source.Ref = (uint)self;
                batch[i].Source.DomId = ParaKit.Protocols.Hypercalls.DomId.Self;
                batch[i].Dest.Gmfn = (ulong)shared >> 12;
                batch[i].Dest.DomId = ParaKit.Protocols.Hypercalls.DomId.Self;
                batch[i].Len = 4096;
                batch[i].Flags = GnttabCopyFlags.SourceGref;
            }
            ulong oneNs = 0, batchNs = 0, nullNs = 0;
            for (int r = 0; r < copies; r++)
            {
                ulong t0 = Clock.NowNs();
                Grants.Copy(batch, 1);
                ulong t1 = Clock.NowNs();
                Grants.Copy(batch, Batch);
                ulong t2 = Clock.NowNs();
                Events.Status(port, out _);
                ulong t3 = Clock.NowNs();
                oneNs += t1 - t0;
                batchNs += t2 - t1;
                nullNs += t3 - t2;
                for (int i = 0; i < Batch; i++)
                {
                    if (batch[i].Status != 0)
                        bad++;
                }
            }
            Grants.EndAccess(self);
            ulong n = (ulong)copies;
            ulong extra = batchNs > oneNs ? (batchNs - oneNs) / n / (Batch - 1) : 0;
            Console.WriteLine($"ping: GNTTABOP_copy of 4 KiB: {Micro(oneNs / n)} us a hypercall with 1 copy, {Micro(batchNs / n)} us with {Batch} ({extra} ns per extra copy); evtchn status (near-null hypercall) {Micro(nullNs / n)} us");
        }
        Console.WriteLine($"ping: {events} events and {copies} page copies each way, {bad} bad bytes, {Events.Unhandled} stray events");
        return bad == 0 ? 0 : 1;
    }

    private static int Pong(uint port, ushort peer, int events, int copies, byte* shared, byte* scratch)
    {
        for (int i = 0; i < events; i++)
        {
            if (!WaitFor((uint)i + 1))
                return Fail("ping stopped after " + i.ToString() + " events");
            Events.Send(port);
        }
        int bad = 0;
        for (int r = 0; r < copies; r++)
        {
            if (!WaitFor((uint)(events + r + 1)))
                return Fail("ping stopped after " + r.ToString() + " copy rounds");
            for (int i = 0; i < 4096; i++)
            {
                byte b = shared[i];
                if (b != Pattern(i, r))
                    bad++;
                scratch[i] = (byte)~b;
            }
            long st = Grants.CopyTo(peer, AgreedGref, 0, scratch, 4096);
            if (st != 0)
                return Fail("copy to ping failed with status " + st.ToString());
            Events.Send(port);
        }
        Console.WriteLine($"pong: echoed {events} events and {copies} pages, {bad} bad bytes");
        return bad == 0 ? 0 : 1;
    }

    private static byte Pattern(int i, int round) => (byte)(i * 7 + round * 13 + (i >> 8));

    private static void Report(string what, ulong[] ns, int n)
    {
        if (n == 0)
            return;
        // Insertion sort: n is small and there is no Array.Sort in the guest.
        for (int i = 1; i < n; i++)
        {
            ulong v = ns[i];
            int j = i - 1;
            while (j >= 0 && ns[j] > v)
            {
                ns[j + 1] = ns[j];
                j--;
            }
            ns[j + 1] = v;
        }
        ulong sum = 0;
        for (int i = 0; i < n; i++)
            sum += ns[i];
        Console.WriteLine($"ping: {what} over {n}: min {Micro(ns[0])} us, median {Micro(ns[n / 2])} us, p99 {Micro(ns[n * 99 / 100])} us, mean {Micro(sum / (ulong)n)} us");
    }

    /// <summary>Nanoseconds as microseconds with one decimal.</summary>
    private static string Micro(ulong ns) => (ns / 1000).ToString() + "." + (ns / 100 % 10).ToString();

    private static int Fail(string why)
    {
        Console.WriteLine("pingpong: FAIL: " + why);
        return 1;
    }
}
