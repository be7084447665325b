// L2 echo frames (guestkernel/Net/Traffic/L2Echo.cs): build and parse, the echo's reply, and
// hostile bytes that never throw.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Traffic;

namespace ParaKit.Tests.Traffic;

public class L2EchoTests
{
    private const ulong Pinger = 0x00163E000001, Echo = 0x00163E000002;

    private static byte[] Request(int size, ushort id, ulong seq, ulong ts, ulong dst = Echo)
    {
        var f = new byte[size];
        Assert.That(L2Echo.Write(f, dst, Pinger, L2EchoType.Request, id, seq, ts), Is.True);
        return f;
    }

    [Test]
    public void A_request_has_the_documented_layout_and_parses_back()
    {
        var f = Request(60, 0x0203, 0x0A0B0C0D0E0F1011, 99);
        Assert.Multiple(() =>
        {
            Assert.That(f[12..14], Is.EqualTo(new byte[] { 0x88, 0xB5 }));
            Assert.That(f[14..18], Is.EqualTo("PKEC"u8.ToArray()));
            Assert.That((f[18], f[19]), Is.EqualTo(((byte)1, (byte)0)), "request, no flags");
            Assert.That(f[20..22], Is.EqualTo(new byte[] { 2, 3 }));
            Assert.That(f[38..].All(b => b == 0), Is.True, "zero padding");
            Assert.That(L2Echo.Parse(f, out var info), Is.EqualTo(L2EchoStatus.Ok));
            Assert.That((info.Type, info.Id, info.Seq, info.TimestampNs, info.SrcMac, info.DstMac, info.Size),
                Is.EqualTo((L2EchoType.Request, (ushort)0x0203, 0x0A0B0C0D0E0F1011UL, 99UL, Pinger, Echo, 60)));
        });
    }

    [FsCheck.NUnit.Property(MaxTest = 200, Replay = "(5,7)")]
    public Property The_reply_is_the_request_addressed_back_from_the_echo() =>
        Prop.ForAll((from size in Gen.Choose(L2Echo.MinSize, 2000) from id in Gen.Choose(0, 65535) from seq in TrafficFrameTests.U64 from ts in TrafficFrameTests.U64 from bcast in Gen.Elements(false, true) select (size, id, seq, ts, bcast)).ToArbitrary(), t =>
        {
            var req = Request(t.size, (ushort)t.id, t.seq, t.ts, t.bcast ? MacText.Broadcast : Echo);
            var reply = new byte[L2Echo.MaxSize];
            int n = L2Echo.WriteReply(req, reply, Echo);
            Assert.That(n, Is.EqualTo(t.size));
            Assert.That(L2Echo.Parse(reply.AsSpan(0, n), out var info), Is.EqualTo(L2EchoStatus.Ok));
            Assert.That((info.Type, info.Id, info.Seq, info.TimestampNs, info.SrcMac, info.DstMac),
                Is.EqualTo((L2EchoType.Reply, (ushort)t.id, t.seq, t.ts, Echo, Pinger)));
            Assert.That(reply[14..18].Concat(reply[19..n]).SequenceEqual(req[14..18].Concat(req[19..])), Is.True, "all but the type comes back");
        });

    [Test]
    public void Replies_are_not_answered_and_small_buffers_are_refused()
    {
        var req = new byte[100];
        L2Echo.Write(req, Echo, Pinger, L2EchoType.Request, 1, 1, 1, L2EchoFlags.Warmup);
        var reply = new byte[100];
        Assert.That(L2Echo.WriteReply(req, reply, Echo), Is.EqualTo(100));
        Assert.That(L2Echo.Parse(reply, out var info) == L2EchoStatus.Ok && info.Flags == L2EchoFlags.Warmup, Is.True, "flags come back");
        Assert.That(L2Echo.WriteReply(reply, new byte[100], Echo), Is.EqualTo(0), "a reply is not a request");
        Assert.That(L2Echo.WriteReply(req, new byte[99], Echo), Is.EqualTo(0));
    }

    [Test]
    public void Statuses_for_foreign_short_and_odd_frames()
    {
        var f = Request(60, 1, 1, 1);
        Assert.That(L2Echo.Parse(f.AsSpan(0, 13), out _), Is.EqualTo(L2EchoStatus.Truncated));
        Assert.That(L2Echo.Parse(f.AsSpan(0, 37), out _), Is.EqualTo(L2EchoStatus.Truncated));
        var other = (byte[])f.Clone();
        other[15] = 0;
        Assert.That(L2Echo.Parse(other, out _), Is.EqualTo(L2EchoStatus.NotOurs), "0x88B5 of another experiment");
        var badType = (byte[])f.Clone();
        badType[18] = 0x7F;
        Assert.That(L2Echo.Parse(badType, out _), Is.EqualTo(L2EchoStatus.BadType));
        Assert.That(L2Echo.Parse(TrafficFrameTests.Build(60, 1), out _), Is.EqualTo(L2EchoStatus.NotOurs));
        Assert.That(L2Echo.Write(new byte[59], Echo, Pinger, L2EchoType.Request, 1, 1, 1), Is.False);
    }

    [Test]
    public void An_announce_parses_and_is_not_answered()
    {
        var f = new byte[60];
        Assert.That(L2Echo.Write(f, MacText.Broadcast, Echo, L2EchoType.Announce, 0, 0, 0), Is.True);
        Assert.That(L2Echo.Parse(f, out var info), Is.EqualTo(L2EchoStatus.Ok));
        Assert.That((info.Type, info.SrcMac, info.DstMac), Is.EqualTo((L2EchoType.Announce, Echo, MacText.Broadcast)));
        Assert.That(L2Echo.WriteReply(f, new byte[60], Pinger), Is.EqualTo(0));
    }

    [FsCheck.NUnit.Property(MaxTest = 1000, Replay = "(11,13)")]
    public Property Hostile_bytes_never_throw() =>
        Prop.ForAll((from len in Gen.Choose(0, 100) from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), len) from ours in Gen.Elements(false, true) select (bytes, ours)).ToArbitrary(), t =>
        {
            var b = t.bytes;
            if (t.ours && b.Length >= 18)
            {
                b[12] = 0x88; b[13] = 0xB5; b[14] = (byte)'P'; b[15] = (byte)'K'; b[16] = (byte)'E'; b[17] = (byte)'C';
            }
            var status = L2Echo.Parse(b, out var info);
            Assert.That(L2Echo.WriteReply(b, new byte[200], Echo), Is.EqualTo(status == L2EchoStatus.Ok && info.Type == L2EchoType.Request ? b.Length : 0));
            if (status == L2EchoStatus.Ok)
                Assert.That(b.Length, Is.GreaterThanOrEqualTo(L2Echo.HeaderSize));
        });
}
