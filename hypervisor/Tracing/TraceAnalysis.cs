// xenalyze for ParaKit traces: one pass over a trace file's records, summed per domain. Exits by
// reason with the time domain 0 spent handling them (from each exit to the next KVM_RUN, time
// asleep in SCHEDOP_block/poll left out), hypercalls by op and sub-op with latencies, event sends
// and deliveries, blocks and wakes, ring batches, grant copies, frame drops and device register
// accesses (by device and register name, from the file's register table). Pure: records in,
// numbers out; TraceReport prints them.
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;
using Hc = ParaKit.Protocols.Hypercalls.Hypercall;

namespace ParaKit.Hypervisor.Tracing;

public sealed class TraceAnalysis
{
    public required string Path { get; init; }
    public required TraceFileHeader Header { get; init; }
    public required IReadOnlyList<TraceThreadInfo> Threads { get; init; }
    public required IReadOnlyList<DomainTraceSummary> Domains { get; init; }
    /// <summary>Devices by id, from the file's register table.</summary>
    public IReadOnlyDictionary<ushort, TraceDevice> Devices { get; init; } = new Dictionary<ushort, TraceDevice>();
    /// <summary>Records whose event number this parakit does not know (a newer writer).</summary>
    public long UnknownRecords { get; init; }
    public ulong FirstTsc { get; init; }
    public ulong LastTsc { get; init; }

    public long Records => (long)Header.RecordCount;
    public long Lost => (long)Header.LostRecords;

    public double Seconds(ulong cycles) => cycles / (double)Header.TscHz;

    public string DeviceName(ushort id) => Devices.TryGetValue(id, out var d) ? d.Name : $"device {id}";

    public string RegisterName(ushort device, ulong offset) => Devices.TryGetValue(device, out var d) ? d.RegisterName(offset) : $"0x{offset:x}";
    public double Microseconds(double cycles) => cycles * 1e6 / Header.TscHz;

    /// <summary>Reads every record of <paramref name="reader"/> once.</summary>
    public static TraceAnalysis Of(TraceFileReader reader)
    {
        var names = reader.Domains.ToDictionary(d => d.Id, d => d.Name);
        var domains = new SortedDictionary<ushort, DomainTraceSummary>();
        long unknown = 0;
        ulong first = 0, last = 0;
        bool any = false;
        foreach (var r in reader.Records())
        {
            if (!any)
            {
                first = r.Tsc;
                any = true;
            }
            last = Math.Max(last, r.Tsc);
            if (!domains.TryGetValue(r.Domain, out var d))
            {
                d = new DomainTraceSummary(r.Domain, names.GetValueOrDefault(r.Domain, r.Domain == 0 ? "Domain-0" : "?"));
                domains.Add(r.Domain, d);
            }
            if (!d.Add(r))
                unknown++;
        }
        foreach (var d in domains.Values)
            d.Finish();
        return new TraceAnalysis
        {
            Path = reader.Path,
            Header = reader.Header,
            Threads = reader.Threads,
            Domains = domains.Values.ToList(),
            Devices = reader.Devices.ToDictionary(d => d.Id),
            UnknownRecords = unknown,
            FirstTsc = first,
            LastTsc = last,
        };
    }

    /// <summary>Opens, checks and analyzes <paramref name="path"/>; throws <see cref="TraceFileException"/>.</summary>
    public static TraceAnalysis Of(string path)
    {
        using var reader = TraceFileReader.Open(path);
        return Of(reader);
    }
}

/// <summary>Exits of one KVM reason: how many, and domain 0's time handling those that were
/// followed by another KVM_RUN.</summary>
public sealed class ExitReasonSummary
{
    public long Count;
    public long Handled;
    public ulong HandlingCycles;
}

/// <summary>One hypercall (or one sub-op of a multiplexed one): latencies in TSC cycles.</summary>
public sealed class HypercallSummary(int op, uint? subOp)
{
    public int Op { get; } = op;
    public uint? SubOp { get; } = subOp;
    public List<ulong> Cycles { get; } = [];
    public long Errors;
    public long Count => Cycles.Count;
    public double MeanCycles => Cycles.Count == 0 ? 0 : Cycles.Average(c => (double)c);

    /// <summary>Nearest-rank percentile (Cycles sorted by Finish).</summary>
    public ulong Percentile(double p) => Cycles.Count == 0 ? 0 : Cycles[Math.Clamp((int)Math.Ceiling(p / 100 * Cycles.Count) - 1, 0, Cycles.Count - 1)];

    public string Name => TraceNames.Hypercall(Op, SubOp);
}

/// <summary>Accesses to one register of one device.</summary>
public sealed class RegisterAccessSummary
{
    public long Reads, Writes;
    public ulong LastValue;
}

/// <summary>One direction of a domain's netback rings.</summary>
public sealed class RingSummary
{
    public long Batches, EmptyBatches, Requests, Frames, Notifies;
    public ulong MaxRequests;

    /// <summary>Adds a NetTxBatch or NetRxBatch record.</summary>
    internal void Add(in TraceRecord r)
    {
        Batches++;
        if (r.A0 == 0 && r.A1 == 0)
            EmptyBatches++;
        Requests += (long)r.A0;
        Frames += (long)r.A1;
        MaxRequests = Math.Max(MaxRequests, r.A0);
        if ((r.Flags & 1) != 0)
            Notifies++;
    }
}

/// <summary>One vif's rings and drops (network records carry the vif's device number).</summary>
public sealed class VifRingSummary
{
    public RingSummary Tx { get; } = new();
    public RingSummary Rx { get; } = new();
    public long Drops;
}

public sealed class DomainTraceSummary(ushort id, string name)
{
    public ushort Id { get; } = id;
    public string Name { get; } = name;
    public long Records;
    public ulong FirstTsc = ulong.MaxValue, LastTsc;
    public int Starts, Stops;

    public SortedDictionary<uint, ExitReasonSummary> Exits { get; } = [];
    public long TotalExits => Exits.Values.Sum(e => e.Count);
    public long Kicks;
    /// <summary>TSC cycles inside KVM_RUN (the guest running, or KVM handling an exit in the kernel).</summary>
    public ulong GuestCycles;

    public SortedDictionary<(int Op, uint SubOp), HypercallSummary> Hypercalls { get; } = [];
    public long TotalHypercalls => Hypercalls.Values.Sum(h => h.Count);

    public long EventSends, EventDeliveries, EventsMerged;
    public long Blocks, Polls;
    public long[] Wakes { get; } = new long[4];
    public ulong BlockedCycles;

    public RingSummary Tx { get; } = new();
    public RingSummary Rx { get; } = new();
    /// <summary>The same per vif (by device number).</summary>
    public SortedDictionary<int, VifRingSummary> Vifs { get; } = [];
    public long GrantCopiesOut, GrantBytesOut, GrantCopiesIn, GrantBytesIn;
    /// <summary>TSC cycles domain 0 spent in timed grant copies (entry checks included).</summary>
    public ulong GrantCopyCycles;
    /// <summary>GrantCopyBatch records (a backend's batches; 0 in files with one record per copy).</summary>
    public long GrantCopyBatches;
    /// <summary>Backend passes recorded for this domain (domain 0: the network workers' batches).</summary>
    public long BackendPasses, BackendFrames;
    public ulong BackendCycles;
    public SortedDictionary<FrameDropReason, long> Drops { get; } = [];

    /// <summary>Register accesses of this domain's guest by (device id, register offset).</summary>
    public SortedDictionary<(ushort Device, ulong Offset), RegisterAccessSummary> Registers { get; } = [];
    public long DeviceReads, DeviceWrites;

    // The exit whose handling is being timed (until the next KVM_RUN of this domain's vCPU).
    private uint _pendingReason;
    private ulong _pendingExitTsc;
    private bool _pending;
    private ulong _blockedSinceExit;

    private const uint NoSubOp = uint.MaxValue;

    private VifRingSummary Vif(int index)
    {
        if (!Vifs.TryGetValue(index, out var v))
            Vifs[index] = v = new VifRingSummary();
        return v;
    }

    /// <summary>Adds one record; false if its event is unknown.</summary>
    internal bool Add(in TraceRecord r)
    {
        Records++;
        FirstTsc = Math.Min(FirstTsc, r.Tsc);
        LastTsc = Math.Max(LastTsc, r.Tsc);
        switch (r.Event)
        {
            case TraceEvent.DomainStart:
                Starts++;
                break;
            case TraceEvent.DomainStop:
                Stops++;
                _pending = false;
                break;
            case TraceEvent.VcpuExit:
            case TraceEvent.VcpuKick:
                EndHandling(r.Tsc, r.A1);
                GuestCycles += r.A1;
                if (r.Event == TraceEvent.VcpuKick)
                {
                    Kicks++;
                    break;
                }
                uint reason = (uint)r.A0;
                if (!Exits.TryGetValue(reason, out var e))
                    Exits[reason] = e = new ExitReasonSummary();
                e.Count++;
                _pending = true;
                _pendingReason = reason;
                _pendingExitTsc = r.Tsc;
                _blockedSinceExit = 0;
                break;
            case TraceEvent.Hypercall:
            {
                int op = (int)(uint)r.A0;
                uint sub = TraceNames.HasSubOp(op) ? (uint)(r.A0 >> 32) : NoSubOp;
                if (!Hypercalls.TryGetValue((op, sub), out var h))
                    Hypercalls[(op, sub)] = h = new HypercallSummary(op, sub == NoSubOp ? null : sub);
                h.Cycles.Add(r.A1);
                if (r.Flags != 0)
                    h.Errors++;
                break;
            }
            case TraceEvent.EventSend:
                EventSends++;
                break;
            case TraceEvent.EventDeliver:
                if ((r.Flags & 1) != 0)
                    EventDeliveries++;
                else
                    EventsMerged++;
                break;
            case TraceEvent.VcpuBlock:
                if (r.Flags == (ushort)BlockKind.Poll)
                    Polls++;
                else
                    Blocks++;
                break;
            case TraceEvent.VcpuWake:
                Wakes[Math.Min((int)r.Flags, Wakes.Length - 1)]++;
                BlockedCycles += r.A0;
                _blockedSinceExit += r.A0;
                break;
            case TraceEvent.GrantCopy:
                if ((r.Flags & 1) != 0)
                {
                    GrantCopiesIn++;
                    GrantBytesIn += (long)(r.A0 & uint.MaxValue);
                }
                else
                {
                    GrantCopiesOut++;
                    GrantBytesOut += (long)(r.A0 & uint.MaxValue);
                }
                GrantCopyCycles += r.A0 >> 32;
                break;
            case TraceEvent.GrantCopyBatch:
                if ((r.Flags & 1) != 0)
                {
                    GrantCopiesIn += (long)(r.A0 & uint.MaxValue);
                    GrantBytesIn += (long)(r.A0 >> 32);
                }
                else
                {
                    GrantCopiesOut += (long)(r.A0 & uint.MaxValue);
                    GrantBytesOut += (long)(r.A0 >> 32);
                }
                GrantCopyBatches++;
                GrantCopyCycles += r.A1;
                break;
            case TraceEvent.BackendPass:
                BackendPasses++;
                BackendFrames += (long)r.A0;
                BackendCycles += r.A1;
                break;
            case TraceEvent.NetTxBatch:
            case TraceEvent.NetRxBatch:
            {
                bool tx = r.Event == TraceEvent.NetTxBatch;
                (tx ? Tx : Rx).Add(r);
                var vif = Vif(r.Vif);
                (tx ? vif.Tx : vif.Rx).Add(r);
                break;
            }
            case TraceEvent.NetDrop:
            {
                var why = (FrameDropReason)(r.Flags & 0xFF);
                Drops[why] = Drops.GetValueOrDefault(why) + (long)r.A0;
                Vif(r.Vif).Drops += (long)r.A0;
                break;
            }
            case TraceEvent.DeviceAccess:
            {
                var key = ((ushort)(r.A0 >> 48), r.A0 & TraceDevices.OffsetMask);
                if (!Registers.TryGetValue(key, out var reg))
                    Registers[key] = reg = new RegisterAccessSummary();
                if ((r.Flags & 1) != 0)
                {
                    reg.Writes++;
                    DeviceWrites++;
                }
                else
                {
                    reg.Reads++;
                    DeviceReads++;
                }
                reg.LastValue = r.A1;
                break;
            }
            default:
                Records--;
                return false;
        }
        return true;
    }

    /// <summary>The vCPU entered KVM_RUN again at tsc - cyclesInRun: the pending exit's handling ends there.</summary>
    private void EndHandling(ulong tsc, ulong cyclesInRun)
    {
        if (!_pending || cyclesInRun == 0)
        {
            _pending = false;
            return;
        }
        ulong entry = tsc - cyclesInRun;
        if (entry >= _pendingExitTsc)
        {
            ulong handling = entry - _pendingExitTsc;
            handling = handling > _blockedSinceExit ? handling - _blockedSinceExit : 0;
            var e = Exits[_pendingReason];
            e.Handled++;
            e.HandlingCycles += handling;
        }
        _pending = false;
    }

    internal void Finish()
    {
        foreach (var h in Hypercalls.Values)
            h.Cycles.Sort();
    }
}

/// <summary>Names for the numbers in records, as the final table and `--stats` print them.</summary>
public static class TraceNames
{
    /// <summary>Hypercalls whose first argument is a command (a sub-op) rather than a value.</summary>
    public static bool HasSubOp(int op) => op is Hc.SchedOp or Hc.EventChannelOp or Hc.GrantTableOp
        or Hc.ConsoleIo or Hc.XenVersion or Hc.MemoryOp or Hc.VcpuOp or Hc.HvmOp;

    public static string Hypercall(int op, uint? subOp)
    {
        string name = DomainStats.HypercallName(op);
        return subOp is { } s ? name + "/" + SubOp(op, s) : name;
    }

    private static string SubOp(int op, uint s) => (op, (int)s) switch
    {
        (Hc.SchedOp, SchedOp.Yield) => "yield",
        (Hc.SchedOp, SchedOp.Block) => "block",
        (Hc.SchedOp, SchedOp.Shutdown) => "shutdown",
        (Hc.SchedOp, SchedOp.Poll) => "poll",
        (Hc.SchedOp, SchedOp.RemoteShutdown) => "remote_shutdown",
        (Hc.SchedOp, ParaKitSchedOp.Exit) => "exit",
        (Hc.EventChannelOp, EvtchnOp.BindInterdomain) => "bind_interdomain",
        (Hc.EventChannelOp, EvtchnOp.BindVirq) => "bind_virq",
        (Hc.EventChannelOp, EvtchnOp.BindPirq) => "bind_pirq",
        (Hc.EventChannelOp, EvtchnOp.Close) => "close",
        (Hc.EventChannelOp, EvtchnOp.Send) => "send",
        (Hc.EventChannelOp, EvtchnOp.Status) => "status",
        (Hc.EventChannelOp, EvtchnOp.AllocUnbound) => "alloc_unbound",
        (Hc.EventChannelOp, EvtchnOp.BindIpi) => "bind_ipi",
        (Hc.EventChannelOp, EvtchnOp.BindVcpu) => "bind_vcpu",
        (Hc.EventChannelOp, EvtchnOp.Unmask) => "unmask",
        (Hc.EventChannelOp, EvtchnOp.Reset) => "reset",
        (Hc.GrantTableOp, GnttabOp.MapGrantRef) => "map_grant_ref",
        (Hc.GrantTableOp, GnttabOp.UnmapGrantRef) => "unmap_grant_ref",
        (Hc.GrantTableOp, GnttabOp.SetupTable) => "setup_table",
        (Hc.GrantTableOp, GnttabOp.Copy) => "copy",
        (Hc.GrantTableOp, GnttabOp.QuerySize) => "query_size",
        (Hc.ConsoleIo, ConsoleIo.Write) => "write",
        (Hc.ConsoleIo, ConsoleIo.Read) => "read",
        (Hc.XenVersion, XenVersion.Version) => "version",
        (Hc.XenVersion, XenVersion.ExtraVersion) => "extraversion",
        _ => s.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string Exit(uint reason) => ExitDecoder.ExitName(reason);

    public static string Drop(FrameDropReason why) => why switch
    {
        FrameDropReason.TxMalformed => "tx_malformed",
        FrameDropReason.TxBadGrant => "tx_bad_grant",
        FrameDropReason.TxOversize => "tx_oversize",
        FrameDropReason.TxUndelivered => "tx_undelivered",
        FrameDropReason.RxNoBuffer => "rx_no_buffer",
        FrameDropReason.RxBadGrant => "rx_bad_grant",
        FrameDropReason.RxOversize => "rx_oversize",
        FrameDropReason.RxNotConnected => "rx_not_connected",
        FrameDropReason.TxBadOffload => "tx_bad_offload",
        FrameDropReason.RxBadOffload => "rx_bad_offload",
        FrameDropReason.SwitchRunt => "switch_runt",
        FrameDropReason.SwitchBadSource => "switch_bad_source",
        FrameDropReason.SwitchSamePort => "switch_same_port",
        FrameDropReason.SwitchNoPeer => "switch_no_peer",
        FrameDropReason.SwitchLoss => "switch_loss",
        _ => $"drop_{(ushort)why}",
    };

    public static string Wake(WakeReason why) => why switch
    {
        WakeReason.Event => "event",
        WakeReason.Timer => "timer",
        WakeReason.Timeout => "timeout",
        _ => "stop",
    };
}
