// XS_CONTROL (type 0), the commands Xen's `xenstore-control` sends: `check`, `quota`,
// `quota <domid>` and `help`, answered in cxenstored's format so the Debian tool prints them as it
// would against Xen. The payload is the command and its arguments, each nul-terminated; the
// reply is text with one nul at the end. Commands that make no sense here (live-update, log
// files, memory reports) are not offered: they get EINVAL like any unknown command.
using System.Globalization;
using System.Text;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

internal static class StoreControl
{
    private static readonly (string Name, string Args, string About)[] s_commands =
    [
        ("check", "", "check the store's books against its tree"),
        ("quota", "[<domid>]", "the quota settings, or one domain's usage"),
        ("help", "", "this list"),
    ];

    /// <summary>Runs one control command for a privileged client (the caller checked that), with
    /// the store's lock held.</summary>
    public static XsError Execute(XenStore store, ReadOnlySpan<byte> payload, out byte[]? reply)
    {
        reply = null;
        if (!TrySplit(payload, out var words) || words.Count == 0)
            return XsError.EINVAL;
        string? text = words[0] switch
        {
            "check" when words.Count == 1 => Check(store),
            "quota" when words.Count == 1 => QuotaSettings(store.Quotas),
            "quota" when words.Count == 2 => DomainUsage(store, words[1]),
            "help" when words.Count == 1 => Help(),
            _ => "",
        };
        if (text is null)
            return XsError.ENOENT; // `quota N` for a domain the store does not know, as cxenstored
        if (text.Length == 0)
            return XsError.EINVAL;
        reply = Encoding.ASCII.GetBytes(text + "\0");
        return reply.Length > XsLimits.PayloadMax ? XsError.E2BIG : XsError.None;
    }

    /// <summary>"cmd\0arg\0...": every word must end in a nul and be printable ASCII.</summary>
    private static bool TrySplit(ReadOnlySpan<byte> payload, out List<string> words)
    {
        words = [];
        while (payload.Length > 0)
        {
            int nul = payload.IndexOf((byte)0);
            if (nul < 0)
                return false;
            foreach (byte b in payload[..nul])
            {
                if (b is < 0x20 or > 0x7E)
                    return false;
            }
            words.Add(Encoding.ASCII.GetString(payload[..nul]));
            payload = payload[(nul + 1)..];
        }
        return true;
    }

    private static string Check(XenStore store)
    {
        var problems = store.CheckLocked();
        return problems.Count == 0 ? "OK" : "store inconsistent:\n" + string.Join('\n', problems);
    }

    private static string QuotaSettings(StoreQuotas q)
    {
        var sb = new StringBuilder("Quota settings:\n");
        Line(sb, "nodes", q.NodesPerDomain, "Nodes per domain");
        Line(sb, "watches", q.WatchesPerDomain, "Watches per domain");
        Line(sb, "transactions", q.TransactionsPerDomain, "Transactions per domain");
        Line(sb, "outstanding", q.OutstandingReplies, "Outstanding requests per connection");
        Line(sb, "node-size", q.MaxValueSize, "Max. size of a node");
        Line(sb, "queued-messages", q.MaxQueuedMessages, "Queued messages per connection before watch events are dropped");
        return sb.ToString().TrimEnd('\n');
    }

    private static string? DomainUsage(XenStore store, string arg)
    {
        if (!uint.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out uint domid))
            return "";
        if (store.UsageLocked(domid) is not { } u)
            return null;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Domain {domid}:\n");
        Line(sb, "nodes", u.Nodes, "");
        Line(sb, "watches", u.Watches, "");
        Line(sb, "transactions", u.Transactions, "");
        Line(sb, "outstanding", u.Outstanding, "");
        Line(sb, "connections", u.Connections, "");
        Line(sb, "stalls", u.Stalls, "times a request waited for the client to read replies");
        return sb.ToString().TrimEnd('\n');
    }

    private static string Help()
    {
        var sb = new StringBuilder("Supported commands:\n");
        foreach (var (name, args, about) in s_commands)
            sb.Append(CultureInfo.InvariantCulture, $"{name,-8} {args,-10} {about}\n");
        return sb.ToString().TrimEnd('\n');
    }

    // cxenstored's "%-17s: %8d %s".
    private static void Line(StringBuilder sb, string name, long value, string about) =>
        sb.Append(string.Create(CultureInfo.InvariantCulture, $"{name,-17}: {value,8} {about}").TrimEnd()).Append('\n');
}
