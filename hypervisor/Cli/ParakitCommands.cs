// The `parakit` command tree, declared once with System.CommandLine: every verb, its options and
// arguments, and which of our help texts `--help` prints for it. Values arrive as strings and the
// command bodies check them, so each mistake keeps the sentence (and exit status 2) it always
// had; the parser's own errors are translated into the same style here.
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace ParaKit.Hypervisor.Cli;

internal static class ParakitCommands
{
    private sealed class Tree
    {
        public required Command Root { get; init; }
        public Dictionary<Command, string> HelpTexts { get; } = [];
        /// <summary>What an unexpected word means for a command (e.g. "unknown demo 'x'").</summary>
        public Dictionary<Command, Func<string, string>> Unexpected { get; } = [];
        /// <summary>`run`'s values from a parse result (RunArguments.Plain's counterpart).</summary>
        public Func<ParseResult, RunArguments> ReadRun { get; set; } = _ => throw new InvalidOperationException("no run command");
    }

    /// <summary>Parses <paramref name="args"/> and runs the command; a parse error is a
    /// UsageException with our sentence. For `run`, the words after the first `--` are the
    /// guest's command line and are kept away from the parser.</summary>
    public static int Invoke(string[] args)
    {
        string[] guestWords = [];
        if (args.Length > 0 && args[0] == "run" && Array.IndexOf(args, "--") is int dd and > 0)
        {
            guestWords = args[(dd + 1)..];
            args = args[..dd];
        }
        // `trace record ... -- create ...`: the traced command is parsed later, by this same tree.
        string[] tracedCommand = [];
        if (args.Length > 1 && args[0] == "trace" && args[1] == "record" && Array.IndexOf(args, "--") is int rd and > 1)
        {
            tracedCommand = args[(rd + 1)..];
            args = args[..rd];
        }
        // The everyday `run` skips the parser (RunArguments: it is start-up time).
        if (args.Length > 0 && args[0] == "run" && RunArguments.Plain(args.AsSpan(1)) is { } plain)
            return RunCommand.Execute(plain, guestWords);
        var tree = Build(guestWords, tracedCommand);
        var result = tree.Root.Parse(args);
        if (result.Errors.Count > 0)
            throw new UsageException(Describe(tree, result));
        // Our commands handle SIGINT/SIGTERM and report their own errors (exit statuses 1, 2, 70...).
        return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }

    /// <summary>What the full parser makes of `run` WORDS (no `--`), or null when it reports an
    /// error or would do something else (help): RunArgumentsTests compares it with Plain.</summary>
    internal static RunArguments? ParseRun(IEnumerable<string> words)
    {
        var tree = Build([], []);
        var result = tree.Root.Parse(["run", .. words]);
        return result.Errors.Count == 0 && result.CommandResult.Command.Name == "run" && result.Action == result.CommandResult.Command.Action
            ? tree.ReadRun(result)
            : null;
    }

    private static string Describe(Tree tree, ParseResult result)
    {
        var command = result.CommandResult.Command;
        string where = command == tree.Root ? "" : CommandPath(result.CommandResult) + ": ";
        string tryHelp = command == tree.Root ? "parakit --help" : $"parakit {CommandPath(result.CommandResult)} --help";
        if (result.UnmatchedTokens.Count > 0)
        {
            string token = result.UnmatchedTokens[0];
            if (token.StartsWith('-'))
                return $"{where}unknown option '{token}' (try {tryHelp})";
            if (tree.Unexpected.TryGetValue(command, out var explain))
                return explain(token);
            return command == tree.Root ? $"unknown command '{token}' (try parakit --help)" : $"{where}unexpected argument '{token}' (try {tryHelp})";
        }
        var error = result.Errors[0];
        if (error.SymbolResult is OptionResult { Tokens.Count: 0 } option)
            return $"option {option.IdentifierToken?.Value ?? option.Option.Name} needs a value";
        return $"{where}{error.Message} (try {tryHelp})";
    }

    private static string CommandPath(CommandResult r)
    {
        var names = new List<string>();
        for (SymbolResult? s = r; s is CommandResult { Parent: not null } c; s = c.Parent)
            names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>Prints the help text of the command the user asked about.</summary>
    private sealed class PrintHelp(Tree tree) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            for (SymbolResult? s = parseResult.CommandResult; s is CommandResult c; s = c.Parent)
            {
                if (tree.HelpTexts.TryGetValue(c.Command, out string? text))
                {
                    System.Console.WriteLine(text);
                    return ExitCodes.Ok;
                }
            }
            System.Console.WriteLine(CommandLine.MainHelp);
            return ExitCodes.Ok;
        }
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult) => CommandLine.PrintVersion();
    }

    private static Option<string> Text(string name, params string[] aliases) => new(name, aliases) { Arity = ArgumentArity.ExactlyOne };

    private static Option<bool> Flag(string name) => new(name) { Arity = ArgumentArity.Zero };

    private static Argument<string[]> Words(string name) => new(name) { Arity = ArgumentArity.ZeroOrMore };

    /// <summary>Words that are never options: a stray `--bogus` is an unknown option, not a file name.</summary>
    private static Argument<string[]> Operands(string name)
    {
        var a = Words(name);
        a.Validators.Add(r =>
        {
            if (r.Tokens.FirstOrDefault(t => t.Value.StartsWith('-')) is { } t)
                r.AddError($"unknown option '{t.Value}'");
        });
        return a;
    }

    private static Argument<string?> OptionalWord(string name) => new(name) { Arity = ArgumentArity.ZeroOrOne };

    private static Tree Build(string[] guestWords, string[] tracedCommand)
    {
        // A plain Command with our own --help/--version, not RootCommand: RootCommand's options
        // take their descriptions from System.CommandLine's resources, and creating that
        // ResourceManager cost about 0.4 ms of every start (perf), for texts we never print
        // (our help texts are our own).
        var root = new Command("parakit", "ParaKit domain 0: runs unikernel guests on KVM with Xen-style hypercalls.");
        var tree = new Tree { Root = root };
        root.Options.Add(new Option<bool>("--help", "-h", "-?") { Arity = ArgumentArity.Zero, Recursive = true, Action = new PrintHelp(tree) });
        root.Options.Add(new Option<bool>("--version") { Arity = ArgumentArity.Zero, Action = new PrintVersion() });
        root.SetAction(_ =>
        {
            System.Console.Error.WriteLine(CommandLine.MainHelp);
            return ExitCodes.Usage;
        });
        tree.HelpTexts[root] = CommandLine.MainHelp;

        // xl's habit: `parakit help` and `parakit version` work as well as the options.
        var help = new Command("help") { Hidden = true };
        help.SetAction(_ =>
        {
            System.Console.WriteLine(CommandLine.MainHelp);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(help);
        var version = new Command("version") { Hidden = true };
        version.SetAction(_ => CommandLine.PrintVersion());
        root.Subcommands.Add(version);

        {
            var image = Operands("IMAGE");
            var memory = Text("--memory", "-m");
            var timeout = Text("--timeout");
            var name = Text("--name");
            var stats = Flag("--stats");
            var trace = Text("--trace");
            var traceRecords = Text("--trace-records");
            var traceEvents = Text("--trace-events");
            var noSeccomp = Flag("--no-seccomp");
            var gdb = Text("--gdb");
            var run = new Command("run", "boot one domain with its console attached") { image, memory, timeout, name, stats, trace, traceRecords, traceEvents, noSeccomp, gdb };
            tree.ReadRun = r => new RunArguments
            {
                Images = r.GetValue(image) ?? [],
                Memory = r.GetValue(memory),
                Timeout = r.GetValue(timeout),
                Name = r.GetValue(name),
                Stats = r.GetValue(stats),
                Trace = r.GetValue(trace),
                TraceRecords = r.GetValue(traceRecords),
                TraceEvents = r.GetValue(traceEvents),
                NoSeccomp = r.GetValue(noSeccomp),
                Gdb = r.GetValue(gdb),
            };
            run.SetAction(r => RunCommand.Execute(tree.ReadRun(r), guestWords));
            tree.HelpTexts[run] = RunCommand.HelpText;
            root.Subcommands.Add(run);
        }
        {
            var files = Operands("FILE");
            var timeout = Text("--timeout");
            var stats = Flag("--stats");
            var pcap = Text("--pcap");
            var trace = Text("--trace");
            var traceRecords = Text("--trace-records");
            var traceEvents = Text("--trace-events");
            var uplink = new Option<string[]>("--uplink") { Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
            var switchLoss = new Option<string[]>("--switch-loss") { Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
            var noSeccomp = Flag("--no-seccomp");
            var create = new Command("create", "boot domains from xl.cfg-style files in one hypervisor") { files, timeout, stats, pcap, trace, traceRecords, traceEvents, uplink, switchLoss, noSeccomp };
            create.SetAction(r => CreateCommand.Execute(r.GetValue(files) ?? [], r.GetValue(timeout), r.GetValue(stats), r.GetValue(pcap), r.GetValue(trace), r.GetValue(traceRecords), r.GetValue(traceEvents), r.GetValue(uplink) ?? [], r.GetValue(noSeccomp), r.GetValue(switchLoss) ?? []));
            tree.HelpTexts[create] = CreateCommand.HelpText;
            root.Subcommands.Add(create);
        }
        {
            var socket = Text("--socket");
            var xenstore = new Command("xenstore", "read and change the store of a running `parakit create`") { socket };
            xenstore.SetAction(int (_) => throw new UsageException("xenstore: a command is needed: ls, read, write, mkdir, rm, perms or watch (try parakit xenstore --help)"));
            tree.Unexpected[xenstore] = verb => $"xenstore: unknown command '{verb}' (try parakit xenstore --help)";
            tree.HelpTexts[xenstore] = XenstoreCommand.HelpText;
            foreach (string verb in XenstoreCommand.Verbs)
            {
                var paths = Words("PATH");
                var sub = new Command(verb) { paths };
                Option<string>? count = null;
                if (verb == "watch")
                {
                    count = Text("-n");
                    sub.Options.Add(count);
                }
                sub.SetAction(r => XenstoreCommand.Execute(r.GetValue(socket), verb, r.GetValue(paths) ?? [], count is null ? null : r.GetValue(count)));
                xenstore.Subcommands.Add(sub);
            }
            root.Subcommands.Add(xenstore);
        }
        {
            var socket = Text("--socket");
            var list = new Command("list", "the domains of a running `parakit create`") { socket };
            list.SetAction(r => ListCommand.ExecuteList(r.GetValue(socket)));
            tree.HelpTexts[list] = ListCommand.ListHelpText;
            root.Subcommands.Add(list);

            var vifSocket = Text("--socket");
            var vifName = OptionalWord("NAME");
            var vif = new Command("vif", "its vifs and switches: rings, counters, drops by reason") { vifSocket, vifName };
            vif.SetAction(r => ListCommand.ExecuteVif(r.GetValue(vifSocket), r.GetValue(vifName)));
            tree.HelpTexts[vif] = ListCommand.VifHelpText;
            root.Subcommands.Add(vif);
        }
        {
            var trace = new Command("trace", "record a run's trace points and read the trace");
            trace.SetAction(int (_) => throw new UsageException("trace: a command is needed: record, analyze, compare or export (try parakit trace --help)"));
            tree.Unexpected[trace] = verb => $"trace: unknown command '{verb}' (try parakit trace --help)";
            tree.HelpTexts[trace] = TraceCommand.HelpText;
            var file = Operands("FILE");
            var analyze = new Command("analyze", "exits, hypercalls, events, rings, copies and drops per domain") { file };
            analyze.SetAction(r => TraceCommand.ExecuteAnalyze(r.GetValue(file) ?? []));
            trace.Subcommands.Add(analyze);

            var pair = Operands("FILE");
            var compare = new Command("compare", "two traces side by side, per packet (exits, notifications, copies, cycles by category)") { pair };
            compare.SetAction(r => TraceCommand.ExecuteCompare(r.GetValue(pair) ?? []));
            trace.Subcommands.Add(compare);

            var chrome = Flag("--chrome");
            var exportFiles = Operands("FILE");
            var export = new Command("export", "write a trace as Chrome trace-event JSON (Perfetto)") { chrome, exportFiles };
            export.SetAction(r => TraceCommand.ExecuteExport(r.GetValue(chrome), r.GetValue(exportFiles) ?? []));
            trace.Subcommands.Add(export);

            var output = Text("-o", "--output");
            var events = Text("--events");
            var records = Text("--records");
            var record = new Command("record", "run create (or run) with its trace points recording into a file") { output, events, records };
            record.SetAction(r => TraceCommand.ExecuteRecord(r.GetValue(output), r.GetValue(events), r.GetValue(records), tracedCommand, Invoke));
            tree.Unexpected[record] = word => $"trace record: unexpected argument '{word}': the command to trace follows `--` (try parakit trace record --help)";
            trace.Subcommands.Add(record);
            root.Subcommands.Add(trace);
        }
        {
            var tryName = Text("--try");
            var seccomp = new Command("seccomp", "the system calls domain 0 allows itself") { tryName };
            seccomp.SetAction(r => SeccompCommand.Execute(r.GetValue(tryName)));
            tree.HelpTexts[seccomp] = SeccompCommand.HelpText;
            root.Subcommands.Add(seccomp);
        }
        {
            var demo = new Command("demo", "run the shared-ring demo");
            demo.SetAction(_ =>
            {
                System.Console.WriteLine(DemoCommand.HelpText);
                return ExitCodes.Usage;
            });
            tree.Unexpected[demo] = what => $"demo: unknown demo '{what}' (available: ring)";
            tree.HelpTexts[demo] = DemoCommand.HelpText;
            var count = OptionalWord("N");
            var ring = new Command("ring") { count };
            ring.SetAction(r => DemoCommand.ExecuteRing(r.GetValue(count)));
            tree.Unexpected[ring] = _ => "demo ring: at most one argument, the number of requests";
            demo.Subcommands.Add(ring);
            root.Subcommands.Add(demo);
        }
        return tree;
    }
}
