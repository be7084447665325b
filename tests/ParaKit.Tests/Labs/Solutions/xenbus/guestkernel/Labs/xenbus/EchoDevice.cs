// Lab "xenbus": REFERENCE SOLUTION (tests/ParaKit.Tests/Labs; not handed to students). Both
// halves of the xenbus handshake of a toy "echo" device.
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Store;

/// <summary>What the backend learnt from the frontend. Port 0 means "not connected".</summary>
public struct EchoConnection
{
    public uint Port;
    public int RingRef;
    public bool Upper;
}

public static class EchoFrontend
{
    /// <summary>The frontend half, from Initialising to Connected. Returns our port, or 0 / a negative errno.</summary>
    public static long Connect(string dir, int ringRef, ulong deadlineNs)
    {
        if (!Xenbus.ReadOtherEnd(dir, fromFrontend: true, out string backend, out uint backendId))
            return 0;
        Xenbus.SwitchState(dir, XenbusState.Initialising);
        if (Xenbus.WaitForState(backend, XenbusState.InitWait, deadlineNs) != XenbusState.InitWait)
            return 0;
        bool upper = Store.Read(backend + "/feature-upper") == "1";
        long port = Events.AllocUnbound((ushort)backendId);
        if (port <= 0)
            return port;
        // All the details and the state change appear to the backend at once, or not at all.
        XsError e;
        do
        {
            uint tx = Store.TransactionStart();
            if (tx == 0)
                return 0;
            Store.Write(dir + "/ring-ref", ringRef.ToString(), tx);
            Store.Write(dir + "/event-channel", port.ToString(), tx);
            if (upper)
                Store.Write(dir + "/request-upper", "1", tx);
            Xenbus.SwitchState(dir, XenbusState.Initialised, tx);
            e = Store.TransactionEnd(tx, commit: true);
        } while (e == XsError.EAGAIN);
        if (e != XsError.None)
            return 0;
        if (Xenbus.WaitForState(backend, XenbusState.Connected, deadlineNs) != XenbusState.Connected)
            return 0;
        Xenbus.SwitchState(dir, XenbusState.Connected);
        return port;
    }

    /// <summary>Closing, wait for the backend's Closed, then Closed.</summary>
    public static XenbusState Disconnect(string dir, ulong deadlineNs)
    {
        if (!Xenbus.ReadOtherEnd(dir, fromFrontend: true, out string backend, out _))
            return XenbusState.Unknown;
        Xenbus.SwitchState(dir, XenbusState.Closing);
        XenbusState seen = Xenbus.WaitForState(backend, XenbusState.Closed, deadlineNs, goneMeansClosed: true);
        Xenbus.SwitchState(dir, XenbusState.Closed);
        return seen;
    }
}

public static unsafe class EchoBackend
{
    /// <summary>The backend half, from InitWait to Connected.</summary>
    public static EchoConnection Connect(string dir, ulong deadlineNs)
    {
        var c = default(EchoConnection);
        if (!Xenbus.ReadOtherEnd(dir, fromFrontend: false, out string frontend, out uint frontendId))
            return c;
        Store.Write(dir + "/feature-upper", "1");
        Xenbus.SwitchState(dir, XenbusState.InitWait);
        if (Xenbus.WaitForState(frontend, XenbusState.Initialised, deadlineNs, orLater: true) < XenbusState.Initialised)
            return c;
        if (!int.TryParse(Store.Read(frontend + "/ring-ref") ?? "", out int ringRef)
            || !uint.TryParse(Store.Read(frontend + "/event-channel") ?? "", out uint remotePort))
            return c;
        long port = Events.BindInterdomain((ushort)frontendId, remotePort);
        if (port <= 0)
            return c;
        EventChannelBits.ClearPending(Kernel.SharedInfo, (uint)port);
        c.Port = (uint)port;
        c.RingRef = ringRef;
        c.Upper = Store.Read(frontend + "/request-upper") == "1";
        Xenbus.SwitchState(dir, XenbusState.Connected);
        return c;
    }

    /// <summary>Waits for the frontend's Closing, closes the port, switches to Closed.</summary>
    public static bool Disconnect(string dir, uint port, ulong deadlineNs)
    {
        if (!Xenbus.ReadOtherEnd(dir, fromFrontend: false, out string frontend, out _))
            return false;
        XenbusState seen = Xenbus.WaitForState(frontend, XenbusState.Closing, deadlineNs, orLater: true, goneMeansClosed: true);
        Events.Close(port);
        Xenbus.SwitchState(dir, XenbusState.Closed);
        return seen >= XenbusState.Closing;
    }
}
