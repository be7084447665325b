// The TX packet checker: every well-formed packet (request, extras, fragments) is accepted with
// exact slot counts, and each kind of malformation is refused with its own verdict.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Protocols.Net;

namespace ParaKit.Tests.Protocols;

public unsafe class NetifTxPacketTests
{
    internal sealed record Packet(int[] FragSizes, int[] Offsets, int FirstSize, int FirstOffset, bool Gso)
    {
        public int Total => FirstSize + FragSizes.Sum();
        public override string ToString() => $"first {FirstSize}@{FirstOffset} frags [{string.Join(",", FragSizes)}] gso={Gso}";
    }

    private static Gen<Packet> PacketGen =>
        from frags in Gen.Choose(0, NetifLimits.SlotsMin - 1)
        from sizes in Gen.ArrayOf(Gen.Choose(1, 4096), frags)
        from offsets in Gen.ArrayOf(Gen.Choose(0, 4095), frags)
        from firstSize in Gen.Choose(1, 4096)
        from firstOffset in Gen.Choose(0, 4096 - firstSize)
        from gso in Gen.Elements(true, false)
        let fitSizes = sizes.Select((sz, i) => Math.Min(sz, 4096 - offsets[i])).Select(sz => Math.Max(sz, 1)).ToArray()
        let fitOffsets = offsets.Select((o, i) => Math.Min(o, 4096 - fitSizes[i])).ToArray()
        where firstSize + fitSizes.Sum() <= NetifLimits.MaxTxSize
        select new Packet(fitSizes, fitOffsets, firstSize, firstOffset, gso);

    private static NetifTxRequest[] Encode(Packet p)
    {
        var slots = new List<NetifTxRequest>();
        ushort firstFlags = (ushort)((p.FragSizes.Length > 0 ? NetTxFlags.MoreData : 0) | (p.Gso ? NetTxFlags.ExtraInfo : 0));
        slots.Add(new NetifTxRequest { Gref = 100, Offset = (ushort)p.FirstOffset, Flags = firstFlags, Id = 0, Size = (ushort)p.Total });
        if (p.Gso)
        {
            var extra = new NetifExtraInfo { Type = NetifExtraType.Gso, GsoSize = 1448, GsoType = NetifGsoType.TcpV4 };
            NetifTxRequest slot = default;
            *(NetifExtraInfo*)&slot = extra;
            slots.Add(slot);
        }
        for (int i = 0; i < p.FragSizes.Length; i++)
        {
            bool last = i == p.FragSizes.Length - 1;
            slots.Add(new NetifTxRequest { Gref = (uint)(101 + i), Offset = (ushort)p.Offsets[i], Flags = last ? (ushort)0 : NetTxFlags.MoreData, Id = (ushort)(i + 1), Size = (ushort)p.FragSizes[i] });
        }
        return slots.ToArray();
    }

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Well_formed_packets_are_accepted_with_exact_counts() =>
        Prop.ForAll(PacketGen.ToArbitrary(), p =>
        {
            NetifTxRequest[] slots = Encode(p);
            // Slots of the next packet after this one must not be looked at.
            NetifTxRequest[] withNext = [.. slots, new NetifTxRequest { Size = 0, Flags = 0xFFFF }];
            var verdict = NetifTxPacket.Check(withNext, NetifLimits.SlotsMin, out int used, out int data, out int firstSize, out int gso);
            bool ok = verdict == NetifTxCheck.Ok && used == slots.Length && data == p.FragSizes.Length + 1
                && firstSize == p.FirstSize && gso == (p.Gso ? 1448 : 0);
            // Any prefix is incomplete, never accepted and never an error.
            for (int cut = 0; ok && cut < slots.Length; cut++)
            {
                ok = NetifTxPacket.Check(slots.AsSpan(0, cut), NetifLimits.SlotsMin, out _, out _, out _, out _) == NetifTxCheck.Incomplete;
            }
            return ok;
        });

    [Test]
    public void Malformed_packets_get_their_verdict()
    {
        var p = new Packet([1000, 500], [0, 100], 60, 0, Gso: false);
        NetifTxRequest[] s = Encode(p);
        Assert.That(NetifTxPacket.Check(s, 18, out _, out _, out _, out _), Is.EqualTo(NetifTxCheck.Ok));

        NetifTxRequest[] bigFrag = Encode(p);
        bigFrag[2].Size = 2000; // 1000 + 2000 > 1560 announced
        Assert.That(NetifTxPacket.Check(bigFrag, 18, out _, out _, out _, out _), Is.EqualTo(NetifTxCheck.FragmentsTooBig));

        NetifTxRequest[] cross = Encode(p);
        cross[1].Offset = 3500; // 3500 + 1000 > 4096
        Assert.That(NetifTxPacket.Check(cross, 18, out _, out _, out _, out _), Is.EqualTo(NetifTxCheck.CrossesPage));

        NetifTxRequest[] firstCross = Encode(p);
        firstCross[0].Offset = 4090; // the first slot's own 60 bytes run past the page
        Assert.That(NetifTxPacket.Check(firstCross, 18, out _, out _, out _, out _), Is.EqualTo(NetifTxCheck.CrossesPage));

        Assert.That(NetifTxPacket.Check(s, 2, out _, out _, out _, out _), Is.EqualTo(NetifTxCheck.TooManySlots), "3 data slots, limit 2");

        NetifTxRequest[] empty = [new NetifTxRequest { Size = 0 }];
        Assert.That(NetifTxPacket.Check(empty, 18, out _, out _, out _, out _), Is.EqualTo(NetifTxCheck.BadSize));

        NetifTxRequest[] badExtra = Encode(p with { Gso = true });
        badExtra[1] = default; // extra type 0
        Assert.That(NetifTxPacket.Check(badExtra, 18, out _, out _, out _, out _), Is.EqualTo(NetifTxCheck.BadExtraInfo));

        // An endless chain of more_data slots from a hostile frontend stops at the limit.
        var endless = Enumerable.Repeat(new NetifTxRequest { Size = 1, Flags = NetTxFlags.MoreData }, 1000).ToArray();
        endless[0].Size = 60000;
        Assert.That(NetifTxPacket.Check(endless, 18, out _, out _, out _, out _), Is.EqualTo(NetifTxCheck.TooManySlots));
    }
}
