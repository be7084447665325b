// FsCheck: two netfronts through two real netbacks joined back to back, random frame sizes
// (60..MTU+14, with a 9000-byte MTU so frames span several slots both ways), random bursts in
// both directions, receivers that poll little or not at all, ring indices starting just below
// 2^32. Every frame offered is sent or refused with a counted reason, every frame sent arrives
// (in order, byte for byte) or is counted as dropped, and nothing is in flight at the end.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Drivers;
using ParaKit.Protocols.Net;

namespace ParaKit.Tests.Netfront;

public class NetfrontPropertyTests
{
    internal sealed record Burst(bool AtoB, int[] Sizes, bool Pump, int ReceiverBudget, bool SenderPolls);

    internal sealed record Scenario(int Mtu, uint RingStart, Burst[] Bursts)
    {
        public override string ToString() =>
            $"mtu={Mtu} start={RingStart:X8} [{string.Join(" ", Bursts.Select(b => $"{(b.AtoB ? "A>B" : "B>A")}x{b.Sizes.Length}{(b.Pump ? "" : "/nopump")}/poll{b.ReceiverBudget}{(b.SenderPolls ? "/sp" : "")}"))}]";
    }

    private static Gen<Burst> BurstGen(int maxFrame) =>
        from atob in Gen.Elements(true, false)
        from n in Gen.Choose(1, 100)
        from sizes in Gen.Choose(60, maxFrame).ArrayOf(n)
        // Unpumped bursts pile up in the TX ring (until TrySend finds it full); receivers that
        // poll rarely run out of RX buffers.
        from pump in Gen.Frequency((3, Gen.Constant(true)), (2, Gen.Constant(false)))
        from budget in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(1, 64)))
        from senderPolls in Gen.Frequency((1, Gen.Constant(true)), (2, Gen.Constant(false)))
        select new Burst(atob, sizes, pump, budget, senderPolls);

    private static readonly Gen<Scenario> ScenarioGen =
        from mtu in Gen.Frequency((2, Gen.Constant(NetifLimits.DefaultMtu)), (1, Gen.Constant(9000)))
        from start in Gen.OneOf(Gen.Constant(0u), Gen.Choose(0, 300).Select(d => unchecked(0u - (uint)d)))
        from count in Gen.Choose(1, 25)
        from bursts in BurstGen(mtu + 14).ArrayOf(count)
        select new Scenario(mtu, start, bursts);

    [FsCheck.NUnit.Property(MaxTest = 100, Replay = "(20251,7077)")]
    public Property Frames_in_equal_frames_out_plus_counted_drops_in_order_both_ways() =>
        Prop.ForAll(ScenarioGen.ToArbitrary(), sc =>
        {
            using var rig = new NetfrontRig();
            var (a, va, b, vb) = rig.Pair(sc.Mtu, sc.RingStart);
            rig.ConnectAll();
            var nics = new[] { a, b };
            var vifs = new[] { va, vb };
            var sent = new[] { new List<byte[]>(), new List<byte[]>() };   // [d]: accepted by the sender of direction d
            var got = new[] { new List<byte[]>(), new List<byte[]>() };    // [d]: handed to the receiver of direction d
            var offered = new int[2];
            var flushes = new int[2];
            int seq = 0;
            // Direction 0 is A to B; a guest's Poll receives the other direction's frames.
            FrameHandler into(int d) => f => got[d].Add(f.ToArray());
            var receive = new[] { into(1), into(0) };

            foreach (var burst in sc.Bursts)
            {
                int d = burst.AtoB ? 0 : 1;
                var src = nics[d].Nic;
                var dst = nics[1 - d].Nic;
                foreach (int size in burst.Sizes)
                {
                    var f = NetfrontDataPathTests.Frame(seq++, size);
                    offered[d]++;
                    if (src.TrySend(f))
                        sent[d].Add(f);
                }
                src.Flush();
                flushes[d]++;
                if (burst.Pump)
                    rig.Pump();
                if (burst.ReceiverBudget > 0)
                    Assert.That(dst.Poll(receive[1 - d], burst.ReceiverBudget), Is.LessThanOrEqualTo(burst.ReceiverBudget));
                if (burst.SenderPolls)
                    src.Poll(receive[d], 64);
            }
            // Drain: backends run, both sides poll until nothing moves.
            for (int round = 0; ; round++)
            {
                Assert.That(round, Is.LessThan(1000), "drain did not finish");
                rig.Pump();
                if (a.Nic.Poll(receive[0], 64) + b.Nic.Poll(receive[1], 64) == 0)
                {
                    rig.Pump();
                    if (a.Nic.Poll(receive[0], 64) + b.Nic.Poll(receive[1], 64) == 0)
                        break;
                }
            }

            for (int d = 0; d < 2; d++)
            {
                var s = nics[d].Nic.Counters;
                var r = nics[1 - d].Nic.Counters;
                var nbS = vifs[d].Netback!.Counters;
                var nbR = vifs[1 - d].Netback!.Counters;
                string dir = d == 0 ? "A>B" : "B>A";
                Assert.That(s.TxFrames + s.TxDrops, Is.EqualTo((ulong)offered[d]), dir + ": offered = sent + refused");
                Assert.That((s.TxFrames, s.TxDroppedSize, s.TxDroppedDown), Is.EqualTo(((ulong)sent[d].Count, 0UL, 0UL)), dir);
                Assert.That(nbS.TxFrames + nbS.TxDrops, Is.EqualTo(sent[d].Count), dir + ": netback took every published frame");
                Assert.That((s.TxErrors, nbS.TxDrops, r.RxErrors), Is.EqualTo((0UL, 0L, 0UL)), dir);
                Assert.That(nbR.RxDrops, Is.EqualTo(nbR.RxNoBuffer), dir + ": the only loss is a receiver out of buffers");
                Assert.That((long)got[d].Count + nbR.RxNoBuffer, Is.EqualTo(sent[d].Count), dir + ": sent = received + counted drops");
                Assert.That(r.RxFrames, Is.EqualTo((ulong)got[d].Count), dir);
                // Netback never asks for RX refill kicks, so every kick came from a flush.
                Assert.That(s.NotifiesSent, Is.LessThanOrEqualTo((ulong)flushes[d]), dir + ": at most a kick per flush");
                // Order and bytes: what arrived is the sent sequence with the dropped frames left out.
                int at = 0;
                foreach (var f in got[d])
                {
                    int seqNo = BitConverter.ToInt32(f, 0);
                    while (at < sent[d].Count && BitConverter.ToInt32(sent[d][at], 0) != seqNo)
                        at++;
                    Assert.That(at, Is.LessThan(sent[d].Count), $"{dir}: frame {seqNo} out of order or never sent");
                    Assert.That(f.AsSpan().SequenceEqual(sent[d][at]), Is.True, $"{dir}: frame {seqNo} bytes");
                    at++;
                }
            }
            return true;
        });
}
