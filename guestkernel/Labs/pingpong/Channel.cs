// Lab "pingpong": YOUR CODE. One end of an interdomain event channel: the offering side
// allocates an unbound port for the peer, the accepting side binds to it, and each end can
// notify the other and wait for notifications. See README.md in this folder.
using ParaKit.Protocols.Events;

public sealed class Channel
{
    /// <summary>Our local port number.</summary>
    public uint Port { get; private set; }

    /// <summary>Notifications from the peer seen so far (each one counted once).</summary>
    public uint Received { get; private set; }

    private Channel(uint port)
    {
        Port = port;
    }

    /// <summary>The offering side: a new port that domain <paramref name="peer"/> may bind to,
    /// with a handler that counts notifications. Null if the hypervisor refused.</summary>
    public static Channel? Offer(ushort peer)
    {
        // TODO(lab pingpong): EVTCHNOP_alloc_unbound (Events.AllocUnbound), then register a
        // handler for the port (Events.Register) that counts into Received.
        return null;
    }

    /// <summary>The accepting side: binds a new local port to <paramref name="remotePort"/> of
    /// domain <paramref name="peer"/>. Null if the hypervisor refused.</summary>
    public static Channel? Accept(ushort peer, uint remotePort)
    {
        // TODO(lab pingpong): EVTCHNOP_bind_interdomain (Events.BindInterdomain) and a handler.
        // Read the summary of Events.BindInterdomain: the new port starts pending, and that
        // event is not a notification from the peer.
        return null;
    }

    /// <summary>Notifies the peer (one EVTCHNOP_send).</summary>
    public void Notify()
    {
        // TODO(lab pingpong)
    }

    /// <summary>Runs the event loop until <see cref="Received"/> reaches <paramref name="count"/>
    /// (true) or the absolute system time <paramref name="deadlineNs"/> passes (false). Sleeps
    /// while nothing is pending.</summary>
    public bool WaitFor(uint count, ulong deadlineNs)
    {
        // TODO(lab pingpong): dispatch pending events (they run your handler); block when none
        // are pending, but not past the deadline.
        return Received >= count;
    }

    /// <summary>Closes our end (EVTCHNOP_close): the peer's end becomes unbound.</summary>
    public void Close()
    {
        // TODO(lab pingpong)
    }
}
