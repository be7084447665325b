// The xenbus device handshake on top of the store (io/xenbus.h): each end publishes its
// XenbusState in decimal under "<dir>/state" and watches the other end's. Drivers call
// SwitchState for their own side and WaitForState for the peer's; the wait sets a watch on the
// peer's state node and blocks until the value is what it needs (or a deadline passes).
using ParaKit.Protocols.Store;

namespace ParaKit.Kernel;

public static class Xenbus
{
    private static uint s_tokens;

    /// <summary>Writes <paramref name="state"/> to "<paramref name="dir"/>/state".</summary>
    public static XsError SwitchState(string dir, XenbusState state, uint tx = 0)
        => Store.Write(dir + "/state", ((uint)state).ToString(), tx);

    /// <summary>The state published under <paramref name="dir"/>; Unknown if absent or garbled.</summary>
    public static XenbusState ReadState(string dir, uint tx = 0)
    {
        string? v = Store.Read(dir + "/state", tx);
        if (v is null || !ulong.TryParse(v, out ulong n) || n > (ulong)XenbusState.Reconfigured)
            return XenbusState.Unknown;
        return (XenbusState)(uint)n;
    }

    /// <summary>The other end of a device: a frontend reads "backend" and "backend-id" from its
    /// device directory (the toolstack wrote them), a backend "frontend" and "frontend-id".</summary>
    public static bool ReadOtherEnd(string dir, bool fromFrontend, out string path, out uint domid)
    {
        path = "";
        domid = 0;
        string key = fromFrontend ? "backend" : "frontend";
        string? p = Store.Read(dir + "/" + key);
        string? id = Store.Read(dir + "/" + key + "-id");
        if (p is null || id is null || !ulong.TryParse(id, out ulong d) || d > 0x7FF0)
            return false;
        path = p;
        domid = (uint)d;
        return true;
    }

    /// <summary>Blocks until the state under <paramref name="dir"/> is <paramref name="wanted"/>
    /// (or, with <paramref name="orLater"/>, any later state: a backend that waited for
    /// Initialised also accepts Connected). A state node that existed and then vanished (the
    /// peer's domain is gone) counts as Closed, as Linux's xenbus treats a vanished other end;
    /// with <paramref name="goneMeansClosed"/> an absent node counts as Closed from the start (the
    /// caller saw the peer before, and it may have gone before this call looked).
    /// Returns the state seen last; it differs from what was wanted only when the absolute
    /// deadline passed.</summary>
    public static XenbusState WaitForState(string dir, XenbusState wanted, ulong deadlineNs, bool orLater = false, bool goneMeansClosed = false)
    {
        string token = "xenbus-wait-" + (++s_tokens).ToString();
        bool existed = goneMeansClosed;
        XenbusState seen = ReadOrGone(dir, ref existed);
        if (Matches(seen, wanted, orLater))
            return seen;
        if (Store.Watch(dir + "/state", token, static (path, tok) => { }) != XsError.None)
            return seen;
        while (true)
        {
            seen = ReadOrGone(dir, ref existed);
            if (Matches(seen, wanted, orLater) || (existed && seen == XenbusState.Closed))
                break;
            if (!Store.WaitForWatch(deadlineNs))
                break;
        }
        Store.Unwatch(dir + "/state", token);
        return seen;
    }

    private static bool Matches(XenbusState seen, XenbusState wanted, bool orLater)
        => seen == wanted || (orLater && seen > wanted);

    /// <summary>The state, or Closed once a node that was there has been removed.</summary>
    private static XenbusState ReadOrGone(string dir, ref bool existed)
    {
        string? v = Store.Read(dir + "/state");
        // A removed directory answers EACCES when what is left above it is not ours (as Xen's
        // store does: missing nodes answer by their nearest ancestor's permissions).
        if (v is null)
            return existed && Store.LastError is XsError.ENOENT or XsError.EACCES ? XenbusState.Closed : XenbusState.Unknown;
        existed = true;
        return ulong.TryParse(v, out ulong n) && n <= (ulong)XenbusState.Reconfigured ? (XenbusState)(uint)n : XenbusState.Unknown;
    }
}
