// What one .nettrace file says, read with TraceEvent's EventPipeEventSource: the session's time
// span and lost events, events per provider and name, and the ParaKit-Hypervisor events by kind
// (their payloads are read by the names HypervisorEvents.cs gives them).
using System;
using System.Collections.Generic;
using Microsoft.Diagnostics.Tracing;

namespace ParaKit.NetTrace;

/// <summary>One domain's lifecycle as the DomainStarted/DomainStopped events tell it.</summary>
public sealed class DomainLifecycle(uint id)
{
    public uint Id { get; } = id;
    public string Name { get; set; } = "";
    /// <summary>Seconds since the session started; null when the event is not in the file.</summary>
    public double? StartedAt { get; set; }
    public double? StoppedAt { get; set; }
    public string State { get; set; } = "";
    public int ExitCode { get; set; }
    public string Message { get; set; } = "";
}

/// <summary>XenStore requests of one wire type (or one domain).</summary>
public sealed class XenStoreCount
{
    public long Requests, Failed, PayloadBytes, InTransaction;
}

public sealed record HypervisorError(double At, uint Domain, string Component, string Message);

public sealed class NetTraceSummary
{
    public const string ProviderName = "ParaKit-Hypervisor";

    public DateTime SessionStart { get; private set; }
    public double Seconds { get; private set; }
    public long Events { get; private set; }
    public int EventsLost { get; private set; }
    /// <summary>The traced process (from its events; 0 if the file holds none).</summary>
    public int ProcessId { get; private set; }
    /// <summary>Events by provider, then by event name.</summary>
    public SortedDictionary<string, SortedDictionary<string, long>> Providers { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<uint, DomainLifecycle> Domains { get; } = [];
    public List<HypervisorError> Errors { get; } = [];
    public SortedDictionary<string, XenStoreCount> XenStoreByType { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<uint, XenStoreCount> XenStoreByDomain { get; } = [];
    /// <summary>ParaKit-Hypervisor events of a name this reader does not know (a newer parakit).</summary>
    public long UnknownHypervisorEvents { get; private set; }

    public static NetTraceSummary Read(string path)
    {
        var s = new NetTraceSummary();
        using var source = new EventPipeEventSource(path);
        source.Dynamic.All += e => s.Add(e);
        source.Process();
        s.SessionStart = source.SessionStartTime.ToUniversalTime();
        s.Seconds = Math.Max(0, (source.SessionEndTime - source.SessionStartTime).TotalSeconds);
        s.EventsLost = source.EventsLost;
        return s;
    }

    private void Add(TraceEvent e)
    {
        Events++;
        if (ProcessId == 0 && e.ProcessID > 0)
            ProcessId = e.ProcessID;
        string provider = string.IsNullOrEmpty(e.ProviderName) ? e.ProviderGuid.ToString() : e.ProviderName;
        string name = string.IsNullOrEmpty(e.EventName) ? $"event {(int)e.ID}" : e.EventName;
        if (!Providers.TryGetValue(provider, out var names))
            Providers[provider] = names = new SortedDictionary<string, long>(StringComparer.Ordinal);
        names[name] = names.GetValueOrDefault(name) + 1;
        if (provider != ProviderName)
            return;
        double at = e.TimeStampRelativeMSec / 1000.0;
        switch (name)
        {
            case "DomainStarted":
            {
                var d = Domain(Get<uint>(e, "domain"));
                d.Name = Get<string>(e, "name") ?? "";
                d.StartedAt = at;
                break;
            }
            case "DomainStopped":
            {
                var d = Domain(Get<uint>(e, "domain"));
                d.Name = Get<string>(e, "name") ?? d.Name;
                d.StoppedAt = at;
                d.State = Get<string>(e, "state") ?? "";
                d.ExitCode = Get<int>(e, "exitCode");
                d.Message = Get<string>(e, "message") ?? "";
                break;
            }
            case "Error":
                Errors.Add(new HypervisorError(at, Get<uint>(e, "domain"), Get<string>(e, "component") ?? "", Get<string>(e, "message") ?? ""));
                break;
            case "XenStoreRequest":
            {
                uint domain = Get<uint>(e, "domain");
                string type = Get<string>(e, "type") ?? "?";
                foreach (var c in new[] { Count(XenStoreByType, type), Count(XenStoreByDomain, domain) })
                {
                    c.Requests++;
                    c.PayloadBytes += Get<int>(e, "payloadBytes");
                    if (Get<int>(e, "error") != 0)
                        c.Failed++;
                    if (Get<uint>(e, "transaction") != 0)
                        c.InTransaction++;
                }
                break;
            }
            default:
                UnknownHypervisorEvents++;
                break;
        }
    }

    private DomainLifecycle Domain(uint id)
    {
        if (!Domains.TryGetValue(id, out var d))
            Domains[id] = d = new DomainLifecycle(id);
        return d;
    }

    private static XenStoreCount Count<TKey>(SortedDictionary<TKey, XenStoreCount> table, TKey key) where TKey : notnull
    {
        if (!table.TryGetValue(key, out var c))
            table[key] = c = new XenStoreCount();
        return c;
    }

    /// <summary>A payload field by name, converted to <typeparamref name="T"/>; default when absent.</summary>
    private static T? Get<T>(TraceEvent e, string field)
    {
        int i = e.PayloadIndex(field);
        if (i < 0)
            return default;
        object? v = e.PayloadValue(i);
        if (v is T t)
            return t;
        if (v is IConvertible && typeof(T) != typeof(string))
            return (T)Convert.ChangeType(v, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
        return default;
    }
}
