// The Ethernet-level device contract between drivers and what runs on them (apps today, the
// TCP/IP stack next): send a frame, receive frames, the MAC, the MTU and counters. netfront
// implements it over Xen's split driver; the emulated-e1000 driver will implement the same one,
// so an app or the stack runs unchanged on the paravirtual and the fully virtual path.
using System;

namespace ParaKit.Drivers;

/// <summary>Called once per received frame; the span is only valid during the call. A device
/// with receive offload may hand over TCP super-frames longer than Mtu + 14 (up to 64 KiB).</summary>
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

    /// <summary>True if the other side fills in TCP/UDP checksums (<see cref="TrySendOffload"/>).</summary>
    bool ChecksumOffload { get; }

    /// <summary>Largest TCP/IPv4 super-frame <see cref="TrySendOffload"/> takes with a segment size
    /// (the other side cuts it into segments: TSO); 0 when the device cannot.</summary>
    int MaxOffloadFrame { get; }

    /// <summary>Queues an IPv4 TCP or UDP frame whose L4 checksum field the other side fills in
    /// (Xen's csum_blank); with <paramref name="gsoSize"/> &gt; 0 a TCP frame of up to
    /// <see cref="MaxOffloadFrame"/> bytes that the other side cuts into segments of that many
    /// payload bytes. False as <see cref="TrySend"/> (a device without the offload refuses: size).</summary>
    bool TrySendOffload(ReadOnlySpan<byte> frame, int gsoSize);

    /// <summary>Valid during a <see cref="FrameHandler"/> call: the other side vouched for the
    /// frame's L4 checksum (Xen's data_validated / csum_blank), so the stack need not verify it;
    /// a received super-frame (GSO from the backend) comes this way too.</summary>
    bool RxChecksumValidated { get; }

    /// <summary>Hands up to <paramref name="budget"/> received frames to <paramref name="handler"/>
    /// in arrival order, reposts their buffers, and reaps finished transmissions. Returns the
    /// number of frames handed over. Never blocks.</summary>
    int Poll(FrameHandler handler, int budget);

    /// <summary>Every frame published by <see cref="Flush"/> has been answered (the backend or the
    /// card took it) and reaped by a <see cref="Poll"/>: none is left on the ring or in the card.
    /// A sender checks it before it ends, so that domain 0 is not left holding its frames.</summary>
    bool TxIdle { get; }

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
    /// <summary>Super-frames among TxFrames (handed over for TSO) and RxFrames (GSO from the backend).</summary>
    public ulong TxSuperFrames, RxSuperFrames;

    public ulong TxDrops => TxDroppedDown + TxDroppedFull + TxDroppedSize;
}
