// One port of the virtual switch: frames come in through Deliver (so a netback can use the port
// as its sink directly) and leave through the port's output sink; its counters say what happened.
using ParaKit.Hypervisor.Net.Offload;

namespace ParaKit.Hypervisor.Net.Switch;

/// <summary>Per-port counters. "In" is from the port's device into the switch, "out" the reverse.</summary>
public sealed class SwitchPortCounters
{
    public long InFrames, InBytes, OutFrames, OutBytes;
    /// <summary>Frames this port sent that were flooded (broadcast, multicast or unknown destination).</summary>
    public long Flooded;
    /// <summary>Dropped: shorter than an Ethernet header.</summary>
    public long DropRunt;
    /// <summary>Dropped: a multicast/broadcast source address (never a real station).</summary>
    public long DropBadSource;
    /// <summary>Dropped: the destination was learned on the same port (it already saw the frame).</summary>
    public long DropSamePort;
    /// <summary>Dropped: the switch has no other port to send to.</summary>
    public long DropNoPeer;
    /// <summary>Dropped on purpose: the switch's injected loss (<see cref="SwitchLoss"/>) chose this frame.</summary>
    public long DropLoss;
    /// <summary>Source addresses not learned because the table was full (the frame still went out).</summary>
    public long LearnTableFull;

    public long Drops => DropRunt + DropBadSource + DropSamePort + DropNoPeer + DropLoss;
}

/// <summary>A switch port. Hand it to a netback as its <see cref="IFrameSink"/>.</summary>
public sealed class SwitchPort : IFrameSink
{
    private readonly VirtualSwitch _switch;
    internal readonly IFrameSink Output;
    internal bool Attached = true;

    internal SwitchPort(VirtualSwitch sw, int number, string name, IFrameSink output)
    {
        _switch = sw;
        Number = number;
        Name = name;
        Output = output;
    }

    public int Number { get; }

    public string Name { get; }

    public SwitchPortCounters Counters { get; } = new();

    /// <summary>The domain and vif index whose device feeds this port, for the trace records of the
    /// switch's drops (0 and 0, domain 0, for a TAP's port).</summary>
    public uint TraceDomain { get; set; }
    public int TraceVif { get; set; }

    /// <summary>A frame from this port's device into the switch.</summary>
    public void Deliver(ReadOnlySpan<byte> frame) => _switch.Forward(this, frame);

    /// <summary>A frame with offload metadata (e.g. a guest's TSO super-frame) into the switch.</summary>
    public void Deliver(ReadOnlySpan<byte> frame, in FrameOffload offload) => _switch.Forward(this, frame, offload);

    /// <summary>Known unicast asks the destination port's device; floods never hold the sender.</summary>
    public bool HasRoomFor(ReadOnlySpan<byte> frame) => _switch.HasRoom(this, frame);

    internal void Send(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        Counters.OutFrames++;
        Counters.OutBytes += frame.Length;
        Output.Deliver(frame, offload);
    }
}
