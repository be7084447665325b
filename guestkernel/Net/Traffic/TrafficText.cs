// Numbers for the traffic apps' report lines: rates from counts and nanoseconds, fixed-point
// decimals with a stable format (bench scripts parse these lines), and key=value arguments.
using System;

namespace ParaKit.Net.Traffic;

public static unsafe class TrafficText
{
    /// <summary>Events per second, rounded (0 when no time has passed).</summary>
    public static ulong PerSecond(ulong count, ulong ns) => ns == 0 ? 0 : (ulong)((double)count * 1e9 / ns + 0.5);

    /// <summary>Gigabits per second of <paramref name="bytes"/> moved in <paramref name="ns"/>
    /// (frame bytes as handed to the device: no preamble, FCS or inter-frame gap).</summary>
    public static double Gbps(ulong bytes, ulong ns) => ns == 0 ? 0 : (double)bytes * 8 / ns;

    /// <summary>A non-negative value with exactly <paramref name="decimals"/> digits after the
    /// point, rounded half up ("12.340"); negative values print as 0.</summary>
    public static string Fixed(double value, int decimals)
    {
        if (decimals < 0)
            decimals = 0;
        if (decimals > 9)
            decimals = 9;
        ulong scale = 1;
        for (int i = 0; i < decimals; i++)
            scale *= 10;
        if (!(value > 0))
            value = 0;
        if (value > 1.8e19 / scale)
            value = 1.8e19 / scale;   // keep the scaled value inside a ulong
        ulong scaled = (ulong)(value * scale + 0.5);
        return Fixed(scaled, decimals);
    }

    /// <summary><paramref name="scaled"/> / 10^decimals as text ("1234", 3 -> "1.234").</summary>
    public static string Fixed(ulong scaled, int decimals)
    {
        char* buffer = stackalloc char[32];
        int n = 0;
        int digits = 0;
        do
        {
            if (digits == decimals && decimals > 0)
                buffer[31 - n++] = '.';
            buffer[31 - n++] = (char)('0' + (int)(scaled % 10));
            scaled /= 10;
            digits++;
        }
        while (scaled != 0 || digits <= decimals);
        return new string(buffer, 32 - n, n);
    }

    /// <summary>Nanoseconds as microseconds with one decimal ("12.3").</summary>
    public static string Micros(ulong ns) => Fixed((ns + 50) / 100, 1);

    /// <summary>Splits "key=value" (the key non-empty); false for anything else.</summary>
    public static bool TrySplit(string arg, out string key, out string value)
    {
        int eq = arg.IndexOf('=');
        if (eq <= 0)
        {
            key = "";
            value = "";
            return false;
        }
        key = arg.Substring(0, eq);
        value = arg.Substring(eq + 1);
        return true;
    }

    /// <summary>An unsigned decimal, as the kernel's Format parses it (host tests have no Format).</summary>
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

    /// <summary>A dotted IPv4 address ("10.0.0.2") as an integer.</summary>
    public static bool TryParseIpv4(string text, out uint ip)
    {
        ip = 0;
        int part = 0, digits = 0;
        uint octet = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : '.';
            if (c == '.')
            {
                if (digits == 0 || part == 4)
                    return false;
                ip = (ip << 8) | octet;
                part++;
                octet = 0;
                digits = 0;
            }
            else if (c >= '0' && c <= '9' && digits < 3)
            {
                octet = octet * 10 + (uint)(c - '0');
                digits++;
                if (octet > 255)
                    return false;
            }
            else
            {
                return false;
            }
        }
        return part == 4;
    }
}
