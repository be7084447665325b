// `parakit trace compare A B`: two traces side by side per packet, in the spirit of Menon et al.
// (VEE'05), who split the cost of each packet among the guest, the hypervisor, the driver domain
// and the copies. Here: exits, hypercalls, notifications (guests' event sends, ring notifies to
// guests, event deliveries), grant copies and device register accesses per packet, and the TSC
// cycles per packet by category:
//   guest          inside KVM_RUN on the guests' vCPU threads
//   exit handling  domain 0 on a vCPU thread from an exit to the next KVM_RUN, asleep excluded,
//                  less the backend passes and copies that ran inline there
//   backend        domain-0 backend passes (network worker batches; a device model's passes), on
//                  any thread, less the grant copies inside them
//   copies         domain 0's grant copies
//   idle           vCPUs asleep in SCHEDOP_block/poll
// Packets are the frames guests sent (TX ring batches, which an emulated NIC records too), or the
// frames they received when nothing was sent. Pure: a trace file in, numbers out.
using System.Globalization;
using System.Text;

namespace ParaKit.Hypervisor.Tracing;

/// <summary>One trace's totals and cycle breakdown (what `trace compare` divides by packets).</summary>
public sealed class TraceBreakdown
{
    public required TraceAnalysis Analysis { get; init; }
    public long FramesSent, FramesReceived;
    public long Exits, Kicks, Hypercalls, EventSends, EventDeliveries, RingNotifies, GrantCopies, GrantBytes, DeviceAccesses, Drops;
    public SortedDictionary<uint, long> ExitsByReason { get; } = [];
    public ulong GuestCycles, ExitHandlingCycles, BackendCycles, CopyCycles, IdleCycles;

    /// <summary>The per-packet denominator: frames sent, or received when none were sent.</summary>
    public long Packets => FramesSent > 0 ? FramesSent : FramesReceived;
    public ulong TotalCycles => GuestCycles + ExitHandlingCycles + BackendCycles + CopyCycles + IdleCycles;
    public TraceClasses Classes => Analysis.Header.Classes;

    /// <summary>The per-packet count rows that follow "exits" and its rows by reason, in the order
    /// `trace analyze` and `trace compare` print them, with the event class each needs.</summary>
    public static readonly (string Label, Func<TraceBreakdown, long> Count, TraceClasses Class)[] CountRows =
    [
        ("  kicks", x => x.Kicks, TraceClasses.Exits),
        ("  hypercalls", x => x.Hypercalls, TraceClasses.Hypercalls),
        ("  notifications: guests' event sends", x => x.EventSends, TraceClasses.Events),
        ("  notifications: ring notifies to guests", x => x.RingNotifies, TraceClasses.Rings),
        ("  event deliveries (virtual interrupts)", x => x.EventDeliveries, TraceClasses.Events),
        ("  grant copies", x => x.GrantCopies, TraceClasses.Grants),
        ("  grant copy bytes", x => x.GrantBytes, TraceClasses.Grants),
        ("  device register accesses", x => x.DeviceAccesses, TraceClasses.Device),
    ];

    /// <summary>The cycle categories and their sum, in print order, with the event class each needs.</summary>
    public static readonly (string Label, Func<TraceBreakdown, ulong> Cycles, TraceClasses Class)[] CycleRows =
    [
        ("  guest (inside KVM_RUN)", x => x.GuestCycles, TraceClasses.Exits),
        ("  exit handling (domain 0 on the vCPU)", x => x.ExitHandlingCycles, TraceClasses.Exits),
        ("  domain-0 backend or device model", x => x.BackendCycles, TraceClasses.Rings),
        ("  copies (domain 0's grant copies)", x => x.CopyCycles, TraceClasses.Grants),
        ("  idle (vCPUs asleep)", x => x.IdleCycles, TraceClasses.Sched),
        ("  sum", x => x.TotalCycles, TraceClasses.None),
    ];

    private struct ThreadCycles
    {
        public bool Vcpu, Pending;
        public ulong ExitTsc, AsleepSinceExit;
        public List<(ulong Tsc, ulong Cycles)>? Copies;
    }

    public static TraceBreakdown Of(string path)
    {
        using var reader = TraceFileReader.Open(path);
        var analysis = TraceAnalysis.Of(reader);
        var b = new TraceBreakdown { Analysis = analysis };
        foreach (var d in analysis.Domains)
        {
            b.FramesSent += d.Tx.Frames;
            b.FramesReceived += d.Rx.Frames;
            b.Exits += d.TotalExits;
            b.Kicks += d.Kicks;
            foreach (var (reason, e) in d.Exits)
                b.ExitsByReason[reason] = b.ExitsByReason.GetValueOrDefault(reason) + e.Count;
            b.Hypercalls += d.TotalHypercalls;
            b.EventSends += d.EventSends;
            b.EventDeliveries += d.EventDeliveries;
            b.RingNotifies += d.Tx.Notifies + d.Rx.Notifies;
            b.GrantCopies += d.GrantCopiesIn + d.GrantCopiesOut;
            b.GrantBytes += d.GrantBytesIn + d.GrantBytesOut;
            b.DeviceAccesses += d.DeviceReads + d.DeviceWrites;
            b.Drops += d.Drops.Values.Sum();
        }
        b.SumCycles(reader);
        return b;
    }

    /// <summary>The cycle categories, from one more pass over the records thread by thread.</summary>
    private void SumCycles(TraceFileReader reader)
    {
        var threads = new ThreadCycles[reader.Threads.Count];
        foreach (var t in reader.Threads)
            threads[t.Index].Vcpu = t.Name.StartsWith("vcpu ", StringComparison.Ordinal);
        ulong handling = 0, passes = 0, passesOnVcpu = 0, copiesInPasses = 0, copiesOutsideOnVcpu = 0;
        foreach (var r in reader.Records())
        {
            if (r.Thread >= threads.Length)
                continue;
            ref var t = ref threads[r.Thread];
            switch (r.Event)
            {
                case TraceEvent.VcpuExit:
                case TraceEvent.VcpuKick:
                    GuestCycles += r.A1;
                    if (r.A1 != 0 && r.A1 <= r.Tsc && t.Pending && r.Tsc - r.A1 >= t.ExitTsc)
                    {
                        ulong h = r.Tsc - r.A1 - t.ExitTsc;
                        handling += h > t.AsleepSinceExit ? h - t.AsleepSinceExit : 0;
                    }
                    t.Pending = r.Event == TraceEvent.VcpuExit && r.A1 != 0;
                    t.ExitTsc = r.Tsc;
                    t.AsleepSinceExit = 0;
                    break;
                case TraceEvent.VcpuWake:
                    IdleCycles += r.A0;
                    t.AsleepSinceExit += r.A0;
                    break;
                case TraceEvent.GrantCopy:
                case TraceEvent.GrantCopyBatch:
                {
                    ulong c = r.Event == TraceEvent.GrantCopy ? r.A0 >> 32 : r.A1;
                    CopyCycles += c;
                    (t.Copies ??= []).Add((r.Tsc, c));
                    break;
                }
                case TraceEvent.BackendPass:
                {
                    ulong start = r.Tsc - Math.Min(r.A1, r.Tsc);
                    passes += r.A1;
                    if (t.Vcpu)
                        passesOnVcpu += r.A1;
                    if (t.Copies is { } copies)
                    {
                        foreach (var (tsc, c) in copies)
                        {
                            if (tsc >= start)
                                copiesInPasses += c;
                            else if (t.Vcpu)
                                copiesOutsideOnVcpu += c;
                        }
                        copies.Clear();
                    }
                    break;
                }
                default:
                    break;
            }
        }
        foreach (var t in threads)
        {
            if (t.Vcpu && t.Copies is { } left)
                copiesOutsideOnVcpu += left.Aggregate(0UL, (s, c) => s + c.Cycles);
        }
        BackendCycles = passes > copiesInPasses ? passes - copiesInPasses : 0;
        ulong inline = passesOnVcpu + copiesOutsideOnVcpu;
        ExitHandlingCycles = handling > inline ? handling - inline : 0;
    }
}

/// <summary>The text `trace compare A B` prints.</summary>
public static class TraceComparisonReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Format(TraceBreakdown a, TraceBreakdown b)
    {
        var sb = new StringBuilder();
        int w = 44;
        string[] labels = ["A", "B"];
        var both = new[] { a, b };
        for (int i = 0; i < 2; i++)
        {
            var x = both[i];
            var h = x.Analysis.Header;
            sb.AppendLine(string.Create(Inv, $"{labels[i]}: {x.Analysis.Path}: {x.Analysis.Records} records, {x.Analysis.Lost} lost, events recorded: {TraceClassNames.Describe(h.Classes)}, TSC {h.TscHz / 1e9:F3} GHz"));
        }
        if (a.Analysis.Lost + b.Analysis.Lost > 0)
            sb.AppendLine("records were lost: the counts of a trace that lost records are too low (record again with a larger --trace-records)");
        var filtered = (a.Classes & b.Classes) != TraceClasses.All;
        if (filtered)
            sb.AppendLine($"classes not recorded in both: {TraceClassNames.Missing(a.Classes & b.Classes)} (their rows are '-')");
        sb.AppendLine();
        sb.AppendLine($"{"",-44}  {"A",14}  {"B",14}  {"B/A",7}");
        Row(sb, w, "packets (frames sent by guests)", a.FramesSent, b.FramesSent, TraceClasses.Rings, a, b);
        Row(sb, w, "frames received by guests", a.FramesReceived, b.FramesReceived, TraceClasses.Rings, a, b);
        Row(sb, w, "frame drops", a.Drops, b.Drops, TraceClasses.Drops, a, b);
        sb.AppendLine();
        bool perPacket = a.Packets > 0 && b.Packets > 0;
        sb.AppendLine(perPacket ? "per packet:" : "per trace (a trace without packets: totals, not per packet):");
        double Pa(double v) => perPacket ? v / a.Packets : v;
        double Pb(double v) => perPacket ? v / b.Packets : v;
        PerRow(sb, w, "  exits", Pa(a.Exits), Pb(b.Exits), TraceClasses.Exits, a, b);
        foreach (uint reason in a.ExitsByReason.Keys.Union(b.ExitsByReason.Keys).Order())
            PerRow(sb, w, "    " + TraceNames.Exit(reason), Pa(a.ExitsByReason.GetValueOrDefault(reason)), Pb(b.ExitsByReason.GetValueOrDefault(reason)), TraceClasses.Exits, a, b);
        foreach (var (label, count, c) in TraceBreakdown.CountRows)
            PerRow(sb, w, label, Pa(count(a)), Pb(count(b)), c, a, b);
        sb.AppendLine();
        sb.AppendLine(perPacket ? "TSC cycles per packet (share of the categories' sum):" : "TSC cycles (share of the categories' sum):");
        foreach (var (label, cycles, c) in TraceBreakdown.CycleRows)
            Cycles(sb, w, label, cycles(a), cycles(b), a, b, Pa, Pb, c);
        if (perPacket)
        {
            double usA = a.TotalCycles / (double)a.Analysis.Header.TscHz * 1e6 / a.Packets;
            double usB = b.TotalCycles / (double)b.Analysis.Header.TscHz * 1e6 / b.Packets;
            sb.AppendLine(string.Create(Inv, $"{"  the sum in µs per packet",-44}  {usA,14:F3}  {usB,14:F3}  {Ratio(usA, usB),7}"));
        }
        return sb.ToString();
    }

    private static bool Has(TraceBreakdown a, TraceBreakdown b, TraceClasses c) => c == TraceClasses.None || ((a.Classes & c) != 0 && (b.Classes & c) != 0);

    private static void Row(StringBuilder sb, int w, string label, long va, long vb, TraceClasses c, TraceBreakdown a, TraceBreakdown b)
    {
        if (!Has(a, b, c))
        {
            sb.AppendLine($"{label.PadRight(w)}  {"-",14}  {"-",14}  {"-",7}");
            return;
        }
        sb.AppendLine($"{label.PadRight(w)}  {va,14}  {vb,14}  {Ratio(va, vb),7}");
    }

    private static void PerRow(StringBuilder sb, int w, string label, double va, double vb, TraceClasses c, TraceBreakdown a, TraceBreakdown b)
    {
        if (!Has(a, b, c))
        {
            sb.AppendLine($"{label.PadRight(w)}  {"-",14}  {"-",14}  {"-",7}");
            return;
        }
        sb.AppendLine(string.Create(Inv, $"{label.PadRight(w)}  {va,14:F3}  {vb,14:F3}  {Ratio(va, vb),7}"));
    }

    private static void Cycles(StringBuilder sb, int w, string label, ulong ca, ulong cb, TraceBreakdown a, TraceBreakdown b, Func<double, double> pa, Func<double, double> pb, TraceClasses c)
    {
        if (!Has(a, b, c))
        {
            sb.AppendLine($"{label.PadRight(w)}  {"-",14}  {"-",14}  {"-",7}");
            return;
        }
        string Cell(ulong v, ulong total, Func<double, double> per) =>
            string.Create(Inv, $"{per(v):F0} {(total == 0 ? 0 : 100.0 * v / total),3:F0}%");
        sb.AppendLine($"{label.PadRight(w)}  {Cell(ca, a.TotalCycles, pa),14}  {Cell(cb, b.TotalCycles, pb),14}  {Ratio(pa(ca), pb(cb)),7}");
    }

    private static string Ratio(double a, double b) => a == 0 ? (b == 0 ? "=" : "-") : (b / a).ToString("F2", Inv);
}
