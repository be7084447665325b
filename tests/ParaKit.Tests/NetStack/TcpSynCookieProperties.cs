// SYN cookies (TcpSynCookie) as a function: a cookie validates for the four-tuple and client
// ISN it was made for, within its time window (the tick it was made in and the next), and
// carries the peer's MSS rounded down to the table; any other tuple, ISN, secret or an older
// tick fails.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Stack;

namespace ParaKit.Tests.NetStack;

public class TcpSynCookieProperties
{
    private const ulong Period = 64_000_000_000;

    internal readonly record struct Tuple4(uint RemoteIp, ushort RemotePort, uint LocalIp, ushort LocalPort, uint ClientIsn);

    private static readonly Gen<Tuple4> TupleGen =
        from rip in Gen.Choose(0, int.MaxValue)
        from rport in Gen.Choose(1, 65535)
        from lip in Gen.Choose(0, int.MaxValue)
        from lport in Gen.Choose(1, 65535)
        from isn in Gen.Choose(int.MinValue, int.MaxValue)
        select new Tuple4((uint)rip * 2 + 1, (ushort)rport, (uint)lip, (ushort)lport, (uint)isn);

    private static uint Make(ulong secret, Tuple4 t, ushort mss, ulong now) =>
        TcpSynCookie.Make(secret, t.RemoteIp, t.RemotePort, t.LocalIp, t.LocalPort, t.ClientIsn, mss, now, Period);

    private static bool Check(ulong secret, Tuple4 t, uint cookie, ulong now, out ushort mss) =>
        TcpSynCookie.Check(secret, t.RemoteIp, t.RemotePort, t.LocalIp, t.LocalPort, t.ClientIsn + 1, cookie + 1, now, Period, out mss);

    [FsCheck.NUnit.Property(MaxTest = 500, Replay = "(1234567,7654321)")]
    public Property A_cookie_validates_only_for_its_tuple_and_within_its_window() =>
        Prop.ForAll(
            (from t in TupleGen
             from secret in Gen.Choose(int.MinValue, int.MaxValue)
             from mss in Gen.Choose(0, 9000)
             from made in Gen.Choose(0, int.MaxValue)
             from later in Gen.Choose(0, int.MaxValue)
             from which in Gen.Choose(0, 5)
             select (t, secret: (ulong)(long)secret * 0x9E3779B97F4A7C15, mss: (ushort)mss, made: (ulong)made * 1_000_000_000, later: (ulong)later % (4 * Period), which)).ToArbitrary(),
            x =>
            {
                var (t, secret, mss, made, later, which) = x;
                uint cookie = Make(secret, t, mss, made);
                ulong now = made + later;
                long age = (long)(now / Period) - (long)(made / Period);
                bool ok = Check(secret, t, cookie, now, out ushort got);
                if (ok != age < 2)
                    return false.Label($"age {age} ticks: valid={ok}");
                if (ok && (got > Math.Max(mss, (ushort)536) || got < 536))
                    return false.Label($"mss {mss} came back as {got}");
                // The same cookie for any other tuple, client ISN or secret, within its window.
                Tuple4 other = which switch
                {
                    0 => t with { RemoteIp = t.RemoteIp ^ 0x100 },
                    1 => t with { RemotePort = (ushort)(t.RemotePort ^ 1) },
                    2 => t with { LocalIp = t.LocalIp + 1 },
                    3 => t with { LocalPort = (ushort)(t.LocalPort + 7) },
                    _ => t with { ClientIsn = t.ClientIsn + 1 },
                };
                ulong otherSecret = which == 5 ? secret ^ 0x5555 : secret;
                if (which == 5)
                    other = t;
                return (!Check(otherSecret, other, cookie, made, out _)).Label($"case {which} accepted a cookie for another connection");
            });

    [TestCase((ushort)0, (ushort)536)]
    [TestCase((ushort)536, (ushort)536)]
    [TestCase((ushort)1400, (ushort)1300)]
    [TestCase((ushort)1460, (ushort)1460)]
    [TestCase((ushort)9000, (ushort)1460)]
    public void The_peers_mss_comes_back_rounded_down_to_the_table(ushort peer, ushort expected)
    {
        var t = new Tuple4(0x0A000001, 40000, 0x0A000002, 7, 12345);
        uint cookie = Make(42, t, peer, 5 * Period + 3);
        Assert.That(Check(42, t, cookie, 6 * Period + 2, out ushort mss), Is.True);
        Assert.That(mss, Is.EqualTo(expected));
        Assert.That(Check(42, t, cookie, 7 * Period, out _), Is.False, "two ticks later");
    }
}
