// Domain 0's side of the vif xenbus handshake (io/netif.h, as Linux netback does it): advertise
// features and go InitWait, then, once the frontend is Connected, read and check the keys it
// wrote (ring refs, event channel, request-rx-copy). Frontend keys are guest data: a missing or
// malformed one is a status, never an exception.
using System.Globalization;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Devices.Vif;

/// <summary>What netfront wrote under its device directory. <paramref name="RxGso"/>: feature-sg and
/// feature-gso-tcpv4 (super-frames on RX); <paramref name="NoChecksumOffload"/>: feature-no-csum-offload
/// (it cannot take csum_blank frames).</summary>
public readonly record struct VifFrontendKeys(uint TxRingRef, uint RxRingRef, uint EventChannel, bool RxNotify = false,
    bool RxGso = false, bool NoChecksumOffload = false);

/// <summary>Verdict on the frontend's keys.</summary>
public enum VifFrontendCheck
{
    Ok = 0,
    /// <summary>tx-ring-ref, rx-ring-ref or event-channel is absent (or unreadable).</summary>
    MissingKey = 1,
    /// <summary>A key is not a decimal number in range.</summary>
    BadNumber = 2,
    /// <summary>The frontend did not ask for copy mode (request-rx-copy=1); flipping is not offered.</summary>
    NoRxCopy = 3,
}

public static class VifXenbus
{
    /// <summary>What the toolstack writes when it attaches the vif, as libxl does: mac and handle
    /// in both directories; bridge, mtu, type, and when configured ip, vifname (libxl's keys) and
    /// gateway (ParaKit's) in the backend's. The guest's kernel reads ip and gateway from there.</summary>
    public static (Dictionary<string, string> Frontend, Dictionary<string, string> Backend) DirectoryKeys(VifConfig config, MacAddress mac)
    {
        string macText = mac.ToString();
        string handle = config.Index.ToString(CultureInfo.InvariantCulture);
        var front = new Dictionary<string, string> { ["mac"] = macText, ["handle"] = handle };
        var back = new Dictionary<string, string>
        {
            ["mac"] = macText,
            ["handle"] = handle,
            ["bridge"] = config.Bridge,
            ["mtu"] = config.Mtu.ToString(CultureInfo.InvariantCulture),
            ["type"] = "vif",
        };
        if (config.Ip is { } ip)
            back["ip"] = ip;
        if (config.Gateway is { } gateway)
            back["gateway"] = gateway;
        if (config.VifName is { } vifname)
            back["vifname"] = vifname;
        return (front, back);
    }

    /// <summary>Writes the backend's features (copy mode, scatter-gather and TCPv4 GSO; no flip)
    /// and moves the backend to InitWait, in one transaction (retried on EAGAIN).</summary>
    public static XsError AdvertiseFeatures(LocalStoreClient xs, string backendDir)
    {
        return xs.InTransaction(tx =>
        {
            foreach (var (k, v) in Features)
            {
                XsError e = xs.Write(backendDir + "/" + k, v, tx);
                if (e != XsError.None)
                    return e;
            }
            return xs.Write(backendDir + "/state", StateText(XenbusState.InitWait), tx);
        });
    }

    private static readonly (string Key, string Value)[] Features =
    [
        ("feature-rx-copy", "1"),
        ("feature-rx-flip", "0"),
        ("feature-sg", "1"),
        ("feature-gso-tcpv4", "1"),
        ("feature-split-event-channels", "0"),
    ];

    /// <summary>Moves one side's state node.</summary>
    public static XsError SetState(LocalStoreClient xs, string dir, XenbusState state) => xs.Write(dir + "/state", StateText(state));

    /// <summary>The state a directory's state node holds; Unknown if absent or not a number.</summary>
    public static XenbusState ReadState(LocalStoreClient xs, string dir) =>
        uint.TryParse(xs.Read(dir + "/state"), NumberStyles.None, CultureInfo.InvariantCulture, out uint s) && s <= (uint)XenbusState.Reconfigured
            ? (XenbusState)s : XenbusState.Unknown;

    /// <summary>Reads and checks the frontend's keys (call when it is Connected or Initialised).</summary>
    public static VifFrontendCheck ReadFrontend(LocalStoreClient xs, string frontendDir, out VifFrontendKeys keys)
    {
        keys = default;
        string? tx = xs.Read(frontendDir + "/tx-ring-ref");
        string? rx = xs.Read(frontendDir + "/rx-ring-ref");
        string? ev = xs.Read(frontendDir + "/event-channel");
        if (tx is null || rx is null || ev is null)
            return VifFrontendCheck.MissingKey;
        if (!Number(tx, out uint txRef) || !Number(rx, out uint rxRef) || !Number(ev, out uint port))
            return VifFrontendCheck.BadNumber;
        if (xs.Read(frontendDir + "/request-rx-copy") != "1")
            return VifFrontendCheck.NoRxCopy;
        keys = new VifFrontendKeys(txRef, rxRef, port, xs.Read(frontendDir + "/feature-rx-notify") == "1",
            RxGso: xs.Read(frontendDir + "/feature-sg") == "1" && xs.Read(frontendDir + "/feature-gso-tcpv4") == "1",
            NoChecksumOffload: xs.Read(frontendDir + "/feature-no-csum-offload") == "1");
        return VifFrontendCheck.Ok;
    }

    private static bool Number(string s, out uint value) =>
        uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static string StateText(XenbusState s) => ((uint)s).ToString(CultureInfo.InvariantCulture);
}
