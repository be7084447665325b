// The toolstack's half of a split device (what libxl's device_add writes): a frontend
// directory under the guest's home and a backend directory under the backend domain's home,
// each pointing at the other, each readable by the peer, both in state Initialising. Backends
// and frontends then run the xenbus handshake on their own `state` nodes (io/xenbus.h).
using System.Globalization;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

/// <summary>Where a device's two directories are.</summary>
public readonly record struct XenbusDevicePaths(string Frontend, string Backend);

public static class XenbusDevices
{
    /// <summary>"/local/domain/F/device/TYPE/ID" and "/local/domain/B/backend/TYPE/F/ID".</summary>
    public static XenbusDevicePaths PathsOf(uint frontDomid, uint backDomid, string type, uint devid)
    {
        string id = devid.ToString(CultureInfo.InvariantCulture);
        return new XenbusDevicePaths(
            $"{XenStore.DomainPath(frontDomid)}/device/{type}/{id}",
            $"{XenStore.DomainPath(backDomid)}/backend/{type}/{frontDomid.ToString(CultureInfo.InvariantCulture)}/{id}");
    }

    /// <summary>Creates both directories in one transaction (retried on EAGAIN). Extra entries go
    /// into each directory (e.g. the backend's "mac" for a vif). Returns None or the store's error.</summary>
    public static XsError Add(LocalStoreClient xs, uint frontDomid, uint backDomid, string type, uint devid,
        IReadOnlyDictionary<string, string>? frontendEntries = null, IReadOnlyDictionary<string, string>? backendEntries = null)
    {
        var p = PathsOf(frontDomid, backDomid, type, devid);
        string init = ((uint)XenbusState.Initialising).ToString(CultureInfo.InvariantCulture);
        // Each side owns its directory and the other may read it (libxl's frontend/backend perms).
        var frontPerms = new NodePerms([new XsPermEntry(frontDomid, XsAccess.None), new XsPermEntry(backDomid, XsAccess.Read)]);
        var backPerms = new NodePerms([new XsPermEntry(backDomid, XsAccess.None), new XsPermEntry(frontDomid, XsAccess.Read)]);
        return xs.InTransaction(tx =>
        {
            XsError e = Write(xs, tx, p.Frontend, frontPerms, new Dictionary<string, string>
            {
                ["backend"] = p.Backend,
                ["backend-id"] = backDomid.ToString(CultureInfo.InvariantCulture),
                ["state"] = init,
            }, frontendEntries);
            if (e != XsError.None)
                return e;
            return Write(xs, tx, p.Backend, backPerms, new Dictionary<string, string>
            {
                ["frontend"] = p.Frontend,
                ["frontend-id"] = frontDomid.ToString(CultureInfo.InvariantCulture),
                ["online"] = "1",
                ["state"] = init,
            }, backendEntries);
        });
    }

    /// <summary>Removes both directories (the device is gone; watchers see the removal).</summary>
    public static void Remove(LocalStoreClient xs, uint frontDomid, uint backDomid, string type, uint devid)
    {
        var p = PathsOf(frontDomid, backDomid, type, devid);
        xs.Remove(p.Frontend);
        xs.Remove(p.Backend);
        // Like libxl__xs_path_cleanup: the per-frontend directory goes with its last device, so
        // domain 0's backend tree does not fill with empty directories of dead domains.
        string parent = p.Backend[..p.Backend.LastIndexOf('/')];
        if (xs.Directory(parent) is { Length: 0 })
            xs.Remove(parent);
    }

    private static XsError Write(LocalStoreClient xs, uint tx, string dir, NodePerms perms, Dictionary<string, string> entries, IReadOnlyDictionary<string, string>? extra)
    {
        XsError e = xs.Mkdir(dir, tx);
        if (e == XsError.None)
            e = xs.SetPerms(dir, perms, tx);
        foreach (var (k, v) in extra is null ? entries : entries.Concat(extra))
        {
            if (e != XsError.None)
                break;
            e = xs.Write(dir + "/" + k, v, tx);
            if (e == XsError.None)
                e = xs.SetPerms(dir + "/" + k, perms, tx);
        }
        return e;
    }
}
