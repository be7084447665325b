// Glue between the primitives and Internal.Formatting: the exceptions Parse throws, and what
// string.Format / interpolation do with a boxed value and a format string.
using Internal.Formatting;

namespace System;

internal static class NumberText
{
    public static void ThrowParse(NumberParser.Result result, string? s, string type)
    {
        if (s == null)
            throw new ArgumentNullException("s");
        if (result == NumberParser.Result.Overflow)
            throw new OverflowException("Value was either too large or too small for an " + type + ".");
        throw new FormatException("The input string '" + s + "' was not in a correct format.");
    }

    /// <summary>value.ToString(format) for anything: numbers honour the format, other values
    /// implementing IFormattable get it, the rest use ToString().</summary>
    public static string? Format(object? value, string? format)
    {
        if (value == null)
            return null;
        if (format != null && value is IFormattable formattable)
            return formattable.ToString(format, null);
        return value.ToString();
    }

    public static string Decimal(long value) => NumberFormatter.Decimal(value < 0 ? unchecked(0 - (ulong)value) : (ulong)value, value < 0);
}
