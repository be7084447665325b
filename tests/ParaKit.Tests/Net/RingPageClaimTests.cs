// Domain 0 using a guest's granted ring page in place (netback's TX/RX rings): the claim checks
// the grant entry like a copy does, pins it so the guest cannot revoke it meanwhile, and points
// at the very page the guest granted.
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Tests.Grants;

namespace ParaKit.Tests.Net;

public unsafe class RingPageClaimTests
{
    private const ulong RingFrame = 0x300;

    [Test]
    public void A_claimed_ring_page_is_the_guests_page_and_cannot_be_revoked_until_released()
    {
        using var g = new FakeGrantDomain(1);
        g.Grant(40, to: 0, RingFrame);
        Assert.That(g.Grants.TryClaimForBackend(40, out ulong frame, out byte* page), Is.EqualTo(GrantStatus.Okay));
        Assert.That(frame, Is.EqualTo(RingFrame));
        page[5] = 0xAB;
        Assert.That(g.Page(RingFrame)[5], Is.EqualTo(0xAB), "domain 0 writes the guest's page itself");
        Assert.That(g.Grants.IsPinned(40), Is.True);
        Assert.That(GrantEntries.TryRevoke(g.Entry(40)), Is.False, "the guest cannot pull a ring page from under netback");
        g.Grants.ReleaseFromBackend(40);
        Assert.That(g.Grants.IsPinned(40), Is.False);
        Assert.That(GrantEntries.TryRevoke(g.Entry(40)), Is.True);
    }

    [Test]
    public void Bad_ring_grants_are_refused_with_a_status()
    {
        using var g = new FakeGrantDomain(1);
        g.Grant(41, to: 3, RingFrame);
        g.Grant(42, to: 0, RingFrame, readOnly: true);
        g.Grant(43, to: 0, 0x6);   // the grant table's own frame: never writable through a grant
        Assert.That(g.Grants.TryClaimForBackend(41, out _, out _), Is.EqualTo(GrantStatus.PermissionDenied));
        Assert.That(g.Grants.TryClaimForBackend(42, out _, out _), Is.EqualTo(GrantStatus.PermissionDenied));
        Assert.That(g.Grants.TryClaimForBackend(43, out _, out byte* p), Is.EqualTo(GrantStatus.BadPage));
        Assert.That(p == null, Is.True);
        Assert.That(g.Grants.TryClaimForBackend(GrantTable.EntryCount, out _, out _), Is.EqualTo(GrantStatus.BadGntref));
        Assert.That(g.Grants.TryClaimForBackend(44, out _, out _), Is.Not.EqualTo(GrantStatus.Okay), "never granted");
        g.Grants.ReleaseFromBackend(GrantTable.EntryCount + 5);   // out of range: ignored, no throw
    }

    [Test]
    public void Netback_runs_on_claimed_ring_pages_and_copies_through_the_real_grant_table()
    {
        using var g = new FakeGrantDomain(1);
        const ulong txFrame = 0x300, rxFrame = 0x301, txData = 0x302, rxData = 0x303;
        fixed (byte* txGuest = g.Page(txFrame), rxGuest = g.Page(rxFrame))
        {
            // The guest initialises its rings and grants them, as netfront does.
            var tx = FrontRing<NetifTxRequest, NetifTxResponse>.Init(txGuest);
            var rx = FrontRing<NetifRxRequest, NetifRxResponse>.Init(rxGuest);
            g.Grant(10, to: 0, txFrame);
            g.Grant(11, to: 0, rxFrame);
            g.Grant(12, to: 0, txData, readOnly: true);
            g.Grant(13, to: 0, rxData);
            Assert.That(g.Grants.TryClaimForBackend(10, out _, out byte* txRing), Is.EqualTo(GrantStatus.Okay));
            Assert.That(g.Grants.TryClaimForBackend(11, out _, out byte* rxRing), Is.EqualTo(GrantStatus.Okay));
            var sink = new RecordingSink();
            var back = new Netback(txRing, rxRing, new GrantTableAccess(g.Grants), sink, () => { });

            "guest frame"u8.CopyTo(g.Page(txData).Slice(100));
            tx.TryPushRequest(new NetifTxRequest { Gref = 12, Offset = 100, Size = 11, Id = 1 });
            tx.PushRequests();
            rx.TryPushRequest(new NetifRxRequest { Id = 2, Gref = 13 });
            rx.PushRequests();
            Assert.That(back.ProcessTx(), Is.EqualTo(1));
            Assert.That(sink.Frames.Single(), Is.EqualTo("guest frame"u8.ToArray()));
            Assert.That(back.DeliverToGuest("host frame"u8), Is.True);
            back.FlushRx();
            Assert.That(tx.TryTakeResponse(out var txr) && txr.Status == NetifStatus.Okay, Is.True);
            Assert.That(rx.TryTakeResponse(out var rxr), Is.True);
            Assert.That((rxr.Id, rxr.Status), Is.EqualTo(((ushort)2, (short)10)));
            Assert.That(g.Page(rxData)[..10].ToArray(), Is.EqualTo("host frame"u8.ToArray()));
            g.Grants.ReleaseFromBackend(10);
            g.Grants.ReleaseFromBackend(11);
        }
    }
}
