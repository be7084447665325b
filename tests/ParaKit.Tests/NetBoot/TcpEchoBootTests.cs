// TCP between two unikernels under KVM: the `echo` app (guestkernel/Apps/echo) serving port 7
// on one, its client mode on the other sending 1 MiB on each of three concurrent connections
// over switch sw0 and checking every echoed byte; and one mebibyte each way through 5% loss
// injected in the switch (--switch-loss). Proves the stack's wiring on netfront; the protocol
// itself is tested on the host (tests/ParaKit.Tests/NetStack/Tcp*).
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.NetBoot;

public class TcpEchoBootTests : NetBootFixture
{
    [Test]
    public void Three_connections_echo_a_mebibyte_each_byte_exact_between_two_unikernels()
    {
        string server = NetPairBootTests.Config(Dir, "server", "echo", "00:16:3e:00:00:02", "ip=10.0.0.2/24 count=3 seconds=60", memory: 64);
        string client = NetPairBootTests.Config(Dir, "client", "echo", "00:16:3e:00:00:01", "ip=10.0.0.1/24 dst=10.0.0.2 bytes=1048576 conns=3", memory: 64);
        var r = HypervisorHarness.RunParakit(["create", server, client], TimeSpan.FromSeconds(120));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var done = NetPairBootTests.Line(r.Stdout, "echo: done");
        var served = NetPairBootTests.Line(r.Stdout, "echo: served");
        Assert.Multiple(() =>
        {
            Assert.That(NetPairBootTests.Num(done, "ok"), Is.EqualTo(3), r.Output);
            Assert.That(NetPairBootTests.Num(done, "bad"), Is.Zero, r.Output);
            Assert.That(NetPairBootTests.Num(done, "bytes"), Is.EqualTo(3 << 20), r.Output);
            Assert.That(NetPairBootTests.Num(done, "bad_checksum"), Is.Zero, r.Output);
            Assert.That(NetPairBootTests.Num(served, "connections"), Is.EqualTo(3), r.Output);
            Assert.That(NetPairBootTests.Num(served, "bytes"), Is.EqualTo(3 << 20), r.Output);
            Assert.That(NetReportText.DomainState(r.Stdout, "client"), Is.EqualTo("poweroff(0)"), r.Output);
            Assert.That(NetReportText.DomainState(r.Stdout, "server"), Is.EqualTo("poweroff(0)"), r.Output);
        });
    }

    [Test]
    public void A_mebibyte_echoes_byte_exact_through_5_percent_loss_in_the_switch()
    {
        string server = NetPairBootTests.Config(Dir, "server", "echo", "00:16:3e:00:00:02", "ip=10.0.0.2/24 count=1 seconds=100", memory: 64);
        string client = NetPairBootTests.Config(Dir, "client", "echo", "00:16:3e:00:00:01", "ip=10.0.0.1/24 dst=10.0.0.2 bytes=1048576 conns=1 timeout-ms=90000", memory: 64);
        var r = HypervisorHarness.RunParakit(["create", "--switch-loss", "sw0=5,seed=3", server, client], TimeSpan.FromSeconds(150));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        var done = NetPairBootTests.Line(r.Stdout, "echo: done");
        var served = NetPairBootTests.Line(r.Stdout, "echo: served");
        // Every frame each vif sent into the switch was forwarded or counted dropped (the port
        // line `port vifN.0 in=.. out=.. ... loss=N`); about 5% of them were lost. no_peer may
        // count a few: when the last ACK is lost, one side repeats its FIN after the other domain
        // has powered off, and the switch has no port left to send it to. A side gives up after
        // TcpConfig.DataRetries (15) repeats, so more than 16 means frames to nowhere from a bug.
        var ports = System.Text.RegularExpressions.Regex.Matches(r.Stdout, @"port (vif\d+\.0)\s+in=(\d+) out=\d+ flooded=(\d+) drops: runt=0 bad_source=0 same_port=0 no_peer=(\d+) loss=(\d+)");
        Assert.Multiple(() =>
        {
            Assert.That(NetPairBootTests.Num(done, "ok"), Is.EqualTo(1), r.Output);
            Assert.That(NetPairBootTests.Num(done, "bytes"), Is.EqualTo(1 << 20), r.Output);
            Assert.That(NetPairBootTests.Num(served, "bytes"), Is.EqualTo(1 << 20), r.Output);
            Assert.That(NetPairBootTests.Num(done, "retransmitted") + NetPairBootTests.Num(served, "retransmitted"), Is.GreaterThan(0), r.Output);
            Assert.That(r.Stdout, Does.Contain("switch sw0:").And.Contain("loss 5% (seed 3)"), r.Output);
            Assert.That(ports, Has.Count.EqualTo(2), r.Output);
            foreach (System.Text.RegularExpressions.Match m in ports)
            {
                double lost = long.Parse(m.Groups[5].Value), sent = long.Parse(m.Groups[2].Value);
                Assert.That(lost / sent, Is.InRange(0.02, 0.09), $"{m.Value}\n{r.Output}");
                Assert.That(long.Parse(m.Groups[4].Value), Is.LessThanOrEqualTo(16), $"{m.Value}\n{r.Output}");
            }
            Assert.That(NetReportText.DomainState(r.Stdout, "client"), Is.EqualTo("poweroff(0)"), r.Output);
        });
    }
}
