// Parsing integers and doubles as .NET's Parse/TryParse do with the invariant culture:
// surrounding white space, a leading sign, for doubles a decimal point, thousands separators in
// the integer part, an exponent, "NaN" and "Infinity". Doubles are correctly rounded (the
// nearest double, ties to even): an estimate, then exact comparisons with the midpoints to its
// neighbours (DecimalDigits). Pure C#: compiled into the guest runtime and the host tests.
namespace Internal.Formatting;

using System;

internal static class NumberParser
{
    public enum Result { Ok, Format, Overflow }

    private static bool IsSpace(char c) => c == ' ' || (c >= '\t' && c <= '\r');

    /// <summary>Integer text: [ws][+|-]digits[ws]. Magnitude up to 2^64-1.</summary>
    public static Result ParseInteger(string? s, out ulong magnitude, out bool negative)
    {
        magnitude = 0;
        negative = false;
        if (s == null)
            return Result.Format;
        int i = 0, end = s.Length;
        while (i < end && IsSpace(s[i])) i++;
        while (end > i && (IsSpace(s[end - 1]) || s[end - 1] == '\0')) end--;
        if (i < end && (s[i] == '-' || s[i] == '+'))
        {
            negative = s[i] == '-';
            i++;
        }
        if (i >= end)
            return Result.Format;
        bool overflow = false;
        for (; i < end; i++)
        {
            uint digit = (uint)(s[i] - '0');
            if (digit > 9)
                return Result.Format;
            if (magnitude > (ulong.MaxValue - digit) / 10)
                overflow = true;
            else
                magnitude = magnitude * 10 + digit;
        }
        return overflow ? Result.Overflow : Result.Ok;
    }

    public static Result ParseInt64(string? s, long min, long max, out long value)
    {
        value = 0;
        Result r = ParseInteger(s, out ulong magnitude, out bool negative);
        if (r != Result.Ok)
            return r;
        if (negative)
        {
            ulong limit = (ulong)(-(min + 1)) + 1;
            if (magnitude > limit)
                return Result.Overflow;
            value = unchecked((long)(0 - magnitude));
            return Result.Ok;
        }
        if (magnitude > (ulong)max)
            return Result.Overflow;
        value = (long)magnitude;
        return Result.Ok;
    }

    public static Result ParseUInt64(string? s, ulong max, out ulong value)
    {
        value = 0;
        Result r = ParseInteger(s, out ulong magnitude, out bool negative);
        if (r != Result.Ok)
            return r;
        if (magnitude > max || (negative && magnitude != 0))
            return Result.Overflow;
        value = magnitude;
        return Result.Ok;
    }

    private const int MaxDigits = 800;

    public static bool TryParseDouble(string? s, out double value)
    {
        value = 0;
        if (s == null)
            return false;
        int i = 0, end = s.Length;
        while (i < end && IsSpace(s[i])) i++;
        while (end > i && (IsSpace(s[end - 1]) || s[end - 1] == '\0')) end--;
        if (i >= end)
            return false;
        bool negative = false;
        if (s[i] == '-' || s[i] == '+')
        {
            negative = s[i] == '-';
            i++;
        }
        if (Matches(s, i, end, "NaN"))
        {
            value = double.NaN;
            return true;
        }
        if (Matches(s, i, end, "Infinity") || Matches(s, i, end, "\u221E"))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        var d = new DecimalDigits(MaxDigits + 2) { Negative = negative };
        int count = 0, scale = 0;
        bool anyDigit = false, truncated = false, point = false;
        for (; i < end; i++)
        {
            char c = s[i];
            if (c >= '0' && c <= '9')
            {
                anyDigit = true;
                if (count == 0 && c == '0')
                {
                    if (point)
                        scale--;
                    continue;
                }
                if (count < MaxDigits)
                    d.Digits[count++] = c;
                else if (c != '0')
                    truncated = true;
                if (!point)
                    scale++;
            }
            else if (c == '.' && !point)
            {
                point = true;
            }
            else if (c == ',' && !point && anyDigit)
            {
                // thousands separator (AllowThousands is part of double.Parse's default style)
            }
            else
            {
                break;
            }
        }
        if (!anyDigit)
            return false;
        if (i < end && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            bool expNegative = false;
            if (i < end && (s[i] == '-' || s[i] == '+'))
            {
                expNegative = s[i] == '-';
                i++;
            }
            if (i >= end)
                return false;
            int exponent = 0;
            for (; i < end; i++)
            {
                uint digit = (uint)(s[i] - '0');
                if (digit > 9)
                    return false;
                if (exponent < 100_000)
                    exponent = exponent * 10 + (int)digit;
            }
            scale += expNegative ? -exponent : exponent;
        }
        if (i != end)
            return false;
        if (truncated)
            d.Digits[count++] = '1';             // something non-zero below the kept digits
        d.Count = count;
        while (d.Count > 0 && d.Digits[d.Count - 1] == '0')
            d.Count--;
        d.Scale = scale;
        value = d.Count == 0 ? 0.0 : Nearest(d);
        if (negative)
            value = -value;
        return true;
    }

    private static bool Matches(string s, int i, int end, string word)
    {
        if (end - i != word.Length)
            return false;
        for (int k = 0; k < word.Length; k++)
        {
            char a = s[i + k], b = word[k];
            if (a != b && (a | 0x20) != (b | 0x20))
                return false;
        }
        return true;
    }

    // The double nearest to the (positive, non-zero) decimal d.
    private static double Nearest(DecimalDigits d)
    {
        if (d.Scale > 310)
            return double.PositiveInfinity;
        if (d.Scale < -326)
            return 0.0;
        // Estimate from the first 19 digits.
        ulong lead = 0;
        int n = d.Count < 19 ? d.Count : 19;
        for (int k = 0; k < n; k++)
            lead = lead * 10 + (ulong)(d.Digits[k] - '0');
        // Two half-steps keep the intermediate in range for the extreme exponents.
        int power = d.Scale - n;
        double estimate = lead * Power10(power / 2) * Power10(power - power / 2);
        long bits = BitConverter.DoubleToInt64Bits(estimate);
        if (bits <= 0 || double.IsNaN(estimate))
            bits = 1;
        if (bits >= 0x7FF0000000000000L)
            bits = 0x7FEFFFFFFFFFFFFFL;
        for (int round = 0; round < 4096; round++)
        {
            int exponentField = (int)(bits >> 52);
            ulong fraction = (ulong)bits & 0xFFFFFFFFFFFFFUL;
            ulong m = exponentField == 0 ? fraction : fraction | (1UL << 52);
            int e = exponentField == 0 ? -1074 : exponentField - 1075;
            bool odd = (m & 1) == 1;
            DecimalDigits high = DecimalDigits.Exact(2 * m + 1, e - 1, false);
            int ch = DecimalDigits.CompareMagnitude(d, high);
            if (ch > 0 || (ch == 0 && odd))
            {
                if (bits == 0x7FEFFFFFFFFFFFFFL)
                    return double.PositiveInfinity;
                bits++;
                continue;
            }
            bool lowerHalf = fraction == 0 && exponentField > 1;
            DecimalDigits low = lowerHalf ? DecimalDigits.Exact(4 * m - 1, e - 2, false) : DecimalDigits.Exact(2 * m - 1, e - 1, false);
            int cl = DecimalDigits.CompareMagnitude(d, low);
            if (cl < 0 || (cl == 0 && odd))
            {
                if (bits == 1)
                    return 0.0;
                bits--;
                continue;
            }
            break;
        }
        return BitConverter.Int64BitsToDouble(bits);
    }

    private static double Power10(int exponent)
    {
        double result = 1;
        double step = 1e22;
        int left = exponent < 0 ? -exponent : exponent;
        while (left >= 22)
        {
            result = exponent < 0 ? result / step : result * step;
            left -= 22;
        }
        double small = 1;
        for (int k = 0; k < left; k++)
            small *= 10;
        return exponent < 0 ? result / small : result * small;
    }
}
