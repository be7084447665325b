// The Ethernet-level device contract between drivers and what runs on them (apps today, the
// TCP/IP stack next): send a frame, receive frames, the MAC, the MTU and counters. netfront
// implements it over Xen's split driver; the emulated-e1000 driver will implement the same one,
// so an app or the stack runs unchanged on the paravirtual and the fully virtual path.
using System;

namespace ParaKit.Drivers;

/// <summary>Called once per received frame; the span is only valid during the call.</summary>
public delegate void FrameHandler(ReadOnlySpan<byte> frame);

public interface IEthernetDevice
{
    /// <summary>The device's MAC address (6 bytes).</summary>
    ReadOnlySpan<byte> Mac { get; }

    /// <summary>Largest IP packet: a frame is at most Mtu + 14 bytes (no FCS).</summary>
    int Mtu { get; }

    /// <summary>True while the device can move frames (netfront: backend Connected).</summary>
    bool IsUp { get; }

    /// <summary>Queues one frame (14..Mtu+14 bytes, copied before the call returns). False, with
    /// the reason counted, when it cannot be queued (device down, no free TX slot, bad size).
    /// Frames are batched: they reach the wire at the latest on <see cref="Flush"/>.</summary>
    bool TrySend(ReadOnlySpan<byte> frame);

    /// <summary>Publishes queued frames and notifies the other side once if it asked to be.</summary>
    void Flush();

    /// <summary>Hands up to <paramref name="budget"/> received frames to <paramref name="handler"/>
    /// in arrival order, reposts their buffers, and reaps finished transmissions. Returns the
    /// number of frames handed over. Never blocks.</summary>
    int Poll(FrameHandler handler, int budget);

    /// <summary>Counters (frames, bytes, drops by reason, notifications).</summary>
    NetDeviceCounters Counters { get; }
}

/// <summary>A device's counters: every frame offered to TrySend ends in TxFrames or a TX drop
/// reason, every frame the other side delivered ends in RxFrames or an RX drop reason.</summary>
public sealed class NetDeviceCounters
{
    public ulong TxFrames, TxBytes, RxFrames, RxBytes;
    /// <summary>TrySend refused: device down / no free TX slot or buffer / frame size out of range.</summary>
    public ulong TxDroppedDown, TxDroppedFull, TxDroppedSize;
    /// <summary>The backend answered a TX request with an error status.</summary>
    public ulong TxErrors;
    /// <summary>RX responses with an error status, or frames malformed on the ring (bad id, offset, chain).</summary>
    public ulong RxErrors;
    /// <summary>Notifications sent to / received from the other side.</summary>
    public ulong NotifiesSent, NotifiesReceived;

    public ulong TxDrops => TxDroppedDown + TxDroppedFull + TxDroppedSize;
}
