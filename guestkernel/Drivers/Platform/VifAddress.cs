// A vif's IPv4 configuration as the toolstack hands it over (the way libxl does): `ip`
// (A.B.C.D/PREFIX) and ParaKit's `gateway` (A.B.C.D) in the vif's backend directory, which the
// frontend may read. An app asks for it after Netfronts.Open; its own command line overrides.
// The store's values are domain 0's text, still checked: a bad one is an error string, never a throw.
using System;

namespace ParaKit.Drivers.Platform;

public struct VifAddress
{
    /// <summary>Host-order IPv4 address, 0 when the vif has none configured.</summary>
    public uint Address;
    public int PrefixLength;
    /// <summary>Host-order default gateway, 0 when none.</summary>
    public uint Gateway;

    public bool HasAddress => Address != 0;

    /// <summary>Reads `ip` and `gateway` from <paramref name="backendDir"/>. False with the reason
    /// when a key is present but unusable; true (maybe with no address) otherwise.</summary>
    public static bool TryRead(IStoreClient store, string backendDir, out VifAddress address, out string error)
    {
        address = default;
        error = "";
        string? ip = store.Read(backendDir + "/ip");
        string? gateway = store.Read(backendDir + "/gateway");
        if (ip != null)
        {
            if (!TryParse(ip, true, out address.Address, out address.PrefixLength))
            {
                error = "the vif's ip '" + ip + "' (" + backendDir + "/ip) is not A.B.C.D/PREFIX";
                address = default;
                return false;
            }
            if (address.PrefixLength == 0)
            {
                error = "the vif's ip '" + ip + "' has no /PREFIX: give ip=A.B.C.D/N in the vif or on the command line";
                address = default;
                return false;
            }
        }
        if (gateway != null)
        {
            if (!TryParse(gateway, false, out address.Gateway, out _))
            {
                error = "the vif's gateway '" + gateway + "' (" + backendDir + "/gateway) is not an address A.B.C.D";
                address = default;
                return false;
            }
            if (address.Address != 0 && !SameSubnet(address.Address, address.Gateway, address.PrefixLength))
            {
                error = "the vif's gateway " + gateway + " is not on its network " + ip;
                address = default;
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> share the first <paramref name="prefix"/> bits.</summary>
    public static bool SameSubnet(uint a, uint b, int prefix)
    {
        uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        return (a & mask) == (b & mask);
    }

    /// <summary>A.B.C.D, and /N (1..32) when <paramref name="prefixAllowed"/>; prefix 0 means none
    /// was given. Not 0.0.0.0.</summary>
    public static bool TryParse(string text, bool prefixAllowed, out uint address, out int prefix)
    {
        address = 0;
        prefix = 0;
        int i = 0, parts = 0;
        uint value = 0;
        while (parts < 4)
        {
            int start = i;
            uint octet = 0;
            while (i < text.Length && text[i] >= '0' && text[i] <= '9' && i - start < 3)
            {
                octet = octet * 10 + (uint)(text[i] - '0');
                i++;
            }
            if (i == start || octet > 255 || (i - start > 1 && text[start] == '0'))
                return false;
            value = value << 8 | octet;
            parts++;
            if (parts < 4)
            {
                if (i >= text.Length || text[i] != '.')
                    return false;
                i++;
            }
        }
        if (i < text.Length)
        {
            if (!prefixAllowed || text[i] != '/' || i + 1 == text.Length || text.Length - i - 1 > 2)
                return false;
            int p = 0;
            for (int j = i + 1; j < text.Length; j++)
            {
                if (text[j] < '0' || text[j] > '9')
                    return false;
                p = p * 10 + (text[j] - '0');
            }
            if (p < 1 || p > 32 || (text.Length - i - 1 == 2 && text[i + 1] == '0'))
                return false;
            prefix = p;
        }
        if (value == 0)
            return false;
        address = value;
        return true;
    }
}
