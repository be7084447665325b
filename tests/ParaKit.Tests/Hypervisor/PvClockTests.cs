// Xen pvclock arithmetic: the scale chosen for a TSC frequency and the conversions both ways.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Time;

namespace ParaKit.Tests.Hypervisor;

public class PvClockTests
{
    [TestCase(2_596_120_000UL, -1)]
    [TestCase(1_000_000_000UL, 1)]
    [TestCase(3_000_000_000UL, -1)]
    [TestCase(100_000_000UL, 4)]
    [TestCase(5_000_000_000UL, -2)]
    public void Shift_brings_the_frequency_into_one_to_two_GHz(ulong hz, int shift)
    {
        var s = PvClockScale.FromFrequency(hz);
        Assert.That(s.Shift, Is.EqualTo(shift));
        double shifted = shift >= 0 ? hz * Math.Pow(2, shift) : hz / Math.Pow(2, -shift);
        Assert.That(shifted, Is.GreaterThan(1e9).And.LessThanOrEqualTo(2e9));
    }

    [Test]
    public void One_second_of_ticks_is_one_second()
    {
        var s = PvClockScale.FromFrequency(2_596_120_000);
        Assert.That(s.ToNanoseconds(2_596_120_000), Is.InRange(999_999_990UL, 1_000_000_000UL));
    }

    [Test]
    public void Matches_the_formula_a_guest_uses()
    {
        // Guests compute ((delta >> -shift) * mul) >> 32 with a 64x64->128 multiply, like Xen's pvclock.
        var s = PvClockScale.FromFrequency(2_596_120_000);
        ulong delta = 123_456_789_012;
        ulong expected = (ulong)(((UInt128)(delta >> 1) * s.Multiplier) >> 32);
        Assert.That(s.ToNanoseconds(delta), Is.EqualTo(expected));
    }

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property Conversion_is_accurate_and_monotonic()
    {
        var gen = from hz in Gen.Choose(50, 5000).Select(mhz => (ulong)mhz * 1_000_000)
                  from a in Gen.Choose(0, int.MaxValue)
                  from b in Gen.Choose(0, 1000)
                  select (hz, (ulong)a * 1000, (ulong)b);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (hz, ticks, extra) = t;
            var s = PvClockScale.FromFrequency(hz);
            double exact = ticks * 1e9 / hz;
            ulong ns = s.ToNanoseconds(ticks);
            bool accurate = Math.Abs(ns - exact) <= exact * 1e-8 + 2;
            bool monotonic = s.ToNanoseconds(ticks + extra) >= ns;
            ulong back = s.ToTicks(ns);
            bool inverse = Math.Abs((double)back - ticks) <= ticks * 1e-8 + hz / 1e9 * 2 + 2;
            return accurate && monotonic && inverse;
        });
    }
}
