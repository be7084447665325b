// A 48-bit Ethernet address as a value: parsed from and printed as "00:16:3e:01:02:03", as xl.cfg,
// the XenStore "mac" key and tcpdump write it.
using System.Globalization;

namespace ParaKit.Hypervisor.Devices.Vif;

public readonly record struct MacAddress(byte B0, byte B1, byte B2, byte B3, byte B4, byte B5)
{
    public static bool TryParse(string s, out MacAddress mac)
    {
        mac = default;
        string[] parts = s.Split(':');
        if (parts.Length != 6)
            return false;
        Span<byte> b = stackalloc byte[6];
        for (int i = 0; i < 6; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out b[i]))
                return false;
        }
        mac = new MacAddress(b[0], b[1], b[2], b[3], b[4], b[5]);
        return true;
    }

    /// <summary>Multicast (group) bit: not usable as a station address.</summary>
    public bool IsMulticast => (B0 & 1) != 0;

    public override string ToString() => $"{B0:x2}:{B1:x2}:{B2:x2}:{B3:x2}:{B4:x2}:{B5:x2}";
}
