// Property tests of the hypervisor's port tables: the 2-level edge and mask rules through a
// connected channel against a model, and random (often invalid) operations from three domains
// never breaking the pairing of channels or raising events on ports nobody sent to.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Events;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Tests.Events;

public unsafe class EventChannelPropertyTests
{
    public enum EdgeOp { PeerSends, Mask, Unmask, Scan }

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property Pending_mask_upcall_and_wakes_follow_the_edge_rule() =>
        Prop.ForAll(Gen.ListOf(Gen.Elements(Enum.GetValues<EdgeOp>())).ToArbitrary(), ops =>
        {
            var dir = new EventChannelDirectory();
            using var a = new FakeEventDomain(1, dir);
            using var b = new FakeEventDomain(2, dir);
            Assert.That(a.Events.AllocUnbound(DomId.Self, 2, out uint ap), Is.EqualTo(0));
            Assert.That(b.Events.BindInterdomain(1, ap, out uint bp), Is.EqualTo(0));
            b.Wakes = 0; // the bind's own event on b's new port
            bool pending = false, masked = false, upcall = false;
            int wakes = 0;
            foreach (var op in ops)
            {
                switch (op)
                {
                    case EdgeOp.PeerSends:
                        Assert.That(b.Events.Send(bp), Is.EqualTo(0));
                        if (!pending)
                        {
                            pending = true;
                            wakes++;              // a new edge wakes a blocked or polling vCPU
                            upcall |= !masked;    // only an unmasked edge raises the upcall
                        }
                        break;
                    case EdgeOp.Mask:
                        EventChannelBits.Mask(a.Shared, ap);  // guests mask without a hypercall
                        masked = true;
                        break;
                    case EdgeOp.Unmask:
                        Assert.That(a.Events.Unmask(ap), Is.EqualTo(0));
                        if (masked && pending)
                        {
                            upcall = true;
                            wakes++;
                        }
                        masked = false;
                        break;
                    case EdgeOp.Scan:
                        var scan = EventChannelBits.BeginScan(a.Shared);
                        var handed = new List<uint>();
                        while (scan.TryNext(out uint p))
                            handed.Add(p);
                        bool deliver = pending && !masked;
                        Assert.That(handed, Is.EqualTo(deliver ? new[] { ap } : Array.Empty<uint>()));
                        upcall = false;
                        if (deliver)
                            pending = false;
                        break;
                }
                Assert.That(a.Pending(ap), Is.EqualTo(pending), "pending");
                Assert.That(EventChannelBits.IsMasked(a.Shared, ap), Is.EqualTo(masked), "masked");
                Assert.That(a.Shared->Vcpu0.UpcallPending, Is.EqualTo(upcall ? 1 : 0), "upcall_pending");
                Assert.That(a.Wakes, Is.EqualTo(wakes), "wake-ups");
                Assert.That(b.Wakes, Is.EqualTo(0), "the sender is never woken");
            }
        });

    public record RandomOp(int Kind, int Dom, int Other, uint Port);

    private static readonly Gen<RandomOp> OpGen =
        from kind in Gen.Choose(0, 4)
        from dom in Gen.Choose(1, 3)
        from other in Gen.Choose(0, 4)   // 0 (domain 0), 1-3, 4 (no such domain)
        from port in Gen.Frequency((8, Gen.Choose(1, 4).Select(p => (uint)p)), (3, Gen.Choose(0, 10).Select(p => (uint)p)), (1, Gen.Elements(4095u, 4096u, uint.MaxValue)))
        select new RandomOp(kind, dom, other, port);

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Random_operations_keep_channels_paired_and_events_where_they_were_sent() =>
        Prop.ForAll(Gen.ListOf(OpGen).ToArbitrary(), ops =>
        {
            var dir = new EventChannelDirectory();
            var doms = new[] { new FakeEventDomain(1, dir), new FakeEventDomain(2, dir), new FakeEventDomain(3, dir) };
            try
            {
                // Ports that may legitimately be pending: the target of a send, or a fresh bind.
                var mayBePending = new HashSet<(int, uint)>();
                foreach (var op in ops)
                {
                    var d = doms[op.Dom - 1];
                    long rc;
                    switch (op.Kind)
                    {
                        case 0:
                            rc = d.Events.AllocUnbound(DomId.Self, (ushort)op.Other, out _);
                            Assert.That(rc, Is.EqualTo(0).Or.EqualTo(Errno.ENOSPC));
                            break;
                        case 1:
                            rc = d.Events.BindInterdomain((ushort)op.Other, op.Port, out uint local);
                            Assert.That(rc, Is.AnyOf(0L, Errno.EINVAL, Errno.ESRCH));
                            if (op.Other == 0)
                                Assert.That(rc, Is.Not.EqualTo(0), "nobody can bind to domain 0's ports");
                            if (rc == 0)
                                mayBePending.Add((op.Dom, local));
                            break;
                        case 2:
                            rc = d.Events.Close(op.Port);
                            Assert.That(rc, Is.EqualTo(0).Or.EqualTo(Errno.EINVAL));
                            if (rc == 0)
                                mayBePending.Remove((op.Dom, op.Port));
                            break;
                        case 3:
                        {
                            var st = new EvtchnStatus { Dom = DomId.Self, Port = op.Port };
                            bool interdomain = d.Events.Status(ref st) == 0 && st.Status == (uint)EvtchnState.Interdomain;
                            rc = d.Events.Send(op.Port);
                            Assert.That(rc, Is.EqualTo(0).Or.EqualTo(Errno.EINVAL));
                            if (interdomain)
                                mayBePending.Add((st.RemoteDom, st.RemotePort));
                            break;
                        }
                        default:
                        {
                            // The guest consumes its events.
                            var scan = EventChannelBits.BeginScan(d.Shared);
                            while (scan.TryNext(out uint p))
                                mayBePending.Remove((op.Dom, p));
                            break;
                        }
                    }
                    for (int i = 0; i < 3; i++)
                    {
                        for (uint p = 0; p < 12; p++)
                        {
                            var st = new EvtchnStatus { Dom = DomId.Self, Port = p };
                            Assert.That(doms[i].Events.Status(ref st), Is.EqualTo(0));
                            if (doms[i].Pending(p))
                                Assert.That(mayBePending, Does.Contain((i + 1, p)), $"domain {i + 1} port {p} pending without a send");
                            if (st.Status != (uint)EvtchnState.Interdomain)
                                continue;
                            // Interdomain ends point at each other.
                            var peer = new EvtchnStatus { Dom = DomId.Self, Port = st.RemotePort };
                            Assert.That(doms[st.RemoteDom - 1].Events.Status(ref peer), Is.EqualTo(0));
                            Assert.That((peer.Status, peer.RemoteDom, peer.RemotePort), Is.EqualTo(((uint)EvtchnState.Interdomain, (ushort)(i + 1), p)), $"domain {i + 1} port {p} is paired");
                        }
                    }
                }
            }
            finally
            {
                foreach (var d in doms)
                    d.Dispose();
            }
        });
}
