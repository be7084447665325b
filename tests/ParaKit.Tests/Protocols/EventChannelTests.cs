// The 2-level event-channel rules over a real shared_info page: edge-triggered pending,
// masking that holds events back, unmask that raises them, and the guest's scan.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Protocols.Events;

namespace ParaKit.Tests.Protocols;

public unsafe class EventChannelTests
{
    [Test]
    public void Set_pending_on_an_unmasked_port_raises_the_upcall_once()
    {
        using var page = new TestPage();
        SharedInfo* s = page.As<SharedInfo>();
        Assert.That(EventChannelBits.SetPending(s, 70), Is.True, "0->1 edge, unmasked: wake-up due");
        Assert.Multiple(() =>
        {
            Assert.That(s->Vcpu0.UpcallPending, Is.EqualTo(1));
            Assert.That(s->Vcpu0.PendingSel, Is.EqualTo(1ul << 1), "word 70/64 = 1 selected");
            Assert.That(s->EvtchnPending[1], Is.EqualTo(1ul << 6));
            Assert.That(EventChannelBits.SetPending(s, 70), Is.False, "already pending: merged, no new wake-up");
        });
    }

    [Test]
    public void Masked_port_stays_latent_until_unmask()
    {
        using var page = new TestPage();
        SharedInfo* s = page.As<SharedInfo>();
        Assert.That(EventChannelBits.Mask(s, 5), Is.False);
        Assert.That(EventChannelBits.SetPending(s, 5), Is.False);
        Assert.Multiple(() =>
        {
            Assert.That(EventChannelBits.IsPending(s, 5), Is.True);
            Assert.That(s->Vcpu0.UpcallPending, Is.EqualTo(0));
            Assert.That(s->Vcpu0.PendingSel, Is.EqualTo(0ul));
        });
        Assert.That(EventChannelBits.Unmask(s, 5), Is.True, "unmask of a pending port raises the edge");
        Assert.That((s->Vcpu0.UpcallPending, s->Vcpu0.PendingSel), Is.EqualTo(((byte)1, 1ul)));
        Assert.That(EventChannelBits.Unmask(s, 5), Is.False, "already unmasked");
    }

    [Test]
    public void Out_of_range_ports_are_ignored()
    {
        using var page = new TestPage();
        SharedInfo* s = page.As<SharedInfo>();
        Assert.Multiple(() =>
        {
            Assert.That(EventChannelBits.SetPending(s, 4096), Is.False);
            Assert.That(EventChannelBits.SetPending(s, uint.MaxValue), Is.False);
            Assert.That(EventChannelBits.SetPending(s, 1, vcpu: 32), Is.False);
            Assert.That(EventChannelBits.Mask(s, 5000), Is.False);
            Assert.That(EventChannelBits.IsPending(s, 4096), Is.False);
        });
        Assert.That(new ReadOnlySpan<byte>(page.Pointer, TestPage.Size).ToArray(), Is.All.EqualTo(0), "nothing written");
    }

    [Test]
    public void Scan_hands_out_each_pending_unmasked_port_once_and_leaves_masked_ones()
    {
        using var page = new TestPage();
        SharedInfo* s = page.As<SharedInfo>();
        EventChannelBits.Mask(s, 3);
        foreach (uint p in new uint[] { 3, 1, 64, 4095, 200 })
        {
            EventChannelBits.SetPending(s, p);
        }
        var scan = EventChannelBits.BeginScan(s);
        var seen = new List<uint>();
        while (scan.TryNext(out uint port))
        {
            seen.Add(port);
        }
        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(new uint[] { 1, 64, 200, 4095 }));
            Assert.That(s->Vcpu0.UpcallPending, Is.EqualTo(0));
            Assert.That(s->Vcpu0.PendingSel, Is.EqualTo(0ul));
            Assert.That(EventChannelBits.IsPending(s, 3), Is.True, "masked port stays pending");
            Assert.That(EventChannelBits.IsPending(s, 64), Is.False);
        });
        Assert.That(EventChannelBits.FindPendingUnmasked(s, 0, out _), Is.False);
        Assert.That(EventChannelBits.Unmask(s, 3), Is.True);
        scan = EventChannelBits.BeginScan(s);
        Assert.That(scan.TryNext(out uint again) && again == 3, Is.True);
        Assert.That(scan.TryNext(out _), Is.False);
    }

    internal enum EvOp { Send, Mask, Unmask, Scan }

    /// <summary>A model: per port pending/masked flags, plus "the guest has been told" (selector +
    /// upcall). Invariant: a pending unmasked port is always either selected in pending_sel with
    /// upcall_pending set, or already handed out. So the scan never misses a deliverable event.</summary>
    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Events_are_edge_triggered_and_never_lost() =>
        Prop.ForAll(
            Gen.ListOf(Gen.Zip(Gen.Elements(Enum.GetValues<EvOp>()), Gen.Elements(0u, 1u, 63u, 64u, 130u, 4095u))).ToArbitrary(),
            ops =>
            {
                using var page = new TestPage();
                SharedInfo* s = page.As<SharedInfo>();
                var pending = new HashSet<uint>();
                var masked = new HashSet<uint>();
                foreach (var (op, port) in ops)
                {
                    switch (op)
                    {
                        case EvOp.Send:
                            bool wake = EventChannelBits.SetPending(s, port);
                            Assert.That(wake, Is.EqualTo(!pending.Contains(port) && !masked.Contains(port)), "wake-up only on an unmasked edge");
                            pending.Add(port);
                            break;
                        case EvOp.Mask:
                            EventChannelBits.Mask(s, port);
                            masked.Add(port);
                            break;
                        case EvOp.Unmask:
                            bool raised = EventChannelBits.Unmask(s, port);
                            Assert.That(raised, Is.EqualTo(masked.Contains(port) && pending.Contains(port)), "unmask raises a held event");
                            masked.Remove(port);
                            break;
                        case EvOp.Scan:
                            var scan = EventChannelBits.BeginScan(s);
                            var got = new List<uint>();
                            while (scan.TryNext(out uint p))
                            {
                                got.Add(p);
                            }
                            var expected = pending.Where(p => !masked.Contains(p)).OrderBy(p => p).ToList();
                            Assert.That(got, Is.EqualTo(expected), "scan delivers exactly the deliverable ports");
                            pending.ExceptWith(got);
                            break;
                    }
                    bool deliverable = pending.Any(p => !masked.Contains(p));
                    if (deliverable)
                    {
                        Assert.That(s->Vcpu0.UpcallPending, Is.EqualTo(1), "deliverable event without upcall_pending");
                        foreach (uint p in pending.Where(p => !masked.Contains(p)))
                        {
                            Assert.That(s->Vcpu0.PendingSel & (1ul << (int)(p / 64)), Is.Not.EqualTo(0ul), $"port {p}'s word not selected");
                        }
                    }
                    Assert.That(EventChannelBits.FindPendingUnmasked(s, 0, out _), Is.EqualTo(deliverable));
                    foreach (uint p in new uint[] { 0, 1, 63, 64, 130, 4095 })
                    {
                        Assert.That(EventChannelBits.IsPending(s, p), Is.EqualTo(pending.Contains(p)));
                        Assert.That(EventChannelBits.IsMasked(s, p), Is.EqualTo(masked.Contains(p)));
                    }
                }
            });

    [Test]
    public void Concurrent_senders_and_a_scanning_guest_lose_no_event()
    {
        using var page = new TestPage();
        SharedInfo* s = page.As<SharedInfo>();
        const int PerSender = 200_000;
        long[] sent = new long[4096];
        long[] delivered = new long[4096];
        long wakeups = 0;
        var senders = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var rng = new Random(t);
            for (int i = 0; i < PerSender; i++)
            {
                uint port = (uint)rng.Next(0, 4096);
                // The guest only learns that "something happened" on a port: count edges, not sends.
                if (EventChannelBits.SetPending(s, port))
                {
                    Interlocked.Increment(ref wakeups);
                }
                Interlocked.Increment(ref sent[port]);
            }
        })).ToList();
        senders.ForEach(t => t.Start());
        bool done = false;
        while (!done)
        {
            done = senders.All(t => !t.IsAlive);
            var scan = EventChannelBits.BeginScan(s);
            while (scan.TryNext(out uint p))
            {
                delivered[p]++;
            }
        }
        var final = EventChannelBits.BeginScan(s);
        while (final.TryNext(out uint p))
        {
            delivered[p]++;
        }
        Assert.Multiple(() =>
        {
            for (int p = 0; p < 4096; p++)
            {
                if (sent[p] > 0)
                {
                    Assert.That(delivered[p], Is.InRange(1, sent[p]), $"port {p}");
                }
                else
                {
                    Assert.That(delivered[p], Is.EqualTo(0), $"port {p}");
                }
            }
            Assert.That(EventChannelBits.FindPendingUnmasked(s, 0, out _), Is.False, "nothing left pending");
        });
    }
}
