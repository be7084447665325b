// A hostile frontend: random bytes in every TX and RX slot and random producer indices. Netback
// must never throw, never hand the sink a frame larger than the vif allows, and must account for
// every RX frame offered (delivered or a counted drop) whether or not it disconnects the vif.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Protocols.Net;

namespace ParaKit.Tests.Net;

public unsafe class NetbackHostileTests
{
    internal sealed record Garbage(byte[] Tx, byte[] Rx, uint[] Prods)
    {
        public override string ToString() => $"prods=[{string.Join(",", Prods.Select(p => p.ToString("X")))}]";
    }

    private static readonly Gen<Garbage> GarbageGen =
        from tx in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 4096 - 64)
        from rx in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 4096 - 64)
        from prods in Gen.ArrayOf(Gen.OneOf(Gen.Choose(0, 300).Select(x => (uint)x), Gen.Choose(int.MinValue, int.MaxValue).Select(x => (uint)x)), 6)
        select new Garbage(tx, rx, prods);

    [FsCheck.NUnit.Property(MaxTest = 150, Replay = "(777,999)")]
    public Property Random_ring_contents_never_throw_and_every_rx_frame_is_accounted_for() =>
        Prop.ForAll(GarbageGen.ToArbitrary(), g =>
        {
            using var h = new VifHarness();
            // Real grants for some refs, so some garbage requests even point at valid pages.
            for (int i = 0; i < 32; i++)
                h.Grants.Grant(new byte[4096]);
            g.Tx.CopyTo(new Span<byte>(h.TxPage.Pointer + 64, g.Tx.Length));
            g.Rx.CopyTo(new Span<byte>(h.RxPage.Pointer + 64, g.Rx.Length));
            var frame = new byte[1000];
            int offered = 0;
            for (int round = 0; round < 3; round++)
            {
                h.Tx.Shared->ReqProd = g.Prods[round * 2];
                h.Rx.Shared->ReqProd = g.Prods[round * 2 + 1];
                h.Back.ProcessTx();
                for (int i = 0; i < 5; i++, offered++)
                    h.Back.DeliverToGuest(frame);
                h.Back.FlushRx();
            }
            var c = h.Back.Counters;
            Assert.That(h.Sink.Frames.All(f => f.Length <= h.Back.MaxFrame), Is.True);
            Assert.That(c.TxFrames, Is.EqualTo(h.Sink.Frames.Count));
            Assert.That(c.RxFrames + c.RxDrops, Is.EqualTo(offered));
            Assert.That(h.Back.Counters.TxMalformed, Is.LessThanOrEqualTo(1), "the first malformed packet ends the vif");
        });
}
