// What a TAP port needs from its host end: a pollable fd with one frame per read and per write.
// A TapDevice is one; host tests use a socketpair(AF_UNIX, SOCK_SEQPACKET), which has the same
// one-datagram-per-call semantics, so the port's ring, backpressure and counters are tested
// without touching the host's network.
using ParaKit.Hypervisor.Net.Offload;

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

    /// <summary>Does the pipe carry offload metadata with each frame (a TAP with a vnet header)?
    /// Then its frames may be GSO super-frames of up to 64 KiB, read and written with the two
    /// methods below; otherwise the port segments and checksums in software.</summary>
    bool CarriesOffload => false;

    /// <summary>Like <see cref="Read(byte*, int)"/>, with the frame's offload metadata.</summary>
    int Read(byte* buffer, int capacity, out FrameOffload offload)
    {
        offload = default;
        return Read(buffer, capacity);
    }

    /// <summary>Like <see cref="Write(ReadOnlySpan{byte})"/> with offload metadata; only called when
    /// <see cref="CarriesOffload"/> (a pipe without it refuses a frame that needs work: EOPNOTSUPP).</summary>
    int Write(ReadOnlySpan<byte> frame, in FrameOffload offload) => offload.NeedsWork ? -95 : Write(frame);
}
