// A hostile netfront (guestkernel/Apps/netevil) on the same switch as a healthy pktgen -> sink
// pair, one `parakit create` per kind of misbehaviour. Domain 0 must contain the damage: the
// pair delivers every frame intact, every domain (netevil too) powers off by itself, and
// netevil's vif row shows what it did where netback can see it (the drop counter, the
// disconnect and its reason), with every frame offered to netevil placed or counted.
using ParaKit.Tests.Hypervisor;
using static ParaKit.Tests.NetBoot.NetPairBootTests;

namespace ParaKit.Tests.NetBoot;

public class NetHostileBootTests : NetBootFixture
{
    private const string GenMac = "00:16:3e:00:00:01", SinkMac = "00:16:3e:00:00:02", EvilMac = "00:16:3e:00:00:03", Gen2Mac = "00:16:3e:00:00:04";
    /// <summary>The healthy pair's stream: 20000 frames at 20000 a second, so it overlaps the attack.</summary>
    private const int PairFrames = 20000;
    private sealed record Run(ProcessResult R, Dictionary<string, string> Evil, VifReport EvilVif, string EvilVifName)
    {
        public string Out => R.Stdout;
    }

    /// <summary>sink, pktgen and netevil in MODE (plus any <paramref name="more"/> configs) under one
    /// `parakit create --timeout`; checks what must hold whatever netevil does.</summary>
    private Run RunWith(string mode, params string[] more)
    {
        string sink = Config(Dir, "sink", "sink", SinkMac, $"count={PairFrames} quiet-exit-ms=3000");
        string gen = Config(Dir, "gen", "pktgen", GenMac, $"dst={SinkMac} size=200 count={PairFrames} rate=20000");
        string evil = Config(Dir, "evil", "netevil", EvilMac, $"mode={mode} seconds=2");
        var r = HypervisorHarness.RunParakit(["create", "--timeout", "25", sink, gen, evil, .. more], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.EqualTo(0), "every domain powered off by itself\n" + r.Output);
        string o = r.Stdout;
        var got = Line(o, "sink: done");
        var sent = Line(NetReportText.ConsoleOf(o, "gen"), "pktgen: done");
        var evilDone = Line(o, "netevil: done mode=" + mode);
        string evilName = NetReportText.VifOf(o, "evil");
        var evilVif = NetReportText.Vif(o, evilName);
        string sinkName = NetReportText.VifOf(o, "sink");
        var sinkVif = NetReportText.Vif(o, sinkName);
        var genVif = NetReportText.Vif(o, NetReportText.VifOf(o, "gen"));
        var evilPort = NetReportText.Port(o, evilName);
        Assert.Multiple(() =>
        {
            foreach (string d in new[] { "sink", "gen", "evil" })
                Assert.That(NetReportText.DomainState(o, d), Is.EqualTo("poweroff(0)"), d + "\n" + r.Output);
            // The healthy pair: everything sent arrived, intact and in order.
            Assert.That(Num(sent, "sent"), Is.EqualTo(PairFrames), r.Output);
            Assert.That(Num(got, "received"), Is.EqualTo(PairFrames), "the healthy pair lost nothing\n" + r.Output);
            Assert.That(Num(got, "bad") + Num(got, "lost") + Num(got, "reordered") + Num(got, "foreign"), Is.Zero, r.Output);
            Assert.That(genVif.TxFrames, Is.EqualTo(Num(sent, "tx_frames")), genVif.Row);
            Assert.That(genVif.TxDrops, Is.Zero, genVif.Row);
            Assert.That(sinkVif.State, Is.EqualTo("connected"), sinkVif.Row);
            Assert.That(sinkVif.RxFrames + sinkVif.RxDrops, Is.EqualTo(NetReportText.Port(o, sinkName).Out), "every frame for the sink placed or counted\n" + sinkVif.Row);
            Assert.That(sinkVif.Count("lost_misbehaving") + genVif.Count("lost_misbehaving"), Is.Zero, r.Output);
            // netevil's vif: what the switch sent it was placed or counted; what netback passed from
            // it is what the switch got from it (its first frame, a good announce, always passes).
            Assert.That(evilVif.RxFrames + evilVif.RxDrops, Is.EqualTo(evilPort.Out), "every frame for netevil placed or counted\n" + evilVif.Row);
            Assert.That(evilPort.In, Is.EqualTo(evilVif.TxFrames), r.Output);
            Assert.That(evilVif.TxFrames, Is.GreaterThanOrEqualTo(1), evilVif.Row);
            Assert.That(evilVif.Count("connects"), Is.EqualTo(1), evilVif.Row);
        });
        return new Run(r, evilDone, evilVif, evilName);
    }

    [Test]
    public void A_garbage_tx_req_prod_disconnects_only_that_vif()
    {
        var run = RunWith("garbage-index");
        Assert.Multiple(() =>
        {
            Assert.That(run.EvilVif.Count("lost_misbehaving"), Is.EqualTo(1), run.EvilVif.Row);
            Assert.That(NetReportText.LastProblem(run.Out, run.EvilVifName), Is.EqualTo("frontend misbehaved: TxRingOverflow"), run.R.Output);
            Assert.That(run.EvilVif.State, Is.EqualTo("closing"), "the backend asked the frontend to close\n" + run.EvilVif.Row);
            Assert.That(run.EvilVif.TxFrames, Is.EqualTo(1), "nothing from the overflowed ring was taken\n" + run.EvilVif.Row);
            Assert.That(Num(run.Evil, "tx_req_prod") - Num(run.Evil, "tx_rsp_prod"), Is.EqualTo(100000), run.R.Output);
            Assert.That(Num(run.Evil, "backend_state"), Is.EqualTo(5), "netevil saw the backend go Closing\n" + run.R.Output);
        });
    }

    [Test]
    public void An_oversized_more_data_chain_is_malformed_and_disconnects_only_that_vif()
    {
        var run = RunWith("oversize-chain");
        Assert.Multiple(() =>
        {
            Assert.That(run.EvilVif.Count("lost_misbehaving"), Is.EqualTo(1), run.EvilVif.Row);
            Assert.That(run.EvilVif.Count("tx_malformed"), Is.EqualTo(1), run.EvilVif.Row);
            Assert.That(NetReportText.LastProblem(run.Out, run.EvilVifName), Is.EqualTo("frontend misbehaved: MalformedTx"), run.R.Output);
            Assert.That(run.EvilVif.State, Is.EqualTo("closing"), run.EvilVif.Row);
            Assert.That(run.EvilVif.TxFrames, Is.EqualTo(1), run.EvilVif.Row);
            Assert.That(Num(run.Evil, "backend_state"), Is.EqualTo(5), run.R.Output);
        });
    }

    [Test]
    public void Bad_grant_references_are_answered_with_errors_and_the_vif_stays_up()
    {
        var run = RunWith("bad-gref");
        Assert.Multiple(() =>
        {
            // A reference never granted and one revoked before the kick: two ERROR answers, counted;
            // the good frame after them passes, so the vif is still connected and working.
            Assert.That(run.EvilVif.Count("tx_bad_grant"), Is.EqualTo(2), run.EvilVif.Row);
            Assert.That(run.EvilVif.TxFrames, Is.EqualTo(2), "the announce and the good frame after the bad ones\n" + run.EvilVif.Row);
            Assert.That(run.EvilVif.Count("lost_misbehaving"), Is.Zero, run.EvilVif.Row);
            Assert.That(run.EvilVif.State, Is.EqualTo("connected"), run.EvilVif.Row);
            Assert.That(NetReportText.LastProblem(run.Out, run.EvilVifName), Is.Empty, run.R.Output);
            Assert.That(run.Out, Does.Contain("(revoked before the kick)"), run.R.Output);
            Assert.That(Num(run.Evil, "tx_responses"), Is.EqualTo(4), run.R.Output);
            Assert.That(Num(run.Evil, "tx_error_responses"), Is.EqualTo(2), run.R.Output);
            Assert.That(Num(run.Evil, "backend_state"), Is.EqualTo(4), run.R.Output);
        });
    }

    [Test]
    public void A_receiver_that_never_posts_buffers_costs_only_its_own_frames()
    {
        // A second generator sends 3000 frames straight at netevil, which promised rx-notify but
        // never posts a buffer: netback queues 256, holds the sender while the queue is full, and
        // after RxStallMs (200 ms) treats netevil as stalled: the rest is dropped and counted, the
        // sender carries on. gen2 cannot probe a guest that never reads: it waits instead, until
        // netevil's announce has taught the switch its port (else its frames would be flooded).
        string gen2 = Config(Dir, "gen2", "pktgen", Gen2Mac, $"dst={EvilMac} size=200 count=3000 probe=0 delay-ms=500");
        var run = RunWith("no-rx", gen2);
        var sent2 = Line(NetReportText.ConsoleOf(run.Out, "gen2"), "pktgen: done");
        var gen2Vif = NetReportText.Vif(run.Out, NetReportText.VifOf(run.Out, "gen2"));
        long toEvil = NetReportText.Port(run.Out, run.EvilVifName).Out;
        Assert.Multiple(() =>
        {
            Assert.That(NetReportText.DomainState(run.Out, "gen2"), Is.EqualTo("poweroff(0)"), run.R.Output);
            Assert.That(Num(sent2, "sent"), Is.EqualTo(3000), run.R.Output);
            Assert.That(gen2Vif.TxFrames, Is.EqualTo(3000), gen2Vif.Row);
            Assert.That(gen2Vif.TxDrops, Is.Zero, gen2Vif.Row);
            Assert.That(toEvil, Is.GreaterThanOrEqualTo(3000), "gen2's frames all went to netevil's port\n" + run.R.Output);
            Assert.That(run.EvilVif.RxFrames, Is.Zero, run.EvilVif.Row);
            Assert.That(run.EvilVif.Count("rx_no_buffer"), Is.GreaterThan(0), run.EvilVif.Row);
            // The rx-notify queue it never drained is counted when the vif goes.
            Assert.That(run.EvilVif.Count("rx_not_connected"), Is.InRange(1, 256), run.EvilVif.Row);
            Assert.That(run.EvilVif.RxDrops, Is.EqualTo(toEvil), run.EvilVif.Row);
            Assert.That(run.EvilVif.State, Is.EqualTo("connected"), "not reading is not a protocol violation\n" + run.EvilVif.Row);
            // Held at most about RxStallMs once, then never again: 3000 frames flat out take a fraction of a second.
            Assert.That(Num(sent2, "seconds"), Is.LessThan(2.0), "the sender was not stalled by the dead receiver\n" + run.R.Output);
            Assert.That(Num(Line(run.Out, "netevil: done"), "rx_req_prod"), Is.Zero, run.R.Output);
        });
    }

    [Test]
    public void A_kick_storm_costs_the_stormer_exits_and_leaves_the_pair_alone()
    {
        var run = RunWith("kick-storm");
        long kicks = Num(run.Evil, "kicks_sent") + Num(run.Evil, "kick_errors");
        Assert.Multiple(() =>
        {
            Assert.That(kicks, Is.GreaterThan(1000), run.R.Output);
            Assert.That(NetReportText.Exits(run.Out, "evil"), Is.GreaterThanOrEqualTo(kicks), "each send is an exit of its own\n" + run.R.Output);
            Assert.That(run.EvilVif.Count("lost_misbehaving"), Is.Zero, "kicking is allowed, just wasteful\n" + run.EvilVif.Row);
            Assert.That(run.EvilVif.State, Is.EqualTo("connected"), run.EvilVif.Row);
            Assert.That(run.EvilVif.TxDrops, Is.Zero, run.EvilVif.Row);
        });
    }
}
