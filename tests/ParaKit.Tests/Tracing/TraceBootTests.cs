// Tracing end to end with the real out/bin/parakit: `make run`'s pair (pktgen -> sink through
// netback and a switch) recorded with --trace, then `parakit trace analyze`: every count the
// analysis gives equals the one the final table and --stats print from the counters (exits and
// hypercalls per domain, event sends and deliveries, domain 0's grant copies and bytes, netback's
// TX and RX frames as the sums of the ring batches). Also lost records under KVM, and the
// analyzer's answers to missing, foreign and truncated files.
using System.Globalization;
using System.Text.RegularExpressions;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class TraceBootTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        HypervisorHarness.RequireParakit();
        _dir = HypervisorHarness.ScratchDir();
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>The analysis of one domain: the text from its "domain N (name)" line to the next.</summary>
    private static string Section(string analysis, string name)
    {
        var m = Regex.Match(analysis, @"^domain \d+ \(" + Regex.Escape(name) + @"\):.*?(?=^domain |\z)", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.That(m.Success, Is.True, $"no section for domain {name} in:\n{analysis}");
        return m.Value;
    }

    private static long Get(string text, string pattern)
    {
        var m = Regex.Match(text, pattern, RegexOptions.Multiline);
        Assert.That(m.Success, Is.True, $"no match for /{pattern}/ in:\n{text}");
        return long.Parse(m.Groups[1].Value);
    }

    /// <summary>The final table's row for a domain: exits and hypercalls.</summary>
    private static (long Exits, long Hypercalls) TableRow(string stdout, string name)
    {
        var row = stdout.Split('\n').First(l => l.StartsWith(name + " ", StringComparison.Ordinal) && Regex.IsMatch(l, @"^\S+\s+\d+\s+\d+\s+\S+"));
        var cols = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(cols[5]), long.Parse(cols[6]));
    }

    /// <summary>--stats lines of one domain (the indented lines after its table row).</summary>
    private static string Stats(string stdout, string name)
    {
        var m = Regex.Match(stdout, @"^" + Regex.Escape(name) + @"\s+\d+\s.*?\n((?:    .*\n)+)", RegexOptions.Multiline);
        Assert.That(m.Success, Is.True, $"no --stats block for {name} in:\n{stdout}");
        return m.Groups[1].Value;
    }

    /// <summary>A vif's row of the final table: TX frames, RX frames, notifies.</summary>
    private static (long TxFrames, long RxFrames, long Notifies) VifRow(string stdout, string vif)
    {
        var row = stdout.Split('\n').FirstOrDefault(l => l.StartsWith(vif + " ", StringComparison.Ordinal));
        Assert.That(row, Is.Not.Null, $"no table row for {vif} in:\n{stdout}");
        var cols = row!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(cols[4]), long.Parse(cols[6]), Get(row, @"notifies=(\d+)"));
    }

    [Test]
    public void The_make_run_pair_traced_gives_the_counts_of_the_final_table()
    {
        HypervisorHarness.RequireKvm();
        HypervisorHarness.CsGuest("sink");
        HypervisorHarness.CsGuest("pktgen");
        string trace = Path.Combine(_dir, "run.trace");
        var r = HypervisorHarness.RunParakit(["create", "--stats", "--trace", trace,
            "hypervisor/examples/net-sink.cfg", "hypervisor/examples/net-pktgen.cfg"], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var written = Regex.Match(r.Stderr, @"parakit: trace " + Regex.Escape(trace) + @": (\d+) records from (\d+) threads written, (\d+) lost \((\d+) bytes\)");
        Assert.That(written.Success, Is.True, "one line says what was written\n" + r.Output);
        Assert.That(long.Parse(written.Groups[3].Value), Is.Zero, "the default buffers hold the whole run\n" + r.Output);

        var a = HypervisorHarness.RunParakit(["trace", "analyze", trace]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Output);
        TestContext.Out.WriteLine(a.Stdout);
        Assert.That(Get(a.Stdout, @"^trace .*: (\d+) records from"), Is.EqualTo(long.Parse(written.Groups[1].Value)));
        Assert.That(a.Stdout, Does.Contain("\nrecords lost: 0\n"));
        var sink = Section(a.Stdout, "sink");
        var gen = Section(a.Stdout, "pktgen");
        Assert.Multiple(() =>
        {
            foreach (var (name, section) in new[] { ("sink", sink), ("pktgen", gen) })
            {
                var row = TableRow(r.Stdout, name);
                var stats = Stats(r.Stdout, name);
                Assert.That(Get(section, @"^  exits: (\d+)"), Is.EqualTo(row.Exits), $"{name}: exits");
                Assert.That(Get(section, @"^    mmio\s+(\d+)"), Is.EqualTo(Get(stats, @"exits: mmio=(\d+)")), $"{name}: mmio exits");
                Assert.That(Get(section, @"^  hypercalls: (\d+)"), Is.EqualTo(row.Hypercalls), $"{name}: hypercalls");
                Assert.That(Get(section, @"^    sched_op/block\s+(\d+)"), Is.EqualTo(Get(stats, @"sched_op=\d+\(block=(\d+)")), $"{name}: blocks by hypercall");
                Assert.That(Get(section, @"sleeps: (\d+) blocks"), Is.EqualTo(Get(stats, @"blocks=(\d+)")), $"{name}: blocks");
                Assert.That(Get(section, @"events: (\d+) sent"), Is.EqualTo(Get(stats, @"events: sent=(\d+)")), $"{name}: sends");
                Assert.That(Get(section, @"events: \d+ sent, (\d+) delivered"), Is.EqualTo(Get(stats, @"delivered=(\d+)")), $"{name}: deliveries");
                Assert.That(Get(section, @"grant copies by domain 0: (\d+)"), Is.EqualTo(Get(stats, @"by domain 0 from/to its grants: (\d+)")), $"{name}: grant copies");
                Assert.That(Get(section, @"grant copies by domain 0: \d+ \((\d+) bytes\)"), Is.EqualTo(Get(stats, @"by domain 0 from/to its grants: \d+ \((\d+) bytes\)")), $"{name}: grant bytes");
            }
            // pktgen is vif2.0, the sink vif1.0: netback's frame counters are the sums of the batches.
            var genVif = VifRow(r.Stdout, "vif2.0");
            var sinkVif = VifRow(r.Stdout, "vif1.0");
            Assert.That(Get(gen, @"ring tx \(guest to domain 0\): .*? (\d+) frames"), Is.EqualTo(genVif.TxFrames), "pktgen's TX frames = sum of its TX batches");
            Assert.That(Get(sink, @"ring rx \(domain 0 to guest\): .*? (\d+) frames"), Is.EqualTo(sinkVif.RxFrames), "sink's RX frames = sum of its RX batches");
            Assert.That(Get(gen, @"ring tx .*? (\d+) requests"), Is.GreaterThanOrEqualTo(genVif.TxFrames), "at least one request per frame");
            Assert.That(Get(gen, @"ring tx .*? (\d+) notifies") + Get(gen, @"ring rx .*? (\d+) notifies"), Is.EqualTo(genVif.Notifies), "pktgen's notifies");
            Assert.That(Get(sink, @"ring tx .*? (\d+) notifies") + Get(sink, @"ring rx .*? (\d+) notifies"), Is.EqualTo(sinkVif.Notifies), "sink's notifies");
            Assert.That(gen, Does.Contain("frame drops: none"));
            Assert.That(a.Stdout, Does.Match(@"vcpu pktgen\s+\d+ records\s+0 lost"));
            // The per-packet section: packets are the frames the guests' vifs sent.
            long sentByGuests = genVif.TxFrames + sinkVif.TxFrames;
            var breakdown = TraceBreakdown.Of(trace);
            var copies = Regex.Match(a.Stdout, @"^  grant copies\s+([\d.]+)\s*$", RegexOptions.Multiline);
            Assert.That(a.Stdout, Does.Contain($"per packet ({sentByGuests} frames sent by guests;"));
            Assert.That(breakdown.GrantCopies, Is.EqualTo(Get(gen, @"grant copies by domain 0: (\d+)") + Get(sink, @"grant copies by domain 0: (\d+)")));
            Assert.That(copies.Success, Is.True, "a grant-copies-per-packet row\n" + a.Stdout);
            Assert.That(double.Parse(copies.Groups[1].Value, CultureInfo.InvariantCulture), Is.EqualTo(breakdown.GrantCopies / (double)sentByGuests).Within(0.0005));
        });
    }

    /// <summary>A row of the per-vif ring table: batches, empty batches, requests, frames.</summary>
    private static (long Batches, long Empty, long Requests, long Frames)? VifRingRow(string section, int vif, string dir)
    {
        var m = Regex.Match(section, $@"^\s+{vif}\s+{dir}\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+\s+\d+\s+(\d+)\s", RegexOptions.Multiline);
        return m.Success ? (long.Parse(m.Groups[1].Value), long.Parse(m.Groups[2].Value), long.Parse(m.Groups[3].Value), long.Parse(m.Groups[4].Value)) : null;
    }

    [Test]
    public void A_generator_sending_on_its_second_vif_has_its_frames_on_that_vifs_row()
    {
        // pktgen has two vifs, vif 0 on switch a (alone there) and vif 1 on switch b with the
        // sink; it sends exactly Count 64-byte frames (plus its probes) on vif 1. The per-vif ring
        // table must put every one of them on vif 1 (one request each), none on vif 0, and the
        // sink's vif 0 must have received exactly what the final table counts.
        HypervisorHarness.RequireKvm();
        string sinkImage = HypervisorHarness.CsGuest("sink");
        string genImage = HypervisorHarness.CsGuest("pktgen");
        const int Count = 3000;
        string swA = $"tva{Environment.ProcessId % 100000}", swB = $"tvb{Environment.ProcessId % 100000}";
        string sinkCfg = Path.Combine(_dir, "sink.cfg"), genCfg = Path.Combine(_dir, "gen.cfg");
        File.WriteAllText(sinkCfg, $"name = \"sink\"\nkernel = \"{sinkImage}\"\nmemory = 32\nvif = [ 'mac=00:16:3e:00:07:02,bridge={swB}' ]\nextra = \"quiet-exit-ms=1000\"\n");
        File.WriteAllText(genCfg, $"name = \"pktgen\"\nkernel = \"{genImage}\"\nmemory = 32\nvif = [ 'mac=00:16:3e:00:07:01,bridge={swA}', 'mac=00:16:3e:00:07:11,bridge={swB}' ]\n"
            + $"extra = \"vif=1 dst=00:16:3e:00:07:02 size=64 count={Count}\"\n");
        string trace = Path.Combine(_dir, "vifs.trace");
        var r = HypervisorHarness.RunParakit(["create", "--trace", trace, sinkCfg, genCfg], TimeSpan.FromSeconds(90));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var a = HypervisorHarness.RunParakit(["trace", "analyze", trace]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Output);
        TestContext.Out.WriteLine(a.Stdout);
        var gen = Section(a.Stdout, "pktgen");
        var sink = Section(a.Stdout, "sink");
        long sent = Get(r.Stdout, @"pktgen: done sent=(\d+)");
        long txFrames = Get(r.Stdout, @"pktgen: done .* tx_frames=(\d+)");
        long probes = Get(r.Stdout, @"pktgen: done .* probes=(\d+)");
        Assert.Multiple(() =>
        {
            Assert.That(a.Stdout, Does.Contain("\nrecords lost: 0\n"));
            Assert.That((sent, txFrames), Is.EqualTo(((long)Count, Count + probes)), "pktgen's own count: the frames and its probes");
            var v1 = VifRingRow(gen, 1, "tx");
            Assert.That(v1, Is.Not.Null, "a row for pktgen's vif 1\n" + gen);
            Assert.That((v1!.Value.Requests, v1.Value.Frames), Is.EqualTo((txFrames, txFrames)), "every frame on vif 1, one request each");
            Assert.That(v1.Value.Frames, Is.EqualTo(VifRow(r.Stdout, "vif2.1").TxFrames), "the final table's vif2.1");
            Assert.That(VifRingRow(gen, 0, "tx")?.Frames ?? 0, Is.Zero, "nothing sent on vif 0");
            var s0 = VifRingRow(sink, 0, "rx");
            Assert.That(s0, Is.Not.Null, sink);
            Assert.That(s0!.Value.Frames, Is.EqualTo(VifRow(r.Stdout, "vif1.0").RxFrames), "the sink's vif1.0");
            Assert.That(s0.Value.Frames, Is.GreaterThanOrEqualTo(Count), "the sink got the stream");
            Assert.That(Get(gen, @"ring tx \(guest to domain 0\): .*? (\d+) frames"), Is.EqualTo(v1.Value.Frames + (VifRingRow(gen, 0, "tx")?.Frames ?? 0)), "the domain's line sums its vifs");
        });
    }

    [Test]
    public void A_tiny_buffer_under_kvm_loses_records_and_both_ends_say_how_many()
    {
        HypervisorHarness.RequireKvm();
        string trace = Path.Combine(_dir, "tiny.trace");
        var r = HypervisorHarness.RunParakit(["run", "--trace", trace, "--trace-records", "3", HypervisorHarness.CsGuest("hello")]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var written = Regex.Match(r.Stderr, @"(\d+) records from \d+ threads written, (\d+) lost");
        Assert.That(written.Success, Is.True, r.Output);
        long lost = long.Parse(written.Groups[2].Value);
        Assert.That(lost, Is.GreaterThan(0), "hello makes more than 3 records on its vCPU (8 here)\n" + r.Output);
        var a = HypervisorHarness.RunParakit(["trace", "analyze", trace]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Output);
        Assert.That(a.Stdout.Split('\n')[1], Does.StartWith($"records lost: {lost} (buffers of 3 records per thread filled up"), a.Stdout);
        Assert.That(a.Stdout, Does.Match(@"vcpu hello\s+3 records\s+\d+ lost"));
    }

    [Test]
    public void Analyze_answers_a_missing_file_with_status_1_and_a_sentence()
    {
        string path = Path.Combine(_dir, "none.trace");
        var r = HypervisorHarness.RunParakit(["trace", "analyze", path]);
        Assert.That((r.ExitCode, r.Stderr, r.Stdout), Is.EqualTo((1, $"parakit: {path}: no such file\n", "")));
    }

    [Test]
    public void Analyze_answers_a_file_that_is_no_trace_with_status_1()
    {
        var r = HypervisorHarness.RunParakit(["trace", "analyze", "hypervisor/examples/net-sink.cfg"]);
        Assert.That((r.ExitCode, r.Stderr), Is.EqualTo((1, "parakit: hypervisor/examples/net-sink.cfg is not a ParaKit trace (it does not start with \"PKTRACE\")\n")));
    }

    [Test]
    public void Analyze_answers_a_truncated_trace_with_status_1()
    {
        HypervisorHarness.RequireKvm();
        string trace = Path.Combine(_dir, "cut.trace");
        var r = HypervisorHarness.RunParakit(["run", "--trace", trace, HypervisorHarness.CsGuest("hello")]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var bytes = File.ReadAllBytes(trace);
        File.WriteAllBytes(trace, bytes[..^10]);
        var a = HypervisorHarness.RunParakit(["trace", "analyze", trace]);
        Assert.That(a.ExitCode, Is.EqualTo(1), a.Output);
        Assert.That(a.Stderr, Does.Match(@"^parakit: .*cut\.trace is truncated: the header promises (\d+) records, the file holds \d+ and 22 bytes of the next\n$"));
    }

    [TestCase(new[] { "trace" }, "parakit: trace: a command is needed: record, analyze, compare or export (try parakit trace --help)")]
    [TestCase(new[] { "trace", "replay" }, "parakit: trace: unknown command 'replay' (try parakit trace --help)")]
    [TestCase(new[] { "trace", "analyze" }, "parakit: trace analyze: a trace FILE is needed (try parakit trace analyze --help)")]
    [TestCase(new[] { "trace", "analyze", "a", "b" }, "parakit: trace analyze: one FILE at a time")]
    [TestCase(new[] { "create", "--trace-records", "10", "x.cfg" }, "parakit: --trace-records needs --trace FILE")]
    [TestCase(new[] { "run", "--trace", "t", "--trace-records", "0", "x.elf" }, "parakit: --trace-records expects a whole number between 1 and 67108864, got '0'")]
    public void Usage_mistakes_exit_2(string[] args, string message)
    {
        var r = HypervisorHarness.RunParakit(args);
        Assert.That((r.ExitCode, r.Stderr.TrimEnd()), Is.EqualTo((2, message)));
    }

    [Test]
    public void A_trace_file_that_cannot_be_written_stops_create_before_anything_boots()
    {
        var r = HypervisorHarness.RunParakit(["create", "--trace", "/nonexistent/dir/x.trace", "hypervisor/examples/net-sink.cfg"]);
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
            Assert.That(r.Stderr, Does.StartWith("parakit: cannot write the trace file /nonexistent/dir/x.trace: "));
            Assert.That(r.Stdout, Is.Empty, "no domain ran");
        });
    }

    [Test]
    public void Help_describes_trace_analyze_and_the_trace_options()
    {
        var help = HypervisorHarness.RunParakit(["trace", "--help"]);
        var main = HypervisorHarness.RunParakit(["--help"]);
        var create = HypervisorHarness.RunParakit(["create", "--help"]);
        var run = HypervisorHarness.RunParakit(["run", "--help"]);
        Assert.Multiple(() =>
        {
            Assert.That(help.ExitCode, Is.Zero);
            Assert.That(help.Stdout, Does.StartWith("usage: parakit trace record -o FILE"));
            Assert.That(help.Stdout, Does.Contain("parakit trace analyze FILE"));
            Assert.That(help.Stdout, Does.Contain("hypervisor/Tracing/README.md"));
            Assert.That(main.Stdout, Does.Contain("trace analyze FILE"));
            Assert.That(create.Stdout, Does.Contain("--trace FILE"));
            Assert.That(run.Stdout, Does.Contain("--trace FILE"));
        });
    }
}
