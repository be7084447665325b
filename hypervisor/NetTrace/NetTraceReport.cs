// The text `parakit trace analyze FILE.nettrace` prints: the session, lost events, events per
// provider, then the ParaKit-Hypervisor events: domains (started, stopped, how), errors, and
// XenStore requests by wire type and by domain. Times are seconds since the session started.
using System;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ParaKit.NetTrace;

public static class NetTraceReport
{
    public static string Format(string path, NetTraceSummary s)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"nettrace {path}: {s.Events} events, {s.Seconds:F3} s, process {s.ProcessId}, recorded {s.SessionStart:yyyy-MM-dd HH:mm:ss.fff} UTC"));
        sb.AppendLine(s.EventsLost == 0 ? "events lost: 0" : $"events lost: {s.EventsLost} (the session's buffers overflowed: counts below are short; record with a larger buffer, e.g. DOTNET_EventPipeCircularMB or dotnet-trace --buffersize)");
        sb.AppendLine("providers:");
        foreach (var (provider, names) in s.Providers)
        {
            sb.AppendLine($"  {provider,-40} {names.Values.Sum(),10} events");
            foreach (var (name, count) in names)
                sb.AppendLine($"    {name,-38} {count,10}");
        }
        if (!s.Providers.ContainsKey(NetTraceSummary.ProviderName))
        {
            sb.AppendLine($"no {NetTraceSummary.ProviderName} events: enable the provider with keywords (e.g. --providers {NetTraceSummary.ProviderName}:0xFFFFFFFF:5); a session with keywords 0 gets none");
            return sb.ToString();
        }
        sb.AppendLine();
        sb.AppendLine($"{NetTraceSummary.ProviderName}:");
        sb.AppendLine($"  domains: {s.Domains.Count}");
        if (s.Domains.Count > 0)
        {
            sb.AppendLine("    id  name                 started s   stopped s  state       exit  message");
            foreach (var d in s.Domains.Values)
            {
                string started = d.StartedAt is { } a ? a.ToString("F3", inv) : "-";
                string stopped = d.StoppedAt is { } b ? b.ToString("F3", inv) : "-";
                string exit = d.StoppedAt is null ? "-" : d.ExitCode.ToString(inv);
                sb.AppendLine($"    {d.Id,2}  {d.Name,-20} {started,9} {stopped,11}  {(d.State.Length == 0 ? "-" : d.State),-10} {exit,5}  {d.Message}".TrimEnd());
            }
        }
        sb.AppendLine($"  errors: {(s.Errors.Count == 0 ? "none" : s.Errors.Count.ToString(inv))}");
        foreach (var e in s.Errors)
            sb.AppendLine(string.Create(inv, $"    {e.At,9:F3} s  domain {e.Domain}  {e.Component}: {e.Message}"));
        long requests = s.XenStoreByType.Values.Sum(c => c.Requests);
        long failed = s.XenStoreByType.Values.Sum(c => c.Failed);
        sb.AppendLine($"  xenstore requests: {requests} ({failed} failed)");
        if (requests > 0)
        {
            sb.AppendLine("    type                      count   failed  in a transaction  payload bytes");
            foreach (var (type, c) in s.XenStoreByType.OrderByDescending(p => p.Value.Requests).ThenBy(p => p.Key, StringComparer.Ordinal))
                sb.AppendLine($"    {type,-22} {c.Requests,8} {c.Failed,8} {c.InTransaction,17} {c.PayloadBytes,14}");
            sb.AppendLine("    by domain:");
            foreach (var (domain, c) in s.XenStoreByDomain)
            {
                string name = s.Domains.TryGetValue(domain, out var d) && d.Name.Length > 0 ? $" ({d.Name})" : domain == 0 ? " (Domain-0)" : "";
                sb.AppendLine($"    {("domain " + domain + name),-22} {c.Requests,8} {c.Failed,8} {c.InTransaction,17} {c.PayloadBytes,14}");
            }
        }
        if (s.UnknownHypervisorEvents > 0)
            sb.AppendLine($"  events this reader does not know: {s.UnknownHypervisorEvents}");
        return sb.ToString();
    }
}
