// A device that is not a netback but sits on a switch port through the network worker: the
// emulated e1000 today. The worker drives it like a netback, on whichever thread runs the batch
// (the worker's, or a kicking vCPU's inline), one batch at a time: ProcessTx when its port was
// kicked, DeliverToGuest for each frame the switch sends it, FlushRx once per batch that did.
namespace ParaKit.Hypervisor.Net;

public interface IPortDevice
{
    /// <summary>Moves what the guest queued for transmission into the switch (the port is its
    /// sink). Returns the number of frames sent.</summary>
    int ProcessTx();

    /// <summary>Would a frame of <paramref name="length"/> bytes find room now?</summary>
    bool HasRoomFor(int length);

    /// <summary>A frame from the switch for the guest; a drop is the device's to count.</summary>
    void DeliverToGuest(ReadOnlySpan<byte> frame);

    /// <summary>End of a batch that delivered frames: publish them to the guest (interrupt).</summary>
    void FlushRx();
}
