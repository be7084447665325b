// `trace export --chrome`: the JSON parses (System.Text.Json), has one track per vCPU in its
// domain's process and one per domain-0 worker in process 0, and turns exits, hypercalls and sleeps
// into slices with the durations the records give; a real KVM run exports too.
using System.Text.Json;
using System.Text.RegularExpressions;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class ChromeExportTests : TraceScratch
{
    private static TraceRecord R(ulong tsc, TraceEvent ev, ushort dom, ushort flags = 0, ulong a0 = 0, ulong a1 = 0, ushort thread = 0) => new(tsc, ev, dom, thread, flags, a0, a1);

    private static List<JsonElement> Events(JsonDocument doc) => doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();

    private static IEnumerable<(int Pid, int Tid, string Name)> Tracks(JsonDocument doc) =>
        Events(doc).Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name")
            .Select(e => (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32(), e.GetProperty("args").GetProperty("name").GetString()!));

    [Test]
    public void The_json_parses_with_one_track_per_vcpu_and_worker_and_slices_with_their_durations()
    {
        // TSC at 1 GHz from base 1000: ts in µs = (tsc - 1000) / 1000.
        ulong send = (uint)Hypercall.EventChannelOp | ((ulong)EvtchnOp.Send << 32);
        var a = new[]
        {
            R(2_000, TraceEvent.DomainStart, 1),
            R(11_000, TraceEvent.VcpuExit, 1, a0: 6, a1: 9_000),
            R(13_000, TraceEvent.EventSend, 1, a0: 5),
            R(13_500, TraceEvent.Hypercall, 1, a0: send, a1: 2_000),
            R(20_000, TraceEvent.VcpuExit, 1, a0: 6, a1: 4_000),
            R(50_000, TraceEvent.VcpuWake, 1, flags: (ushort)WakeReason.Event, a0: 25_000),
        };
        var b = new[] { R(3_000, TraceEvent.DomainStart, 2, thread: 1), R(9_000, TraceEvent.VcpuKick, 2, a1: 5_000, thread: 1) };
        var worker = new[]
        {
            R(30_000, TraceEvent.GrantCopy, 1, a0: 1514, a1: 9, thread: 2),
            R(30_050, TraceEvent.GrantCopyBatch, 1, a0: 2 | (3028UL << 32), a1: 700, thread: 2),
            R(30_100, TraceEvent.NetTxBatch, 1, flags: 1 | (3 << 8), a0: 2, a1: 2, thread: 2),
            R(30_200, TraceEvent.NetRxBatch, 2, flags: 1, a0: 2, a1: 2, thread: 2),
            R(30_300, TraceEvent.NetDrop, 2, flags: (ushort)FrameDropReason.RxNoBuffer, a0: 3, thread: 2),
        };
        var capture = TraceFileTests.Capture(("vcpu a", a, 0), ("vcpu b", b, 0), ("parakit-net-sw0", worker, 2), ("xenstored", [], 0));
        string trace = TraceFileTests.WriteFile(Dir, capture, new TraceDomainName(1, "a"), new TraceDomainName(2, "b"));
        string json = Path.Combine(Dir, "out.json");
        var result = ChromeTraceExport.Write(trace, json);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
        var events = Events(doc);
        var tracks = Tracks(doc).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(result.Events, Is.EqualTo(events.Count));
            Assert.That(tracks, Is.EquivalentTo(new[] { (1, 1, "vcpu a"), (2, 2, "vcpu b"), (0, 3, "parakit-net-sw0 (2 records lost)"), (0, 4, "xenstored") }),
                "one track per vCPU in its domain's process, domain 0's threads in process 0");
            Assert.That(tracks.Count(t => t.Name.StartsWith("vcpu ")), Is.EqualTo(2), "one track per vCPU");
            var processes = events.Where(e => e.GetProperty("name").GetString() == "process_name").Select(e => e.GetProperty("args").GetProperty("name").GetString());
            Assert.That(processes, Is.EquivalentTo(new[] { "Domain-0", "domain 1 (a)", "domain 2 (b)" }));

            JsonElement One(string name) => events.Single(e => e.GetProperty("name").GetString() == name);
            var hc = One("event_channel_op/send");
            Assert.That((hc.GetProperty("ph").GetString(), hc.GetProperty("ts").GetDouble(), hc.GetProperty("dur").GetDouble(), hc.GetProperty("pid").GetInt32()), Is.EqualTo(("X", 10.5, 2.0, 1)));
            var exit = One("exit mmio");
            Assert.That((exit.GetProperty("ts").GetDouble(), exit.GetProperty("dur").GetDouble()), Is.EqualTo((10.0, 5.0)), "from the exit at 11 000 to the next entry at 16 000");
            var guest = events.Where(e => e.GetProperty("name").GetString() == "guest").Select(e => (e.GetProperty("ts").GetDouble(), e.GetProperty("dur").GetDouble(), e.GetProperty("tid").GetInt32()));
            Assert.That(guest, Is.EquivalentTo(new[] { (1.0, 9.0, 1), (15.0, 4.0, 1), (3.0, 5.0, 2) }));
            var sleep = One("asleep (event)");
            Assert.That((sleep.GetProperty("ts").GetDouble(), sleep.GetProperty("dur").GetDouble()), Is.EqualTo((24.0, 25.0)));
            Assert.That(One("kick").GetProperty("ph").GetString(), Is.EqualTo("i"));
            Assert.That(One("grant copy out").GetProperty("args").GetProperty("bytes").GetInt32(), Is.EqualTo(1514));
            var batch = One("grant copies out").GetProperty("args");
            Assert.That((batch.GetProperty("copies").GetInt32(), batch.GetProperty("bytes").GetInt32(), batch.GetProperty("cycles").GetInt32()), Is.EqualTo((2, 3028, 700)));
            Assert.That(One("tx batch").GetProperty("args").GetProperty("vif").GetInt32(), Is.EqualTo(3));
            var counters = events.Where(e => e.GetProperty("ph").GetString() == "C").Select(e => (e.GetProperty("name").GetString(), e.GetProperty("pid").GetInt32(), e.GetProperty("args").GetProperty("value").GetInt64()));
            Assert.That(counters, Is.EquivalentTo(new[] { ("tx frames", 1, 2L), ("rx frames", 2, 2L), ("drops", 2, 3L) }));
            Assert.That(doc.RootElement.GetProperty("otherData").GetProperty("records_lost").GetInt64(), Is.EqualTo(2));
        });
    }

    [Test]
    public void A_traced_run_of_the_pair_exports_one_track_per_vcpu_from_the_command_line()
    {
        HypervisorHarness.RequireParakit();
        HypervisorHarness.RequireKvm();
        HypervisorHarness.CsGuest("sink");
        HypervisorHarness.CsGuest("pktgen");
        string trace = Path.Combine(Dir, "pair.trace"), json = Path.Combine(Dir, "pair.json");
        var r = HypervisorHarness.RunParakit(["create", "--trace", trace, "hypervisor/examples/net-sink.cfg", "hypervisor/examples/net-pktgen.cfg"], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var e = HypervisorHarness.RunParakit(["trace", "export", "--chrome", trace, json]);
        Assert.That(e.ExitCode, Is.EqualTo(0), e.Output);
        Assert.That(e.Stderr, Does.Match(@"^parakit: .*pair\.json: \d+ trace events, 3 processes \(domains\), \d+ threads\n$"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
        var tracks = Tracks(doc).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(tracks.Where(t => t.Name.StartsWith("vcpu ")).Select(t => t.Name), Is.EquivalentTo(new[] { "vcpu sink", "vcpu pktgen" }));
            Assert.That(tracks.Where(t => t.Name.StartsWith("vcpu ")).Select(t => t.Pid).Distinct().Count(), Is.EqualTo(2), "each vCPU in its own domain's process");
            Assert.That(tracks.Where(t => !t.Name.StartsWith("vcpu ")).All(t => t.Pid == 0), Is.True, "domain 0's threads in process 0");
            Assert.That(Events(doc).Count(x => x.GetProperty("ph").GetString() == "X" && x.GetProperty("cat").GetString() == "hypercall"), Is.GreaterThan(1000));
        });
    }

    [TestCase(new[] { "trace", "export", "a.trace", "b.json" }, "parakit: trace export: a format is needed: --chrome (try parakit trace export --help)")]
    [TestCase(new[] { "trace", "export", "--chrome", "a.trace" }, "parakit: trace export: FILE and OUT.json are needed (parakit trace export --chrome FILE OUT.json)")]
    public void Usage_mistakes_exit_2(string[] args, string message)
    {
        HypervisorHarness.RequireParakit();
        var r = HypervisorHarness.RunParakit(args);
        Assert.That((r.ExitCode, r.Stderr.TrimEnd()), Is.EqualTo((2, message)));
    }

    [Test]
    public void Exporting_a_missing_trace_is_status_1()
    {
        HypervisorHarness.RequireParakit();
        string missing = Path.Combine(Dir, "none.trace");
        var r = HypervisorHarness.RunParakit(["trace", "export", "--chrome", missing, Path.Combine(Dir, "x.json")]);
        Assert.That((r.ExitCode, r.Stderr), Is.EqualTo((1, $"parakit: {missing}: no such file\n")));
        Assert.That(Regex.IsMatch(r.Stdout, "^$"), Is.True);
    }
}
