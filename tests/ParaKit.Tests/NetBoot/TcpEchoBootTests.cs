// TCP between two unikernels under KVM: the `echo` app (guestkernel/Apps/echo) serving port 7
// on one, its client mode on the other sending 1 MiB on each of three concurrent connections
// over switch sw0 and checking every echoed byte. Proves the stack's wiring on netfront; the
// protocol itself is tested on the host (tests/ParaKit.Tests/NetStack/Tcp*).
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
}
