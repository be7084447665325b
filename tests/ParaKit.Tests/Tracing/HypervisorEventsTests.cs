// The "ParaKit-Hypervisor" EventSource from the NativeAOT out/bin/parakit: a .nettrace file written
// through DOTNET_EnableEventPipe holds its lifecycle and XenStore events and TraceEvent reads them
// back by payload name; and a live session attached by pid with DiagnosticsClient (what dotnet-trace
// does) sees a domain stop while parakit runs. In process, the events carry what they were given.
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Text.RegularExpressions;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class HypervisorEventsTests : TraceScratch
{
    private sealed record Seen(string Name, IReadOnlyDictionary<string, object> Payload);

    private static List<Seen> Collect(EventPipeEventSource source, out int lost)
    {
        var seen = new List<Seen>();
        source.Dynamic.All += e =>
        {
            if (e.ProviderName != HypervisorEvents.SourceName)
                return;
            var payload = new Dictionary<string, object>();
            for (int i = 0; i < e.PayloadNames.Length; i++)
                payload[e.PayloadNames[i]] = e.PayloadValue(i);
            lock (seen)
                seen.Add(new Seen(e.EventName, payload));
        };
        source.Process();
        lost = source.EventsLost;
        return seen;
    }

    /// <summary>The xenbus pair run under EventPipe with the hypervisor's EventSource on, written to
    /// <paramref name="fileName"/> in the test's folder.</summary>
    private string RecordXenbusPair(string fileName)
    {
        HypervisorHarness.RequireParakit();
        HypervisorHarness.RequireKvm();
        HypervisorHarness.CsGuest("xsdemo");
        string nettrace = Path.Combine(Dir, fileName);
        var env = new Dictionary<string, string>
        {
            ["DOTNET_EnableEventPipe"] = "1",
            ["DOTNET_EventPipeOutputPath"] = nettrace,
            ["DOTNET_EventPipeConfig"] = $"{HypervisorEvents.SourceName}:0xFFFFFFFF:5",
            ["DOTNET_EventPipeOutputStreaming"] = "1",
            ["DOTNET_EventPipeCircularMB"] = "0x40",
        };
        var r = HypervisorHarness.RunParakit(["create", "hypervisor/examples/xenbus-back.cfg", "hypervisor/examples/xenbus-front.cfg"], TimeSpan.FromSeconds(60), env);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.That(File.Exists(nettrace), Is.True, "the NativeAOT parakit wrote no EventPipe file: was it published without <EventSourceSupport>true</EventSourceSupport> (hypervisor/ParaKit.Hypervisor.csproj)?\n" + r.Output);
        return nettrace;
    }

    [Test]
    public void A_nettrace_file_of_a_nativeaot_run_holds_the_domains_lifecycle_and_xenstore_requests()
    {
        string nettrace = RecordXenbusPair("run.nettrace");

        using var source = new EventPipeEventSource(nettrace);
        var seen = Collect(source, out int lost);
        var started = seen.Where(s => s.Name == "DomainStarted").ToList();
        var stopped = seen.Where(s => s.Name == "DomainStopped").ToList();
        var requests = seen.Where(s => s.Name == "XenStoreRequest").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lost, Is.Zero);
            Assert.That(started.Select(s => (string)s.Payload["name"]), Is.EquivalentTo(new[] { "xsback", "xsfront" }).Or.EquivalentTo(new[] { "back", "front" }).Or.Count.EqualTo(2));
            Assert.That(stopped, Has.Count.EqualTo(2));
            Assert.That(stopped.Select(s => (string)s.Payload["state"]), Is.All.EqualTo("Shutdown"));
            Assert.That(stopped.Select(s => (int)s.Payload["exitCode"]), Is.All.EqualTo(0));
            Assert.That(started.Select(s => (uint)s.Payload["domain"]).Order(), Is.EqualTo(stopped.Select(s => (uint)s.Payload["domain"]).Order()));
            Assert.That(requests, Has.Count.GreaterThan(5), "the xenbus handshake goes through xenstored");
            Assert.That(requests.Select(s => (string)s.Payload["type"]), Does.Contain("Write").And.Contain("Read"));
            Assert.That(requests.All(s => s.Payload.ContainsKey("transaction") && s.Payload.ContainsKey("payloadBytes") && s.Payload.ContainsKey("error")), Is.True);
        });
    }

    [Test]
    public void Trace_analyze_of_a_nettrace_gives_the_counts_traceevent_reads_from_it()
    {
        // The test records its own .nettrace (the xenbus pair under EventPipe), reads it here with
        // TraceEvent, and `parakit trace analyze` (which hands it to out/bin/nettrace/parakit-nettrace)
        // must print the same domains, outcomes and XenStore request counts by type and by domain.
        string nettrace = RecordXenbusPair("pair.nettrace");
        List<Seen> seen;
        using (var source = new EventPipeEventSource(nettrace))
            seen = Collect(source, out _);
        var requests = seen.Where(s => s.Name == "XenStoreRequest").ToList();
        var stopped = seen.Where(s => s.Name == "DomainStopped").ToList();
        Assert.That(requests, Has.Count.GreaterThan(5), "the xenbus handshake goes through xenstored");

        var a = HypervisorHarness.RunParakit(["trace", "analyze", nettrace]);
        Assert.That(a.ExitCode, Is.EqualTo(0), a.Output);
        TestContext.Out.WriteLine(a.Stdout);
        Assert.Multiple(() =>
        {
            Assert.That(a.Stdout, Does.StartWith($"nettrace {nettrace}: "));
            Assert.That(a.Stdout, Does.Contain("\nevents lost: 0\n"));
            Assert.That(a.Stdout, Does.Match(@"\n  ParaKit-Hypervisor\s+" + seen.Count + " events\n"), "every event of the provider counted");
            Assert.That(a.Stdout, Does.Contain($"\n  domains: {stopped.Count}\n"));
            foreach (var s in stopped)
            {
                string line = $@"\n\s+{s.Payload["domain"]}\s+{Regex.Escape((string)s.Payload["name"])}\s+\d+\.\d{{3}}\s+\d+\.\d{{3}}\s+{s.Payload["state"]}\s+{s.Payload["exitCode"]}\b";
                Assert.That(a.Stdout, Does.Match(line), "a row per domain: started, stopped, state, exit code");
            }
            Assert.That(a.Stdout, Does.Contain($"\n  xenstore requests: {requests.Count} ({requests.Count(q => (int)q.Payload["error"] != 0)} failed)\n"));
            foreach (var g in requests.GroupBy(q => (string)q.Payload["type"]))
            {
                long bytes = g.Sum(q => (long)(int)q.Payload["payloadBytes"]);
                Assert.That(a.Stdout, Does.Match($@"\n    {Regex.Escape(g.Key)}\s+{g.Count()}\s+{g.Count(q => (int)q.Payload["error"] != 0)}\s+{g.Count(q => (uint)q.Payload["transaction"] != 0)}\s+{bytes}\n"), $"type {g.Key}");
            }
            foreach (var g in requests.GroupBy(q => (uint)q.Payload["domain"]))
                Assert.That(a.Stdout, Does.Match($@"\n    domain {g.Key}( \([^)]*\))?\s+{g.Count()}\s"), $"domain {g.Key}");
        });
    }

    [Test]
    public void Trace_analyze_of_a_damaged_nettrace_exits_1_with_a_sentence()
    {
        HypervisorHarness.RequireParakit();
        string path = Path.Combine(Dir, "bad.nettrace");
        File.WriteAllBytes(path, [.. "Nettrace"u8, .. new byte[40]]);
        var r = HypervisorHarness.RunParakit(["trace", "analyze", path]);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Stderr, Does.StartWith($"parakit: {path}: not a readable .nettrace file"));
        Assert.That(r.Stdout, Is.Empty);
    }

    [Test]
    public void A_live_session_attached_by_pid_sees_events_while_parakit_runs()
    {
        HypervisorHarness.RequireParakit();
        HypervisorHarness.RequireKvm();
        string spin = HypervisorHarness.CsGuest("spin");
        string cfg = Path.Combine(Dir, "spin.cfg"), socket = Path.Combine(Dir, "xs.sock");
        File.WriteAllText(cfg, $"name = \"spin\"\nkernel = \"{spin}\"\nmemory = 16\n");
        List<Seen>? seen = null;
        int lost = -1;
        Exception? failure = null;
        ProcessResult? write = null;
        bool stillRunning = false;
        var env = new Dictionary<string, string> { ["PARAKIT_XENSTORE_SOCKET"] = socket };
        var r = HypervisorHarness.RunParakit(["create", "--timeout", "4", cfg], TimeSpan.FromSeconds(30), env, whileRunning: p =>
        {
            try
            {
                // The diagnostics server's socket appears once the runtime is up (what dotnet-trace looks for).
                var clock = Stopwatch.StartNew();
                while (!Directory.EnumerateFiles("/tmp", $"dotnet-diagnostic-{p.Id}-*-socket").Any() && clock.Elapsed < TimeSpan.FromSeconds(3))
                    Thread.Sleep(20);
                var client = new DiagnosticsClient(p.Id);
                using var session = client.StartEventPipeSession([new EventPipeProvider(HypervisorEvents.SourceName, EventLevel.Verbose, keywords: -1)], requestRundown: false);
                using var source = new EventPipeEventSource(session.EventStream);
                var reading = Task.Run(() => seen = Collect(source, out lost));   // ends when parakit exits
                while (!File.Exists(socket) && clock.Elapsed < TimeSpan.FromSeconds(3))
                    Thread.Sleep(20);
                write = HypervisorHarness.RunParakit(["xenstore", "--socket", socket, "write", "/local/domain/0/live-probe", "hello"]);
                // As dotnet-trace does at the end of a collection: stopping the session makes the
                // runtime flush its buffers and end the stream (parakit goes on running).
                Thread.Sleep(200);
                session.Stop();
                reading.Wait(TimeSpan.FromSeconds(20));
                stillRunning = !p.HasExited;
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        Assert.That(r.ExitCode, Is.EqualTo(124), r.Output);
        Assert.That(failure, Is.Null, failure?.ToString());
        Assert.That(write!.ExitCode, Is.EqualTo(0), write.Output);
        Assert.That(seen, Is.Not.Null, "the session's stream ended");
        TestContext.Out.WriteLine("events seen live: " + string.Join(", ", seen!.Select(s => s.Name + " " + string.Join(' ', s.Payload.Select(kv => $"{kv.Key}={kv.Value}")))));
        var probe = seen!.Where(s => s.Name == "XenStoreRequest" && (uint)s.Payload["domain"] == 0 && (string)s.Payload["type"] == "Write").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(probe, Has.Count.EqualTo(1), "the write from `parakit xenstore`, seen live");
            Assert.That(stillRunning, Is.True, "seen while parakit was running, not at its exit");
            Assert.That(lost, Is.Zero);
        });
    }

    [Test]
    public void In_process_the_events_carry_their_arguments()
    {
        using var listener = new Listener();
        HypervisorEvents.Log.DomainStarted(7, "web");
        HypervisorEvents.Log.DomainStopped(7, "web", "Crashed", 70, "triple fault");
        HypervisorEvents.Log.Error(0, "xenstored", "boom");
        HypervisorEvents.Log.XenStoreRequest(7, "Read", 3, 12, 0);
        Assert.That(listener.Events, Is.EqualTo(new[]
        {
            "DomainStarted domain=7 name=web",
            "DomainStopped domain=7 name=web state=Crashed exitCode=70 message=triple fault",
            "Error domain=0 component=xenstored message=boom",
            "XenStoreRequest domain=7 type=Read transaction=3 payloadBytes=12 error=0",
        }));
    }

    private sealed class Listener : EventListener
    {
        public List<string> Events { get; } = [];

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == HypervisorEvents.SourceName)
                EnableEvents(source, EventLevel.Verbose, EventKeywords.All);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventSource.Name != HypervisorEvents.SourceName)
                return;
            var parts = e.PayloadNames!.Select((n, i) => $"{n}={e.Payload![i]}");
            lock (Events)
                Events.Add(e.EventName + " " + string.Join(' ', parts));
        }
    }
}
