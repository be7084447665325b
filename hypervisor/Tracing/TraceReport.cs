// The text `parakit trace analyze` prints: a summary of the file (records, lost records, threads,
// time span) and, per domain, xenalyze-style tables. Lost records are always printed, first, so
// nobody reads counts from a trace that silently dropped part of the run.
using System.Globalization;
using System.Text;

namespace ParaKit.Hypervisor.Tracing;

public static class TraceReport
{
    public static string Format(TraceAnalysis a)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var h = a.Header;
        ulong span = a.LastTsc > a.FirstTsc ? a.LastTsc - a.FirstTsc : 0;
        var started = DateTimeOffset.UnixEpoch.AddTicks(h.BaseRealtimeNs / 100);
        sb.AppendLine(string.Create(inv, $"trace {a.Path}: {a.Records} records from {a.Threads.Count} threads, {a.Seconds(span):F3} s, TSC {h.TscHz / 1e9:F3} GHz, recorded {started:yyyy-MM-dd HH:mm:ss.fff} UTC"));
        if (a.Lost == 0)
            sb.AppendLine($"records lost: 0");
        else
            sb.AppendLine($"records lost: {a.Lost} (buffers of {h.RecordsPerThread} records per thread filled up; the counts below miss them: record again with a larger --trace-records)");
        var classes = h.Classes;
        if (classes == TraceClasses.All)
            sb.AppendLine("events recorded: all");
        else
            sb.AppendLine($"events recorded: {TraceClassNames.Describe(classes)} (filtered out: {TraceClassNames.Missing(classes)}; their counts below are absent, not zero)");
        if (a.UnknownRecords != 0)
            sb.AppendLine($"records of unknown events (written by a newer parakit?): {a.UnknownRecords}");
        sb.AppendLine("threads:");
        int w = Math.Max(6, a.Threads.Count == 0 ? 0 : a.Threads.Max(t => t.Name.Length));
        foreach (var t in a.Threads)
            sb.AppendLine($"  {t.Index,3}  {t.Name.PadRight(w)}  {t.Records,10} records  {t.Lost,8} lost");
        foreach (var d in a.Domains)
            FormatDomain(sb, a, d, inv);
        return sb.ToString();
    }

    private static void FormatDomain(StringBuilder sb, TraceAnalysis a, DomainTraceSummary d, CultureInfo inv)
    {
        sb.AppendLine();
        double seconds = d.LastTsc > d.FirstTsc ? a.Seconds(d.LastTsc - d.FirstTsc) : 0;
        sb.AppendLine(string.Create(inv, $"domain {d.Id} ({d.Name}): {d.Records} records over {seconds:F3} s"));
        long exits = d.TotalExits;
        if (exits > 0 || d.Kicks > 0)
        {
            sb.Append(string.Create(inv, $"  exits: {exits}"));
            if (seconds > 0)
                sb.Append(string.Create(inv, $" ({exits / seconds:F0}/s)"));
            sb.AppendLine(string.Create(inv, $", {a.Seconds(d.GuestCycles):F3} s inside KVM_RUN, kicks {d.Kicks}"));
            sb.AppendLine($"    {"reason",-16}  {"count",10}  {"share",7}  {"handling µs (mean, asleep excluded)",10}");
            foreach (var (reason, e) in d.Exits)
            {
                string mean = e.Handled == 0 ? "-" : a.Microseconds(e.HandlingCycles / (double)e.Handled).ToString("F2", inv);
                sb.AppendLine(string.Create(inv, $"    {TraceNames.Exit(reason),-16}  {e.Count,10}  {100.0 * e.Count / exits,6:F2}%  {mean,10}"));
            }
        }
        if (d.Hypercalls.Count > 0)
        {
            sb.AppendLine($"  hypercalls: {d.TotalHypercalls}");
            int w = Math.Max(24, d.Hypercalls.Values.Max(x => x.Name.Length));
            sb.AppendLine($"    {"op".PadRight(w)}  {"count",10}  {"errors",7}  {"mean µs",10}  {"median µs",10}  {"p99 µs",10}");
            foreach (var hc in d.Hypercalls.Values)
            {
                sb.AppendLine(string.Create(inv,
                    $"    {hc.Name.PadRight(w)}  {hc.Count,10}  {hc.Errors,7}  {a.Microseconds(hc.MeanCycles),10:F2}  {a.Microseconds(hc.Percentile(50)),10:F2}  {a.Microseconds(hc.Percentile(99)),10:F2}"));
            }
        }
        if (d.EventSends + d.EventDeliveries + d.EventsMerged > 0)
            sb.AppendLine($"  events: {d.EventSends} sent, {d.EventDeliveries} delivered to it, {d.EventsMerged} merged into a pending event");
        if (d.Blocks + d.Polls > 0 || d.Wakes.Sum() > 0)
        {
            sb.AppendLine(string.Create(inv,
                $"  sleeps: {d.Blocks} blocks, {d.Polls} polls; wakes: {d.Wakes.Sum()} (event {d.Wakes[0]}, timer {d.Wakes[1]}, timeout {d.Wakes[2]}, stop {d.Wakes[3]}); {a.Seconds(d.BlockedCycles):F3} s asleep"));
        }
        if (d.Tx.Batches + d.Rx.Batches > 0 || d.Drops.Count > 0)
        {
            Ring(sb, "tx (guest to domain 0)", d.Tx, inv);
            Ring(sb, "rx (domain 0 to guest)", d.Rx, inv);
            Vifs(sb, d, inv);
            sb.AppendLine("  frame drops: " + (d.Drops.Count == 0 ? "none" : string.Join(' ', d.Drops.Select(p => $"{TraceNames.Drop(p.Key)}={p.Value}"))));
        }
        if (d.GrantCopiesIn + d.GrantCopiesOut > 0)
        {
            sb.AppendLine($"  grant copies by domain 0: {d.GrantCopiesIn + d.GrantCopiesOut} ({d.GrantBytesIn + d.GrantBytesOut} bytes): "
                + $"out of the guest {d.GrantCopiesOut} ({d.GrantBytesOut} bytes), into it {d.GrantCopiesIn} ({d.GrantBytesIn} bytes)"
                + (d.GrantCopyCycles == 0 ? "" : string.Create(inv, $", {a.Microseconds(d.GrantCopyCycles / (double)(d.GrantCopiesIn + d.GrantCopiesOut)):F3} µs each"))
                + (d.GrantCopyBatches == 0 ? "" : $", in {d.GrantCopyBatches} batches"));
        }
        if (d.BackendPasses > 0)
        {
            sb.AppendLine(string.Create(inv,
                $"  backend passes: {d.BackendPasses} ({d.BackendFrames} frames, {d.BackendFrames / (double)d.BackendPasses:F2} per pass), {a.Seconds(d.BackendCycles):F3} s, {a.Microseconds(d.BackendCycles / (double)d.BackendPasses):F2} µs each"));
        }
        if (d.Registers.Count > 0)
            DeviceAccesses(sb, a, d);
    }

    private static void DeviceAccesses(StringBuilder sb, TraceAnalysis a, DomainTraceSummary d)
    {
        sb.AppendLine($"  device accesses: {d.DeviceReads + d.DeviceWrites} ({d.DeviceReads} reads, {d.DeviceWrites} writes)");
        foreach (var device in d.Registers.GroupBy(p => p.Key.Device))
        {
            long reads = device.Sum(p => p.Value.Reads), writes = device.Sum(p => p.Value.Writes);
            sb.AppendLine($"    {a.DeviceName(device.Key)}: {reads} reads, {writes} writes");
            // Busiest registers first: that is where the exits of an emulated device go.
            int w = Math.Max(12, device.Max(p => a.RegisterName(device.Key, p.Key.Offset).Length));
            sb.AppendLine($"      {"register".PadRight(w)}  {"offset",10}  {"reads",10}  {"writes",10}  last value");
            foreach (var (key, reg) in device.OrderByDescending(p => p.Value.Reads + p.Value.Writes).ThenBy(p => p.Key.Offset))
                sb.AppendLine($"      {a.RegisterName(key.Device, key.Offset).PadRight(w)}  {"0x" + key.Offset.ToString("x", CultureInfo.InvariantCulture),10}  {reg.Reads,10}  {reg.Writes,10}  0x{reg.LastValue:x}");
        }
    }

    /// <summary>The ring figures per vif: a batch is one netback pass (TX: after the guest's notify
    /// or a retry; RX: one flush), so requests per non-empty batch is what the guest or domain 0
    /// handed over per notification; requests per notify counts domain 0's notifies to the guest.</summary>
    private static void Vifs(StringBuilder sb, DomainTraceSummary d, CultureInfo inv)
    {
        if (d.Vifs.Count == 0)
            return;
        sb.AppendLine("  rings per vif (batch = one netback pass; req/batch over non-empty batches; notifies to the guest):");
        sb.AppendLine("    vif  ring      batches    empty     requests  req/batch    max       frames  notifies  req/notify    drops");
        foreach (var (index, v) in d.Vifs)
        {
            VifRing(sb, index, "tx", v.Tx, v.Drops, inv);
            VifRing(sb, index, "rx", v.Rx, -1, inv);
        }
    }

    private static void VifRing(StringBuilder sb, int vif, string dir, RingSummary r, long drops, CultureInfo inv)
    {
        long busy = r.Batches - r.EmptyBatches;
        string perBusy = busy == 0 ? "-" : (r.Requests / (double)busy).ToString("F2", inv);
        string perNotify = r.Notifies == 0 ? "-" : (r.Requests / (double)r.Notifies).ToString("F2", inv);
        string dropText = drops < 0 ? "" : drops.ToString(inv);
        sb.AppendLine(string.Create(inv, $"    {vif,3}  {dir,-4} {r.Batches,12} {r.EmptyBatches,8} {r.Requests,12} {perBusy,10} {r.MaxRequests,6} {r.Frames,12} {r.Notifies,9} {perNotify,11} {dropText,8}"));
    }

    private static void Ring(StringBuilder sb, string what, RingSummary r, CultureInfo inv)
    {
        long busy = r.Batches - r.EmptyBatches;
        string perBatch = r.Batches == 0 ? "-" : (r.Requests / (double)r.Batches).ToString("F2", inv);
        string perBusy = busy == 0 ? "-" : (r.Requests / (double)busy).ToString("F2", inv);
        string perNotify = r.Notifies == 0 ? "-" : (r.Frames / (double)r.Notifies).ToString("F2", inv);
        sb.AppendLine($"  ring {what}: {r.Batches} batches ({r.EmptyBatches} empty), {r.Requests} requests ({perBatch} per batch, {perBusy} per non-empty one, at most {r.MaxRequests}), {r.Frames} frames, {r.Notifies} notifies to the guest ({perNotify} frames per notify)");
    }
}
