// Reading `parakit create`'s final table in the data-plane KVM tests: a domain's id, state and
// exits, a vif's row (state, frames, every drop counter by name, connections), its `last
// problem:` line and its switch port's in/out counts (hypervisor/Toolstack/NetworkReport.cs
// writes them). Counters absent from a row are zero: the table only prints the ones that are not.
using System.Text.RegularExpressions;

namespace ParaKit.Tests.NetBoot;

/// <summary>One vif's row of the final table.</summary>
internal sealed record VifReport(string Name, string State, long TxFrames, long TxBytes, long RxFrames, long RxBytes, string Row)
{
    /// <summary>A counter printed as name=N in the row (drops, connects, ...); 0 when absent.</summary>
    public long Count(string name) =>
        Regex.Match(Row, @"(?<![a-z_])" + Regex.Escape(name) + @"=(\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value) : 0;

    /// <summary>Frames offered to the guest that netback (or the worker, while unbound) dropped, every reason.</summary>
    public long RxDrops => Count("rx_no_buffer") + Count("rx_bad_grant") + Count("rx_oversize") + Count("rx_not_connected") + Count("rx_unbound");

    /// <summary>Packets from the guest that netback refused, every reason the row shows.</summary>
    public long TxDrops => Count("tx_malformed") + Count("tx_bad_grant") + Count("tx_oversize");
}

internal static class NetReportText
{
    /// <summary>The vif row that starts with <paramref name="vif"/> (e.g. "vif3.0").</summary>
    public static VifReport Vif(string output, string vif)
    {
        string row = NetPairBootTests.VifRow(output, vif).Row;
        var c = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new VifReport(c[0], c[3], long.Parse(c[4]), long.Parse(c[5]), long.Parse(c[6]), long.Parse(c[7]), row);
    }

    /// <summary>The vif of a domain's first device, named after its id in the domain table.</summary>
    public static string VifOf(string output, string domain) => $"vif{DomainColumns(output, domain)[1]}.0";

    /// <summary>The domain's final state, e.g. "poweroff(0)".</summary>
    public static string DomainState(string output, string domain) => DomainColumns(output, domain)[3];

    /// <summary>VM exits the domain made (all reasons).</summary>
    public static long Exits(string output, string domain) => long.Parse(DomainColumns(output, domain)[5]);

    private static string[] DomainColumns(string output, string domain)
    {
        // "NAME  ID  Mem  State  Time(s)  Exits  Hcalls  ...": the first table's rows.
        var row = output.Split('\n').FirstOrDefault(l => Regex.IsMatch(l, "^" + Regex.Escape(domain) + @"\s+\d+\s+\d+\s"));
        Assert.That(row, Is.Not.Null, $"no domain row for {domain} in:\n{output}");
        return row!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The `last problem:` line printed under a vif's row, or "" if there is none.</summary>
    public static string LastProblem(string output, string vif)
    {
        var lines = output.Split('\n');
        int i = Array.FindIndex(lines, l => l.StartsWith(vif + " ", StringComparison.Ordinal));
        Assert.That(i, Is.GreaterThanOrEqualTo(0), $"no table row for {vif}");
        if (i + 1 < lines.Length && lines[i + 1].TrimStart().StartsWith("last problem: ", StringComparison.Ordinal))
            return lines[i + 1].TrimStart()["last problem: ".Length..].TrimEnd();
        return "";
    }

    /// <summary>The console lines of one domain (`NAME | text`), for apps that run in several domains.</summary>
    public static string ConsoleOf(string output, string domain) =>
        string.Join('\n', output.Split('\n').Where(l => Regex.IsMatch(l, "^" + Regex.Escape(domain) + @"\s*\| ")));

    /// <summary>The switch port's frames in (from the guest) and out (to it).</summary>
    public static (long In, long Out) Port(string output, string vif)
    {
        var m = Regex.Match(output, @"^\s+port " + Regex.Escape(vif) + @"\s+in=(\d+) out=(\d+)", RegexOptions.Multiline);
        Assert.That(m.Success, Is.True, $"no switch port line for {vif} in:\n{output}");
        return (long.Parse(m.Groups[1].Value), long.Parse(m.Groups[2].Value));
    }
}
