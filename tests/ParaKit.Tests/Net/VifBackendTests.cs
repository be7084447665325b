// Connecting a vif to a guest's real grant table and event channels (no KVM): a good frontend
// gets a running netback that notifies through its port; bad ring refs or ports are refused
// with nothing left pinned or bound; disposing lets the guest revoke and rebind again.
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Tests.Events;
using ParaKit.Tests.Grants;

namespace ParaKit.Tests.Net;

public unsafe class VifBackendTests
{
    private const ulong TxFrame = 0x300, RxFrame = 0x301, RxData = 0x302;

    [Test]
    public void A_good_frontend_connects_and_a_delivered_frame_raises_its_port()
    {
        using var g = new FakeGrantDomain(1);
        using var e = new FakeEventDomain(1);
        fixed (byte* rxGuest = g.Page(RxFrame))
        {
            FrontRing<NetifTxRequest, NetifTxResponse>.Init(PageAt(g, TxFrame));
            var rx = FrontRing<NetifRxRequest, NetifRxResponse>.Init(rxGuest);
            g.Grant(10, to: 0, TxFrame);
            g.Grant(11, to: 0, RxFrame);
            g.Grant(12, to: 0, RxData);
            Assert.That(e.Events.AllocUnbound(DomId.Self, 0, out uint port), Is.EqualTo(0));
            int kicks = 0;
            Assert.That(VifBackend.TryConnect(g.Grants, e.Events, new VifFrontendKeys(10, 11, port), new RecordingSink(), () => kicks++, 1500, out var vif),
                Is.EqualTo(VifConnectResult.Ok));
            using (vif)
            {
                Assert.That(e.Events.Send(port), Is.EqualTo(0));
                Assert.That(kicks, Is.EqualTo(1), "the guest's send reaches the backend");
                rx.TryPushRequest(new NetifRxRequest { Id = 1, Gref = 12 });
                rx.PushRequests();
                Assert.That(vif!.Netback.DeliverToGuest(new byte[60]), Is.True);
                vif.Netback.FlushRx();
                Assert.That(e.Pending(port), Is.True, "netback's notify raised the guest's port");
                Assert.That(GrantEntries.TryRevoke(g.Entry(10)), Is.False, "ring pages stay claimed while connected");
            }
            Assert.That(GrantEntries.TryRevoke(g.Entry(10)) && GrantEntries.TryRevoke(g.Entry(11)), Is.True, "released on dispose");
            Assert.That(e.Events.StateOfPort(port), Is.EqualTo(EvtchnState.Unbound), "domain 0 let the port go");
        }
    }

    [Test]
    public void Bad_keys_are_refused_and_leave_nothing_claimed_or_bound()
    {
        using var g = new FakeGrantDomain(1);
        using var e = new FakeEventDomain(1);
        g.Grant(10, to: 0, TxFrame);
        g.Grant(11, to: 0, RxFrame);
        g.Grant(13, to: 0, RxFrame, readOnly: true);
        Assert.That(e.Events.AllocUnbound(DomId.Self, 0, out uint port), Is.EqualTo(0));
        Assert.That(e.Events.AllocUnbound(DomId.Self, 5, out uint other), Is.EqualTo(0));
        var sink = new RecordingSink();
        (VifFrontendKeys keys, VifConnectResult expect)[] cases =
        {
            (new(999, 11, port), VifConnectResult.BadTxRing),
            (new(10, 13, port), VifConnectResult.BadRxRing),
            (new(10, 10, port), VifConnectResult.BadRxRing),
            (new(10, 11, other), VifConnectResult.BadEventChannel),
            (new(10, 11, 4000), VifConnectResult.BadEventChannel),
            (new(10, 11, 70000), VifConnectResult.BadEventChannel),
        };
        foreach (var (keys, expect) in cases)
        {
            Assert.That(VifBackend.TryConnect(g.Grants, e.Events, keys, sink, () => { }, 1500, out var vif), Is.EqualTo(expect), keys.ToString());
            Assert.That(vif, Is.Null);
            Assert.That(g.Grants.IsPinned(10) || g.Grants.IsPinned(11) || g.Grants.IsPinned(13), Is.False, keys.ToString());
        }
        Assert.That(e.Events.StateOfPort(port), Is.EqualTo(EvtchnState.Unbound));
    }

    private static byte* PageAt(FakeGrantDomain g, ulong frame) =>
        (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref g.Page(frame)[0]);
}
