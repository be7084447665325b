// `parakit xenstore` as a user meets it without a hypervisor: usage errors (status 2) and the
// sentence saying that nothing is running (status 1). No KVM needed.
namespace ParaKit.Tests.Store;

public class XenstoreCliTests
{
    private static ProcessResult Xs(params string[] args)
    {
        TestHost.RequireParakit();
        var env = new Dictionary<string, string> { ["PARAKIT_XENSTORE_SOCKET"] = Path.Combine(Path.GetTempPath(), "pk-none-" + Guid.NewGuid().ToString("N")[..8] + ".sock") };
        return TestHost.Run(TestHost.Parakit, ["xenstore", .. args], TimeSpan.FromSeconds(10), env);
    }

    [TestCase(new string[0], "a command is needed")]
    [TestCase(new[] { "frob" }, "unknown command 'frob'")]
    [TestCase(new[] { "read" }, "wrong arguments")]
    [TestCase(new[] { "write", "/a" }, "wrong arguments")]
    [TestCase(new[] { "read", "/a b" }, "not a valid store path")]
    [TestCase(new[] { "ls", "/a//b" }, "not a valid store path")]
    [TestCase(new[] { "watch", "-n", "0", "/a" }, "-n expects a whole number")]
    [TestCase(new[] { "--bogus", "ls" }, "unknown option '--bogus'")]
    public void Usage_errors_exit_2_with_a_sentence(string[] args, string message)
    {
        var r = Xs(args);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Output);
        Assert.That(r.Stderr, Does.Contain(message));
    }

    [Test]
    public void Without_a_running_hypervisor_it_says_so_and_exits_1()
    {
        var r = Xs("read", "/local/domain/1/name");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Stderr, Does.Contain("no running hypervisor"));
        Assert.That(Xs("--help").ExitCode, Is.EqualTo(0));
    }
}
