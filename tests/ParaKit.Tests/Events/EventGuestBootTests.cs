// Event channels and grant tables end to end under KVM: the evtcheck guest (hostile and good
// calls in one domain) under `parakit run`, and two pingpong domains under `parakit create`
// bouncing events and grant copies through the real hypervisor.
using System.Globalization;
using System.Text.RegularExpressions;
using ParaKit.Tests.Guests;
using ParaKit.Tests.Hypervisor;

namespace ParaKit.Tests.Events;

public class EventGuestBootTests
{
    [Test]
    public void Evtcheck_gets_xens_errnos_and_statuses_for_every_bad_call_and_the_good_paths_work()
    {
        var r = GuestToolchain.Boot(GuestToolchain.Build("evtcheck"));
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Not.Contain("FAILED"), r.Output);
            Assert.That(r.Stdout, Does.Match(@"evtcheck: \d+ checks, 0 failed"), r.Output);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
        });
    }

    private static string Config(string dir, string name, string image, string extra)
    {
        string path = Path.Combine(dir, name + ".cfg");
        File.WriteAllText(path, $"name = \"{name}\"\nkernel = \"{image}\"\nmemory = 16\nextra = \"{extra}\"\non_crash = \"preserve\"\n");
        return path;
    }

    [Test]
    public void Pingpong_domains_bounce_events_and_grant_copies_under_create()
    {
        HypervisorHarness.RequireKvm();
        string image = GuestToolchain.Build("pingpong");
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string a = Config(dir, "ping", image, "role=ping peer=2 events=300 copies=50");
            string b = Config(dir, "pong", image, "role=pong peer=1 events=300 copies=50");
            var r = HypervisorHarness.RunParakit(["create", "--timeout", "30", a, b]);
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
                Assert.That(r.Stdout, Does.Match(@"ping \| ping: event round trip over 300: min [0-9.]+ us, median [0-9.]+ us"), r.Output);
                Assert.That(r.Stdout, Does.Match(@"ping \| ping: 4 KiB copy\+event round trip over 50: "), r.Output);
                Assert.That(r.Stdout, Does.Match(@"ping: GNTTABOP_copy of 4 KiB: [0-9.]+ us a hypercall with 1 copy, [0-9.]+ us with 64 \(\d+ ns per extra copy\)"), r.Output);
                Assert.That(r.Stdout, Does.Contain("ping | ping: 300 events and 50 page copies each way, 0 bad bytes, 0 stray events"), r.Output);
                Assert.That(r.Stdout, Does.Contain("pong | pong: echoed 300 events and 50 pages, 0 bad bytes"), r.Output);
                Assert.That(r.Stdout, Does.Match(@"ping\s+1\s+16\s+poweroff\(0\)"), r.Output);
                Assert.That(r.Stdout, Does.Match(@"pong\s+2\s+16\s+poweroff\(0\)"), r.Output);
            });
            var m = Regex.Match(r.Stdout, @"event round trip over 300: min [0-9.]+ us, median ([0-9.]+) us");
            TestContext.Out.WriteLine($"event round trip median: {m.Groups[1].Value} us");
            Assert.That(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Is.LessThan(5000), "a round trip is a few exits, not a timer tick");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void A_rogue_third_domain_cannot_bind_copy_or_act_for_the_pingpong_pair()
    {
        HypervisorHarness.RequireKvm();
        string image = GuestToolchain.Build("pingpong");
        string rogue = GuestToolchain.Build("evtcheck");
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string a = Config(dir, "ping", image, "role=ping peer=2 events=300 copies=50");
            string b = Config(dir, "pong", image, "role=pong peer=1 events=300 copies=50");
            string c = Config(dir, "rogue", rogue, "rogue 1 2");
            var r = HypervisorHarness.RunParakit(["create", "--timeout", "30", a, b, c]);
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
                Assert.That(r.Stdout, Does.Not.Contain("FAIL"), r.Output);
                Assert.That(r.Stdout, Does.Match(@"rogue \| evtcheck: rogue made \d+ probes at domains 1 and 2 \(\d+ grant copies refused with permission_denied\), 0 succeeded"), r.Output);
                Assert.That(r.Stdout, Does.Contain("ping  | ping: 300 events and 50 page copies each way, 0 bad bytes, 0 stray events"), r.Output);
                Assert.That(r.Stdout, Does.Contain("pong  | pong: echoed 300 events and 50 pages, 0 bad bytes"), r.Output);
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Pingpong_alone_gives_up_with_status_1_when_its_peer_never_comes()
    {
        HypervisorHarness.RequireKvm();
        string image = GuestToolchain.Build("pingpong");
        // A bad peer id is a usage error (status 2); a missing peer is caught by the guest's own
        // deadline only after 20 s, so use --timeout to check that it blocks (not spins) meanwhile.
        var usage = GuestToolchain.Boot(image, "role=ping", "peer=1");
        Assert.That(usage.ExitCode, Is.EqualTo(2), usage.Output);
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string a = Config(dir, "ping", image, "role=ping peer=2");
            var r = HypervisorHarness.RunParakit(["create", "--stats", "--timeout", "1", a]);
            Assert.That(r.ExitCode, Is.EqualTo(124), r.Output);
            Assert.That(r.Stdout, Does.Contain("waiting for pong"), r.Output);
            var exits = Regex.Match(r.Stdout, @"ping\s+1\s+16\s+\S+\s+[0-9.]+\s+(\d+)");
            Assert.That(int.Parse(exits.Groups[1].Value), Is.LessThan(50), "a waiting guest blocks in SCHEDOP_block instead of spinning\n" + r.Output);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
