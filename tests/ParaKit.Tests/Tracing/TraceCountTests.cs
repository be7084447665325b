// One source of truth: the counted trace points increment the counters `--stats` prints and, while
// tracing, record the same thing, so both views agree by construction. Without KVM: each counted
// point counts with tracing off, with it on, and with its class filtered out, and records exactly
// when its class is on. Under KVM: a scripted guest pair (pingpong: pong sends one hello, echoes
// E events and answers C copy rounds with one GNTTABOP_copy and one send each) gives exactly those
// counts in `trace analyze`, and they equal `--stats`.
using System.Text.RegularExpressions;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class TraceCountTests : TraceScratch
{
    private static void Points(ref long exits, ref long kicks, ref long calls, ref long blocks, ref long sends, ref long deliveries, ref long copies, ref long bytes)
    {
        TracePoint.Exit(ref exits, 1, 6, 0);
        TracePoint.Kick(ref kicks, 1, 0);
        TracePoint.Hypercall(ref calls, 1, 17, 0, 0, TracePoint.On && TracePoint.HypercallsOn ? 1UL : 0);
        ulong asleep = TracePoint.Block(ref blocks, 1, BlockKind.Block);
        if (asleep != 0)
            TracePoint.Wake(1, WakeReason.Event, asleep);
        TracePoint.EventSend(ref sends, 1, 3);
        TracePoint.EventDeliver(ref deliveries, 1, 3, newEdge: true);
        TracePoint.EventDeliver(ref deliveries, 1, 3, newEdge: false);
        var tally = new ParaKit.Hypervisor.Grants.GrantCopyTally { Copies = 2, Bytes = 100, Cycles = 8 };
        TracePoint.GrantCopies(ref copies, ref bytes, 1, toGuest: false, ref tally);
        Assert.That(tally.IsEmpty, Is.True, "the batch is handed on once");
    }

    [TestCase(TraceClasses.None)]
    [TestCase(TraceClasses.All)]
    [TestCase(TraceClasses.Exits | TraceClasses.Events)]
    public void Counted_points_count_whether_or_not_they_record(TraceClasses classes)
    {
        long exits = 0, kicks = 0, calls = 0, blocks = 0, sends = 0, deliveries = 0, copies = 0, bytes = 0;
        TraceCapture? capture = null;
        if (classes == TraceClasses.None)
        {
            Points(ref exits, ref kicks, ref calls, ref blocks, ref sends, ref deliveries, ref copies, ref bytes);
        }
        else
        {
            using var session = TraceSession.Start(100, classes);
            Points(ref exits, ref kicks, ref calls, ref blocks, ref sends, ref deliveries, ref copies, ref bytes);
            capture = session.Stop();
        }
        Assert.That(new[] { exits, kicks, calls, blocks, sends, deliveries, copies, bytes }, Is.EqualTo(new long[] { 1, 1, 1, 1, 1, 1, 2, 100 }), "the counters --stats prints");
        var events = capture?.Threads.SelectMany(t => t.Records.ToArray()).Select(r => r.Event).ToList() ?? [];
        var expected = new List<TraceEvent>();
        if ((classes & TraceClasses.Exits) != 0)
            expected.AddRange([TraceEvent.VcpuExit, TraceEvent.VcpuKick]);
        if ((classes & TraceClasses.Hypercalls) != 0)
            expected.Add(TraceEvent.Hypercall);
        if ((classes & TraceClasses.Sched) != 0)
            expected.AddRange([TraceEvent.VcpuBlock, TraceEvent.VcpuWake]);
        if ((classes & TraceClasses.Events) != 0)
            expected.AddRange([TraceEvent.EventSend, TraceEvent.EventDeliver, TraceEvent.EventDeliver]);
        if ((classes & TraceClasses.Grants) != 0)
            expected.Add(TraceEvent.GrantCopyBatch);
        Assert.That(events, Is.EqualTo(expected), "records exactly for the classes recorded");
    }

    private static long Get(string text, string pattern)
    {
        var m = Regex.Match(text, pattern, RegexOptions.Multiline);
        Assert.That(m.Success, Is.True, $"no match for /{pattern}/ in:\n{text}");
        return long.Parse(m.Groups[1].Value);
    }

    [Test]
    public void A_scripted_pair_gives_exactly_its_numbers_in_trace_analyze_and_they_equal_stats()
    {
        HypervisorHarness.RequireParakit();
        HypervisorHarness.RequireKvm();
        string image = HypervisorHarness.CsGuest("pingpong");
        const int Events = 300, Copies = 20;
        string Cfg(string name, string extra)
        {
            string path = Path.Combine(Dir, name + ".cfg");
            File.WriteAllText(path, $"name = \"{name}\"\nkernel = \"{image}\"\nmemory = 16\nextra = \"{extra}\"\n");
            return path;
        }
        string ping = Cfg("ping", $"role=ping peer=2 events={Events} copies={Copies}");
        string pong = Cfg("pong", $"role=pong peer=1 events={Events} copies={Copies}");
        string trace = Path.Combine(Dir, "pp.trace");
        var r = HypervisorHarness.RunParakit(["trace", "record", "-o", trace, "--", "create", "--stats", ping, pong], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var a = HypervisorHarness.RunParakit(["trace", "analyze", trace]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Output);
        TestContext.Out.WriteLine(a.Stdout);
        string section = Regex.Match(a.Stdout, @"^domain \d+ \(pong\):.*?(?=^domain |\z)", RegexOptions.Multiline | RegexOptions.Singleline).Value;
        string stats = Regex.Match(r.Stdout, @"^pong\s+\d+\s.*?\n((?:    .*\n)+)", RegexOptions.Multiline).Groups[1].Value;
        Assert.That(section, Is.Not.Empty, a.Stdout);
        Assert.That(stats, Is.Not.Empty, r.Stdout);
        const int Sends = 1 + Events + Copies;   // hello, the echoes, one per copy round
        Assert.Multiple(() =>
        {
            Assert.That(a.Stdout, Does.Contain("\nrecords lost: 0\n"));
            Assert.That(Get(section, @"^    event_channel_op/send\s+(\d+)"), Is.EqualTo(Sends), "send hypercalls");
            Assert.That(Get(section, @"^  events: (\d+) sent"), Is.EqualTo(Sends), "sends on a valid port");
            Assert.That(Get(section, @"^    grant_table_op/copy\s+(\d+)"), Is.EqualTo(Copies), "one GNTTABOP_copy per round");
            Assert.That(Get(stats, @"events: sent=(\d+)"), Is.EqualTo(Sends), "--stats sends");
            Assert.That(Get(section, @"^  hypercalls: (\d+)"), Is.EqualTo(Get(stats, @", (\d+) hypercalls")), "--stats hypercalls");
            Assert.That(Get(section, @"^  exits: (\d+)"), Is.EqualTo(Get(stats, @", (\d+) exits")), "--stats exits");
            Assert.That(Get(section, @"sleeps: (\d+) blocks"), Is.EqualTo(Get(stats, @"blocks=(\d+)")), "--stats blocks");
            Assert.That(Get(section, @"events: \d+ sent, (\d+) delivered"), Is.EqualTo(Get(stats, @"delivered=(\d+)")), "--stats deliveries");
        });
    }
}
