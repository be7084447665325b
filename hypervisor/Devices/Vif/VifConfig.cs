// One `vif = [ '...' ]` entry of an xl.cfg file (xl-network-configuration(5)): comma-separated
// key=value pairs. ParaKit understands mac, bridge, ip, gateway, mtu, vifname and model (model=e1000
// makes the entry an emulated Intel 82540EM, Devices/E1000, instead of a netback); backend and type
// are accepted only with the values ParaKit supports. A key it does not know is an error, not a
// silent no-op, as for the file's own keys.
using System.Globalization;

namespace ParaKit.Hypervisor.Devices.Vif;

/// <summary>What kind of NIC a vif entry gives the guest.</summary>
public enum NicModel
{
    /// <summary>Xen's split driver: netfront in the guest, netback in domain 0.</summary>
    Netfront,
    /// <summary>An emulated Intel 82540EM (trap-and-emulate, Devices/E1000).</summary>
    E1000,
}

public sealed record VifConfig
{
    /// <summary>The in-process switch a vif joins when the entry names none (xl's default is xenbr0).</summary>
    public const string DefaultBridge = "sw0";

    public static readonly string[] AllowedKeys = ["mac", "bridge", "ip", "gateway", "mtu", "vifname", "backend", "type", "model"];

    /// <summary>Position in the domain's vif list: the device id (device/vif/N).</summary>
    public int Index { get; init; }
    /// <summary>The guest's MAC; null means derived from the domain id and index at attach.</summary>
    public MacAddress? Mac { get; init; }
    public string Bridge { get; init; } = DefaultBridge;
    /// <summary>The guest's IPv4 address, A.B.C.D or A.B.C.D/PREFIX: written to the backend
    /// directory as `ip` (as libxl does), where the guest's kernel reads it to configure its stack.</summary>
    public string? Ip { get; init; }
    /// <summary>The guest's default gateway, A.B.C.D: written next to `ip` as `gateway` (ParaKit's
    /// key; libxl's gatewaydev names a host device for vif-route, not an address for the guest).</summary>
    public string? Gateway { get; init; }
    public int Mtu { get; init; } = 1500;
    /// <summary>Name of the backend port (default vif&lt;domid&gt;.&lt;index&gt;).</summary>
    public string? VifName { get; init; }
    /// <summary>The NIC the guest sees: a netfront (the default) or an emulated e1000 (model=e1000).</summary>
    public NicModel Model { get; init; } = NicModel.Netfront;

    /// <summary>Parses one entry. <paramref name="where"/> prefixes errors ("file.cfg:3").</summary>
    public static VifConfig Parse(string spec, int index, string where)
    {
        var cfg = new VifConfig { Index = index };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string raw in spec.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0)
                continue;
            int eq = raw.IndexOf('=');
            string key = eq < 0 ? raw : raw[..eq].Trim();
            string value = eq < 0 ? "" : raw[(eq + 1)..].Trim();
            string what = $"{where}: vif {index} ('{spec}')";
            if (!AllowedKeys.Contains(key))
                throw new Config.ConfigException($"{what}: unknown vif key '{key}' (allowed: {string.Join(", ", AllowedKeys)})");
            if (eq < 0 || value.Length == 0)
                throw new Config.ConfigException($"{what}: {key} needs a value ({key}=...)");
            if (!seen.Add(key))
                throw new Config.ConfigException($"{what}: {key} is given twice");
            cfg = key switch
            {
                "mac" => cfg with { Mac = MacAddress.TryParse(value, out var mac) && !mac.IsMulticast ? mac : throw new Config.ConfigException($"{what}: mac must be a unicast address like 00:16:3e:01:02:03, got '{value}'") },
                "bridge" => cfg with { Bridge = ValidName(value) ? value : throw new Config.ConfigException($"{what}: bridge must be 1-15 characters of letters, digits, '-', '_' or '.', got '{value}'") },
                "ip" => cfg with { Ip = Ipv4Text.IsAddress(value, prefixAllowed: true) ? value : throw new Config.ConfigException($"{what}: ip must be one IPv4 address, optionally with a prefix length (10.0.0.2 or 10.0.0.2/24), got '{value}'") },
                "gateway" => cfg with { Gateway = Ipv4Text.IsAddress(value, prefixAllowed: false) ? value : throw new Config.ConfigException($"{what}: gateway must be an IPv4 address like 10.0.0.1, got '{value}'") },
                "mtu" => cfg with { Mtu = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int mtu) && mtu is >= 68 and <= 65517 - 18 ? mtu : throw new Config.ConfigException($"{what}: mtu must be a whole number from 68 to 65499, got '{value}'") },
                "vifname" => cfg with { VifName = ValidName(value) ? value : throw new Config.ConfigException($"{what}: vifname must be 1-15 characters of letters, digits, '-', '_' or '.', got '{value}'") },
                "backend" => value is "0" or "Domain-0" ? cfg : throw new Config.ConfigException($"{what}: backend must be 0 (domain 0 runs every backend), got '{value}'"),
                "type" => value is "vif" or "ioemu" ? cfg : throw new Config.ConfigException($"{what}: type must be 'vif' or 'ioemu' (the emulated NIC is chosen with model=e1000), got '{value}'"),
                "model" => value is "e1000" ? cfg with { Model = NicModel.E1000 } : throw new Config.ConfigException($"{what}: model must be e1000 (the emulated Intel 82540EM; leave model out for a paravirtual netfront), got '{value}'"),
                _ => cfg,
            };
        }
        return cfg;
    }

    /// <summary>Like a Linux interface name (IFNAMSIZ 16 with the nul), so a bridge can later be a real one.</summary>
    private static bool ValidName(string s) =>
        s.Length is >= 1 and <= 15 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The MAC this vif has in domain <paramref name="domid"/>: the configured one, else
    /// 00:16:3e (Xen's OUI) followed by the domain id and the vif index.</summary>
    public MacAddress MacFor(uint domid) => Mac ?? new MacAddress(0x00, 0x16, 0x3e, (byte)(domid >> 8), (byte)domid, (byte)Index);

    /// <summary>The backend port name: vifname, else vif&lt;domid&gt;.&lt;index&gt; (as xl names it).</summary>
    public string NameFor(uint domid) => VifName ?? $"vif{domid.ToString(CultureInfo.InvariantCulture)}.{Index.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Checks of the dotted-quad text the vif keys carry (the guest parses the same text).</summary>
public static class Ipv4Text
{
    /// <summary>A.B.C.D (each 0-255, no leading zeros, not 0.0.0.0), with /N (1-32) if allowed.</summary>
    public static bool IsAddress(string s, bool prefixAllowed)
    {
        int slash = s.IndexOf('/');
        if (slash >= 0)
        {
            if (!prefixAllowed || !int.TryParse(s.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 32 || s[(slash + 1)..] != p.ToString(CultureInfo.InvariantCulture))
                return false;
            s = s[..slash];
        }
        string[] parts = s.Split('.');
        if (parts.Length != 4)
            return false;
        bool allZero = true;
        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int b) || b > 255)
                return false;
            allZero &= b == 0;
        }
        return !allZero;
    }
}
