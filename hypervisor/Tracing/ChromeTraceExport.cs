// `parakit trace export --chrome`: a trace file as Chrome trace-event JSON, which Perfetto's UI and
// chrome://tracing open. Process = domain, thread = the thread that wrote the records: a vCPU
// thread sits in its domain's process, domain 0's workers (network switches, xenstored, main) in
// process 0, so there is one track per vCPU and per domain-0 worker. Time in KVM_RUN, exit
// handling, hypercalls and sleeps are complete ("X") events with durations; sends, deliveries,
// kicks, copies, ring batches, drops and device accesses are instants; ring frames and drops are
// also per-domain counters. Written in one streaming pass with Utf8JsonWriter (no reflection, no
// document in memory), so traces of millions of records export in constant memory.
using System.Globalization;
using System.Text.Json;

namespace ParaKit.Hypervisor.Tracing;

/// <summary>What an export wrote.</summary>
public readonly record struct ChromeExportResult(long Events, int Processes, int Threads);

public static class ChromeTraceExport
{
    private const int FlushBytes = 1 << 16;

    /// <summary>Per-thread state: the exit whose handling has not ended yet.</summary>
    private struct ThreadState
    {
        public int Pid;
        public bool ExitPending;
        public ulong ExitTsc;
        public uint ExitReason;
    }

    /// <summary>Per-domain running totals for the counters.</summary>
    private sealed class DomainCounters
    {
        public long TxFrames, RxFrames, Drops;
    }

    public static ChromeExportResult Write(TraceFileReader reader, Stream output)
    {
        var h = reader.Header;
        double usPerCycle = 1e6 / h.TscHz;
        double Us(ulong tsc) => Math.Round((tsc >= h.BaseTsc ? (double)(tsc - h.BaseTsc) : -(double)(h.BaseTsc - tsc)) * usPerCycle, 3);
        double Dur(ulong cycles) => Math.Round(cycles * usPerCycle, 3);

        var names = reader.Domains.ToDictionary(d => d.Id, d => d.Name);
        var threads = new ThreadState[reader.Threads.Count];
        foreach (var t in reader.Threads)
            threads[t.Index].Pid = ProcessOf(t.Name, reader.Domains);
        var devices = reader.Devices.ToDictionary(d => d.Id);
        var counters = new Dictionary<ushort, DomainCounters>();

        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        long events = 0;
        json.WriteStartObject();
        json.WriteString("displayTimeUnit", "ns");
        json.WriteStartObject("otherData");
        json.WriteString("source", "parakit trace export --chrome");
        json.WriteString("trace", reader.Path);
        json.WriteNumber("records", h.RecordCount);
        json.WriteNumber("records_lost", h.LostRecords);
        json.WriteString("events_recorded", TraceClassNames.Describe(h.Classes));
        json.WriteNumber("tsc_hz", h.TscHz);
        json.WriteNumber("base_realtime_ns", h.BaseRealtimeNs);
        json.WriteEndObject();
        json.WriteStartArray("traceEvents");

        // Metadata: name every process (domain) and thread (track) before any event.
        var pids = threads.Select(t => t.Pid).Append(0).Concat(reader.Domains.Select(d => (int)d.Id)).Distinct().Order().ToList();
        foreach (int pid in pids)
        {
            string pname = pid == 0 ? "Domain-0" : $"domain {pid} ({names.GetValueOrDefault((uint)pid, "?")})";
            Metadata(json, "process_name", pid, 0, pname);
            Metadata(json, "process_sort_index", pid, 0, null, pid);
            events += 2;
        }
        foreach (var t in reader.Threads)
        {
            string tname = t.Lost == 0 ? t.Name : $"{t.Name} ({t.Lost} records lost)";
            Metadata(json, "thread_name", threads[t.Index].Pid, Tid(t.Index), tname);
            Metadata(json, "thread_sort_index", threads[t.Index].Pid, Tid(t.Index), null, t.Index);
            events += 2;
        }

        foreach (var r in reader.Records())
        {
            if (r.Thread >= threads.Length)
                continue;
            ref var st = ref threads[r.Thread];
            int pid = st.Pid, tid = Tid(r.Thread);
            switch (r.Event)
            {
                case TraceEvent.VcpuExit:
                case TraceEvent.VcpuKick:
                {
                    if (r.A1 != 0 && r.A1 <= r.Tsc)
                    {
                        ulong entry = r.Tsc - r.A1;
                        if (st.ExitPending && entry >= st.ExitTsc)
                        {
                            Complete(json, "exit " + TraceNames.Exit(st.ExitReason), "exit", pid, tid, Us(st.ExitTsc), Dur(entry - st.ExitTsc));
                            events++;
                        }
                        Complete(json, "guest", "guest", pid, tid, Us(entry), Dur(r.A1));
                        events++;
                    }
                    st.ExitPending = r.Event == TraceEvent.VcpuExit;
                    st.ExitTsc = r.Tsc;
                    st.ExitReason = (uint)r.A0;
                    if (r.Event == TraceEvent.VcpuKick)
                    {
                        Instant(json, "kick", "exit", pid, tid, Us(r.Tsc));
                        json.WriteEndObject();
                        events++;
                    }
                    break;
                }
                case TraceEvent.Hypercall:
                {
                    int op = (int)(uint)r.A0;
                    string name = TraceNames.Hypercall(op, TraceNames.HasSubOp(op) ? (uint)(r.A0 >> 32) : null);
                    Complete(json, name, "hypercall", pid, tid, Us(r.Tsc - Math.Min(r.A1, r.Tsc)), Dur(r.A1), keepOpen: true);
                    json.WriteStartObject("args");
                    json.WriteNumber("domain", r.Domain);
                    if (r.Flags != 0)
                        json.WriteNumber("errno", r.Flags);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    events++;
                    break;
                }
                case TraceEvent.VcpuWake:
                    Complete(json, "asleep (" + TraceNames.Wake((WakeReason)r.Flags) + ")", "sched", pid, tid, Us(r.Tsc - Math.Min(r.A0, r.Tsc)), Dur(r.A0));
                    events++;
                    break;
                case TraceEvent.VcpuBlock:
                    break;   // the Wake record carries the whole sleep
                case TraceEvent.DomainStart:
                case TraceEvent.DomainStop:
                    Instant(json, r.Event == TraceEvent.DomainStart ? "domain start" : "domain stop", "lifecycle", pid, tid, Us(r.Tsc));
                    Args(json, r.Domain);
                    events++;
                    break;
                case TraceEvent.EventSend:
                case TraceEvent.EventDeliver:
                    Instant(json, r.Event == TraceEvent.EventSend ? "evtchn send" : (r.Flags & 1) != 0 ? "evtchn deliver" : "evtchn merged", "events", pid, tid, Us(r.Tsc));
                    Args(json, r.Domain, "port", r.A0);
                    events++;
                    break;
                case TraceEvent.GrantCopy:
                    Instant(json, (r.Flags & 1) != 0 ? "grant copy in" : "grant copy out", "grants", pid, tid, Us(r.Tsc));
                    Args(json, r.Domain, "bytes", r.A0 & uint.MaxValue, "gref", r.A1);
                    events++;
                    break;
                case TraceEvent.GrantCopyBatch:
                    Instant(json, (r.Flags & 1) != 0 ? "grant copies in" : "grant copies out", "grants", pid, tid, Us(r.Tsc));
                    Args(json, r.Domain, "copies", r.A0 & uint.MaxValue, "bytes", r.A0 >> 32, "cycles", r.A1);
                    events++;
                    break;
                case TraceEvent.NetTxBatch:
                case TraceEvent.NetRxBatch:
                {
                    bool rx = r.Event == TraceEvent.NetRxBatch;
                    Instant(json, rx ? "rx batch" : "tx batch", "rings", pid, tid, Us(r.Tsc));
                    Args(json, r.Domain, "requests", r.A0, "frames", r.A1, "notified", (ulong)(r.Flags & 1), "vif", (ulong)r.Vif);
                    var c = Counters(counters, r.Domain);
                    long total = rx ? c.RxFrames += (long)r.A1 : c.TxFrames += (long)r.A1;
                    Counter(json, rx ? "rx frames" : "tx frames", r.Domain, Us(r.Tsc), total);
                    events += 2;
                    break;
                }
                case TraceEvent.NetDrop:
                {
                    Instant(json, "drop " + TraceNames.Drop((FrameDropReason)(r.Flags & 0xFF)), "drops", pid, tid, Us(r.Tsc));
                    Args(json, r.Domain, "frames", r.A0);
                    var c = Counters(counters, r.Domain);
                    c.Drops += (long)r.A0;
                    Counter(json, "drops", r.Domain, Us(r.Tsc), c.Drops);
                    events += 2;
                    break;
                }
                case TraceEvent.DeviceAccess:
                {
                    ushort dev = (ushort)(r.A0 >> 48);
                    ulong offset = r.A0 & TraceDevices.OffsetMask;
                    string device = devices.TryGetValue(dev, out var d) ? d.Name : $"device {dev}";
                    string reg = d is null ? $"0x{offset:x}" : d.RegisterName(offset);
                    Instant(json, $"{device} {reg} {((r.Flags & 1) != 0 ? "write" : "read")}", "device", pid, tid, Us(r.Tsc));
                    json.WriteStartObject("args");
                    json.WriteNumber("domain", r.Domain);
                    json.WriteString("value", "0x" + r.A1.ToString("x", CultureInfo.InvariantCulture));
                    json.WriteNumber("width", (r.Flags >> 1) & 0xF);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    events++;
                    break;
                }
                default:
                    break;   // an event this parakit does not know: analyze counts those
            }
            if (json.BytesPending > FlushBytes)
                json.Flush();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        return new ChromeExportResult(events, pids.Count, threads.Length);
    }

    /// <summary>Opens <paramref name="tracePath"/> and writes its export to <paramref name="jsonPath"/>.</summary>
    public static ChromeExportResult Write(string tracePath, string jsonPath)
    {
        using var reader = TraceFileReader.Open(tracePath);
        using var output = new FileStream(jsonPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        return Write(reader, output);
    }

    /// <summary>A vCPU thread ("vcpu NAME", the name cut to the thread table's 24 bytes) belongs to
    /// the domain of that name; every other thread is domain 0's.</summary>
    internal static int ProcessOf(string threadName, IReadOnlyList<TraceDomainName> domains)
    {
        if (!threadName.StartsWith("vcpu ", StringComparison.Ordinal))
            return 0;
        string name = threadName[5..];
        foreach (var d in domains)
        {
            if (d.Name == name)
                return (int)d.Id;
        }
        foreach (var d in domains)
        {
            if (name.Length > 0 && d.Name.StartsWith(name, StringComparison.Ordinal))
                return (int)d.Id;
        }
        return 0;
    }

    // Thread ids start at 1: some viewers treat tid 0 as "no thread".
    private static int Tid(int index) => index + 1;

    private static DomainCounters Counters(Dictionary<ushort, DomainCounters> all, ushort domain)
    {
        if (!all.TryGetValue(domain, out var c))
            all[domain] = c = new DomainCounters();
        return c;
    }

    private static void Metadata(Utf8JsonWriter json, string name, int pid, int tid, string? value, int sortIndex = 0)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("ph", "M");
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
        json.WriteStartObject("args");
        if (value is not null)
            json.WriteString("name", value);
        else
            json.WriteNumber("sort_index", sortIndex);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Complete(Utf8JsonWriter json, string name, string cat, int pid, int tid, double ts, double dur, bool keepOpen = false)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("cat", cat);
        json.WriteString("ph", "X");
        json.WriteNumber("ts", ts);
        json.WriteNumber("dur", dur);
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
        if (!keepOpen)
            json.WriteEndObject();
    }

    /// <summary>Starts an instant event on the thread's track; the caller adds args and ends it.</summary>
    private static void Instant(Utf8JsonWriter json, string name, string cat, int pid, int tid, double ts)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("cat", cat);
        json.WriteString("ph", "i");
        json.WriteString("s", "t");
        json.WriteNumber("ts", ts);
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
    }

    /// <summary>The args of an instant (the record's domain and up to four numbers), and its end.</summary>
    private static void Args(Utf8JsonWriter json, ushort domain, string? k1 = null, ulong v1 = 0, string? k2 = null, ulong v2 = 0, string? k3 = null, ulong v3 = 0, string? k4 = null, ulong v4 = 0)
    {
        json.WriteStartObject("args");
        json.WriteNumber("domain", domain);
        if (k1 is not null)
            json.WriteNumber(k1, v1);
        if (k2 is not null)
            json.WriteNumber(k2, v2);
        if (k3 is not null)
            json.WriteNumber(k3, v3);
        if (k4 is not null)
            json.WriteNumber(k4, v4);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Counter(Utf8JsonWriter json, string name, ushort domain, double ts, long value)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("ph", "C");
        json.WriteNumber("ts", ts);
        json.WriteNumber("pid", domain);
        json.WriteStartObject("args");
        json.WriteNumber("value", value);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
