// Numeric format strings as .NET applies them with the invariant culture: standard D, X, G,
// F, N, E, P, C, R (with precision) and custom ("0.00", "#,##0", "000", "0.0E+00", "0%",
// sections "pos;neg;zero", quoted literals). Doubles print the shortest round-trip digits for
// ToString()/"R", as .NET Core 3.0+ does, and exact IEEE-correct digits for every precision.
// Pure C#: compiled into the guest runtime and into the host tests that compare it with .NET.
using System.Text;

namespace Internal.Formatting;

using System;

internal static class NumberFormatter
{
    // .NET's invariant-culture symbols.
    private const string NaNSymbol = "NaN";
    private const string PositiveInfinity = "Infinity";
    private const string NegativeInfinity = "-Infinity";

    public static string FormatInt64(long value, string? format, int byteWidth = 8)
    {
        ulong magnitude = value < 0 ? unchecked(0 - (ulong)value) : (ulong)value;
        ulong raw = byteWidth == 8 ? (ulong)value : (ulong)value & ((1UL << (byteWidth * 8)) - 1);
        return FormatInteger(magnitude, value < 0, raw, format);
    }

    public static string FormatUInt64(ulong value, string? format) => FormatInteger(value, false, value, format);

    /// <summary>Decimal digits without a format (the common case; no digit object).</summary>
    public static string Decimal(ulong magnitude, bool negative)
    {
        Span<char> buffer = stackalloc char[24];
        int at = WriteDecimal(magnitude, negative, buffer);
        return new string(buffer.Slice(at));
    }

    /// <summary>Writes right-aligned decimal text into <paramref name="buffer"/> (24 chars);
    /// returns where it starts.</summary>
    public static int WriteDecimal(ulong magnitude, bool negative, Span<char> buffer)
    {
        int at = buffer.Length;
        do
        {
            buffer[--at] = (char)('0' + (int)(magnitude % 10));
            magnitude /= 10;
        }
        while (magnitude != 0);
        if (negative)
            buffer[--at] = '-';
        return at;
    }

    private static string FormatInteger(ulong magnitude, bool negative, ulong raw, string? format)
    {
        if (format == null || format.Length == 0)
            return Decimal(magnitude, negative);
        if (!ParseStandard(format, out char fmt, out int precision))
            return FormatCustom(DecimalDigits.FromUInt64(magnitude, negative), format, isFloat: false);
        switch (fmt)
        {
            case 'D':
            case 'd':
            {
                string digits = Decimal(magnitude, false);
                if (precision > digits.Length)
                    digits = new string('0', precision - digits.Length) + digits;
                return negative ? "-" + digits : digits;
            }
            case 'X':
            case 'x':
                return Hex(raw, precision, fmt == 'X');
            case 'G':
            case 'g':
            case 'R':
            case 'r':
            {
                if (precision <= 0 || fmt == 'R' || fmt == 'r')
                    return Decimal(magnitude, negative);
                var d = DecimalDigits.FromUInt64(magnitude, negative);
                d.RoundAt(precision, halfEven: false);
                return General(d, precision, fmt == 'g' ? 'e' : 'E', trimSign: false);
            }
            default:
                return FormatStandard(DecimalDigits.FromUInt64(magnitude, negative), fmt, precision, halfEven: false);
        }
    }

    public static string Hex(ulong value, int minDigits, bool upper)
    {
        Span<char> buffer = stackalloc char[16];
        int at = 16;
        do
        {
            int nibble = (int)(value & 0xF);
            buffer[--at] = (char)(nibble < 10 ? '0' + nibble : (upper ? 'A' : 'a') + nibble - 10);
            value >>= 4;
        }
        while (value != 0);
        string text = new string(buffer.Slice(at));
        return minDigits > text.Length ? new string('0', minDigits - text.Length) + text : text;
    }

    public static string FormatDouble(double value, string? format)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        bool negative = bits < 0;
        int exponent = (int)((bits >> 52) & 0x7FF);
        ulong fraction = (ulong)bits & 0xFFFFFFFFFFFFFUL;
        if (exponent == 0x7FF)
            return fraction != 0 ? NaNSymbol : negative ? NegativeInfinity : PositiveInfinity;
        ulong mantissa = exponent == 0 ? fraction : fraction | (1UL << 52);
        int binaryExponent = exponent == 0 ? -1074 : exponent - 1075;
        return FormatFloat(mantissa, binaryExponent, fraction == 0 && exponent > 1, negative, format, 17, 15);
    }

    public static string FormatSingle(float value, string? format)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        bool negative = bits < 0;
        int exponent = (bits >> 23) & 0xFF;
        ulong fraction = (ulong)(bits & 0x7FFFFF);
        if (exponent == 0xFF)
            return fraction != 0 ? NaNSymbol : negative ? NegativeInfinity : PositiveInfinity;
        ulong mantissa = exponent == 0 ? fraction : fraction | (1UL << 23);
        int binaryExponent = exponent == 0 ? -149 : exponent - 150;
        return FormatFloat(mantissa, binaryExponent, fraction == 0 && exponent > 1, negative, format, 9, 7);
    }

    private static string FormatFloat(ulong mantissa, int binaryExponent, bool lowerGapIsHalf, bool negative,
                                      string? format, int roundTripDigits, int customDigits)
    {
        char fmt = 'R';
        int precision = -1;
        if (format != null && format.Length > 0 && !ParseStandard(format, out fmt, out precision))
        {
            DecimalDigits c = DecimalDigits.Exact(mantissa, binaryExponent, negative);
            c.RoundAt(customDigits, halfEven: true);
            return FormatCustom(c, format, isFloat: true);
        }
        switch (fmt)
        {
            case 'R':
            case 'r':
            case 'G':
            case 'g':
            {
                char e = fmt == 'g' || fmt == 'r' ? 'e' : 'E';
                if (precision <= 0 || fmt == 'R' || fmt == 'r')
                {
                    DecimalDigits s = DecimalDigits.Shortest(mantissa, binaryExponent, lowerGapIsHalf, negative);
                    return General(s, s.Count > roundTripDigits ? s.Count : roundTripDigits, e, trimSign: false);
                }
                DecimalDigits d = DecimalDigits.Exact(mantissa, binaryExponent, negative);
                d.RoundAt(precision, halfEven: true);
                return General(d, precision, e, trimSign: false);
            }
            case 'D':
            case 'd':
            case 'X':
            case 'x':
                throw new FormatException("Format specifier was invalid: '" + fmt.ToString() + "' applies to integers only.");
            default:
                return FormatStandard(DecimalDigits.Exact(mantissa, binaryExponent, negative), fmt, precision, halfEven: true);
        }
    }

    // A letter and at most 9 digits is a standard format; anything else is custom.
    private static bool ParseStandard(string format, out char fmt, out int precision)
    {
        fmt = format[0];
        precision = -1;
        if (!((fmt >= 'A' && fmt <= 'Z') || (fmt >= 'a' && fmt <= 'z')))
            return false;
        if (format.Length == 1)
            return true;
        if (format.Length > 10)
            return false;
        int p = 0;
        for (int i = 1; i < format.Length; i++)
        {
            char c = format[i];
            if (c < '0' || c > '9')
                return false;
            p = p * 10 + (c - '0');
        }
        precision = p;
        return true;
    }

    private static string FormatStandard(DecimalDigits d, char fmt, int precision, bool halfEven)
    {
        var sb = new StringBuilder();
        switch (fmt)
        {
            case 'F':
            case 'f':
            case 'N':
            case 'n':
            {
                if (precision < 0)
                    precision = 2;
                d.RoundAt(d.Scale + precision, halfEven);
                AppendSign(sb, d);
                AppendFixed(sb, d, precision, fmt == 'N' || fmt == 'n');
                return sb.ToString();
            }
            case 'P':
            case 'p':
            {
                if (precision < 0)
                    precision = 2;
                if (!d.IsZero)
                    d.Scale += 2;
                d.RoundAt(d.Scale + precision, halfEven);
                AppendSign(sb, d);
                AppendFixed(sb, d, precision, grouped: true);
                sb.Append(" %");
                return sb.ToString();
            }
            case 'C':
            case 'c':
            {
                if (precision < 0)
                    precision = 2;
                d.RoundAt(d.Scale + precision, halfEven);
                bool negative = d.Negative && (!d.IsZero || halfEven);
                if (negative)
                    sb.Append('(');
                sb.Append('\u00A4');
                AppendFixed(sb, d, precision, grouped: true);
                if (negative)
                    sb.Append(')');
                return sb.ToString();
            }
            case 'E':
            case 'e':
            {
                if (precision < 0)
                    precision = 6;
                d.RoundAt(precision + 1, halfEven);
                AppendSign(sb, d);
                AppendScientific(sb, d, precision, fmt, 3);
                return sb.ToString();
            }
            default:
                throw new FormatException("Format specifier was invalid: '" + fmt.ToString() + "' is not a standard numeric format (D, X, G, F, N, E, P, C, R) and has no digit placeholders.");
        }
    }

    private static void AppendSign(StringBuilder sb, DecimalDigits d)
    {
        // Integers that round to zero lose their sign; floating-point values keep it ("-0.00").
        if (d.Negative)
            sb.Append('-');
    }

    private static void AppendFixed(StringBuilder sb, DecimalDigits d, int decimals, bool grouped)
    {
        int intDigits = d.Scale > 0 ? d.Scale : 1;
        for (int i = 0; i < intDigits; i++)
        {
            if (grouped && i > 0 && (intDigits - i) % 3 == 0)
                sb.Append(',');
            sb.Append(d.Scale > 0 ? d.DigitAt(i) : '0');
        }
        if (decimals > 0)
        {
            sb.Append('.');
            for (int j = 0; j < decimals; j++)
            {
                int pos = d.Scale + j;
                sb.Append(pos < 0 ? '0' : d.DigitAt(pos));
            }
        }
    }

    private static void AppendScientific(StringBuilder sb, DecimalDigits d, int decimals, char e, int minExponentDigits)
    {
        sb.Append(d.IsZero ? '0' : d.DigitAt(0));
        if (decimals > 0)
        {
            sb.Append('.');
            for (int j = 1; j <= decimals; j++)
                sb.Append(d.DigitAt(j));
        }
        int exponent = d.IsZero ? 0 : d.Scale - 1;
        AppendExponent(sb, e, exponent, minExponentDigits, alwaysSign: true);
    }

    private static void AppendExponent(StringBuilder sb, char e, int exponent, int minDigits, bool alwaysSign)
    {
        sb.Append(e);
        if (exponent < 0)
            sb.Append('-');
        else if (alwaysSign)
            sb.Append('+');
        string text = Decimal((ulong)(exponent < 0 ? -exponent : exponent), false);
        for (int i = text.Length; i < minDigits; i++)
            sb.Append('0');
        sb.Append(text);
    }

    // "G": fixed unless the exponent is beyond the precision or below -5, trailing zeros dropped.
    private static string General(DecimalDigits d, int maxDigits, char e, bool trimSign)
    {
        var sb = new StringBuilder();
        if (d.Negative && !trimSign)
            sb.Append('-');
        int digPos = d.Scale;
        bool scientific = false;
        if (!d.IsZero && (digPos > maxDigits || digPos < -3))
        {
            digPos = 1;
            scientific = true;
        }
        int next = 0;
        if (digPos > 0)
        {
            for (int i = 0; i < digPos; i++)
                sb.Append(d.DigitAt(next++));
        }
        else
        {
            sb.Append('0');
        }
        if (next < d.Count || digPos < 0)
        {
            sb.Append('.');
            for (int i = digPos; i < 0; i++)
                sb.Append('0');
            while (next < d.Count)
                sb.Append(d.Digits[next++]);
        }
        if (scientific)
            AppendExponent(sb, e, d.Scale - 1, 2, alwaysSign: true);
        return sb.ToString();
    }

    // ---- custom formats ---------------------------------------------------------------------

    private static string FormatCustom(DecimalDigits d, string format, bool isFloat)
    {
        int section = d.IsZero ? 2 : d.Negative ? 1 : 0;
        int start = FindSection(format, section, out int end, out bool found);
        int used = found ? section : 0;
        var layout = CustomLayout.Parse(format, start, end);
        DecimalDigits work = d.Clone();
        layout.Round(work);
        if (work.IsZero && !d.IsZero && used != 2)
        {
            // Rounded to zero: the zero section takes over, else the first one (as .NET).
            start = FindSection(format, 2, out end, out bool zeroFound);
            used = zeroFound ? 2 : 0;
            layout = CustomLayout.Parse(format, start, end);
            work = d.Clone();
            layout.Round(work);
        }
        var body = new StringBuilder();
        layout.Emit(body, work, format, start, end);
        string text = body.ToString();
        // The first section prints the sign itself: for a negative double even when it rounded
        // to zero ("-0.00"), never for an integer that did, never when no digit was printed.
        if (work.Negative && used == 0 && (isFloat || !work.IsZero) && HasDigit(text))
            return "-" + text;
        return text;
    }

    private static bool HasDigit(string text)
    {
        for (int i = 0; i < text.Length; i++)
            if (text[i] >= '0' && text[i] <= '9')
                return true;
        return false;
    }

    // Finds section n (0, 1, 2) of "pos;neg;zero"; falls back to section 0 when it is missing or empty.
    private static int FindSection(string format, int n, out int end, out bool found)
    {
        int sectionStart = 0, index = 0;
        int[] starts = new int[4];
        int[] ends = new int[4];
        starts[0] = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '\\')
            {
                i++;
            }
            else if (c == '\'' || c == '"')
            {
                int close = format.IndexOf(c, i + 1);
                i = close < 0 ? format.Length : close;
            }
            else if (c == ';' && index < 2)
            {
                ends[index] = i;
                index++;
                sectionStart = i + 1;
                starts[index] = sectionStart;
            }
        }
        ends[index] = format.Length;
        if (n <= index && ends[n] > starts[n])
        {
            found = n > 0;
            end = ends[n];
            return starts[n];
        }
        found = false;
        end = ends[0];
        return 0;
    }

    /// <summary>What one section of a custom format asks for.</summary>
    private sealed class CustomLayout
    {
        public int IntegerPlaceholders;     // '0' and '#' before the point
        public int FirstZero = -1;          // index (among integer placeholders) of the first '0'
        public int FractionPlaceholders;
        public int LastFractionZero;        // how many fraction digits are always printed
        public bool HasPoint;
        public bool Grouping;
        public int ScaleShift;              // +2 per '%', +3 per '‰', -3 per scaling comma
        public bool Scientific;
        public int ExponentDigits;
        public bool ExponentAlwaysSign;

        public static CustomLayout Parse(string format, int start, int end)
        {
            var l = new CustomLayout();
            bool afterPoint = false;
            int pendingCommas = 0;
            bool sawDigit = false;
            for (int i = start; i < end; i++)
            {
                char c = format[i];
                switch (c)
                {
                    case '0':
                    case '#':
                        if (pendingCommas > 0 && sawDigit && !afterPoint)
                            l.Grouping = true;
                        pendingCommas = 0;
                        sawDigit = true;
                        if (afterPoint)
                        {
                            l.FractionPlaceholders++;
                            if (c == '0')
                                l.LastFractionZero = l.FractionPlaceholders;
                        }
                        else
                        {
                            if (c == '0' && l.FirstZero < 0)
                                l.FirstZero = l.IntegerPlaceholders;
                            l.IntegerPlaceholders++;
                        }
                        break;
                    case '.':
                        if (!afterPoint)
                        {
                            l.ScaleShift -= 3 * pendingCommas;
                            pendingCommas = 0;
                            afterPoint = true;
                            l.HasPoint = true;
                        }
                        break;
                    case ',':
                        if (sawDigit && !afterPoint)
                            pendingCommas++;
                        break;
                    case '%':
                        l.ScaleShift += 2;
                        break;
                    case '\u2030':
                        l.ScaleShift += 3;
                        break;
                    case 'E':
                    case 'e':
                        if (!l.Scientific && i + 1 < end && (format[i + 1] == '0' || ((format[i + 1] == '+' || format[i + 1] == '-') && i + 2 < end && format[i + 2] == '0')))
                        {
                            l.Scientific = true;
                            int j = i + 1;
                            if (format[j] == '+' || format[j] == '-')
                            {
                                l.ExponentAlwaysSign = format[j] == '+';
                                j++;
                            }
                            while (j < end && format[j] == '0')
                            {
                                l.ExponentDigits++;
                                j++;
                            }
                            i = j - 1;
                        }
                        break;
                    case '\\':
                        i++;
                        break;
                    case '\'':
                    case '"':
                    {
                        int close = format.IndexOf(c, i + 1);
                        i = close < 0 || close >= end ? end : close;
                        break;
                    }
                }
            }
            if (!afterPoint)
                l.ScaleShift -= 3 * pendingCommas;
            return l;
        }

        public void Round(DecimalDigits d)
        {
            if (d.IsZero)
                return;
            if (Scientific)
            {
                int total = IntegerPlaceholders + FractionPlaceholders;
                d.RoundAt(total > 0 ? total : 1, halfEven: false);
                return;
            }
            d.Scale += ScaleShift;
            d.RoundAt(d.Scale + FractionPlaceholders, halfEven: false);
        }

        public void Emit(StringBuilder sb, DecimalDigits d, string format, int start, int end)
        {
            // The integer digits to print, most significant first, and the fraction digits.
            int exponent = 0;
            int intCount;
            if (Scientific)
            {
                int lead = IntegerPlaceholders > 0 ? IntegerPlaceholders : 1;
                exponent = d.IsZero ? 0 : d.Scale - lead;
                intCount = lead;
            }
            else
            {
                intCount = d.Scale > 0 ? d.Scale : 0;
            }
            int pos0 = Scientific ? (d.IsZero ? 0 : d.Scale - intCount - exponent) : d.Scale - intCount; // digit index of the first integer digit
            // Minimum integer digits shown: from the first '0' placeholder on.
            int minInt = FirstZero < 0 ? 0 : IntegerPlaceholders - FirstZero;
            int shownInt = intCount > minInt ? intCount : minInt;
            if (Scientific)
                shownInt = IntegerPlaceholders;
            int fractionShown = LastFractionZero;
            for (int j = FractionPlaceholders; j > LastFractionZero; j--)
            {
                int idx = (Scientific ? intCount : d.Scale) + j - 1;
                if (!d.IsZero && idx >= 0 && idx < d.Count && d.Digits[idx] != '0')
                {
                    fractionShown = j;
                    break;
                }
            }
            int intEmitted = 0;
            int placeholder = 0;
            int fractionEmitted = 0;
            bool afterPoint = false;
            for (int i = start; i < end; i++)
            {
                char c = format[i];
                switch (c)
                {
                    case '0':
                    case '#':
                        if (!afterPoint)
                        {
                            // The first placeholder prints every digit beyond the placeholders' count.
                            int remainingPlaceholders = IntegerPlaceholders - placeholder;
                            placeholder++;
                            while (shownInt - intEmitted >= remainingPlaceholders && intEmitted < shownInt)
                            {
                                int digitIndex = intEmitted - (shownInt - intCount);   // negative: a padding zero
                                char digit = digitIndex < 0 || d.IsZero ? '0' : d.DigitAt(pos0 + digitIndex);
                                sb.Append(digit);
                                intEmitted++;
                                int left = shownInt - intEmitted;
                                if (Grouping && left > 0 && left % 3 == 0)
                                    sb.Append(',');
                            }
                        }
                        else
                        {
                            if (fractionEmitted < fractionShown)
                            {
                                int idx = (Scientific ? intCount : d.Scale) + fractionEmitted;
                                sb.Append(idx < 0 || d.IsZero ? '0' : d.DigitAt(idx));
                            }
                            fractionEmitted++;
                        }
                        break;
                    case '.':
                        if (!afterPoint)
                        {
                            afterPoint = true;
                            if (fractionShown > 0)
                                sb.Append('.');
                        }
                        break;
                    case ',':
                        break;
                    case '%':
                        sb.Append('%');
                        break;
                    case '\u2030':
                        sb.Append('\u2030');
                        break;
                    case 'E':
                    case 'e':
                        if (Scientific && i + 1 < end && (format[i + 1] == '0' || format[i + 1] == '+' || format[i + 1] == '-'))
                        {
                            int j = i + 1;
                            if (format[j] == '+' || format[j] == '-')
                                j++;
                            while (j < end && format[j] == '0')
                                j++;
                            AppendExponent(sb, c, exponent, ExponentDigits, ExponentAlwaysSign);
                            i = j - 1;
                        }
                        else
                        {
                            sb.Append(c);
                        }
                        break;
                    case '\\':
                        if (i + 1 < end)
                            sb.Append(format[++i]);
                        break;
                    case '\'':
                    case '"':
                    {
                        int close = format.IndexOf(c, i + 1);
                        int stop = close < 0 || close >= end ? end : close;
                        for (int k = i + 1; k < stop; k++)
                            sb.Append(format[k]);
                        i = stop;
                        break;
                    }
                    default:
                        sb.Append(c);
                        break;
                }
            }
        }
    }
}
