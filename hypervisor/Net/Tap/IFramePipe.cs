// What a TAP port needs from its host end: a pollable fd with one frame per read and per write.
// A TapDevice is one; host tests use a socketpair(AF_UNIX, SOCK_SEQPACKET), which has the same
// one-datagram-per-call semantics, so the port's ring, backpressure and counters are tested
// without touching the host's network.
namespace ParaKit.Hypervisor.Net.Tap;

public unsafe interface IFramePipe
{
    /// <summary>The interface's name (for the port and the reports).</summary>
    string Name { get; }

    /// <summary>A non-blocking fd that polls readable when a frame waits.</summary>
    int Fd { get; }

    /// <summary>Largest IP packet the host sends (frames are at most Mtu + 18 bytes with a VLAN tag).</summary>
    int Mtu { get; }

    /// <summary>One frame: its length, 0 when none waits, or a negative errno.</summary>
    int Read(byte* buffer, int capacity);

    /// <summary>One frame: 0, or a negative errno (the frame is lost; the caller counts it).</summary>
    int Write(ReadOnlySpan<byte> frame);
}
