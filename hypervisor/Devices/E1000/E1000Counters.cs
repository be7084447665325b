// What the emulated e1000 counts beyond the card's own statistics registers (which the guest
// reads and clears): every way a guest's programming was refused or a frame was lost, so a
// hostile or buggy driver shows up in `parakit list` instead of vanishing. Plain longs written
// under the device's lock; reports may read them a moment late.
namespace ParaKit.Hypervisor.Devices.E1000;

public sealed class E1000Counters
{
    /// <summary>Frames the guest sent into the switch, and their bytes.</summary>
    public long TxFrames, TxBytes;
    /// <summary>Frames written into the guest's RX buffers, and their bytes.</summary>
    public long RxFrames, RxBytes;
    /// <summary>RX: the ring had too few free descriptors (MPC; ICR.RXO raised).</summary>
    public long RxNoDescriptors;
    /// <summary>RX: not for us (RAL/RAH, MTA, BAM, promiscuous bits said no).</summary>
    public long RxFiltered;
    /// <summary>RX: arrived while RCTL.EN was clear (the card was not receiving).</summary>
    public long RxWhileDisabled;
    /// <summary>RX: longer than 1518 bytes without RCTL.LPE, or than 16384 (ROC).</summary>
    public long RxOversize;
    /// <summary>RX descriptors with buffer address 0, skipped as the manual's "null descriptor".</summary>
    public long RxNullDescriptors;
    /// <summary>TX: packets longer than the card's 16288-byte packet buffer (dropped).</summary>
    public long TxOversize;
    /// <summary>TX: descriptors asking for TCP segmentation, which this model does not do (dropped).</summary>
    public long TxSegmentationUnsupported;
    /// <summary>TX: checksum offsets outside the packet (the packet went without that checksum).</summary>
    public long TxBadChecksumOffsets;
    /// <summary>TX descriptors with no data (length 0 or a context descriptor): written back, nothing sent.</summary>
    public long TxEmptyDescriptors;
    /// <summary>DMA outside the guest's RAM (descriptor or buffer): the ring halts until reprogrammed.</summary>
    public long DmaFaults;
    /// <summary>RDLEN/TDLEN writes whose low 7 bits were set (ignored, as the hardware does).</summary>
    public long UnalignedRingLengths;
    /// <summary>Head or tail written beyond the ring (head: reset to 0; tail: ring idle until fixed).</summary>
    public long IndexBeyondRing;
    /// <summary>Interrupts sent (MSI messages) and those postponed by ITR.</summary>
    public long Interrupts, InterruptsThrottled;
    /// <summary>Reads/writes of registers this model does not implement (read 0, write ignored).</summary>
    public long UnknownRegisterAccesses;
    /// <summary>Device resets (CTRL.RST).</summary>
    public long Resets;
}
