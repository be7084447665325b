// Event filters: a session records only the classes it was asked for, the file's header says which,
// the analysis says what was filtered; the class names users type; and `parakit trace record -o
// FILE --events LIST -- run|create ...` end to end, with its usage mistakes.
using System.Text.RegularExpressions;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class TraceFilterTests : TraceScratch
{
    [Test]
    public void A_session_of_some_classes_records_only_their_points_and_the_file_says_which()
    {
        TraceCapture capture;
        using (var session = TraceSession.Start(100, TraceClasses.Exits | TraceClasses.Grants))
        {
            TracePoint.Exit(1, 6, 0);
            TracePoint.Kick(1, 0);
            TracePoint.EventSend(1, 3);
            TracePoint.EventDeliver(1, 3, true);
            TracePoint.Hypercall(1, 29, 0, 0, 0);
            Assert.That(TracePoint.Block(1, BlockKind.Block), Is.Zero, "no sched class: no start TSC, so no Wake");
            TracePoint.Wake(1, WakeReason.Event, 5);
            TracePoint.DomainStart(1);
            TracePoint.RingBatch(1, 0, rx: false, 1, 1, notified: true);
            TracePoint.FrameDrop(1, FrameDropReason.RxNoBuffer);
            TracePoint.GrantCopyBatch(1, toGuest: true, 1, 64, 7);
            Assert.That((TracePoint.ExitsOn, TracePoint.GrantsOn, TracePoint.EventsOn, TracePoint.HypercallsOn), Is.EqualTo((true, true, false, false)));
            capture = session.Stop();
        }
        Assert.That(TracePoint.ExitsOn, Is.False, "Stop switches every class off");
        string path = TraceFileTests.WriteFile(Dir, capture, new TraceDomainName(1, "a"));
        using var reader = TraceFileReader.Open(path);
        var events = reader.Records().Select(r => r.Event).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(events, Is.EqualTo(new[] { TraceEvent.VcpuExit, TraceEvent.VcpuKick, TraceEvent.GrantCopyBatch }));
            Assert.That(reader.Header.Classes, Is.EqualTo(TraceClasses.Exits | TraceClasses.Grants));
            Assert.That(reader.Header.EventClasses, Is.EqualTo(0b100010));
        });
        string text = TraceReport.Format(TraceAnalysis.Of(path));
        Assert.That(text.Split('\n')[2], Is.EqualTo("events recorded: exits,grants (filtered out: hypercalls,events,sched,rings,drops,lifecycle,device; their counts below are absent, not zero)"));
    }

    [Test]
    public void A_file_without_the_classes_field_holds_all_classes()
    {
        var header = new TraceFileHeader { EventClasses = 0 };
        Assert.That(header.Classes, Is.EqualTo(TraceClasses.All));
        string path = TraceFileTests.WriteFile(Dir, TraceFileTests.Capture(("t", [], 0)));
        Assert.That(TraceReport.Format(TraceAnalysis.Of(path)), Does.Contain("\nevents recorded: all\n"));
    }

    [TestCase("all", TraceClasses.All)]
    [TestCase("exits", TraceClasses.Exits)]
    [TestCase("Exits, hypercalls,device", TraceClasses.Exits | TraceClasses.Hypercalls | TraceClasses.Device)]
    [TestCase("events,sched,rings,grants,drops,lifecycle", TraceClasses.Events | TraceClasses.Sched | TraceClasses.Rings | TraceClasses.Grants | TraceClasses.Drops | TraceClasses.Lifecycle)]
    public void Class_lists_parse(string text, TraceClasses expected)
    {
        Assert.That(TraceClassNames.TryParse(text, out var c, out string? error), Is.True, error);
        Assert.That(c, Is.EqualTo(expected));
    }

    [TestCase("exit", "unknown event class 'exit' (classes: all, exits, hypercalls, events, sched, rings, grants, drops, lifecycle, device)")]
    [TestCase("exits,,grants", "an empty event class in 'exits,,grants' (classes: all, exits, hypercalls, events, sched, rings, grants, drops, lifecycle, device)")]
    public void Unknown_classes_are_named(string text, string message)
    {
        Assert.That(TraceClassNames.TryParse(text, out _, out string? error), Is.False);
        Assert.That(error, Is.EqualTo(message));
    }

    [Test]
    public void Every_known_event_belongs_to_one_class_and_every_class_has_a_name()
    {
        foreach (var ev in Enum.GetValues<TraceEvent>().Where(e => e != TraceEvent.None))
            Assert.That(TraceClassNames.Of(ev), Is.Not.EqualTo(TraceClasses.None), ev.ToString());
        Assert.That(TraceClassNames.Known.Aggregate(TraceClasses.None, (a, k) => a | k.Class), Is.EqualTo(TraceClasses.All));
    }

    [Test]
    public void Trace_record_runs_the_command_with_only_the_classes_asked_for()
    {
        HypervisorHarness.RequireParakit();
        HypervisorHarness.RequireKvm();
        string trace = Path.Combine(Dir, "hello.trace");
        var r = HypervisorHarness.RunParakit(["trace", "record", "-o", trace, "--events", "exits,hypercalls", "--", "run", "--stats", HypervisorHarness.CsGuest("hello"), "--", "hi"]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.That(r.Stdout, Does.Contain("hi"), "the guest's command line after the second `--`");
        Assert.That(r.Stderr, Does.Match(@"parakit: trace .*hello\.trace: \d+ records from \d+ threads written, 0 lost"));
        var a = HypervisorHarness.RunParakit(["trace", "analyze", trace]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Output);
        long statsExits = long.Parse(Regex.Match(r.Stderr, @"run time .*?, (\d+) exits").Groups[1].Value);
        Assert.Multiple(() =>
        {
            Assert.That(a.Stdout, Does.Contain("\nevents recorded: exits,hypercalls (filtered out: events,sched,rings,grants,drops,lifecycle,device;"));
            Assert.That(long.Parse(Regex.Match(a.Stdout, @"^  exits: (\d+)", RegexOptions.Multiline).Groups[1].Value), Is.EqualTo(statsExits));
            Assert.That(a.Stdout, Does.Contain("  hypercalls: "));
            Assert.That(a.Stdout, Does.Not.Contain("sleeps:"), "sched records were filtered out");
        });
    }

    [Test]
    public void Create_takes_trace_events_too()
    {
        HypervisorHarness.RequireParakit();
        HypervisorHarness.RequireKvm();
        HypervisorHarness.CsGuest("hello");
        string trace = Path.Combine(Dir, "c.trace");
        var r = HypervisorHarness.RunParakit(["create", "--trace", trace, "--trace-events", "lifecycle", "hypervisor/examples/hello.cfg"]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        using var reader = TraceFileReader.Open(trace);
        Assert.That(reader.Records().Select(x => x.Event), Is.EqualTo(new[] { TraceEvent.DomainStart, TraceEvent.DomainStop }));
    }

    [TestCase(new[] { "trace", "record", "--", "create", "a.cfg" }, "parakit: trace record: -o FILE is needed (try parakit trace record --help)")]
    [TestCase(new[] { "trace", "record", "-o", "x.trace" }, "parakit: trace record: the command to trace follows `--`, e.g. parakit trace record -o run.trace -- create a.cfg (try parakit trace record --help)")]
    [TestCase(new[] { "trace", "record", "-o", "x.trace", "create", "a.cfg" }, "parakit: trace record: unexpected argument 'create': the command to trace follows `--` (try parakit trace record --help)")]
    [TestCase(new[] { "trace", "record", "-o", "x.trace", "--", "list" }, "parakit: trace record: it traces `create` or `run`, not 'list'")]
    [TestCase(new[] { "trace", "record", "-o", "x.trace", "--events", "exit", "--", "create", "a.cfg" }, "parakit: trace record: --events: unknown event class 'exit' (classes: all, exits, hypercalls, events, sched, rings, grants, drops, lifecycle, device)")]
    [TestCase(new[] { "trace", "record", "-o", "x.trace", "--", "create", "--trace", "y", "a.cfg" }, "parakit: trace record: give -o, --events and --records to `trace record`, not --trace options to the command after `--`")]
    [TestCase(new[] { "create", "--trace-events", "exits", "a.cfg" }, "parakit: --trace-events needs --trace FILE")]
    [TestCase(new[] { "run", "--trace", "t", "--trace-events", "nope", "x.elf" }, "parakit: --trace-events: unknown event class 'nope' (classes: all, exits, hypercalls, events, sched, rings, grants, drops, lifecycle, device)")]
    public void Usage_mistakes_exit_2(string[] args, string message)
    {
        HypervisorHarness.RequireParakit();
        var r = HypervisorHarness.RunParakit(args);
        Assert.That((r.ExitCode, r.Stderr.TrimEnd()), Is.EqualTo((2, message)));
    }
}
