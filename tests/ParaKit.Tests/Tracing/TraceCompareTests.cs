// `trace compare A B` on hand-made traces whose every cycle is known: guest time from KVM_RUN,
// exit handling less the backend pass that ran inline on the vCPU and the time asleep, backend
// passes less the grant copies inside them, copies, idle; per packet; filtered classes print '-';
// and the command line end to end.
using ParaKit.Hypervisor.Tracing;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class TraceCompareTests : TraceScratch
{
    private static TraceRecord R(ulong tsc, TraceEvent ev, ushort dom, ushort thread, ushort flags = 0, ulong a0 = 0, ulong a1 = 0) => new(tsc, ev, dom, thread, flags, a0, a1);

    private static ulong Copy(int bytes, ulong cycles) => (uint)bytes | (cycles << 32);

    /// <summary>Two packets: guest 15 000 cycles, exit handling 9 000 (11 000 less an inline
    /// backend pass of 2 000), backend 2 700 (3 500 of passes less 800 of copies in them), copies
    /// 800, idle 3 000.</summary>
    private string PvTrace(TraceClasses classes = TraceClasses.All)
    {
        var vcpu = new[]
        {
            R(11_000, TraceEvent.VcpuExit, 1, 0, a0: 6, a1: 10_000),
            R(12_000, TraceEvent.GrantCopy, 1, 0, a0: Copy(100, 500), a1: 4),
            R(13_000, TraceEvent.BackendPass, 0, 0, a0: 1, a1: 2_000),
            R(20_000, TraceEvent.VcpuWake, 1, 0, a0: 3_000),
            R(30_000, TraceEvent.VcpuExit, 1, 0, a0: 6, a1: 5_000),
            R(30_500, TraceEvent.Hypercall, 1, 0, a0: 29, a1: 100),
            R(30_600, TraceEvent.EventSend, 1, 0, a0: 3),
        };
        var worker = new[]
        {
            R(40_000, TraceEvent.GrantCopy, 2, 1, flags: 1, a0: Copy(100, 300), a1: 5),
            R(40_500, TraceEvent.NetTxBatch, 1, 1, flags: 0, a0: 2, a1: 2),
            R(40_700, TraceEvent.NetRxBatch, 2, 1, flags: 1, a0: 2, a1: 2),
            R(41_000, TraceEvent.BackendPass, 0, 1, a0: 2, a1: 1_500),
            R(41_100, TraceEvent.EventDeliver, 2, 1, flags: 1, a0: 4),
        };
        var capture = TraceFileTests.Capture(("vcpu a", vcpu, 0), ("parakit-net-sw0", worker, 0));
        capture = new TraceCapture(capture.Started, capture.EndTsc, capture.TscHz, capture.RecordsPerThread, capture.Threads) { Classes = classes };
        return TraceFileTests.WriteFile(Dir, capture, new TraceDomainName(1, "a"), new TraceDomainName(2, "b"));
    }

    /// <summary>One packet through an emulated device: 4 register accesses, 3 exits.</summary>
    private string FvTrace()
    {
        var vcpu = new[]
        {
            R(5_000, TraceEvent.VcpuExit, 1, 0, a0: 6, a1: 4_000),
            R(5_100, TraceEvent.DeviceAccess, 1, 0, flags: 1 | 4 << 1, a0: 0x3818, a1: 1),
            R(5_200, TraceEvent.DeviceAccess, 1, 0, flags: 4 << 1, a0: 0xc0, a1: 1),
            R(9_000, TraceEvent.VcpuExit, 1, 0, a0: 6, a1: 2_000),
            R(9_100, TraceEvent.DeviceAccess, 1, 0, flags: 4 << 1, a0: 0x8, a1: 1),
            R(9_200, TraceEvent.DeviceAccess, 1, 0, flags: 4 << 1, a0: 0x8, a1: 1),
            R(9_300, TraceEvent.NetTxBatch, 1, 0, flags: 1, a0: 1, a1: 1),
            R(12_000, TraceEvent.VcpuExit, 1, 0, a0: 6, a1: 1_000),
        };
        return TraceFileTests.WriteFile(Dir, TraceFileTests.Capture(("vcpu fv", vcpu, 0)), new TraceDomainName(1, "fv"));
    }

    [Test]
    public void The_breakdown_splits_every_cycle_into_its_category()
    {
        var b = TraceBreakdown.Of(PvTrace());
        Assert.Multiple(() =>
        {
            Assert.That((b.FramesSent, b.FramesReceived, b.Packets), Is.EqualTo((2L, 2L, 2L)));
            Assert.That((b.Exits, b.Hypercalls, b.EventSends, b.EventDeliveries, b.RingNotifies, b.GrantCopies, b.GrantBytes), Is.EqualTo((2L, 1L, 1L, 1L, 1L, 2L, 200L)));
            Assert.That(b.GuestCycles, Is.EqualTo(15_000));
            Assert.That(b.ExitHandlingCycles, Is.EqualTo(9_000));
            Assert.That(b.BackendCycles, Is.EqualTo(2_700));
            Assert.That(b.CopyCycles, Is.EqualTo(800));
            Assert.That(b.IdleCycles, Is.EqualTo(3_000));
            Assert.That(b.TotalCycles, Is.EqualTo(30_500));
        });
    }

    [Test]
    public void Pv_against_fv_per_packet()
    {
        var pv = TraceBreakdown.Of(PvTrace());
        var fv = TraceBreakdown.Of(FvTrace());
        string text = TraceComparisonReport.Format(pv, fv);
        TestContext.Out.WriteLine(text);
        string Line(string label) => text.Split('\n').Single(l => l.StartsWith(label + " ", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(Line("packets (frames sent by guests)"), Does.Match(@"\s+2\s+1\s+0\.50$"));
            Assert.That(Line("  exits"), Does.Match(@"\s+1\.000\s+3\.000\s+3\.00$"));
            Assert.That(Line("  device register accesses"), Does.Match(@"\s+0\.000\s+4\.000\s+-$"));
            Assert.That(Line("  grant copies"), Does.Match(@"\s+1\.000\s+0\.000\s+0\.00$"));
            Assert.That(Line("  guest (inside KVM_RUN)"), Does.Match(@"\s+7500\s+49%\s+7000\s+\d+%\s+0\.93$"));
            Assert.That(Line("  exit handling (domain 0 on the vCPU)"), Does.Match(@"\s+4500\s+30%\s+"));
            Assert.That(Line("  domain-0 backend or device model"), Does.Match(@"\s+1350\s+9%\s+"));
            Assert.That(Line("  sum"), Does.Match(@"\s+15250\s+100%\s+"));
        });
    }

    [Test]
    public void Classes_left_out_of_a_trace_print_a_dash()
    {
        var all = TraceBreakdown.Of(PvTrace());
        var some = TraceBreakdown.Of(PvTrace(TraceClasses.Exits | TraceClasses.Rings));
        string text = TraceComparisonReport.Format(all, some);
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("classes not recorded in both: hypercalls,events,sched,grants,drops,lifecycle,device"));
            Assert.That(text, Does.Match(@"\n  grant copies\s+-\s+-\s+-\n"));
            Assert.That(text, Does.Match(@"\n  hypercalls\s+-\s+-\s+-\n"));
            Assert.That(text, Does.Match(@"\n  exits\s+1\.000\s+1\.000\s+1\.00\n"));
        });
    }

    [Test]
    public void Compare_from_the_command_line()
    {
        HypervisorHarness.RequireParakit();
        string a = PvTrace(), b = FvTrace();
        var r = HypervisorHarness.RunParakit(["trace", "compare", a, b]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        Assert.That(r.Stdout, Does.StartWith($"A: {a}: 12 records, 0 lost, events recorded: all"));
        Assert.That(r.Stdout, Does.Contain("\nper packet:\n"));
        var bad = HypervisorHarness.RunParakit(["trace", "compare", a]);
        Assert.That((bad.ExitCode, bad.Stderr.TrimEnd()), Is.EqualTo((2, "parakit: trace compare: two trace files are needed (parakit trace compare A B)")));
        var missing = HypervisorHarness.RunParakit(["trace", "compare", a, a + ".none"]);
        Assert.That((missing.ExitCode, missing.Stderr), Is.EqualTo((1, $"parakit: {a}.none: no such file\n")));
    }
}
