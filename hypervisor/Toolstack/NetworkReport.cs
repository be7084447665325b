// The data plane's part of the final table: each vif (state, frames and bytes both ways, every
// drop by reason, connections) and each switch (ports, learned addresses, per-port in/out and
// drops, the capture file). Netback counts what crossed each ring, the switch what crossed it:
// a reader can check that every frame was delivered or counted as dropped.
using System.Text;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Net.Pcap;
using ParaKit.Hypervisor.Net.Tap;

namespace ParaKit.Hypervisor.Toolstack;

public static class NetworkReport
{
    public static string Format(IReadOnlyList<VifDevice> vifs, IReadOnlyList<NetworkWorker> switches, IReadOnlyList<PcapWriter> captures)
    {
        var sb = new StringBuilder();
        sb.AppendLine();
        int w = Math.Max(6, vifs.Max(v => v.Name.Length));
        sb.AppendLine($"{"Vif".PadRight(w)}  {"MAC",-17}  {"Switch",-8}  {"State",-12}  {"TX frames",10}  {"TX bytes",12}  {"RX frames",10}  {"RX bytes",12}  Drops / connections");
        foreach (var v in vifs)
        {
            var c = v.Counters;
            var drops = new List<string>();
            void Drop(string name, long n)
            {
                if (n != 0)
                    drops.Add($"{name}={n}");
            }
            Drop("tx_malformed", c.TxMalformed);
            Drop("tx_bad_grant", c.TxBadGrant);
            Drop("tx_oversize", c.TxOversize);
            Drop("tx_undelivered", c.TxUndelivered);
            Drop("tx_bad_offload", c.TxBadOffload);
            Drop("rx_bad_offload", c.RxBadOffload);
            Drop("rx_no_buffer", c.RxNoBuffer);
            Drop("rx_bad_grant", c.RxBadGrant);
            Drop("rx_oversize", c.RxOversize);
            Drop("rx_not_connected", c.RxNotConnected);
            Drop("rx_unbound", v.DroppedUnbound);
            string conns = $"connects={v.Connects}";
            if (v.ClosedByFrontend != 0)
                conns += $" closed_by_frontend={v.ClosedByFrontend}";
            if (v.LostMisbehaving != 0)
                conns += $" lost_misbehaving={v.LostMisbehaving}";
            if (v.ConnectRefused != 0)
                conns += $" refused={v.ConnectRefused}";
            sb.AppendLine($"{v.Name.PadRight(w)}  {v.Mac,-17}  {v.Config.Bridge,-8}  {v.State.ToString().ToLowerInvariant(),-12}  {c.TxFrames,10}  {c.TxBytes,12}  {c.RxFrames,10}  {c.RxBytes,12}  {(drops.Count == 0 ? "no drops" : string.Join(' ', drops))}; {conns} notifies={c.Notifications}");
            if (v.LastProblem.Length > 0)
                sb.AppendLine($"{"".PadRight(w)}  last problem: {v.LastProblem}");
        }
        foreach (var sw in switches)
        {
            var s = sw.Switch;
            var capture = captures.FirstOrDefault(p => p == s.Capture);
            string what = sw.HostBridge is { } bridge ? $"vif {sw.Name} on Linux bridge {bridge}, private switch" : $"switch {sw.Name}";
            sb.AppendLine($"{what}: {s.Ports.Count + s.RemovedPorts.Count} ports ({s.RemovedPorts.Count} removed), {s.LearnedAddresses} addresses learned now, {sw.Batches} worker batches"
                + (capture is null ? "" : $", capture {capture.Path} ({capture.Frames} frames)")
                + (s.Loss is { } loss ? $", {loss}" : ""));
            foreach (var p in s.Ports.Concat(s.RemovedPorts))
            {
                var pc = p.Counters;
                sb.AppendLine($"  port {p.Name,-10} in={pc.InFrames} out={pc.OutFrames} flooded={pc.Flooded} drops: runt={pc.DropRunt} bad_source={pc.DropBadSource} same_port={pc.DropSamePort} no_peer={pc.DropNoPeer}" + (pc.DropLoss != 0 || s.Loss is not null ? $" loss={pc.DropLoss}" : ""));
            }
            foreach (var t in sw.Taps)
                sb.AppendLine("  " + TapLine(t));
        }
        return sb.ToString();
    }

    /// <summary>A TAP port's traffic both ways and its drops by reason (ours, then the kernel's).</summary>
    public static string TapLine(TapPort t)
    {
        var c = t.Counters;
        t.SnapshotKernelCounters();
        string where = t.Tap?.Bridge is { } b ? $" in bridge {b}" : t.Tap?.JoinedBridge is { } left ? $" (left bridge {left}, removed)" : "";
        return $"tap {t.Name}{where}: to_host frames={c.ToHostFrames} bytes={c.ToHostBytes} from_host frames={c.FromHostFrames} bytes={c.FromHostBytes} held={c.FromHostHeld} ring_full={c.RingFull}"
            + $" gso from/to host={c.FromHostGso}/{c.ToHostGso} drops: from_host_oversize={c.FromHostOversize} from_host_bad_offload={c.FromHostBadOffload} to_host_write_errors={c.ToHostWriteErrors} read_errors={c.FromHostReadErrors}"
            + (t.ReaderEnded ? " reader_ended" : "")
            + (c.LastErrno != 0 ? $" (last: {Native.Libc.StrError(c.LastErrno)})" : "")
            + $" kernel_rx_dropped={Kernel(c.KernelRxDropped)} kernel_tx_dropped={Kernel(c.KernelTxDropped)}";
    }

    /// <summary>A switch port's frames and drops by reason, with the switch's injected loss if any.</summary>
    private static string PortLine(Net.Switch.SwitchPort p, Net.Switch.SwitchLoss? loss)
    {
        var pc = p.Counters;
        return $"switch port {p.Name}: in={pc.InFrames} out={pc.OutFrames} drops: runt={pc.DropRunt} bad_source={pc.DropBadSource} same_port={pc.DropSamePort} no_peer={pc.DropNoPeer} loss={pc.DropLoss}"
            + (loss is null ? "" : $" ({loss})");
    }

    private static string Kernel(long v) => v < 0 ? "?" : v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One vif in full: where it lives in the store, both rings' indices (as Linux
    /// netback's debugfs io_ring_q0 shows them), every counter.</summary>
    public static string Detail(VifDevice v)
    {
        var c = v.Counters;
        var sb = new StringBuilder();
        sb.AppendLine($"{v.Name}: mac {v.Mac}, switch {v.Config.Bridge}, mtu {v.Config.Mtu}, backend state {v.State.ToString().ToLowerInvariant()}");
        sb.AppendLine($"  frontend {v.Paths.Frontend}");
        sb.AppendLine($"  backend  {v.Paths.Backend}");
        if (v.Rings is { } r)
        {
            sb.AppendLine($"  tx ring: {r.Tx}");
            sb.AppendLine($"  rx ring: {r.Rx}");
        }
        else
        {
            sb.AppendLine("  rings: not connected");
        }
        sb.AppendLine($"  tx: frames={c.TxFrames} bytes={c.TxBytes} held={c.TxHeld} malformed={c.TxMalformed} bad_grant={c.TxBadGrant} oversize={c.TxOversize} undelivered={c.TxUndelivered} bad_offload={c.TxBadOffload} gso={c.TxGso}");
        sb.AppendLine($"  rx: frames={c.RxFrames} bytes={c.RxBytes} deferred={c.RxDeferred} no_buffer={c.RxNoBuffer} bad_grant={c.RxBadGrant} oversize={c.RxOversize} not_connected={c.RxNotConnected} unbound={v.DroppedUnbound} bad_offload={c.RxBadOffload} gso={c.RxGso} software_offload={c.RxSoftwareOffload}");
        sb.AppendLine("  " + PortLine(v.SwitchPort, v.SwitchLoss));
        if (v.HostTap is { } tap)
        {
            sb.AppendLine("  " + TapLine(tap));
            sb.AppendLine("  " + PortLine(tap.Port, v.SwitchLoss));
        }
        sb.AppendLine($"  notifications to the guest={c.Notifications}; connects={v.Connects} closed_by_frontend={v.ClosedByFrontend} lost_misbehaving={v.LostMisbehaving} refused={v.ConnectRefused}");
        if (v.LastProblem.Length > 0)
            sb.AppendLine($"  last problem: {v.LastProblem}");
        return sb.ToString();
    }
}
