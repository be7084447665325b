// Per-domain counters: exits by KVM reason, hypercalls by number (sched_op by sub-op), blocks
// and wake-ups, and time spent in domain 0 handling hypercalls. Written only by the domain's
// vCPU thread; readers see a slightly stale but consistent-enough view.
using System.Text;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Domains;

public sealed class DomainStats
{
    public readonly long[] ExitsByReason = new long[64];
    public readonly long[] HypercallsByNumber = new long[Hypercall.Count];
    public readonly long[] SchedOps = new long[5];
    public long SchedExit;
    /// <summary>Hypercalls with a number nothing handles (answered -ENOSYS).</summary>
    public long UnknownHypercalls;
    /// <summary>Stopwatch timestamp of the first console output (0 = none yet).</summary>
    public long FirstConsoleTimestamp;
    public long Kicks;
    /// <summary>MMIO exits that went to the device bus (emulated device register accesses).</summary>
    public long DeviceAccesses;
    public long Blocks;
    public long TimerFires;
    public long ConsoleBytes;
    /// <summary>Stopwatch ticks spent inside hypercall handlers (blocking excluded).</summary>
    public long HypercallTicks;
    /// <summary>Stopwatch ticks from the first KVM_RUN to the end.</summary>
    public long StartTimestamp, EndTimestamp;

    /// <summary>Set by Domain: the event-channel and grant-table counters shown by Format.</summary>
    internal Events.EventChannels? Events;
    internal Grants.GrantTable? Grants;

    public long TotalExits => ExitsByReason.Sum();
    public long TotalHypercalls => HypercallsByNumber.Sum();

    public TimeSpan RunTime => StartTimestamp == 0 ? TimeSpan.Zero
        : System.Diagnostics.Stopwatch.GetElapsedTime(StartTimestamp, EndTimestamp != 0 ? EndTimestamp : System.Diagnostics.Stopwatch.GetTimestamp());

    public static string HypercallName(int nr) => nr switch
    {
        Hypercall.SetTrapTable => "set_trap_table",
        Hypercall.MemoryOp => "memory_op",
        Hypercall.Multicall => "multicall",
        Hypercall.SetTimerOp => "set_timer_op",
        Hypercall.XenVersion => "xen_version",
        Hypercall.ConsoleIo => "console_io",
        Hypercall.GrantTableOp => "grant_table_op",
        Hypercall.VcpuOp => "vcpu_op",
        Hypercall.SchedOp => "sched_op",
        Hypercall.EventChannelOp => "event_channel_op",
        Hypercall.HvmOp => "hvm_op",
        ParaKit.Protocols.Traps.ParaKitHypercall.FaultInfo => "fault_info",
        ParaKit.Protocols.Traps.ParaKitHypercall.CrashReport => "crash_report",
        ParaKit.Protocols.Traps.ParaKitHypercall.DebugStop => "debug_stop",
        LabOp.Number => "lab_op",
        _ => $"hypercall_{nr}",
    };

    private static readonly string[] SchedOpNames = ["yield", "block", "shutdown", "poll", "remote_shutdown"];

    /// <summary>A multi-line summary (the `--stats` output).</summary>
    public string Format(string indent = "  ")
    {
        var sb = new StringBuilder();
        var time = RunTime;
        long exits = TotalExits, hcalls = TotalHypercalls;
        sb.Append(indent).Append($"run time {time.TotalMilliseconds:F1} ms, {exits} exits, {hcalls} hypercalls");
        if (exits > 0)
            sb.Append($", {time.TotalMicroseconds / exits:F2} µs of run time per exit");
        if (hcalls > 0)
            sb.Append($", {HypercallTicks * 1e6 / System.Diagnostics.Stopwatch.Frequency / hcalls:F2} µs/hypercall in domain 0");
        sb.AppendLine();
        if (StartTimestamp != 0)
        {
            sb.Append(indent).Append($"boot: first guest entry {Ms(ProcessClock.Start, StartTimestamp):F3} ms");
            if (FirstConsoleTimestamp != 0)
                sb.Append($", first console output {Ms(ProcessClock.Start, FirstConsoleTimestamp):F3} ms");
            sb.AppendLine(" after parakit started");
            // Raw CLOCK_MONOTONIC stamps (Stopwatch on Linux) for tools that time parakit from outside.
            sb.Append(indent).Append($"clock: main_mono_ns={MonoNs(ProcessClock.Start)} first_instruction_mono_ns={MonoNs(StartTimestamp)}");
            if (FirstConsoleTimestamp != 0)
                sb.Append($" first_console_mono_ns={MonoNs(FirstConsoleTimestamp)}");
            sb.AppendLine();
        }
        sb.Append(indent).Append("exits:");
        for (int i = 0; i < ExitsByReason.Length; i++)
        {
            if (ExitsByReason[i] != 0)
                sb.Append($" {ExitName(i)}={ExitsByReason[i]}");
        }
        if (Kicks != 0)
            sb.Append($" (kicks={Kicks})");
        sb.AppendLine();
        sb.Append(indent).Append("hypercalls:");
        for (int i = 0; i < HypercallsByNumber.Length; i++)
        {
            if (HypercallsByNumber[i] == 0)
                continue;
            sb.Append($" {HypercallName(i)}={HypercallsByNumber[i]}");
            if (i == Hypercall.SchedOp)
            {
                var parts = new List<string>();
                for (int s = 0; s < SchedOps.Length; s++)
                {
                    if (SchedOps[s] != 0)
                        parts.Add($"{SchedOpNames[s]}={SchedOps[s]}");
                }
                if (SchedExit != 0)
                    parts.Add($"exit={SchedExit}");
                sb.Append('(').Append(string.Join(',', parts)).Append(')');
            }
        }
        if (UnknownHypercalls != 0)
            sb.Append($" unknown={UnknownHypercalls}");
        sb.AppendLine();
        sb.Append(indent).Append($"blocks={Blocks} timer_fires={TimerFires} console_bytes={ConsoleBytes}");
        if (Events is { } e && Grants is { } g)
        {
            sb.AppendLine().Append(indent).Append($"events: sent={e.Sends} delivered={e.Deliveries} to_domain0={e.Domain0Calls}");
            sb.Append($"; grant copies: {g.Copies} ({g.CopyBytes} bytes, {g.CopyErrors} failed), by domain 0 from/to its grants: {g.Domain0Copies} ({g.Domain0CopyBytes} bytes)");
        }
        return sb.ToString();
    }

    private static long MonoNs(long timestamp) => (long)(timestamp * (1e9 / System.Diagnostics.Stopwatch.Frequency));

    private static double Ms(long from, long to) => (to - from) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;

    public static string ExitName(int reason) => ExitDecoder.ExitName((uint)reason);
}
