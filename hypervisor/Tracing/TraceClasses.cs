// The classes a recording can filter by (`--events exits,hypercalls` or `--trace-events ...`): each
// trace point belongs to exactly one, a session switches on the ones asked for, and a point of a
// class left out returns after one static flag check. The set recorded is written into the trace
// file's header, so every analysis says which counts are absent rather than zero.
using System.Text;

namespace ParaKit.Hypervisor.Tracing;

/// <summary>Classes of trace events; the bits are part of the file format (header offset 88).</summary>
[Flags]
public enum TraceClasses : uint
{
    None = 0,
    /// <summary>DomainStart, DomainStop.</summary>
    Lifecycle = 1 << 0,
    /// <summary>VcpuExit, VcpuKick.</summary>
    Exits = 1 << 1,
    /// <summary>VcpuBlock, VcpuWake.</summary>
    Sched = 1 << 2,
    /// <summary>Hypercall.</summary>
    Hypercalls = 1 << 3,
    /// <summary>EventSend, EventDeliver.</summary>
    Events = 1 << 4,
    /// <summary>GrantCopyBatch (and GrantCopy in older files).</summary>
    Grants = 1 << 5,
    /// <summary>NetTxBatch, NetRxBatch, BackendPass.</summary>
    Rings = 1 << 6,
    /// <summary>NetDrop.</summary>
    Drops = 1 << 7,
    /// <summary>DeviceAccess.</summary>
    Device = 1 << 8,
    All = Lifecycle | Exits | Sched | Hypercalls | Events | Grants | Rings | Drops | Device,
}

/// <summary>The names users type for classes, and the class of each event.</summary>
public static class TraceClassNames
{
    /// <summary>In the order `--help` and reports list them.</summary>
    public static readonly (string Name, TraceClasses Class)[] Known =
    [
        ("exits", TraceClasses.Exits),
        ("hypercalls", TraceClasses.Hypercalls),
        ("events", TraceClasses.Events),
        ("sched", TraceClasses.Sched),
        ("rings", TraceClasses.Rings),
        ("grants", TraceClasses.Grants),
        ("drops", TraceClasses.Drops),
        ("lifecycle", TraceClasses.Lifecycle),
        ("device", TraceClasses.Device),
    ];

    public static string List => string.Join(", ", Known.Select(k => k.Name));

    /// <summary>Parses "all" or a comma-separated list of class names; false with a sentence
    /// naming the first unknown word otherwise.</summary>
    public static bool TryParse(string text, out TraceClasses classes, out string? error)
    {
        classes = TraceClasses.None;
        error = null;
        foreach (string raw in text.Split(','))
        {
            string word = raw.Trim().ToLowerInvariant();
            if (word == "all")
            {
                classes |= TraceClasses.All;
                continue;
            }
            int i = Array.FindIndex(Known, k => k.Name == word);
            if (i < 0)
            {
                error = word.Length == 0
                    ? $"an empty event class in '{text}' (classes: all, {List})"
                    : $"unknown event class '{word}' (classes: all, {List})";
                classes = TraceClasses.None;
                return false;
            }
            classes |= Known[i].Class;
        }
        return true;
    }

    /// <summary>"all", or the recorded classes by name.</summary>
    public static string Describe(TraceClasses classes)
    {
        if ((classes & TraceClasses.All) == TraceClasses.All)
            return "all";
        var sb = new StringBuilder();
        foreach (var (name, c) in Known)
        {
            if ((classes & c) != 0)
                sb.Append(sb.Length == 0 ? "" : ",").Append(name);
        }
        return sb.Length == 0 ? "none" : sb.ToString();
    }

    /// <summary>The classes not in <paramref name="classes"/>, by name.</summary>
    public static string Missing(TraceClasses classes) => Describe(TraceClasses.All & ~classes);

    /// <summary>The class an event belongs to (None for numbers this parakit does not know).</summary>
    public static TraceClasses Of(TraceEvent ev) => ev switch
    {
        TraceEvent.DomainStart or TraceEvent.DomainStop => TraceClasses.Lifecycle,
        TraceEvent.VcpuExit or TraceEvent.VcpuKick => TraceClasses.Exits,
        TraceEvent.VcpuBlock or TraceEvent.VcpuWake => TraceClasses.Sched,
        TraceEvent.Hypercall => TraceClasses.Hypercalls,
        TraceEvent.EventSend or TraceEvent.EventDeliver => TraceClasses.Events,
        TraceEvent.GrantCopy or TraceEvent.GrantCopyBatch => TraceClasses.Grants,
        TraceEvent.NetTxBatch or TraceEvent.NetRxBatch or TraceEvent.BackendPass => TraceClasses.Rings,
        TraceEvent.NetDrop => TraceClasses.Drops,
        TraceEvent.DeviceAccess => TraceClasses.Device,
        _ => TraceClasses.None,
    };
}
