// `parakit trace analyze FILE` and the `--trace FILE` option of `create` and `run`: parsing and
// printing only; recording, the file format and the analysis live in hypervisor/Tracing.
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Hypervisor.Cli;

public static class TraceCommand
{
    private const string Help = """
        usage: parakit trace analyze FILE

        Summarizes a trace written by `parakit create --trace FILE ...` or `parakit run --trace FILE ...`,
        xenalyze-style, per domain:
          exits by KVM reason (count, share, domain 0's handling time), kicks, time inside KVM_RUN
          hypercalls by op and sub-op (count, errors, mean/median/p99 latency in µs from the TSC)
          event-channel sends and deliveries, blocks and wakes (by reason) and time asleep
          netback ring batches both ways (requests per batch, frames, notifies), frame drops by reason
          grant copies by domain 0 (count and bytes, each way)
        Records lost to full buffers are always printed first.
        The file format is documented in hypervisor/Tracing/README.md.

        exit status: 0, 1 for a missing, truncated or damaged file, 2 for a usage error.
        """;

    internal const string HelpText = Help;

    public static int ExecuteAnalyze(IReadOnlyList<string> files)
    {
        if (files.Count != 1)
            throw new UsageException(files.Count == 0 ? "trace analyze: a trace FILE is needed (try parakit trace analyze --help)" : "trace analyze: one FILE at a time");
        TraceAnalysis analysis;
        try
        {
            analysis = TraceAnalysis.Of(files[0]);
        }
        catch (TraceFileException e)
        {
            System.Console.Error.WriteLine("parakit: " + e.Message);
            return ExitCodes.Environment;
        }
        System.Console.Out.Write(TraceReport.Format(analysis));
        return ExitCodes.Ok;
    }

    /// <summary>Checks `--trace-records` (only meaningful with `--trace`).</summary>
    internal static int RecordsPerThread(string? trace, string? recordsText)
    {
        if (recordsText is null)
            return TraceSession.DefaultRecordsPerThread;
        if (trace is null)
            throw new UsageException("--trace-records needs --trace FILE");
        return CommandLine.PositiveInt("--trace-records", recordsText, TraceSession.MaxRecordsPerThread);
    }

    /// <summary>Writes the trace and says so in one line on stderr.</summary>
    internal static void Finish(TraceRecording recording, IEnumerable<TraceDomainName> domains)
    {
        var r = recording.Finish(domains);
        System.Console.Error.WriteLine($"parakit: trace {r.Path}: {r.Records} records from {r.Threads} threads written, {r.Lost} lost ({r.Bytes} bytes)");
    }
}
