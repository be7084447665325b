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
