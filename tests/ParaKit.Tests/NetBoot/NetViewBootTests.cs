// `parakit list` and `parakit vif [NAME]` against a running `parakit create` (its control
// socket): domains, devices, both rings' indices and counters, as a user would look at them from
// another shell; and a clear error when nothing runs.
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.NetBoot;

[NonParallelizable]
public class NetViewBootTests
{
    [Test]
    public void List_and_vif_show_a_running_pair()
    {
        HypervisorHarness.RequireKvm();
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string socket = Path.Combine(dir, "control.sock");
            var env = new Dictionary<string, string>
            {
                ["PARAKIT_CONTROL_SOCKET"] = socket,
                ["PARAKIT_XENSTORE_SOCKET"] = Path.Combine(dir, "xenstored.sock"),
            };
            string sink = NetPairBootTests.Config(dir, "sink", "sink", "00:16:3e:00:00:02", "seconds=4 quiet-exit-ms=1000");
            string gen = NetPairBootTests.Config(dir, "gen", "pktgen", "00:16:3e:00:00:01", "dst=00:16:3e:00:00:02 size=200 rate=2000 seconds=3");
            ProcessResult? list = null, vifs = null, vif = null, missing = null;
            var create = HypervisorHarness.RunParakit(["create", sink, gen], TimeSpan.FromSeconds(60), env, whileRunning: _ =>
            {
                // Wait until both vifs are connected (the pair is sending), then look.
                for (int i = 0; i < 100; i++)
                {
                    list = HypervisorHarness.RunParakit(["list"], TimeSpan.FromSeconds(10), env);
                    if (list.ExitCode == 0 && list.Stdout.Split('\n').Count(l => l.Contains(" connected ")) == 2)
                        break;
                    Thread.Sleep(50);
                }
                Thread.Sleep(300);
                vifs = HypervisorHarness.RunParakit(["vif"], TimeSpan.FromSeconds(10), env);
                vif = HypervisorHarness.RunParakit(["vif", "vif1.0"], TimeSpan.FromSeconds(10), env);
                missing = HypervisorHarness.RunParakit(["vif", "vif9.9"], TimeSpan.FromSeconds(10), env);
            });
            Assert.That(create.ExitCode, Is.EqualTo(0), create.Output);
            Assert.Multiple(() =>
            {
                Assert.That(list!.Stdout, Does.Contain("sink").And.Contain("gen").And.Contain("running"), list.Output);
                Assert.That(list.Stdout, Does.Contain("vif1.0 00:16:3e:00:00:02 sw0 connected"), list.Output);
                Assert.That(vifs!.Stdout, Does.Contain("switch sw0: 2 ports"), vifs.Output);
                Assert.That(vif!.ExitCode, Is.EqualTo(0), vif.Output);
                Assert.That(vif.Stdout, Does.Contain("backend  /local/domain/0/backend/vif/1/0"), vif.Output);
                Assert.That(vif.Stdout, Does.Match(@"rx ring: req_prod=\d+ req_cons=\d+ \(unconsumed \d+\) req_event=\d+ rsp_prod=\d+ rsp_prod_pvt=\d+ rsp_event=\d+"), vif.Output);
                Assert.That(vif.Stdout, Does.Match(@"rx: frames=[1-9]\d*"), "the sink is receiving\n" + vif.Output);
                Assert.That((missing!.ExitCode, missing.Stdout), Is.EqualTo((1, "error: no vif named 'vif9.9' (vifs: vif1.0, vif2.0)\n")));
            });
            var none = HypervisorHarness.RunParakit(["list"], TimeSpan.FromSeconds(10), env);
            Assert.That((none.ExitCode, none.Stderr), Is.EqualTo((1, $"parakit: no hypervisor answers at {socket} (is `parakit create` running? set PARAKIT_CONTROL_SOCKET if it uses another socket)\n")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
