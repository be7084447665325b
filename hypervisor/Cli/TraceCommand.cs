// `parakit trace analyze FILE` and the `--trace FILE` option of `create` and `run`: parsing and
// printing only; recording, the file format and the analysis live in hypervisor/Tracing.
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Hypervisor.Cli;

public static class TraceCommand
{
    private const string Help = """
        usage: parakit trace record -o FILE [--events LIST] [--records N] -- create|run ARGS...
               parakit trace analyze FILE
               parakit trace compare A B
               parakit trace export --chrome FILE OUT.json

        record runs `parakit create ARGS...` (or `run`) with its trace points recording into FILE,
        the same as `create --trace FILE --trace-events LIST --trace-records N ARGS...`.
          --events LIST   only these classes of events (comma-separated; default all):
                          exits, hypercalls, events, sched, rings, grants, drops, lifecycle, device
                          A class left out costs nothing while recording; the file says which
                          classes it holds and analyses say what was filtered.
          --records N     records each thread may buffer (default 1048576); more are lost, counted

        analyze summarizes a trace written by `parakit create --trace FILE ...` or `parakit run --trace FILE ...`,
        xenalyze-style, per domain:
          exits by KVM reason (count, share, domain 0's handling time), kicks, time inside KVM_RUN
          hypercalls by op and sub-op (count, errors, mean/median/p99 latency in µs from the TSC)
          event-channel sends and deliveries, blocks and wakes (by reason) and time asleep
          netback ring batches both ways (requests per batch, frames, notifies), also per vif; drops by reason
          grant copies by domain 0 (count and bytes, each way)
        Records lost to full buffers are always printed first.
        A .nettrace file (dotnet-trace, DOTNET_EnableEventPipe) is handed to out/bin/nettrace/parakit-nettrace,
        which reads it with TraceEvent: the ParaKit-Hypervisor events (domains, errors, XenStore
        requests by type and domain) and event counts per provider.

        compare puts two traces side by side (typically PV and FV, or two frame sizes, of one
        experiment), per packet (frames the guests sent): exits by reason, hypercalls, event sends,
        ring notifies, event deliveries, grant copies and bytes, device register accesses, and
        TSC cycles by category (guest, exit handling, domain-0 backend or device model, grant
        copies, idle), after Menon et al., VEE'05. The last column is B/A.

        export --chrome writes Chrome trace-event JSON that Perfetto (ui.perfetto.dev) and
        chrome://tracing open: a process per domain, a track per vCPU and per domain-0 thread;
        time in the guest, exit handling, hypercalls and sleeps as slices, sends, deliveries,
        copies, ring batches, drops and device accesses as instants, frames and drops as counters.
        The file format is documented in hypervisor/Tracing/README.md.

        exit status: 0, 1 for a missing, truncated or damaged file, 2 for a usage error.
        """;

    internal const string HelpText = Help;

    public static int ExecuteAnalyze(IReadOnlyList<string> files)
    {
        if (files.Count != 1)
            throw new UsageException(files.Count == 0 ? "trace analyze: a trace FILE is needed (try parakit trace analyze --help)" : "trace analyze: one FILE at a time");
        if (NetTraceHandoff.IsNetTrace(files[0]))
            return NetTraceHandoff.Analyze(files[0]);
        TraceBreakdown breakdown;
        try
        {
            breakdown = TraceBreakdown.Of(files[0]);
        }
        catch (TraceFileException e)
        {
            System.Console.Error.WriteLine("parakit: " + e.Message);
            return ExitCodes.Environment;
        }
        System.Console.Out.Write(TraceReport.Format(breakdown.Analysis));
        System.Console.Out.Write(TracePacketReport.Format(breakdown));
        return ExitCodes.Ok;
    }

    public static int ExecuteCompare(IReadOnlyList<string> files)
    {
        if (files.Count != 2)
            throw new UsageException("trace compare: two trace files are needed (parakit trace compare A B)");
        TraceBreakdown a, b;
        try
        {
            a = TraceBreakdown.Of(files[0]);
            b = TraceBreakdown.Of(files[1]);
        }
        catch (TraceFileException e)
        {
            System.Console.Error.WriteLine("parakit: " + e.Message);
            return ExitCodes.Environment;
        }
        System.Console.Out.Write(TraceComparisonReport.Format(a, b));
        return ExitCodes.Ok;
    }

    public static int ExecuteExport(bool chrome, IReadOnlyList<string> files)
    {
        if (!chrome)
            throw new UsageException("trace export: a format is needed: --chrome (try parakit trace export --help)");
        if (files.Count != 2)
            throw new UsageException("trace export: FILE and OUT.json are needed (parakit trace export --chrome FILE OUT.json)");
        ChromeExportResult r;
        try
        {
            r = ChromeTraceExport.Write(files[0], files[1]);
        }
        catch (TraceFileException e)
        {
            System.Console.Error.WriteLine("parakit: " + e.Message);
            return ExitCodes.Environment;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            System.Console.Error.WriteLine($"parakit: cannot write {files[1]}: {e.Message}");
            return ExitCodes.Environment;
        }
        System.Console.Error.WriteLine($"parakit: {files[1]}: {r.Events} trace events, {r.Processes} processes (domains), {r.Threads} threads");
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

    /// <summary>Checks `--trace-events` (only meaningful with `--trace`).</summary>
    internal static TraceClasses Classes(string? trace, string? eventsText)
    {
        if (eventsText is null)
            return TraceClasses.All;
        if (trace is null)
            throw new UsageException("--trace-events needs --trace FILE");
        if (!TraceClassNames.TryParse(eventsText, out var classes, out string? error))
            throw new UsageException("--trace-events: " + error);
        return classes;
    }

    /// <summary>`trace record -o FILE [--events LIST] [--records N] -- create|run ...`: the same
    /// run as `create|run --trace FILE --trace-events LIST ...`, parsed by the same command tree.</summary>
    internal static int ExecuteRecord(string? output, string? events, string? records, IReadOnlyList<string> command, Func<string[], int> invoke)
    {
        if (output is null)
            throw new UsageException("trace record: -o FILE is needed (try parakit trace record --help)");
        if (command.Count == 0)
            throw new UsageException("trace record: the command to trace follows `--`, e.g. parakit trace record -o run.trace -- create a.cfg (try parakit trace record --help)");
        string verb = command[0];
        if (verb is not ("create" or "run"))
            throw new UsageException($"trace record: it traces `create` or `run`, not '{verb}'");
        if (command.Any(w => w is "--trace" or "--trace-events" or "--trace-records" || w.StartsWith("--trace=", StringComparison.Ordinal)))
            throw new UsageException("trace record: give -o, --events and --records to `trace record`, not --trace options to the command after `--`");
        if (events is not null && !TraceClassNames.TryParse(events, out _, out string? error))
            throw new UsageException("trace record: --events: " + error);
        var args = new List<string> { verb, "--trace", output };
        if (events is not null)
            args.AddRange(["--trace-events", events]);
        if (records is not null)
            args.AddRange(["--trace-records", records]);
        args.AddRange(command.Skip(1));
        return invoke([.. args]);
    }

    /// <summary>Writes the trace and says so in one line on stderr.</summary>
    internal static void Finish(TraceRecording recording, IEnumerable<TraceDomainName> domains)
    {
        var r = recording.Finish(domains);
        System.Console.Error.WriteLine($"parakit: trace {r.Path}: {r.Records} records from {r.Threads} threads written, {r.Lost} lost ({r.Bytes} bytes)");
    }
}
