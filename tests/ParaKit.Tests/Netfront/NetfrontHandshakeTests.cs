// Netfront's xenbus handshake against the real XenStore and a scripted domain 0: the keys it
// writes check out against the grants and the port it made, store values are guest-grade input,
// the keys go in one transaction, and both ends can close (the backend may come back).
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Netfront;

public unsafe class NetfrontHandshakeTests
{
    private const int GrantsPerConnection = 2 + 256 + 256;

    [Test]
    public void The_handshake_follows_the_backend_and_the_keys_check_out()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1, advertise: false);
        v.Reactive = false;
        Assert.That(g.Nic.Start(), Is.True, () => g.Nic.Failure ?? "");
        rig.Pump();
        Assert.That((g.Nic.FrontendState, g.Nic.BackendState, g.Grants.ActiveGrants), Is.EqualTo((XenbusState.Initialising, XenbusState.Initialising, 0)),
            "nothing is shared before the backend is in InitWait");
        Assert.That(g.Nic.BackendPath, Is.EqualTo(v.Paths.Backend));
        Assert.That(g.Nic.Mac.ToArray(), Is.EqualTo(new byte[] { 0x00, 0x16, 0x3e, 0, 0, 1 }));

        v.Advertise();
        rig.Pump();
        Assert.That(g.Nic.FrontendState, Is.EqualTo(XenbusState.Connected));
        Assert.That(rig.Dom0.Read(v.Paths.Frontend + "/state"), Is.EqualTo("4"));
        Assert.That(g.Nic.IsUp, Is.False, "up only once the backend is Connected");
        Assert.That(VifXenbus.ReadFrontend(rig.Dom0, v.Paths.Frontend, out var keys), Is.EqualTo(VifFrontendCheck.Ok));
        Assert.That(rig.Dom0.Read(v.Paths.Frontend + "/feature-rx-notify"), Is.EqualTo("1"));

        // The keys name what netfront really shared with domain 0.
        Assert.That(g.Grants.IsGranted(keys.TxRingRef, out nint txPage, out ushort txDom, out bool txRo), Is.True);
        Assert.That(g.Grants.IsGranted(keys.RxRingRef, out nint rxPage, out ushort rxDom, out bool rxRo), Is.True);
        Assert.That((txDom, txRo, rxDom, rxRo), Is.EqualTo(((ushort)0, false, (ushort)0, false)));
        Assert.That(g.Events.IsOpenFor(keys.EventChannel, 0), Is.True);
        Assert.That(g.Grants.ActiveGrants, Is.EqualTo(GrantsPerConnection));
        var txHdr = (SharedRingHeader*)txPage;
        var rxHdr = (SharedRingHeader*)rxPage;
        Assert.That((txHdr->ReqProd, txHdr->RspProd, txHdr->RspEvent), Is.EqualTo((0u, 0u, 1u)), "TX ring initialised, nothing sent");
        Assert.That(rxHdr->ReqProd, Is.EqualTo(256u), "every RX buffer posted");
        var rx = FrontRing<NetifRxRequest, NetifRxResponse>.Attach(rxHdr, 0);
        var pages = new HashSet<nint>();
        for (uint i = 0; i < 256; i++)
        {
            var req = rx.RequestSlot(i);
            Assert.That(req.Id, Is.EqualTo((ushort)i), "RX ids are slot indices");
            Assert.That(g.Grants.IsGranted(req.Gref, out nint page, out ushort dom, out bool ro) && dom == 0 && !ro, Is.True, $"RX buffer {i} writable by domain 0");
            pages.Add(page);
        }
        Assert.That(pages.Count, Is.EqualTo(256), "one page per RX buffer");

        Assert.That(v.Connect(), Is.True, v.LastProblem);
        rig.Pump();
        Assert.That(g.Nic.IsUp, Is.True);
        Assert.That((g.Nic.Mtu, g.Nic.Connections, g.Nic.Failure), Is.EqualTo((1500, 1, (string?)null)));
        Assert.That(v.Netback!.PostedRxBuffers, Is.EqualTo(256u));
    }

    [Test]
    public void The_keys_go_in_one_transaction_started_again_when_another_writer_wins()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        int commits = 0;
        g.Store.BeforeCommit = _ =>
        {
            Assert.That(rig.Dom0.Read(v.Paths.Frontend + "/tx-ring-ref"), Is.Null, "nothing visible before the commit");
            if (commits++ == 0)
                rig.Dom0.Write(v.Paths.Frontend + "/event-channel", "0"); // a key the transaction writes: EAGAIN
        };
        rig.ConnectAll();
        Assert.That((g.Store.Conflicts, g.Store.Commits), Is.EqualTo((1, 1)));
        Assert.That(v.Connects, Is.EqualTo(1));
    }

    [TestCase("backend-id", "abc", "not a domain id")]
    [TestCase("backend-id", "32752", "not a domain id")]
    [TestCase("backend-id", "-1", "not a domain id")]
    [TestCase("backend", "local/domain/0", "not an absolute path")]
    [TestCase("mac", "00:16:3e:00:00", "not a unicast")]
    [TestCase("mac", "00-16-3e-00-00-01", "not a unicast")]
    [TestCase("mac", "01:00:5e:00:00:01", "not a unicast")]
    [TestCase("mac", "0g:16:3e:00:00:01", "not a unicast")]
    public void A_device_directory_with_bad_values_fails_start_with_a_reason(string key, string value, string expected)
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        Assert.That(rig.Dom0.Write(v.Paths.Frontend + "/" + key, value), Is.EqualTo(XsError.None));
        Assert.That(g.Nic.Start(), Is.False);
        Assert.That(g.Nic.Failure, Does.Contain(expected));
        rig.Pump();
        Assert.That((g.Nic.FrontendState, g.Grants.ActiveGrants, g.Store.Watches), Is.EqualTo((XenbusState.Initialising, 0, 0)));
    }

    [Test]
    public void A_device_that_does_not_exist_fails_start_with_a_reason()
    {
        using var rig = new NetfrontRig();
        var (g, _) = rig.Add(1);
        var nic = new ParaKit.Drivers.Xen.Netfront(g.Grants, g.Events, g.Store, "device/vif/7");
        Assert.That(nic.Start(), Is.False);
        Assert.That(nic.Failure, Does.Contain("device/vif/7 has no backend"));
    }

    [Test]
    public void The_mac_falls_back_to_the_backend_directory_and_the_mtu_comes_from_there()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1, mtu: 9000);
        Assert.That(rig.Dom0.Remove(v.Paths.Frontend + "/mac"), Is.EqualTo(XsError.None));
        rig.ConnectAll();
        Assert.That((g.Nic.Mtu, NetfrontRig.MacOf(1)), Is.EqualTo((9000, "00:16:3e:00:00:01")));
        Assert.That(g.Nic.Mac[5], Is.EqualTo(1));
    }

    [TestCase("mtu", "70000", "mtu '70000'")]
    [TestCase("mtu", "12", "mtu '12'")]
    [TestCase("mtu", "15x0", "mtu '15x0'")]
    public void A_backend_we_cannot_use_fails_the_connection_and_we_give_up_after_three_tries(string key, string value, string expected)
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        Assert.That(rig.Dom0.Write(v.Paths.Backend + "/" + key, value), Is.EqualTo(XsError.None));
        Assert.That(g.Nic.Start(), Is.True);
        rig.Pump(); // the scripted backend answers each Closing with Closing/Closed and InitWait again
        Assert.That(g.Nic.IsUp, Is.False);
        Assert.That(g.Nic.Failure, Does.Contain(expected).And.Contain("gave up after 3"));
        Assert.That((g.Nic.FrontendState, g.Nic.Connections, v.Connects), Is.EqualTo((XenbusState.Closed, 0, 0)));
        Assert.That((g.Grants.ActiveGrants, g.Events.OpenPorts), Is.EqualTo((0, 0)), "a failed attempt lets go of everything");
        // Closing a device that already gave up only stops the watch: no Closing written.
        g.Nic.Close();
        Assert.That((g.Nic.FrontendState, g.Store.Watches, rig.Dom0.Read(v.Paths.Frontend + "/state")), Is.EqualTo((XenbusState.Closed, 0, "6")));
    }

    [Test]
    public void A_backend_without_copy_mode_is_refused_and_nothing_stays_shared()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        v.Reactive = false;
        Assert.That(rig.Dom0.Write(v.Paths.Backend + "/feature-rx-copy", "0"), Is.EqualTo(XsError.None));
        g.Nic.Start();
        rig.Pump();
        Assert.That((g.Nic.FrontendState, g.Nic.Failure), Is.EqualTo((XenbusState.Closing, "the backend does not offer feature-rx-copy")));
        Assert.That((g.Grants.ActiveGrants, g.Events.OpenPorts), Is.EqualTo((0, 0)));
    }

    [Test]
    public void A_full_grant_table_or_no_port_fails_the_connection_with_a_reason()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        g.Grants.Capacity = 300;
        v.Reactive = false;
        g.Nic.Start();
        rig.Pump();
        Assert.That((g.Nic.FrontendState, g.Nic.Failure), Is.EqualTo((XenbusState.Closing, "the grant table is full")));
        Assert.That(g.Grants.ActiveGrants, Is.EqualTo(0));

        // The backend follows our Closing; a later InitWait is a new chance, this time without a port.
        g.Grants.Capacity = 1016;
        g.Events.RefuseAlloc = true;
        v.SetState(XenbusState.Closing);
        rig.Pump();
        v.SetState(XenbusState.Closed);
        rig.Pump();
        Assert.That(g.Nic.FrontendState, Is.EqualTo(XenbusState.Initialising));
        v.Advertise();
        rig.Pump();
        Assert.That(g.Nic.Failure, Does.StartWith("alloc_unbound for domain 0 failed: errno 28"));
        Assert.That(g.Grants.ActiveGrants, Is.EqualTo(0));
    }

    [Test]
    public void A_backend_that_closes_and_comes_back_gets_a_new_connection_and_traffic_flows_again()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, vb) = rig.Pair();
        rig.ConnectAll();
        var got = new List<byte[]>();
        void Collect(ReadOnlySpan<byte> f) => got.Add(f.ToArray());
        var first = NetfrontDataPathTests.Frame(1, 200);
        Assert.That(a.Nic.TrySend(first), Is.True);
        a.Nic.Flush();
        rig.Pump();
        Assert.That(b.Nic.Poll(Collect, 64), Is.EqualTo(1));
        var oldKeys = vb.Keys;

        vb.CloseFromBackend();
        rig.Pump();
        Assert.That(b.Nic.IsUp, Is.True, () => $"frontend {b.Nic.FrontendState} backend {b.Nic.BackendState} {b.Nic.Failure}");
        Assert.That((b.Nic.Connections, vb.Connects), Is.EqualTo((2, 2)));
        Assert.That(b.Grants.ActiveGrants, Is.EqualTo(GrantsPerConnection), "the old connection's grants all ended");
        Assert.That(b.Events.OpenPorts, Is.EqualTo(1), "the old port is closed");
        Assert.That(b.Events.IsOpenFor(oldKeys.EventChannel, 0), Is.False);

        var second = NetfrontDataPathTests.Frame(2, 1514);
        Assert.That(a.Nic.TrySend(second), Is.True);
        a.Nic.Flush();
        rig.Pump();
        Assert.That(b.Nic.Poll(Collect, 64), Is.EqualTo(1));
        Assert.That(got, Is.EqualTo(new[] { first, second }));
        Assert.That(b.Nic.TrySend(first), Is.True, "and back the other way");
        b.Nic.Flush();
        rig.Pump();
        Assert.That(a.Nic.Poll(Collect, 64), Is.EqualTo(1));
    }

    [Test]
    public void Pages_a_backend_still_holds_are_kept_aside_until_it_lets_go()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        rig.ConnectAll();
        var old = v.Keys;
        Assert.That(g.Grants.IsGranted(old.TxRingRef, out nint oldTx, out _, out _), Is.True);
        v.KeepClaimsOnClose = true; // a backend slow to unmap: its ring pages cannot be revoked
        v.CloseFromBackend();
        rig.Pump();
        Assert.That(g.Nic.IsUp, Is.True);
        Assert.That(g.Nic.PagesKeptAside, Is.EqualTo(2));
        Assert.That(g.Grants.IsGranted(v.Keys.TxRingRef, out nint newTx, out _, out _), Is.True);
        Assert.That(newTx, Is.Not.EqualTo(oldTx), "a page the backend may still write is never reused");
        Assert.That(g.Grants.IsGranted(old.TxRingRef, out _, out _, out _), Is.True, "its grant is still there");

        // The scripted backend released the old claims when it connected again: the next
        // connection ends those grants and recycles the pages.
        v.KeepClaimsOnClose = false;
        v.CloseFromBackend();
        rig.Pump();
        Assert.That((g.Nic.IsUp, g.Nic.PagesKeptAside, g.Nic.Connections), Is.EqualTo((true, 0, 3)));
        Assert.That(g.Grants.ActiveGrants, Is.EqualTo(GrantsPerConnection));
        Assert.That(g.Grants.PagesAllocated, Is.EqualTo(GrantsPerConnection + 2), "two fresh pages, then none");
    }

    [Test]
    public void A_frontend_close_goes_closing_then_closed_and_stays_down()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        rig.ConnectAll();
        g.Nic.Close();
        Assert.That((g.Nic.IsUp, g.Nic.FrontendState), Is.EqualTo((false, XenbusState.Closing)));
        Assert.That(g.Nic.TrySend(NetfrontDataPathTests.Frame(1, 60)), Is.False);
        Assert.That(g.Nic.Counters.TxDroppedDown, Is.EqualTo(1));
        rig.Pump();
        Assert.That((g.Nic.FrontendState, v.State), Is.EqualTo((XenbusState.Closed, XenbusState.Closed)));
        Assert.That((g.Grants.ActiveGrants, g.Events.OpenPorts, g.Store.Watches), Is.EqualTo((0, 0, 0)));
        Assert.That(g.Grants.Freed, Has.Count.EqualTo(g.Grants.PagesAllocated), "every page goes back for the next device to reuse");
        // A backend that offers itself again does not bring a closed device back.
        v.Advertise();
        rig.Pump();
        Assert.That((g.Nic.FrontendState, g.Nic.IsUp), Is.EqualTo((XenbusState.Closed, false)));
    }

    [Test]
    public void A_backend_whose_directory_vanishes_counts_as_closed()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        rig.ConnectAll();
        v.Reactive = false;
        Assert.That(rig.Dom0.Remove(v.Paths.Backend), Is.EqualTo(XsError.None));
        rig.Pump();
        Assert.That((g.Nic.IsUp, g.Nic.BackendState, g.Nic.FrontendState), Is.EqualTo((false, XenbusState.Closed, XenbusState.Initialising)));
        Assert.That(g.Events.OpenPorts, Is.EqualTo(0));
        Assert.That(g.Nic.PagesKeptAside, Is.EqualTo(2), "the vanished backend still held the rings");
        Assert.That(g.Grants.ActiveGrants, Is.EqualTo(2));
    }

    [Test]
    public void Garbage_in_the_backend_state_is_ignored()
    {
        using var rig = new NetfrontRig();
        var (g, v) = rig.Add(1);
        rig.ConnectAll();
        Assert.That(rig.Dom0.Write(v.Paths.Backend + "/state", "banana"), Is.EqualTo(XsError.None));
        rig.Pump();
        Assert.That((g.Nic.IsUp, g.Nic.BackendState), Is.EqualTo((true, XenbusState.Unknown)));
        Assert.That(rig.Dom0.Write(v.Paths.Backend + "/state", "4294967299"), Is.EqualTo(XsError.None));
        rig.Pump();
        Assert.That(g.Nic.IsUp, Is.True);
    }
}
