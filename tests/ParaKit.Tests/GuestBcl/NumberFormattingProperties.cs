// The guest runtime's numeric formatting and parsing (guestkernel/Runtime/Formatting, compiled
// into this assembly as is) against the real .NET with the invariant culture: for random ints,
// longs, ulongs and doubles (random bit patterns, short decimals, binary fractions, every
// decade) and every standard and custom format students use, our text must equal .NET's; our
// double parse must give .NET's double for its own round-trip and 25-digit texts.
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Internal.Formatting;

namespace ParaKit.Tests.GuestBcl;

public class NumberFormattingProperties
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly string?[] DoubleFormats =
    {
        null, "R", "G", "G3", "G17", "g5", "F", "F0", "F2", "F5", "N", "N0", "N3", "E", "E0", "E2", "e3", "E10",
        "P", "P0", "P1", "C", "0.00", "#,##0", "000", "#,##0.00", "0.###", "#.##", "0%", "0.0E+00", "0.00;(0.00);zero", "#,##0.0,",
    };

    private static readonly string?[] IntegerFormats =
    {
        null, "D", "D8", "X", "x8", "X4", "G", "G3", "G20", "N", "N0", "F", "F3", "E", "E2", "P", "P0", "C",
        "0.00", "#,##0", "000", "#", "0", "#;(#);zero", "00-00",
    };

    private static Gen<double> Doubles()
        => Gen.OneOf(
            ArbMap.Default.GeneratorFor<long>().Select(BitConverter.Int64BitsToDouble).Where(d => !double.IsNaN(d)),
            Gen.Choose(-100000, 100000).Select(i => i / 8.0),
            Gen.Choose(-99999, 99999).Zip(Gen.Choose(0, 4), (m, p) => Math.Round(m / 100.0, p)),
            Gen.Choose(1, 999).Zip(Gen.Choose(-325, 308), (m, e) => double.Parse($"{m}e{e}", Invariant)),
            ArbMap.Default.GeneratorFor<int>().Select(i => (double)i));

    private static Property SameText<T>(Gen<T> values, string?[] formats, Func<T, string?, string> ours, Func<T, string?, string> dotnet)
        => Prop.ForAll(values.ToArbitrary(), value =>
        {
            foreach (string? format in formats)
            {
                string expected = dotnet(value, format);
                string actual = ours(value, format);
                if (expected != actual)
                    return false.Label($"{value} with format '{format}': .NET \"{expected}\", ours \"{actual}\"");
            }
            return true.ToProperty();
        });

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public Property Doubles_format_as_dotnet_does()
        => SameText(Doubles(), DoubleFormats, NumberFormatter.FormatDouble, (d, f) => d.ToString(f, Invariant));

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public Property Floats_print_the_shortest_round_trip_text()
        => SameText(Doubles().Select(d => (float)d).Where(f => !float.IsNaN(f)), new string?[] { null, "R", "F2", "E3" },
            NumberFormatter.FormatSingle, (f, fmt) => f.ToString(fmt, Invariant));

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public Property Ints_format_as_dotnet_does()
        => SameText(ArbMap.Default.GeneratorFor<int>(), IntegerFormats, (i, f) => NumberFormatter.FormatInt64(i, f, 4), (i, f) => i.ToString(f, Invariant));

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public Property Longs_format_as_dotnet_does()
        => SameText(ArbMap.Default.GeneratorFor<long>(), IntegerFormats, (l, f) => NumberFormatter.FormatInt64(l, f), (l, f) => l.ToString(f, Invariant));

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Ulongs_format_as_dotnet_does()
        => SameText(ArbMap.Default.GeneratorFor<ulong>(), IntegerFormats, NumberFormatter.FormatUInt64, (u, f) => u.ToString(f, Invariant));

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public Property Doubles_parse_to_the_double_dotnet_parses()
        => Prop.ForAll(Doubles().ToArbitrary(), d =>
        {
            foreach (string text in new[] { d.ToString("R", Invariant), d.ToString("E25", Invariant), d.ToString("F3", Invariant) })
            {
                bool ok = NumberParser.TryParseDouble(text, out double ours);
                double expected = double.Parse(text, Invariant);
                if (!ok || BitConverter.DoubleToInt64Bits(ours) != BitConverter.DoubleToInt64Bits(expected))
                    return false.Label($"\"{text}\": .NET {expected:R}, ours {(ok ? ours.ToString("R", Invariant) : "failed")}");
            }
            return true.ToProperty();
        });

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public Property Integers_parse_as_dotnet_does()
        => Prop.ForAll(ArbMap.Default.GeneratorFor<long>().ToArbitrary(), l =>
        {
            string text = l.ToString(Invariant);
            bool intOk = int.TryParse(text, NumberStyles.Integer, Invariant, out int i);
            bool oursOk = NumberParser.ParseInt64(text, int.MinValue, int.MaxValue, out long ours) == NumberParser.Result.Ok;
            bool longOk = NumberParser.ParseInt64(" " + text + " ", long.MinValue, long.MaxValue, out long ourLong) == NumberParser.Result.Ok;
            return (intOk == oursOk && (!intOk || ours == i) && longOk && ourLong == l).Label(text);
        });

    [TestCase("")]
    [TestCase(" ")]
    [TestCase("1 2")]
    [TestCase("12a")]
    [TestCase("+")]
    [TestCase("--1")]
    [TestCase("1.5")]
    public void Bad_integer_text_is_a_format_error(string text)
    {
        Assert.That(NumberParser.ParseInt64(text, long.MinValue, long.MaxValue, out _), Is.EqualTo(NumberParser.Result.Format));
        Assert.That(long.TryParse(text, NumberStyles.Integer, Invariant, out _), Is.False, "as .NET");
    }

    [TestCase("9223372036854775808", false)]
    [TestCase("-9223372036854775808", true)]
    [TestCase("-9223372036854775809", false)]
    public void Long_limits_match_dotnet(string text, bool fits)
    {
        Assert.That(NumberParser.ParseInt64(text, long.MinValue, long.MaxValue, out _) == NumberParser.Result.Ok, Is.EqualTo(fits));
        Assert.That(long.TryParse(text, NumberStyles.Integer, Invariant, out _), Is.EqualTo(fits));
    }

    [TestCase("1.7976931348623158e308")]
    [TestCase("1.7976931348623159e308")]
    [TestCase("2.4703282292062327e-324")]
    [TestCase("2.4703282292062328e-324")]
    [TestCase("-0")]
    [TestCase("  1,234.5e-2 ")]
    [TestCase("Infinity")]
    [TestCase("-infinity")]
    [TestCase("0.30000000000000004441")]
    public void Edge_doubles_parse_as_dotnet(string text)
    {
        Assert.That(NumberParser.TryParseDouble(text, out double ours), Is.True);
        Assert.That(BitConverter.DoubleToInt64Bits(ours), Is.EqualTo(BitConverter.DoubleToInt64Bits(double.Parse(text, NumberStyles.Float | NumberStyles.AllowThousands, Invariant))));
    }
}
