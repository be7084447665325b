// Formatting integers, hex and padded text without allocation (into any ICharSink) or into a
// new string. The console, StringBuilder and panics all use these.
namespace ParaKit.Kernel;

/// <summary>Something that accepts characters one at a time.</summary>
public interface ICharSink
{
    void Put(char c);
}

public static unsafe class Format
{
    public static void Decimal<TSink>(long value, TSink sink) where TSink : ICharSink
    {
        if (value < 0)
        {
            sink.Put('-');
            Decimal(unchecked((ulong)(-value)), sink);
            return;
        }
        Decimal((ulong)value, sink);
    }

    public static void Decimal<TSink>(ulong value, TSink sink) where TSink : ICharSink
    {
        char* digits = stackalloc char[20];
        int count = 0;
        do
        {
            digits[count++] = (char)('0' + (int)(value % 10));
            value /= 10;
        }
        while (value != 0);
        while (count > 0)
            sink.Put(digits[--count]);
    }

    public static void Hex<TSink>(ulong value, int minDigits, TSink sink) where TSink : ICharSink
    {
        sink.Put('0');
        sink.Put('x');
        HexDigits(value, minDigits, sink);
    }

    public static void HexDigits<TSink>(ulong value, int minDigits, TSink sink) where TSink : ICharSink
    {
        int digits = 1;
        for (ulong v = value >> 4; v != 0; v >>= 4)
            digits++;
        if (digits < minDigits)
            digits = minDigits;
        for (int i = digits - 1; i >= 0; i--)
        {
            int nibble = (int)((value >> (i * 4)) & 0xF);
            sink.Put((char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10));
        }
    }

    /// <summary>Decimal text of a signed integer.</summary>
    public static string ToDecimal(long value)
    {
        var builder = new StringBuilder();
        builder.Append(value);
        return builder.ToString();
    }

    /// <summary>0x-prefixed hex text.</summary>
    public static string ToHex(ulong value, int minDigits = 1)
    {
        var builder = new StringBuilder();
        builder.AppendHex(value, minDigits);
        return builder.ToString();
    }

    /// <summary>Right-aligns <paramref name="text"/> in a field of <paramref name="width"/> characters.</summary>
    public static string PadLeft(string text, int width, char fill = ' ')
    {
        if (text.Length >= width)
            return text;
        return new string(fill, width - text.Length) + text;
    }

    /// <summary>Parses an unsigned decimal integer; false on empty input, a non-digit or overflow.</summary>
    public static bool TryParseUInt64(string text, out ulong value)
    {
        value = 0;
        if (text.Length == 0)
            return false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < '0' || c > '9')
                return false;
            ulong digit = (ulong)(c - '0');
            if (value > (ulong.MaxValue - digit) / 10)
                return false;
            value = value * 10 + digit;
        }
        return true;
    }
}
