// Model-based properties of the shared ring: random interleavings of a frontend and a backend,
// each of which sleeps only after its final check and wakes only when the other side's push says
// "notify". A model of the queue (sequence numbers) checks FIFO order, no lost wake-ups, no
// overflow and exact notify decisions, including across u32 index wraparound.
using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;

namespace ParaKit.Tests.Protocols;

/// <summary>A 64-byte entry: its ring has only 32 slots, so random runs hit "full" often.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct WideEntry
{
    [FieldOffset(0)] public uint Seq;
    [FieldOffset(60)] public uint Check;
}

public unsafe class SharedRingModelTests
{
    internal enum StepKind { FrontProduce, BackConsume, BackRespond, BackFinalCheck, FrontConsume, FrontFinalCheck }

    internal readonly record struct Step(StepKind Kind, int Count);

    internal sealed record Scenario(uint Start, Step[] Steps)
    {
        public override string ToString() => $"start={Start:X8} steps=[{string.Join(",", Steps.Select(s => $"{s.Kind}:{s.Count}"))}]";
    }

    private static Gen<Scenario> ScenarioGen(int maxBatch) =>
        from start in Gen.OneOf(
            Gen.Constant(0u),
            Gen.Choose(0, 2000).Select(d => unchecked(0u - (uint)d)),      // just below 2^32: wraps during the run
            Gen.Choose(0, int.MaxValue).Select(x => (uint)x * 2u + 1u))
        from steps in Gen.ListOf(
            from kind in Gen.Elements(Enum.GetValues<StepKind>())
            from count in Gen.Choose(1, maxBatch)
            select new Step(kind, count))
        select new Scenario(start, steps.ToArray());

    /// <summary>What a sleeping side is and how many times it armed its event index.</summary>
    private sealed class Side
    {
        public bool Awake = true;
        public uint ArmedEvent;
        /// <summary>How many new entries the side asked for before its wake-up (1 = the next one).</summary>
        public uint Ahead = 1;
        public int Arms;
        public int NotificationsReceived;
    }

    private static void RunScenario<TReq, TRsp>(Scenario sc, Func<uint, TReq> makeReq, Func<TReq, uint> reqSeq,
        Func<uint, TRsp> makeRsp, Func<TRsp, uint> rspSeq)
        where TReq : unmanaged where TRsp : unmanaged
    {
        using var page = new TestPage();
        var front = FrontRing<TReq, TRsp>.InitAt(page.Pointer, sc.Start);
        var back = BackRing<TReq, TRsp>.Attach(page.Pointer);
        Assert.That(back.ReqCons, Is.EqualTo(sc.Start), "backend attaches at the frontend's indices");
        uint size = front.Size;

        // Model: sequence numbers of requests produced, consumed, answered, responses received.
        uint produced = 0, consumed = 0, answered = 0, received = 0, reqPublished = 0, rspPublished = 0;
        var backSide = new Side { ArmedEvent = sc.Start + 1 };
        var frontSide = new Side { ArmedEvent = sc.Start + 1 };
        // The ring starts with both sides "asleep after arming": Init sets req_event = rsp_event = start + 1.
        backSide.Awake = false;
        frontSide.Awake = false;

        void CheckInvariants(string after)
        {
            Assert.That(produced - received, Is.LessThanOrEqualTo(size), $"{after}: more than a ring in flight");
            Assert.That(back.RequestsOverflowed(), Is.False, $"{after}: well-behaved frontend flagged");
            Assert.That(front.ResponsesOverflowed(), Is.False, $"{after}: well-behaved backend flagged");
            // A side that asked to be woken after `Ahead` entries may sleep on fewer, never on that many.
            if (!backSide.Awake)
            {
                Assert.That(back.UnconsumedRequests, Is.LessThan(backSide.Ahead), $"{after}: lost wake-up, backend sleeps on published requests");
            }
            if (!frontSide.Awake)
            {
                Assert.That(front.UnconsumedResponses, Is.LessThan(frontSide.Ahead), $"{after}: lost wake-up, frontend sleeps on published responses");
            }
            Assert.That(backSide.NotificationsReceived, Is.LessThanOrEqualTo(backSide.Arms + 1), $"{after}: more request notifies than arms");
            Assert.That(frontSide.NotificationsReceived, Is.LessThanOrEqualTo(frontSide.Arms + 1), $"{after}: more response notifies than arms");
        }

        bool Expected(uint armed, uint old, uint now) => unchecked(armed - old - 1) < unchecked(now - old);

        void FrontPushAndNotify()
        {
            uint old = sc.Start + reqPublished;
            bool notify = front.PushRequestsAndCheckNotify();
            reqPublished = produced;
            Assert.That(notify, Is.EqualTo(Expected(backSide.ArmedEvent, old, sc.Start + produced)), "request notify decision");
            if (notify)
            {
                backSide.NotificationsReceived++;
                backSide.Awake = true;
            }
        }

        foreach (var step in sc.Steps)
        {
            switch (step.Kind)
            {
                case StepKind.FrontProduce:
                    for (int i = 0; i < step.Count; i++)
                    {
                        bool full = produced - received == size;
                        bool pushed = front.TryPushRequest(makeReq(produced));
                        Assert.That(pushed, Is.EqualTo(!full), "push fails exactly when the ring is full");
                        if (!pushed)
                        {
                            break;
                        }
                        produced++;
                    }
                    FrontPushAndNotify();
                    break;

                case StepKind.BackConsume when backSide.Awake:
                    for (int i = 0; i < step.Count && back.TryTakeRequest(out TReq req); i++)
                    {
                        Assert.That(reqSeq(req), Is.EqualTo(consumed), "requests arrive in FIFO order");
                        consumed++;
                    }
                    break;

                case StepKind.BackRespond:
                    for (int i = 0; i < step.Count; i++)
                    {
                        bool ok = back.TryPushResponse(makeRsp(answered));
                        Assert.That(ok, Is.EqualTo(answered < consumed), "a response needs a consumed request");
                        if (!ok)
                        {
                            break;
                        }
                        answered++;
                    }
                    {
                        uint old = sc.Start + rspPublished;
                        bool notify = back.PushResponsesAndCheckNotify();
                        rspPublished = answered;
                        Assert.That(notify, Is.EqualTo(Expected(frontSide.ArmedEvent, old, sc.Start + answered)), "response notify decision");
                        if (notify)
                        {
                            frontSide.NotificationsReceived++;
                            frontSide.Awake = true;
                        }
                    }
                    break;

                case StepKind.BackFinalCheck when backSide.Awake:
                {
                    // Single-threaded, nothing can be published between the two looks, so the
                    // final check must answer exactly "was there work", and arm only when idle.
                    bool hadWork = reqPublished != consumed;
                    uint ahead = (uint)(step.Count % 4) + 1;
                    bool more = back.FinalCheckForRequests(ahead);
                    Assert.That(more, Is.EqualTo(hadWork), "final check for requests");
                    if (!more)
                    {
                        backSide.Ahead = ahead;
                        backSide.ArmedEvent = sc.Start + consumed + ahead;
                        backSide.Arms++;
                        backSide.Awake = false;
                    }
                    break;
                }

                case StepKind.FrontConsume when frontSide.Awake:
                    for (int i = 0; i < step.Count && front.TryTakeResponse(out TRsp rsp); i++)
                    {
                        Assert.That(rspSeq(rsp), Is.EqualTo(received), "responses arrive in FIFO order");
                        received++;
                    }
                    break;

                case StepKind.FrontFinalCheck when frontSide.Awake:
                {
                    bool hadWork = rspPublished != received;
                    uint ahead = (uint)(step.Count % 4) + 1;
                    bool more = front.FinalCheckForResponses(ahead);
                    Assert.That(more, Is.EqualTo(hadWork), "final check for responses");
                    if (!more)
                    {
                        frontSide.Ahead = ahead;
                        frontSide.ArmedEvent = sc.Start + received + ahead;
                        frontSide.Arms++;
                        frontSide.Awake = false;
                    }
                    break;
                }
            }
            CheckInvariants(step.ToString());
        }

        // Drain: everything produced must come back, in order, with both sides awake.
        backSide.Awake = frontSide.Awake = true;
        while (back.TryTakeRequest(out TReq r))
        {
            Assert.That(reqSeq(r), Is.EqualTo(consumed++));
        }
        while (back.TryPushResponse(makeRsp(answered)))
        {
            answered++;
        }
        back.PushResponsesAndCheckNotify();
        while (front.TryTakeResponse(out TRsp s))
        {
            Assert.That(rspSeq(s), Is.EqualTo(received++));
        }
        Assert.That((consumed, answered, received), Is.EqualTo((produced, produced, produced)), "nothing lost");
        Assert.That(front.ReqProdPvt, Is.EqualTo(unchecked(sc.Start + produced)));
    }

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Netif_tx_ring_keeps_fifo_order_and_never_loses_a_wakeup() =>
        Prop.ForAll(ScenarioGen(300).ToArbitrary(), sc => RunScenario<NetifTxRequest, NetifTxResponse>(sc,
            s => new NetifTxRequest { Gref = s, Id = (ushort)s, Size = (ushort)(s >> 16) },
            r => r.Gref,
            s => new NetifTxResponse { Id = (ushort)s, Status = NetifStatus.Okay },
            r => r.Id));

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Small_ring_is_often_full_and_still_correct() =>
        Prop.ForAll(ScenarioGen(40).ToArbitrary(), sc => RunScenario<WideEntry, WideEntry>(sc,
            s => new WideEntry { Seq = s, Check = ~s },
            r => r.Check == ~r.Seq ? r.Seq : uint.MaxValue,
            s => new WideEntry { Seq = s, Check = ~s },
            r => r.Check == ~r.Seq ? r.Seq : uint.MaxValue));
}
