// A learning Ethernet switch (like a Linux bridge or Open vSwitch in "normal" mode) that joins the
// vifs of domain 0: it learns which port each source MAC lives behind, sends a unicast frame to
// that port only, and floods broadcast, multicast and unknown destinations to every other port.
// Every frame is either forwarded or counted as a drop on its ingress port, never lost silently.
using ParaKit.Hypervisor.Net.Offload;
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Hypervisor.Net.Switch;

/// <summary>The switch. Driven by one thread (domain 0's network worker): it takes no locks.</summary>
public sealed class VirtualSwitch
{
    private const int EthHeader = 14;
    private readonly List<SwitchPort> _ports = new();
    // MAC (48 bits in a ulong) -> port. Capacity is fixed so learning never grows it on the hot path.
    private readonly Dictionary<ulong, SwitchPort> _table;
    private int _nextPort;

    public VirtualSwitch(int maxAddresses = 1024)
    {
        MaxAddresses = Math.Max(1, maxAddresses);
        _table = new Dictionary<ulong, SwitchPort>(MaxAddresses);
    }

    /// <summary>When set, every frame entering the switch is written here first (tcpdump on a bridge).</summary>
    public IFrameSink? Capture { get; set; }

    /// <summary>When set, each frame entering the switch is lost with this probability (after the
    /// capture saw it), counted as the ingress port's <c>DropLoss</c>.</summary>
    public SwitchLoss? Loss { get; set; }

    /// <summary>How many MAC addresses the switch remembers.</summary>
    public int MaxAddresses { get; }

    public int LearnedAddresses => _table.Count;

    public IReadOnlyList<SwitchPort> Ports => _ports;

    /// <summary>Ports removed so far, kept with their counters for the final report.</summary>
    public IReadOnlyList<SwitchPort> RemovedPorts => _removed;
    private readonly List<SwitchPort> _removed = new();

    /// <summary>Adds a port whose frames leave through <paramref name="output"/>.</summary>
    public SwitchPort AddPort(string name, IFrameSink output)
    {
        var port = new SwitchPort(this, _nextPort++, name, output);
        _ports.Add(port);
        return port;
    }

    /// <summary>Removes a port and forgets every address learned on it; later frames from it are ignored.</summary>
    public void RemovePort(SwitchPort port)
    {
        if (!_ports.Remove(port))
            return;
        port.Attached = false;
        _removed.Add(port);
        List<ulong>? stale = null;
        foreach (var (mac, p) in _table)
        {
            if (p == port)
                (stale ??= new()).Add(mac);
        }
        if (stale is not null)
        {
            foreach (var mac in stale)
                _table.Remove(mac);
        }
    }

    /// <summary>The port a MAC address was learned on, if any.</summary>
    public SwitchPort? Lookup(ReadOnlySpan<byte> mac) => mac.Length == 6 && _table.TryGetValue(Key(mac), out var p) ? p : null;

    private static ulong Key(ReadOnlySpan<byte> mac) =>
        (ulong)mac[0] << 40 | (ulong)mac[1] << 32 | (ulong)mac[2] << 24 | (ulong)mac[3] << 16 | (ulong)mac[4] << 8 | mac[5];

    internal bool HasRoom(SwitchPort from, ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthHeader || (frame[0] & 1) != 0 || !_table.TryGetValue(Key(frame[..6]), out var to) || to == from)
            return true;
        return to.Output.HasRoomFor(frame);
    }

    /// <summary>A GSO super-frame or partial checksum (<paramref name="offload"/>) travels as it is;
    /// each output port's sink segments or checksums it if it cannot take it.</summary>
    internal void Forward(SwitchPort from, ReadOnlySpan<byte> frame, in FrameOffload offload = default)
    {
        if (!from.Attached)
            return;   // a removed port's device may still be draining; its counters stay with it
        // Injected loss models a wire, where netem would see MTU-sized frames: a super-frame is
        // cut into its segments first (each comes back in through the port), so one loss event
        // costs one segment, not up to 64 KiB. A description that does not fit goes on as it is.
        if (Loss != null && offload.IsGso && FrameSegmenter.Segment(frame, offload.GsoSize, from) > 0)
            return;
        var c = from.Counters;
        c.InFrames++;
        c.InBytes += frame.Length;
        Capture?.Deliver(frame, offload);
        if (Loss is { } loss && loss.Drop())
        {
            Drop(from, ref c.DropLoss, FrameDropReason.SwitchLoss);
            return;
        }
        if (frame.Length < EthHeader)
        {
            Drop(from, ref c.DropRunt, FrameDropReason.SwitchRunt);
            return;
        }
        ReadOnlySpan<byte> dst = frame[..6], src = frame.Slice(6, 6);
        if ((src[0] & 1) != 0)
        {
            Drop(from, ref c.DropBadSource, FrameDropReason.SwitchBadSource);
            return;
        }
        Learn(from, Key(src));
        if ((dst[0] & 1) == 0 && _table.TryGetValue(Key(dst), out var to))
        {
            if (to == from)
                Drop(from, ref c.DropSamePort, FrameDropReason.SwitchSamePort);
            else
                to.Send(frame, offload);
            return;
        }
        // Broadcast, multicast or an address not learned yet: every other port gets a copy.
        int sent = 0;
        foreach (var p in _ports)
        {
            if (p != from)
            {
                p.Send(frame, offload);
                sent++;
            }
        }
        if (sent == 0)
            Drop(from, ref c.DropNoPeer, FrameDropReason.SwitchNoPeer);
        else
            c.Flooded++;
    }

    private static void Drop(SwitchPort from, ref long counter, FrameDropReason why)
    {
        counter++;
        TracePoint.FrameDrop(from.TraceDomain, why, 1, from.TraceVif);
    }

    private void Learn(SwitchPort port, ulong mac)
    {
        // A station that moved (a migrated guest) is re-learned on its new port.
        ref SwitchPort slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_table, mac);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot))
        {
            slot = port;
            return;
        }
        if (_table.Count >= MaxAddresses)
        {
            port.Counters.LearnTableFull++;
            return;
        }
        _table[mac] = port;
    }
}
