// Where an Ethernet frame goes next: netback hands the guest's TX frames to a sink (a switch
// port, a TAP, a test list) and the switch hands frames to its ports through the same interface.
using ParaKit.Hypervisor.Net.Offload;

namespace ParaKit.Hypervisor.Net;

/// <summary>Takes one Ethernet frame (no FCS). The span is only valid during the call: a sink
/// that keeps the frame copies it.</summary>
public interface IFrameSink
{
    void Deliver(ReadOnlySpan<byte> frame);

    /// <summary>A frame with offload metadata (a GSO super-frame, a partial checksum). Sinks that
    /// pass offload on (a switch port, a GSO-capable vif, a TAP with a vnet header) override this;
    /// every other sink gets plain frames: segmented and checksummed in software here.</summary>
    void Deliver(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (!offload.NeedsWork)
            Deliver(frame);
        else
            FrameSegmenter.DeliverPlain(frame, offload, this);
    }

    /// <summary>Would <paramref name="frame"/> be taken now, not dropped for want of room? A netback
    /// asks before delivering and holds the frame (backpressure on the sender's ring) while the
    /// answer is no. Sinks that never run out of room keep the default.</summary>
    bool HasRoomFor(ReadOnlySpan<byte> frame) => true;
}
