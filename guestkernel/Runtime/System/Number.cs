// Integer to decimal text, used by the primitives' ToString (and so by `"x=" + n`).
namespace System;

internal static unsafe class Number
{
    public static string Format(long value)
    {
        if (value >= 0)
            return Format((ulong)value, false);
        return Format(unchecked((ulong)(-value)), true);
    }

    public static string Format(ulong value) => Format(value, false);

    /// <summary>Fixed-point text with up to 6 decimals, trailing zeros removed ("2.5", "-0.125",
    /// "1E+20" style is not produced: large values print all integer digits).</summary>
    public static string Format(double value)
    {
        if (value != value)
            return "NaN";
        if (value > 1.7976931348623157E+308)
            return "Infinity";
        if (value < -1.7976931348623157E+308)
            return "-Infinity";
        bool negative = value < 0;
        if (negative)
            value = -value;
        if (value >= 1e19)
            return (negative ? "-" : "") + "1E+" + Format((long)Log10Floor(value));
        ulong whole = (ulong)value;
        ulong fraction = (ulong)((value - whole) * 1_000_000 + 0.5);
        if (fraction >= 1_000_000)
        {
            whole++;
            fraction -= 1_000_000;
        }
        string text = Format(whole, negative && (whole != 0 || fraction != 0));
        if (fraction == 0)
            return text;
        char* digits = stackalloc char[7];
        digits[0] = '.';
        for (int i = 6; i >= 1; i--)
        {
            digits[i] = (char)('0' + (int)(fraction % 10));
            fraction /= 10;
        }
        int length = 7;
        while (digits[length - 1] == '0')
            length--;
        return string.Concat(text, new string(digits, 0, length));
    }

    private static int Log10Floor(double value)
    {
        int exponent = 0;
        while (value >= 10)
        {
            value /= 10;
            exponent++;
        }
        return exponent;
    }

    /// <summary>Parses [-+]digits; false on anything else or on overflow.</summary>
    public static bool TryParseSigned(string? s, out long result)
    {
        result = 0;
        if (s == null || s.Length == 0)
            return false;
        int i = 0;
        bool negative = false;
        if (s[0] == '-' || s[0] == '+')
        {
            negative = s[0] == '-';
            i = 1;
            if (s.Length == 1)
                return false;
        }
        ulong magnitude = 0;
        for (; i < s.Length; i++)
        {
            uint digit = (uint)(s[i] - '0');
            if (digit > 9 || magnitude > (ulong.MaxValue - digit) / 10)
                return false;
            magnitude = magnitude * 10 + digit;
        }
        if (negative ? magnitude > 0x8000000000000000UL : magnitude > long.MaxValue)
            return false;
        result = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    private static string Format(ulong magnitude, bool negative)
    {
        char* buffer = stackalloc char[24];
        int at = 24;
        do
        {
            buffer[--at] = (char)('0' + (int)(magnitude % 10));
            magnitude /= 10;
        }
        while (magnitude != 0);
        if (negative)
            buffer[--at] = '-';
        return new string(buffer, at, 24 - at);
    }
}
