// Lab "pingpong": the driver program, run in two domains (role=ping in domain 1, role=pong in
// domain 2). It finds the peer's port through the XenStore (Rendezvous below), then bounces
// events through the Channel you write (Channel.cs) and prints what it saw. Do not edit this
// file: the grader reads what it prints.
using ParaKit.Protocols.Events;

public static class PingPongLab
{
    private const ulong GiveUpNs = 10_000_000_000;

    public static int Main(string[] args)
    {
        string role = "";
        ulong peer = 0;
        int rounds = 200;
        foreach (string a in args)
        {
            if (a.StartsWith("role="))
                role = a.Substring(5);
            else if (a.StartsWith("peer="))
                ulong.TryParse(a.Substring(5), out peer);
            else if (a.StartsWith("rounds="))
                int.TryParse(a.Substring(7), out rounds);
        }
        if ((role != "ping" && role != "pong") || peer == 0 || peer == Kernel.DomId || rounds < 1)
        {
            Console.WriteLine("usage: role=ping|pong peer=DOMID [rounds=N]");
            return 2;
        }
        ulong deadline = Clock.NowNs() + GiveUpNs;
        return role == "ping" ? Ping((ushort)peer, rounds, deadline) : Pong((ushort)peer, rounds, deadline);
    }

    private static int Ping(ushort peer, int rounds, ulong deadline)
    {
        Channel? ch = Channel.Offer(peer);
        if (ch == null)
        {
            // Linger a moment: pong must read "failed" before our nodes go with our domain.
            Rendezvous.Publish(peer, "failed");
            Scheduler.Sleep(1_000_000_000);
            return Fail("ping", "Channel.Offer returned null");
        }
        Rendezvous.Publish(peer, ch.Port.ToString());
        Console.WriteLine($"ping: offered port {ch.Port} to domain {peer}");
        if (!ch.WaitFor(1, deadline))
            return Fail("ping", "pong never said hello");
        var rtt = new List<ulong>();
        for (int i = 0; i < rounds; i++)
        {
            ulong t0 = Clock.NowNs();
            ch.Notify();
            if (!ch.WaitFor((uint)i + 2, deadline))
                return Fail("ping", $"round {i} was never answered (received {ch.Received})");
            rtt.Add(Clock.NowNs() - t0);
        }
        rtt.Sort();
        Console.WriteLine($"ping: round trips: {rounds}, median {rtt[rtt.Count / 2] / 1000} us, max {rtt[rtt.Count - 1] / 1000} us");
        Console.WriteLine($"ping: received={ch.Received} stray={Events.Unhandled}");
        uint port = ch.Port;
        ch.Close();
        long rc = Events.Status(port, out EvtchnStatus st);
        Console.WriteLine($"ping: after Close port {port} has state={(rc == 0 ? (long)st.Status : rc)}");
        return 0;
    }

    private static int Pong(ushort peer, int rounds, ulong deadline)
    {
        uint remote = Rendezvous.Lookup(peer, deadline);
        if (remote == 0)
            return Fail("pong", "ping published no port");
        Channel? ch = Channel.Accept(peer, remote);
        if (ch == null)
            return Fail("pong", "Channel.Accept returned null");
        Console.WriteLine($"pong: port {ch.Port} bound to domain {peer} port {remote}");
        ch.Notify();   // hello
        for (int i = 0; i < rounds; i++)
        {
            if (!ch.WaitFor((uint)i + 1, deadline))
                return Fail("pong", $"ping stopped after {i} rounds (received {ch.Received})");
            ch.Notify();
        }
        Console.WriteLine($"pong: echoed {rounds}, received={ch.Received} stray={Events.Unhandled}");
        return 0;
    }

    private static int Fail(string role, string why)
    {
        Console.WriteLine($"{role}: FAIL: {why}");
        return 1;
    }
}

/// <summary>How pong learns ping's port: ping writes it under its own data/ directory, readable
/// by pong; pong reads it from there (the way a Xen frontend publishes its event-channel).</summary>
public static class Rendezvous
{
    public static void Publish(ushort peer, string port)
    {
        Store.Mkdir("data/pingpong");
        Store.SetPermissions("data/pingpong", new[] { "n" + Kernel.DomId.ToString(), "r" + peer.ToString() });
        Store.Write("data/pingpong/port", port);
    }

    /// <summary>The port the peer published, or 0 if it failed or never did by the deadline.</summary>
    public static uint Lookup(ushort peer, ulong deadline)
    {
        string path = "/local/domain/" + peer.ToString() + "/data/pingpong/port";
        while (Clock.NowNs() < deadline)
        {
            string? text = Store.Read(path);
            if (text != null)
                return uint.TryParse(text, out uint port) ? port : 0;
            Scheduler.Sleep(1_000_000);
        }
        return 0;
    }
}
