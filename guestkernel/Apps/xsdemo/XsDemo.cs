// The XenStore from inside a unikernel: reads its own domain's nodes, writes and lists keys,
// runs transactions (one commits, a conflicting one gets EAGAIN), sets a watch and sees it fire,
// walks a xenbus state, and times a store round trip. With `wait` it then waits for domain 0
// (`parakit xenstore write /local/domain/N/data/ping VALUE`) and answers in data/pong.
// With `front peer=N` / `back peer=N`, two domains run the xenbus handshake through the store
// instead (backend InitWait -> frontend Connected -> backend Connected -> frontend Closing), as
// split drivers do.
using ParaKit.Kernel;
using ParaKit.Protocols.Store;

public static class XsDemo
{
    private static int s_failures;
    private static int s_events;
    private static string s_lastEvent = "";
    private static string? s_ping;

    private static void Check(bool ok, string what)
    {
        Console.WriteLine((ok ? "ok   " : "FAIL ") + what);
        if (!ok)
            s_failures++;
    }

    public static int Main(string[] args)
    {
        bool wait = args.Length > 0 && args[0] == "wait";
        if (!Store.Initialize())
        {
            Console.WriteLine("xsdemo: this domain has no XenStore");
            return 1;
        }
        if (args.Length == 2 && (args[0] == "front" || args[0] == "back") && args[1].StartsWith("peer="))
            return Handshake(args[0] == "back", args[1].Substring(5));
        if (args.Length == 1 && args[0] == "hostile")
            return Hostile();
        if (args.Length == 1 && args[0] == "serve")
            return Serve();
        string? home = Store.GetDomainPath(Kernel.DomId);
        Console.WriteLine("xsdemo: domain " + Kernel.DomId.ToString() + " home " + (home ?? "?") + ", store port " + Store.Port.ToString());
        Check(home == "/local/domain/" + Kernel.DomId.ToString(), "GET_DOMAIN_PATH");
        string? name = Store.Read("name");
        Check(name != null && name.Length > 0, "read name = " + (name ?? "null"));
        Check(Store.Read("domid") == Kernel.DomId.ToString(), "read domid");
        Check(Store.Read("memory/target") != null, "read memory/target = " + (Store.Read("memory/target") ?? "null"));
        Check(Store.Write("name", "mine") == XsError.EACCES, "writing name is refused (EACCES)");
        Check(Store.Read("/local/domain/0") == null && (Store.LastError == XsError.ENOENT || Store.LastError == XsError.EACCES), "domain 0's home is not ours");

        // Keys under data/, which the domain owns.
        Check(Store.Write("data/xsdemo/a", "1") == XsError.None, "write data/xsdemo/a");
        Check(Store.Write("data/xsdemo/b", "two") == XsError.None, "write data/xsdemo/b");
        Check(Store.Write("data/xsdemo/c/deep", "3") == XsError.None, "write data/xsdemo/c/deep (creates c)");
        string[]? names = Store.Directory("data/xsdemo");
        string list = names is null ? "null" : string.Join(",", names);
        Check(list == "a,b,c", "directory data/xsdemo = " + list);
        Check(Store.Read("data/xsdemo/b") == "two", "read back data/xsdemo/b");
        Check(Store.Remove("data/xsdemo/c") == XsError.None && Store.Read("data/xsdemo/c/deep") == null && Store.LastError == XsError.ENOENT, "rm data/xsdemo/c (recursive)");

        // A directory whose listing exceeds one 4 KiB reply comes back in pieces (DIRECTORY_PART).
        for (int i = 0; i < 300; i++)
            Store.Write("data/xsdemo/many/entry-with-a-longish-name-" + i.ToString(), "");
        string[]? many = Store.Directory("data/xsdemo/many");
        Check(many != null && many.Length == 300 && many[0] == "entry-with-a-longish-name-0", "a 300-entry directory (" + (many == null ? "null" : many.Length.ToString()) + " names)");
        Store.Remove("data/xsdemo/many");

        // Transactions: t1 and t2 both read a and write it; t1 commits first, so t2 must retry.
        uint t1 = Store.TransactionStart();
        uint t2 = Store.TransactionStart();
        Check(t1 != 0 && t2 != 0 && t1 != t2, "two transactions " + t1.ToString() + " and " + t2.ToString());
        string? a1 = Store.Read("data/xsdemo/a", t1);
        Store.Write("data/xsdemo/a", a1 + "+t1", t1);
        Store.Write("data/xsdemo/t1", "yes", t1);
        string? a2 = Store.Read("data/xsdemo/a", t2);
        Store.Write("data/xsdemo/a", a2 + "+t2", t2);
        Check(Store.Read("data/xsdemo/a") == "1", "uncommitted writes are invisible");
        Check(Store.TransactionEnd(t1, true) == XsError.None, "t1 commits");
        Check(Store.TransactionEnd(t2, true) == XsError.EAGAIN, "t2 conflicts (EAGAIN)");
        Check(Store.Read("data/xsdemo/a") == "1+t1" && Store.Read("data/xsdemo/t1") == "yes", "t1's writes are there, t2's are not");
        uint t3 = Store.TransactionStart();
        Store.Write("data/xsdemo/never", "x", t3);
        Check(Store.TransactionEnd(t3, false) == XsError.None && Store.Read("data/xsdemo/never") == null, "an aborted transaction leaves nothing");

        // A watch fires once when set, then on changes at or below its path.
        Check(Store.Watch("data/xsdemo/w", "tok", OnWatch) == XsError.None, "watch data/xsdemo/w");
        Store.WaitForWatch(Clock.NowNs() + 2_000_000_000);
        Check(s_events == 1 && s_lastEvent == "data/xsdemo/w", "the watch fired once when set (" + s_lastEvent + ")");
        Store.Write("data/xsdemo/w/x", "1");
        Store.WaitForWatch(Clock.NowNs() + 2_000_000_000);
        Check(s_events == 2 && s_lastEvent == "data/xsdemo/w/x", "the watch fired for data/xsdemo/w/x");
        Store.Write("data/xsdemo/elsewhere", "1");
        Check(!Store.WaitForWatch(Clock.NowNs() + 20_000_000) && s_events == 2, "no event for a path outside the watch");
        Check(Store.Unwatch("data/xsdemo/w", "tok") == XsError.None, "unwatch");

        // The same watch from an event loop: the store port's handler dispatches it.
        s_events = 0;
        Check(Store.Watch("data/xsdemo/loop", "loop", OnWatch) == XsError.None, "watch data/xsdemo/loop");
        Check(RunLoopUntil(1), "Events.WaitAndDispatch runs the watch handler (fired when set)");
        Store.Write("data/xsdemo/loop/x", "1");
        Check(RunLoopUntil(2) && s_lastEvent == "data/xsdemo/loop/x", "Events.WaitAndDispatch runs it for a write");
        Store.Unwatch("data/xsdemo/loop", "loop");

        // The xenbus state helper on a device directory of our own.
        string dev = "device/demo/0";
        Check(Xenbus.SwitchState(dev, XenbusState.Initialising) == XsError.None && Xenbus.ReadState(dev) == XenbusState.Initialising, "xenbus state Initialising");
        Xenbus.SwitchState(dev, XenbusState.Connected);
        Check(Xenbus.WaitForState(dev, XenbusState.Connected, Clock.NowNs() + 1_000_000_000) == XenbusState.Connected, "xenbus wait sees Connected");

        // Round trip: one READ = one send hypercall + a wake of domain 0's store thread + its
        // event back + a poll in the guest.
        const int N = 200;
        ulong notifiesBefore = Store.Notifies;
        ulong start = Clock.NowNs();
        for (int i = 0; i < N; i++)
            Store.Read("domid");
        ulong per = (Clock.NowNs() - start) / N;
        Console.WriteLine("xsdemo: " + N.ToString() + " reads, " + Micros(per) + " us per round trip, "
            + ((Store.Notifies - notifiesBefore) / N).ToString() + " notify per request");
        start = Clock.NowNs();
        for (int i = 0; i < N; i++)
            Store.Write("data/xsdemo/bench", "x");
        Console.WriteLine("xsdemo: " + N.ToString() + " writes, " + Micros((Clock.NowNs() - start) / N) + " us per round trip");
        start = Clock.NowNs();
        for (int i = 0; i < N / 4; i++)
        {
            uint t = Store.TransactionStart();
            Store.Read("data/xsdemo/bench", t);
            Store.Write("data/xsdemo/bench", "y", t);
            Store.TransactionEnd(t, true);
        }
        Console.WriteLine("xsdemo: " + (N / 4).ToString() + " transactions (start, read, write, commit), " + Micros((Clock.NowNs() - start) / (N / 4)) + " us each");

        if (wait)
        {
            Console.WriteLine("xsdemo: waiting for domain 0 to write " + home + "/data/ping");
            Store.Watch("data/ping", "ping", OnPing);
            ulong deadline = Clock.NowNs() + 30_000_000_000;
            while (s_ping is null && Store.WaitForWatch(deadline))
            {
            }
            Check(s_ping != null, "domain 0 wrote data/ping = " + (s_ping ?? "null"));
            // A device directory domain 0 may have written for us meanwhile.
            if (Xenbus.ReadOtherEnd("device/demo/0", true, out string backendPath, out uint backendId))
                Console.WriteLine("xsdemo: device/demo/0 has its backend at " + backendPath + " in domain " + backendId.ToString());
            if (s_ping != null)
                Store.Write("data/pong", s_ping);
        }

        Console.WriteLine(s_failures == 0 ? "xsdemo: all checks passed" : "xsdemo: " + s_failures.ToString() + " checks failed");
        return s_failures == 0 ? 0 : 1;
    }

    /// <summary>Both ends publish data/vdev/state readable by the peer, then wait for each other.</summary>
    private static int Handshake(bool backend, string peer)
    {
        string self = Kernel.DomId.ToString();
        string mine = "data/vdev";
        string theirs = "/local/domain/" + peer + "/data/vdev";
        ulong deadline = Clock.NowNs() + 20_000_000_000;
        string role = backend ? "back" : "front";
        // The directory first, readable by the peer; the state node inherits its permissions.
        Store.Mkdir(mine);
        Check(Store.SetPermissions(mine, new[] { "n" + self, "r" + peer }) == XsError.None, role + ": " + mine + " readable by domain " + peer);
        ulong start = Clock.NowNs();
        if (backend)
        {
            Store.Write(mine + "/feature-demo", "1");
            Xenbus.SwitchState(mine, XenbusState.InitWait);
            Check(Xenbus.WaitForState(theirs, XenbusState.Connected, deadline) == XenbusState.Connected, "back: frontend Connected");
            Xenbus.SwitchState(mine, XenbusState.Connected);
            // Stay until the frontend has seen Connected: it says so by closing (or by going away).
            XenbusState last = Xenbus.WaitForState(theirs, XenbusState.Closing, deadline, orLater: true, goneMeansClosed: true);
            Check(last >= XenbusState.Closing, "back: frontend closing");
        }
        else
        {
            Xenbus.SwitchState(mine, XenbusState.Initialising);
            Check(Xenbus.WaitForState(theirs, XenbusState.InitWait, deadline) == XenbusState.InitWait, "front: backend InitWait");
            Check(Store.Read(theirs + "/feature-demo") == "1", "front: reads the backend's feature");
            Xenbus.SwitchState(mine, XenbusState.Connected);
            Check(Xenbus.WaitForState(theirs, XenbusState.Connected, deadline) == XenbusState.Connected, "front: backend Connected");
            Xenbus.SwitchState(mine, XenbusState.Closing);
        }
        ulong us = (Clock.NowNs() - start) / 1000;
        Console.WriteLine(s_failures == 0 ? "xenbus: " + role + " connected in " + us.ToString() + " us" : "xenbus: " + role + " failed");
        return s_failures == 0 ? 0 : 1;
    }

    /// <summary>Corrupts our own ring (a producer counter more than a ring ahead) and checks that
    /// domain 0 gives up on it: the page's error field is set and requests fail with EIO.</summary>
    private static unsafe int Hostile()
    {
        Check(Store.Read("domid") == Kernel.DomId.ToString(), "hostile: the store works before");
        var page = (XenstoreDomainInterface*)Kernel.StartInfo->StoreRingAddress;
        page->ReqProd += 5000;
        Events.Send(Store.Port);
        ulong deadline = Clock.NowNs() + 2_000_000_000;
        while (page->Error == XenstoreRingConstants.ErrorNone && Clock.NowNs() < deadline)
            Scheduler.Sleep(1_000_000);
        Check(page->Error == XenstoreRingConstants.ErrorRingIdx, "hostile: domain 0 marked the ring corrupt (error " + page->Error.ToString() + ")");
        Check(Store.Read("domid") == null && Store.LastError == XsError.EIO, "hostile: requests now fail with EIO");
        Console.WriteLine(s_failures == 0 ? "xsdemo: hostile checks passed" : "xsdemo: hostile checks failed");
        return s_failures == 0 ? 0 : 1;
    }

    /// <summary>Runs the event loop until <paramref name="events"/> watch events were handled (1 s at most).</summary>
    private static bool RunLoopUntil(int events)
    {
        ulong deadline = Clock.NowNs() + 1_000_000_000;
        while (s_events < events && Clock.NowNs() < deadline)
        {
            Scheduler.SetTimer(deadline); // Block returns by then even if nothing comes
            Events.WaitAndDispatch();
        }
        return s_events >= events;
    }

    private static string? s_shutdown;

    /// <summary>Runs an event loop until domain 0 writes control/shutdown (xl shutdown's way).</summary>
    private static int Serve()
    {
        Check(Control.OnShutdownRequest(static request => s_shutdown = request) == XsError.None, "serve: watching control/shutdown");
        ulong deadline = Clock.NowNs() + 60_000_000_000;
        while (s_shutdown is null && Clock.NowNs() < deadline)
        {
            Scheduler.SetTimer(deadline);
            Events.WaitAndDispatch();
        }
        Console.WriteLine("xsdemo: shutdown requested: " + (s_shutdown ?? "none (gave up)"));
        Check(Store.Read("control/shutdown") == "", "serve: the request was acknowledged (node cleared)");
        return s_shutdown == "poweroff" && s_failures == 0 ? 0 : 1;
    }

    private static string Micros(ulong ns) => (ns / 1000).ToString() + "." + (ns % 1000 / 100).ToString();

    private static void OnWatch(string path, string token)
    {
        s_events++;
        s_lastEvent = path;
    }

    private static void OnPing(string path, string token)
    {
        string? v = Store.Read("data/ping");
        if (v != null)
            s_ping = v;
    }
}
