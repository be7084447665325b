// Domain 0's two other doors into the store, without KVM: the in-process LocalStoreClient that
// backends use, and the Unix socket that `parakit xenstore` talks to (same wire format as a
// ring; a broken client is dropped alone; a live socket is never stolen, a stale one replaced).
using System.Net.Sockets;
using System.Text;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Store;

public class StoreClientsTests
{
    [Test]
    public void Local_client_reads_writes_watches_and_retries_transactions()
    {
        var store = new XenStore();
        store.IntroduceDomain(1, "guest", 1024);
        using var backend = new LocalStoreClient(store);
        var seen = new List<string>();
        Assert.That(backend.Watch("/local/domain/1/device", "fe", (p, _) => { lock (seen) seen.Add(p); }), Is.EqualTo(XsError.None));
        Assert.That(seen, Is.EqualTo(new[] { "/local/domain/1/device" }), "fires once when set");

        var guest = new StoreClient(store, 1);
        guest.Write("device/vif/0/state", "1");
        Assert.That(seen, Has.Member("/local/domain/1/device/vif/0/state"));
        Assert.That(backend.Read("/local/domain/1/device/vif/0/state"), Is.EqualTo("1"));
        Assert.That(backend.Write("/backend/vif/1/0/state", "2"), Is.EqualTo(XsError.None));
        Assert.That(backend.SetPerms("/backend/vif/1/0", new NodePerms([new XsPermEntry(0, XsAccess.None), new XsPermEntry(1, XsAccess.Read)])), Is.EqualTo(XsError.None));
        Assert.That(guest.Read("/backend/vif/1/0/state"), Is.EqualTo("ENOENT").Or.EqualTo("EACCES"), "state inherits /backend's perms: the guest cannot read it");
        Assert.That(guest.Dir("/backend/vif/1/0"), Is.EqualTo("state\0"));
        Assert.That(backend.GetPerms("/backend/vif/1/0")!.ToString(), Is.EqualTo("n0 r1"));
        Assert.That(backend.Directory("/backend/vif"), Is.EqualTo(new[] { "1" }));
        Assert.That(backend.Read("/nope"), Is.Null);

        // The usual retry loop: the first attempt conflicts with a write in between.
        using var other = new LocalStoreClient(store);
        int attempts = 0;
        XsError end;
        do
        {
            attempts++;
            var (e, tx) = backend.TransactionStart();
            Assert.That(e, Is.EqualTo(XsError.None));
            string v = backend.Read("/backend/vif/1/0/state", tx) ?? "";
            if (attempts == 1)
                other.Write("/backend/vif/1/0/state", "3");
            backend.Write("/backend/vif/1/0/state", v + "!", tx);
            end = backend.TransactionEnd(tx, true);
        }
        while (end == XsError.EAGAIN);
        Assert.That((attempts, end, backend.Read("/backend/vif/1/0/state")), Is.EqualTo((2, XsError.None, "3!")));
        Assert.That(backend.Unwatch("/local/domain/1/device", "fe"), Is.EqualTo(XsError.None));
    }

    private static string TempSocket() => Path.Combine(Path.GetTempPath(), "pk-xs-" + Guid.NewGuid().ToString("N")[..8] + ".sock");

    private static byte[] Msg(XsdSockMsgType t, uint id, string payload)
    {
        var p = Encoding.ASCII.GetBytes(payload);
        var m = new byte[16 + p.Length];
        XsCodec.TryEncode(m, t, id, 0, p, out _);
        return m;
    }

    private static (XsdSockMsg H, string Payload) Receive(Socket s)
    {
        var header = new byte[16];
        Assert.That(StoreSocketServer.ReadExactly(s, header), Is.True, "connection closed");
        XsCodec.TryReadHeader(header, out var h);
        var body = new byte[h.Len];
        Assert.That(StoreSocketServer.ReadExactly(s, body), Is.True);
        return (h, Encoding.ASCII.GetString(body));
    }

    [Test]
    public void Socket_speaks_the_wire_format_with_watch_events_and_drops_a_broken_client_alone()
    {
        var store = new XenStore();
        string path = TempSocket();
        using (var server = StoreSocketServer.Start(store, path))
        {
            using var client = StoreSocketClient.Connect(path);
            Assert.That(client.Request(XsdSockMsgType.Write, "/tool/a\0b"u8).Type, Is.EqualTo(XsdSockMsgType.Write));
            var (t, v) = client.Request(XsdSockMsgType.Read, "/tool/a\0"u8);
            Assert.That((t, Encoding.ASCII.GetString(v)), Is.EqualTo((XsdSockMsgType.Read, "b")));

            using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            raw.Connect(new UnixDomainSocketEndPoint(path));
            raw.ReceiveTimeout = 5000;
            raw.Send(Msg(XsdSockMsgType.Watch, 7, "/tool\0tk\0"));
            Assert.That(Receive(raw), Is.EqualTo((new XsdSockMsg { Type = (uint)XsdSockMsgType.Watch, ReqId = 7, Len = 3 }, "OK\0")));
            Assert.That(Receive(raw).Payload, Is.EqualTo("/tool\0tk\0"));
            client.Request(XsdSockMsgType.Write, "/tool/c\0d"u8);
            Assert.That(Receive(raw).Payload, Is.EqualTo("/tool/c\0tk\0"), "another client's write reaches the watcher");

            using var broken = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            broken.Connect(new UnixDomainSocketEndPoint(path));
            broken.ReceiveTimeout = 5000;
            var bad = new byte[16];
            XsCodec.TryWriteHeader(bad, new XsdSockMsg { Type = 2, ReqId = 1, Len = 100_000 });
            broken.Send(bad);
            Assert.That(broken.Receive(new byte[16]), Is.EqualTo(0), "the broken client is disconnected");
            Assert.That(Encoding.ASCII.GetString(client.Request(XsdSockMsgType.Read, "/tool/c\0"u8).Payload), Is.EqualTo("d"), "the others are still served");

            Assert.Throws<IOException>(() => StoreSocketServer.Start(new XenStore(), path), "a live socket is not taken over");
            Assert.That(StoreSocketServer.TryStart(new XenStore(), path, out string? why), Is.Null);
            Assert.That(why, Does.Contain("another hypervisor"));
        }
        Assert.That(File.Exists(path), Is.False);
        var ex = Assert.Throws<IOException>(() => StoreSocketClient.Connect(path));
        Assert.That(ex!.Message, Does.Contain("no running hypervisor"));

        // A leftover file nobody answers on (a hypervisor that was killed) is replaced. (.NET
        // unlinks a socket file when its socket is disposed, so a plain file stands in for it.)
        File.WriteAllText(path, "");
        using (var again = StoreSocketServer.Start(store, path))
        using (var client = StoreSocketClient.Connect(path))
            Assert.That(Encoding.ASCII.GetString(client.Request(XsdSockMsgType.Read, "/tool/a\0"u8).Payload), Is.EqualTo("b"));
    }

    [Test]
    public void A_toolstack_device_gives_each_side_its_directory_readable_by_the_peer_only()
    {
        var store = new XenStore();
        store.IntroduceDomain(1, "guest", 1024);
        store.IntroduceDomain(2, "other", 1024);
        using var xs = new LocalStoreClient(store);
        Assert.That(XenbusDevices.Add(xs, 1, 0, "vif", 0, backendEntries: new Dictionary<string, string> { ["mac"] = "00:16:3e:00:00:01" }), Is.EqualTo(XsError.None));
        var p = XenbusDevices.PathsOf(1, 0, "vif", 0);
        Assert.That(p, Is.EqualTo(new XenbusDevicePaths("/local/domain/1/device/vif/0", "/local/domain/0/backend/vif/1/0")));

        var front = new StoreClient(store, 1);
        var other = new StoreClient(store, 2);
        Assert.That(front.Read("device/vif/0/backend"), Is.EqualTo(p.Backend));
        Assert.That(front.Read("device/vif/0/backend-id"), Is.EqualTo("0"));
        Assert.That(front.Read(p.Backend + "/mac"), Is.EqualTo("00:16:3e:00:00:01"));
        Assert.That(front.Read(p.Backend + "/state"), Is.EqualTo("1"));
        Assert.That(front.Write(p.Backend + "/state", "4"), Is.EqualTo("EACCES"), "the frontend cannot move the backend's state");
        Assert.That(other.Read(p.Backend + "/mac"), Is.EqualTo("EACCES"));
        Assert.That(other.Read(p.Frontend + "/state"), Is.EqualTo("EACCES"));

        // The backend watches the frontend's state; the frontend moves it.
        var seen = new List<string>();
        xs.Watch(p.Frontend + "/state", "fe", (path, _) => seen.Add(xs.Read(path) ?? "gone"));
        Assert.That(front.Write("device/vif/0/state", "4"), Is.EqualTo("OK\0"));
        Assert.That(seen, Is.EqualTo(new[] { "1", "4" }));
        Assert.That(xs.GetPerms(p.Frontend + "/state")!.ToString(), Is.EqualTo("n1 r0"));

        XenbusDevices.Remove(xs, 1, 0, "vif", 0);
        Assert.That(seen[^1], Is.EqualTo("gone"));
        Assert.That(xs.Read(p.Backend + "/mac"), Is.Null);
    }

    [Test]
    public void Xenstore_command_lists_a_directory_larger_than_one_reply()
    {
        var store = new XenStore();
        using var xs = new LocalStoreClient(store);
        var names = Enumerable.Range(0, 400).Select(i => $"child-with-a-long-name-{i:D4}").ToArray();
        foreach (var n in names)
            xs.Write("/big/" + n, n.Length.ToString());
        string path = TempSocket();
        using var server = StoreSocketServer.Start(store, path);
        var saved = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        int status;
        try
        {
            status = ParaKit.Hypervisor.Cli.CommandLine.Run(["xenstore", "--socket", path, "ls", "/big"]);
        }
        finally
        {
            Console.SetOut(saved);
        }
        Assert.That(status, Is.EqualTo(0));
        Assert.That(output.ToString(), Is.EqualTo(string.Concat(names.Select(n => $"{n} = \"27\"\n"))));
    }
}
