// MAC text (guestkernel/Net/Traffic/MacText.cs): the xl.cfg spelling both ways.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Net.Traffic;

namespace ParaKit.Tests.Traffic;

public class MacTextTests
{
    [Test]
    public void Parses_the_xl_spelling_in_either_case_and_with_dashes()
    {
        Assert.That(MacText.TryParse("00:16:3e:00:00:01", out ulong a), Is.True);
        Assert.That(a, Is.EqualTo(0x00163E000001UL));
        Assert.That(MacText.TryParse("FF-FF-FF-FF-FF-FF", out ulong b), Is.True);
        Assert.That(b, Is.EqualTo(MacText.Broadcast));
        Assert.That(MacText.ToText(0x00163E0000AB), Is.EqualTo("00:16:3e:00:00:ab"));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("00:16:3e:00:00")]
    [TestCase("00:16:3e:00:00:011")]
    [TestCase("00:16:3e:00-00:01")]
    [TestCase("00.16.3e.00.00.01")]
    [TestCase("0g:16:3e:00:00:01")]
    [TestCase(" 0:16:3e:00:00:01")]
    public void Rejects_anything_else(string? text)
    {
        Assert.That(MacText.TryParse(text, out ulong mac), Is.False);
        Assert.That(mac, Is.EqualTo(0UL));
    }

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(3,5)")]
    public Property Format_and_parse_round_trip() =>
        Prop.ForAll(TrafficFrameTests.U64.ToArbitrary(), v =>
        {
            ulong mac = v & 0xFFFF_FFFF_FFFF;
            string text = MacText.ToText(mac);
            Assert.That(text, Is.EqualTo(string.Join(":", Enumerable.Range(0, 6).Select(i => ((mac >> (40 - 8 * i)) & 0xFF).ToString("x2")))));
            Assert.That(MacText.TryParse(text, out ulong back) && back == mac, Is.True);
            Assert.That(MacText.Format(mac, new char[16]), Is.EqualTo(0), "too small a buffer");
            Assert.That(MacText.IsGroup(mac), Is.EqualTo((mac >> 40 & 1) == 1));
        });

    [Test]
    public void Ipv4_text()
    {
        Assert.That(TrafficText.TryParseIpv4("10.0.0.2", out uint ip) && ip == 0x0A000002, Is.True);
        Assert.That(TrafficText.TryParseIpv4("255.255.255.255", out ip) && ip == 0xFFFFFFFF, Is.True);
        foreach (string bad in new[] { "", "1.2.3", "1.2.3.4.5", "1..2.3", "256.1.1.1", "1.2.3.4.", "a.b.c.d", "1.2.3.1000" })
            Assert.That(TrafficText.TryParseIpv4(bad, out _), Is.False, bad);
    }
}
