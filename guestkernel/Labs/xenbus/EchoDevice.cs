// Lab "xenbus": YOUR CODE. Both halves of the xenbus handshake of a toy "echo" device: the
// frontend publishes its ring page and event channel, the backend connects to them, and both
// close down in order. See README.md in this folder for the protocol.
using ParaKit.Protocols.Store;

/// <summary>What the backend learnt from the frontend. Port 0 means "not connected".</summary>
public struct EchoConnection
{
    public uint Port;       // our end of the frontend's event channel, bound
    public int RingRef;     // the frontend's grant reference of its ring page
    public bool Upper;      // the frontend asked for the feature (request-upper = 1)
}

public static class EchoFrontend
{
    /// <summary>The frontend half, from Initialising to Connected. <paramref name="dir"/> is our
    /// device directory ("device/echo/0": backend and backend-id are in it); <paramref name="ringRef"/>
    /// the grant of our ring page. Returns our event-channel port, or 0 / a negative errno.</summary>
    public static long Connect(string dir, int ringRef, ulong deadlineNs)
    {
        // TODO(lab xenbus): find the backend (Xenbus.ReadOtherEnd), switch to Initialising, wait
        // for the backend's InitWait, read its feature-upper, allocate an event channel for the
        // backend, write ring-ref, event-channel, request-upper and state = Initialised in ONE
        // transaction (retry on EAGAIN), wait for the backend's Connected, switch to Connected.
        return 0;
    }

    /// <summary>Closes the device: Closing, wait for the backend's Closed, then Closed. Returns
    /// the backend state seen last.</summary>
    public static XenbusState Disconnect(string dir, ulong deadlineNs)
    {
        // TODO(lab xenbus)
        return XenbusState.Unknown;
    }
}

public static class EchoBackend
{
    /// <summary>The backend half, from InitWait to Connected. <paramref name="dir"/> is our
    /// device directory ("data/echo/0": frontend and frontend-id are in it).</summary>
    public static EchoConnection Connect(string dir, ulong deadlineNs)
    {
        // TODO(lab xenbus): find the frontend, advertise feature-upper = 1, switch to InitWait,
        // wait for the frontend's Initialised, read ring-ref, event-channel and request-upper,
        // bind the event channel, switch to Connected.
        return default;
    }

    /// <summary>Waits for the frontend to close (Closing, or gone), closes our event channel,
    /// switches to Closed. True if the frontend was seen closing.</summary>
    public static bool Disconnect(string dir, uint port, ulong deadlineNs)
    {
        // TODO(lab xenbus)
        return false;
    }
}
