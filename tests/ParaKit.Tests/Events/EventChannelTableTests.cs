// The hypervisor's event-channel port tables without KVM: two or three fake domains (a real
// shared_info page each, a wake counter) in one directory. Covers Xen's bind/close/send rules,
// the errnos a misbehaving guest gets, and domain 0's backend API.
using ParaKit.Hypervisor.Events;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Tests.Protocols;

namespace ParaKit.Tests.Events;

/// <summary>A fake domain: its shared_info page and how often its vCPU was woken.</summary>
internal sealed unsafe class FakeEventDomain : IDisposable
{
    public readonly TestPage Page = new();
    public int Wakes;
    public EventChannels Events { get; }
    public SharedInfo* Shared => Page.As<SharedInfo>();

    public FakeEventDomain(ushort id, EventChannelDirectory? directory = null)
    {
        Events = new EventChannels(id, Shared, () => Wakes++);
        directory?.Add(Events);
    }

    public bool Pending(uint port) => EventChannelBits.IsPending(Shared, port);

    public void Dispose()
    {
        Events.Detach();
        Page.Dispose();
    }
}

public unsafe class EventChannelTableTests
{
    private static (EventChannelDirectory, FakeEventDomain, FakeEventDomain) Two()
    {
        var dir = new EventChannelDirectory();
        return (dir, new FakeEventDomain(1, dir), new FakeEventDomain(2, dir));
    }

    private static uint Connect(FakeEventDomain a, FakeEventDomain b, out uint bPort)
    {
        Assert.That(a.Events.AllocUnbound(DomId.Self, b.Events.DomId, out uint aPort), Is.EqualTo(0));
        Assert.That(b.Events.BindInterdomain(a.Events.DomId, aPort, out bPort), Is.EqualTo(0));
        return aPort;
    }

    [Test]
    public void Alloc_unbound_hands_out_the_lowest_free_port_from_1()
    {
        var (_, a, b) = Two();
        using (a) using (b)
        {
            Assert.That(a.Events.AllocUnbound(DomId.Self, 2, out uint p1), Is.EqualTo(0));
            Assert.That(a.Events.AllocUnbound(1, 2, out uint p2), Is.EqualTo(0));
            Assert.That((p1, p2), Is.EqualTo((1u, 2u)));
            Assert.That(a.Events.Close(p1), Is.EqualTo(0));
            Assert.That(a.Events.AllocUnbound(DomId.Self, 2, out uint p3), Is.EqualTo(0));
            Assert.That(p3, Is.EqualTo(1u), "a closed port is reused first");
        }
    }

    [Test]
    public void Bind_interdomain_connects_both_ends_and_sets_the_binder_pending()
    {
        var (_, a, b) = Two();
        using (a) using (b)
        {
            uint aPort = Connect(a, b, out uint bPort);
            Assert.Multiple(() =>
            {
                Assert.That(a.Events.StateOfPort(aPort), Is.EqualTo(EvtchnState.Interdomain));
                Assert.That(b.Events.StateOfPort(bPort), Is.EqualTo(EvtchnState.Interdomain));
                Assert.That(b.Pending(bPort), Is.True, "Xen sets the new local port pending");
                Assert.That(a.Pending(aPort), Is.False);
            });
            var st = new EvtchnStatus { Dom = DomId.Self, Port = bPort };
            Assert.That(b.Events.Status(ref st), Is.EqualTo(0));
            Assert.That((st.Status, st.RemoteDom, st.RemotePort), Is.EqualTo(((uint)EvtchnState.Interdomain, (ushort)1, aPort)));
        }
    }

    [Test]
    public void Send_sets_the_remote_port_pending_and_wakes_only_on_the_edge()
    {
        var (_, a, b) = Two();
        using (a) using (b)
        {
            uint aPort = Connect(a, b, out uint bPort);
            Assert.That(b.Events.Send(bPort), Is.EqualTo(0));
            Assert.That(a.Pending(aPort), Is.True);
            Assert.That(a.Wakes, Is.EqualTo(1));
            Assert.That(b.Events.Send(bPort), Is.EqualTo(0));
            Assert.That(a.Wakes, Is.EqualTo(1), "already pending: merged, no second wake-up");
            EventChannelBits.ClearPending(a.Shared, aPort);
            Assert.That(b.Events.Send(bPort), Is.EqualTo(0));
            Assert.That(a.Wakes, Is.EqualTo(2));
            Assert.That(a.Events.Send(aPort), Is.EqualTo(0));
            Assert.That(b.Pending(bPort), Is.True);
        }
    }

    [Test]
    public void Close_of_one_end_leaves_the_other_unbound_for_the_closer_and_rebindable()
    {
        var (_, a, b) = Two();
        using (a) using (b)
        {
            uint aPort = Connect(a, b, out uint bPort);
            Assert.That(b.Events.Close(bPort), Is.EqualTo(0));
            Assert.That(b.Events.StateOfPort(bPort), Is.EqualTo(EvtchnState.Closed));
            Assert.That(b.Pending(bPort), Is.False, "close clears the pending bit");
            var st = new EvtchnStatus { Dom = DomId.Self, Port = aPort };
            Assert.That(a.Events.Status(ref st), Is.EqualTo(0));
            Assert.That((st.Status, st.RemoteDom), Is.EqualTo(((uint)EvtchnState.Unbound, (ushort)2)));
            Assert.That(a.Events.Send(aPort), Is.EqualTo(0), "sending on an unbound port is silently dropped");
            Assert.That(b.Events.BindInterdomain(1, aPort, out uint again), Is.EqualTo(0), "the survivor can be bound again");
            Assert.That(again, Is.EqualTo(bPort));
        }
    }

    [Test]
    public void A_third_domain_cannot_bind_or_reach_a_port_reserved_for_someone_else()
    {
        var (dir, a, b) = Two();
        using var c = new FakeEventDomain(3, dir);
        using (a) using (b)
        {
            Assert.That(a.Events.AllocUnbound(DomId.Self, 2, out uint aPort), Is.EqualTo(0));
            Assert.That(c.Events.BindInterdomain(1, aPort, out _), Is.EqualTo(Errno.EINVAL), "reserved for domain 2");
            Assert.That(b.Events.BindInterdomain(1, aPort, out uint bPort), Is.EqualTo(0));
            Assert.That(c.Events.BindInterdomain(1, aPort, out _), Is.EqualTo(Errno.EINVAL), "already bound");
            Assert.That(c.Events.Send(bPort), Is.EqualTo(Errno.EINVAL), "c's own port bPort is closed");
            Assert.That(a.Wakes, Is.EqualTo(0));
            Assert.That(c.Events.AllocUnbound(1, 3, out _), Is.EqualTo(Errno.EPERM), "allocating in another domain");
            var st = new EvtchnStatus { Dom = 1, Port = aPort };
            Assert.That(c.Events.Status(ref st), Is.EqualTo(Errno.EPERM), "status of another domain's port");
        }
    }

    [Test]
    public void Bad_ports_and_domains_get_xen_errnos()
    {
        var (_, a, b) = Two();
        using (a) using (b)
        {
            Assert.Multiple(() =>
            {
                Assert.That(a.Events.BindInterdomain(9, 1, out _), Is.EqualTo(Errno.ESRCH), "no such domain");
                Assert.That(a.Events.BindInterdomain(2, 0, out _), Is.EqualTo(Errno.EINVAL), "port 0");
                Assert.That(a.Events.BindInterdomain(2, 4096, out _), Is.EqualTo(Errno.EINVAL), "beyond the table");
                Assert.That(a.Events.BindInterdomain(2, 7, out _), Is.EqualTo(Errno.EINVAL), "closed remote port");
                Assert.That(a.Events.Send(0), Is.EqualTo(Errno.EINVAL));
                Assert.That(a.Events.Send(uint.MaxValue), Is.EqualTo(Errno.EINVAL));
                Assert.That(a.Events.Send(5), Is.EqualTo(Errno.EINVAL), "free port");
                Assert.That(a.Events.Close(5), Is.EqualTo(Errno.EINVAL));
                Assert.That(a.Events.Close(70000), Is.EqualTo(Errno.EINVAL));
                Assert.That(a.Events.Unmask(4096), Is.EqualTo(Errno.EINVAL));
                Assert.That(a.Events.BindVirq(Virq.Count, 0, out _), Is.EqualTo(Errno.EINVAL));
                Assert.That(a.Events.BindVirq(Virq.Timer, 1, out _), Is.EqualTo(Errno.ENOENT), "only vCPU 0");
                Assert.That(a.Events.BindVcpu(1, 0), Is.EqualTo(Errno.EINVAL), "free port");
                Assert.That(a.Events.BindVcpu(1, 3), Is.EqualTo(Errno.ENOENT), "no vCPU 3");
            });
            Assert.That(new ReadOnlySpan<byte>(b.Page.Pointer, TestPage.Size).ToArray(), Is.All.EqualTo(0), "nothing touched the other domain");
        }
    }

    [Test]
    public void Virq_timer_binds_once_and_is_raised_on_its_port()
    {
        using var a = new FakeEventDomain(1);
        Assert.That(a.Events.RaiseVirq(Virq.Timer), Is.False, "not bound yet");
        Assert.That(a.Events.BindVirq(Virq.Timer, 0, out uint port), Is.EqualTo(0));
        Assert.That(a.Events.BindVirq(Virq.Timer, 0, out _), Is.EqualTo(Errno.EEXIST));
        Assert.That(a.Events.RaiseVirq(Virq.Timer), Is.True);
        Assert.That(a.Pending(port), Is.True);
        Assert.That(a.Events.Send(port), Is.EqualTo(Errno.EINVAL), "a VIRQ port cannot be sent on");
        Assert.That(a.Events.BindVcpu(port, 0), Is.EqualTo(Errno.EINVAL), "VIRQ_TIMER is per vCPU");
        Assert.That(a.Events.Close(port), Is.EqualTo(0));
        Assert.That(a.Events.RaiseVirq(Virq.Timer), Is.False);
        Assert.That(a.Events.BindVirq(Virq.Timer, 0, out _), Is.EqualTo(0), "rebindable after close");
    }

    [Test]
    public void Ipi_ports_deliver_to_the_sender_itself()
    {
        using var a = new FakeEventDomain(1);
        Assert.That(a.Events.BindIpi(1, out _), Is.EqualTo(Errno.ENOENT));
        Assert.That(a.Events.BindIpi(0, out uint p), Is.EqualTo(0));
        Assert.That(a.Events.StateOfPort(p), Is.EqualTo(EvtchnState.Ipi));
        Assert.That(a.Events.Send(p), Is.EqualTo(0));
        Assert.That((a.Pending(p), a.Wakes), Is.EqualTo((true, 1)));
        Assert.That(a.Events.Close(p), Is.EqualTo(0));
        Assert.That(a.Events.Send(p), Is.EqualTo(Errno.EINVAL));
    }

    [Test]
    public void Domain0_backend_api_binds_notifies_and_hears_sends()
    {
        using var g = new FakeEventDomain(1);
        int heard = 0;
        uint port = g.Events.BindDomain0(() => heard++);
        Assert.That(port, Is.EqualTo(1u));
        Assert.That(g.Events.StateOfPort(port), Is.EqualTo(EvtchnState.Interdomain));
        Assert.That(g.Events.Send(port), Is.EqualTo(0));
        Assert.That(heard, Is.EqualTo(1));
        Assert.That(g.Events.NotifyFromDomain0(port), Is.True);
        Assert.That((g.Pending(port), g.Wakes), Is.EqualTo((true, 1)));
        var st = new EvtchnStatus { Dom = DomId.Self, Port = port };
        Assert.That(g.Events.Status(ref st), Is.EqualTo(0));
        Assert.That(st.RemoteDom, Is.EqualTo((ushort)0));

        // The netfront way round: the guest allocates for domain 0, the backend connects.
        Assert.That(g.Events.AllocUnbound(DomId.Self, 0, out uint fe), Is.EqualTo(0));
        Assert.That(g.Events.ConnectDomain0(fe, () => heard += 10), Is.EqualTo(0));
        Assert.That(g.Events.ConnectDomain0(fe, () => { }), Is.EqualTo(Errno.EINVAL), "already connected");
        Assert.That(g.Events.Send(fe), Is.EqualTo(0));
        Assert.That(heard, Is.EqualTo(11));

        // Guest closes: domain 0 hears no more and cannot notify.
        Assert.That(g.Events.Close(port), Is.EqualTo(0));
        Assert.That(g.Events.NotifyFromDomain0(port), Is.False);
        // Domain 0 closes its end: the guest's port is unbound for domain 0 again.
        Assert.That(g.Events.CloseDomain0(fe), Is.True);
        Assert.That(g.Events.StateOfPort(fe), Is.EqualTo(EvtchnState.Unbound));
        Assert.That(g.Events.Send(fe), Is.EqualTo(0));
        Assert.That(heard, Is.EqualTo(11));
    }

    [Test]
    public void Domain0_cannot_connect_to_a_port_reserved_for_another_guest()
    {
        using var g = new FakeEventDomain(1);
        Assert.That(g.Events.AllocUnbound(DomId.Self, 2, out uint p), Is.EqualTo(0));
        Assert.That(g.Events.ConnectDomain0(p, () => { }), Is.EqualTo(Errno.EINVAL));
        Assert.That(g.Events.NotifyFromDomain0(p), Is.False);
        Assert.That(g.Events.NotifyFromDomain0(0), Is.False);
    }

    [Test]
    public void Detach_makes_peers_unbound_and_further_calls_harmless()
    {
        var (_, a, b) = Two();
        using (b)
        {
            uint aPort = Connect(a, b, out uint bPort);
            a.Dispose();
            Assert.That(b.Events.StateOfPort(bPort), Is.EqualTo(EvtchnState.Unbound));
            Assert.That(b.Events.Send(bPort), Is.EqualTo(0));
            Assert.That(b.Events.BindInterdomain(1, aPort, out _), Is.EqualTo(Errno.ESRCH), "domain 1 is gone");
            Assert.That(a.Events.AllocUnbound(DomId.Self, 2, out _), Is.EqualTo(Errno.ESRCH));
        }
    }

    [Test]
    public void Loopback_channel_within_one_domain_works()
    {
        var dir = new EventChannelDirectory();
        using var a = new FakeEventDomain(1, dir);
        Assert.That(a.Events.AllocUnbound(DomId.Self, DomId.Self, out uint p1), Is.EqualTo(0));
        Assert.That(a.Events.BindInterdomain(DomId.Self, p1, out uint p2), Is.EqualTo(0));
        EventChannelBits.ClearPending(a.Shared, p2);
        Assert.That(a.Events.Send(p2), Is.EqualTo(0));
        Assert.That((a.Pending(p1), a.Pending(p2)), Is.EqualTo((true, false)));
        Assert.That(a.Events.Close(p1), Is.EqualTo(0));
        Assert.That(a.Events.StateOfPort(p2), Is.EqualTo(EvtchnState.Unbound));
    }
}
