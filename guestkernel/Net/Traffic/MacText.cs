// MAC addresses as text ("00:16:3e:00:00:01", as xl.cfg and the XenStore write them) to and
// from the 48-bit integers the traffic code uses, without building intermediate strings.
using System;

namespace ParaKit.Net.Traffic;

public static unsafe class MacText
{
    /// <summary>"aa:bb:cc:dd:ee:ff" is 17 characters.</summary>
    public const int Length = 17;
    public const ulong Broadcast = 0xFFFF_FFFF_FFFF;

    /// <summary>Parses six two-digit hex bytes separated by ':' or '-' (either case); 0 on failure.</summary>
    public static bool TryParse(string? text, out ulong mac)
    {
        mac = 0;
        if (text is null || text.Length != Length)
            return false;
        char separator = text[2];
        if (separator != ':' && separator != '-')
            return false;
        ulong value = 0;
        for (int i = 0; i < 6; i++)
        {
            int at = i * 3;
            int hi = HexValue(text[at]), lo = HexValue(text[at + 1]);
            if (hi < 0 || lo < 0)
                return false;
            if (i < 5 && text[at + 2] != separator)
                return false;
            value = (value << 8) | (uint)(hi << 4 | lo);
        }
        mac = value;
        return true;
    }

    /// <summary>Writes the lower-case text into <paramref name="dest"/>; returns the number of
    /// characters written (17), or 0 if it does not fit.</summary>
    public static int Format(ulong mac, Span<char> dest)
    {
        if (dest.Length < Length)
            return 0;
        for (int i = 0; i < 6; i++)
        {
            int b = (int)(mac >> (8 * (5 - i))) & 0xFF;
            dest[i * 3] = HexDigit(b >> 4);
            dest[i * 3 + 1] = HexDigit(b & 0xF);
            if (i < 5)
                dest[i * 3 + 2] = ':';
        }
        return Length;
    }

    /// <summary>The text as one new string (for reports, not for per-frame paths).</summary>
    public static string ToText(ulong mac)
    {
        char* buffer = stackalloc char[Length];
        Format(mac, new Span<char>(buffer, Length));
        return new string(buffer, 0, Length);
    }

    /// <summary>True for group (multicast and broadcast) addresses: the I/G bit of the first byte.</summary>
    public static bool IsGroup(ulong mac) => (mac & (1UL << 40)) != 0;

    private static int HexValue(char c)
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }

    private static char HexDigit(int v) => (char)(v < 10 ? '0' + v : 'a' + v - 10);
}
