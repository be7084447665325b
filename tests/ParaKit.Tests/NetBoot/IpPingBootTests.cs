// ICMP echo through the guests' own IPv4 stack under KVM: the `ping` app (guestkernel/Apps/ping)
// on vif 0 of two unikernels on switch sw0, one pinging, one answering (the stack answers echo
// requests by itself). Checks that every request is answered with nothing dropped on either side,
// and that a ping to an address nobody holds is all lost with the ARP failure counted.
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.NetBoot;

public class IpPingBootTests : NetBootFixture
{
    [Test]
    public void Ping_between_two_unikernels_gets_every_reply()
    {
        string responder = NetPairBootTests.Config(Dir, "responder", "ping", "00:16:3e:00:00:02", "ip=10.0.0.2/24 quiet-ms=1500 seconds=15");
        string pinger = NetPairBootTests.Config(Dir, "pinger", "ping", "00:16:3e:00:00:01", "ip=10.0.0.1/24 dst=10.0.0.2 count=50 interval-ms=10");
        var r = HypervisorHarness.RunParakit(["create", responder, pinger], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var done = NetPairBootTests.Line(r.Stdout, "ping: done");
        var answered = NetPairBootTests.Line(r.Stdout, "ping: answered requests");
        Assert.Multiple(() =>
        {
            Assert.That(NetPairBootTests.Num(done, "sent"), Is.EqualTo(50), r.Output);
            Assert.That(NetPairBootTests.Num(done, "received"), Is.EqualTo(50), r.Output);
            Assert.That(NetPairBootTests.Num(done, "lost"), Is.Zero, r.Output);
            Assert.That(NetPairBootTests.Num(done, "bad"), Is.Zero, r.Output);
            Assert.That(NetPairBootTests.Num(done, "median_us"), Is.GreaterThan(0).And.LessThan(100_000), r.Output);
            Assert.That(NetPairBootTests.Num(done, "max_us"), Is.GreaterThanOrEqualTo(NetPairBootTests.Num(done, "min_us")), r.Output);
            Assert.That(NetPairBootTests.Num(done, "arp_resolve_failed"), Is.Zero, r.Output);
            Assert.That(NetPairBootTests.Num(done, "tx_refused"), Is.Zero, r.Output);
            // The responder saw the 50 measured requests plus the warm-up probe(s).
            Assert.That(NetPairBootTests.Num(answered, "requests"), Is.GreaterThanOrEqualTo(50), r.Output);
            Assert.That(NetPairBootTests.Num(answered, "tx_refused"), Is.Zero, r.Output);
            Assert.That(NetPairBootTests.Num(answered, "icmp_bad_checksum"), Is.Zero, r.Output);
            Assert.That(NetReportText.DomainState(r.Stdout, "pinger"), Is.EqualTo("poweroff(0)"), r.Output);
            Assert.That(NetReportText.DomainState(r.Stdout, "responder"), Is.EqualTo("poweroff(0)"), r.Output);
        });
    }

    [Test]
    public void Ping_to_an_address_nobody_holds_is_all_lost_and_the_arp_failure_counted()
    {
        string responder = NetPairBootTests.Config(Dir, "responder", "ping", "00:16:3e:00:00:02", "ip=10.0.0.2/24 seconds=4");
        string pinger = NetPairBootTests.Config(Dir, "pinger", "ping", "00:16:3e:00:00:01", "ip=10.0.0.1/24 dst=10.0.0.9 count=3 interval-ms=100 timeout-ms=300 warmup-ms=0");
        var r = HypervisorHarness.RunParakit(["create", responder, pinger], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var done = NetPairBootTests.Line(r.Stdout, "ping: done");
        Assert.Multiple(() =>
        {
            Assert.That(NetPairBootTests.Num(done, "sent"), Is.EqualTo(3), r.Output);
            Assert.That(NetPairBootTests.Num(done, "received"), Is.Zero, r.Output);
            Assert.That(NetPairBootTests.Num(done, "lost"), Is.EqualTo(3), r.Output);
            // Each request was parked for ARP; the cache gave up on 10.0.0.9 and dropped them all.
            Assert.That(NetPairBootTests.Num(done, "arp_resolve_failed"), Is.EqualTo(3), r.Output);
            Assert.That(NetPairBootTests.Num(done, "arp_requests_sent"), Is.GreaterThanOrEqualTo(1), r.Output);
            Assert.That(NetPairBootTests.Num(done, "still_pending"), Is.Zero, r.Output);
            Assert.That(NetReportText.DomainState(r.Stdout, "pinger"), Is.EqualTo("poweroff(1)"), "all lost: exit 1\n" + r.Output);
        });
    }
}
