// Where an Ethernet frame goes next: netback hands the guest's TX frames to a sink (a switch
// port, a TAP, a test list) and the switch hands frames to its ports through the same interface.
namespace ParaKit.Hypervisor.Net;

/// <summary>Takes one Ethernet frame (no FCS). The span is only valid during the call: a sink
/// that keeps the frame copies it.</summary>
public interface IFrameSink
{
    void Deliver(ReadOnlySpan<byte> frame);
}
