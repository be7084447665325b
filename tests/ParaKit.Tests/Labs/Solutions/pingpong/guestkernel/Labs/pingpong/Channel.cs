// Lab "pingpong": REFERENCE SOLUTION (tests/ParaKit.Tests/Labs; not handed to students). One end
// of an interdomain event channel.
using ParaKit.Protocols.Events;

public sealed unsafe class Channel
{
    /// <summary>Our local port number.</summary>
    public uint Port { get; private set; }

    /// <summary>Notifications from the peer seen so far (each one counted once).</summary>
    public uint Received { get; private set; }

    private Channel(uint port)
    {
        Port = port;
    }

    /// <summary>The offering side: a new port that domain <paramref name="peer"/> may bind to.</summary>
    public static Channel? Offer(ushort peer)
    {
        long port = Events.AllocUnbound(peer);
        if (port <= 0)
            return null;
        var ch = new Channel((uint)port);
        Events.Register(ch.Port, ch.OnEvent);
        return ch;
    }

    /// <summary>The accepting side: binds a new local port to <paramref name="remotePort"/> of <paramref name="peer"/>.</summary>
    public static Channel? Accept(ushort peer, uint remotePort)
    {
        long port = Events.BindInterdomain(peer, remotePort);
        if (port <= 0)
            return null;
        var ch = new Channel((uint)port);
        // The bind marks the new port pending (as Xen does, so a notification sent before the
        // bind is not lost); it is not a message from the peer: drop it before counting.
        EventChannelBits.ClearPending(Kernel.SharedInfo, ch.Port);
        Events.Register(ch.Port, ch.OnEvent);
        return ch;
    }

    private void OnEvent(uint port) => Received++;

    /// <summary>Notifies the peer (one EVTCHNOP_send).</summary>
    public void Notify() => Events.Send(Port);

    /// <summary>Runs the event loop until <see cref="Received"/> reaches <paramref name="count"/> or the deadline passes.</summary>
    public bool WaitFor(uint count, ulong deadlineNs)
    {
        while (Received < count)
        {
            if (Clock.NowNs() >= deadlineNs)
                return false;
            Events.WaitUntil(deadlineNs);
        }
        return true;
    }

    /// <summary>Closes our end (EVTCHNOP_close).</summary>
    public void Close()
    {
        Events.Unregister(Port);
        Events.Close(Port);
    }
}
