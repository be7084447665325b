// guestkernel/build.sh as a user meets it: cached rebuilds are quick, compiler errors reach
// the user with the file and line, and bad app names are usage errors.
namespace ParaKit.Tests.Guests;

[TestFixture]
[NonParallelizable]
public class GuestBuildTests
{
    private string _scratch = "";
    // Unique per test: other test runs may share out/ at the same time.
    private string _ok = "";
    private string _bad = "";

    [SetUp]
    public void CreateScratch()
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        _scratch = Path.Combine(Path.GetTempPath(), "parakit-guest-" + id);
        _ok = "buildtestok" + id;
        _bad = "buildtestbad" + id;
        Directory.CreateDirectory(_scratch);
    }

    [TearDown]
    public void RemoveScratch()
    {
        Directory.Delete(_scratch, recursive: true);
        foreach (string app in new[] { _ok, _bad })
        {
            File.Delete(GuestToolchain.ImagePath(app));
            string work = Path.Combine(GuestToolchain.RepoRoot, "out", "guestkernel", "apps", app);
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    [Test]
    public void Rebuild_after_changing_one_app_file_is_fast()
    {
        File.WriteAllText(Path.Combine(_scratch, "App.cs"),
            "public static class App { public static int Main() { System.Console.WriteLine(\"v1\"); return 0; } }\n");
        var first = GuestToolchain.BuildNow(_ok, _scratch);
        Assert.That(first.ExitCode, Is.EqualTo(0), first.Output);
        File.WriteAllText(Path.Combine(_scratch, "App.cs"),
            "public static class App { public static int Main() { System.Console.WriteLine(\"v2\"); return 3; } }\n");
        var second = GuestToolchain.BuildNow(_ok, _scratch);
        TestContext.Out.WriteLine($"first build {first.Elapsed.TotalSeconds:F2} s, rebuild after an app change {second.Elapsed.TotalSeconds:F2} s");
        Assert.Multiple(() =>
        {
            Assert.That(second.ExitCode, Is.EqualTo(0), second.Output);
            Assert.That(second.Stderr, Does.Not.Contain("csc  runtime"), "the runtime is cached");
            Assert.That(second.Stderr, Does.Not.Contain("csc  kernel"), "the kernel is cached");
            // 3 s on an idle machine; the margin absorbs other builds sharing the two cores.
            Assert.That(second.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)));
        });
    }

    [Test]
    public void Compiler_errors_name_the_file_and_line()
    {
        File.WriteAllText(Path.Combine(_scratch, "Broken.cs"),
            "public static class App\n{\n    public static int Main() => undefinedThing;\n}\n");
        var result = GuestToolchain.BuildNow(_bad, _scratch);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Not.EqualTo(0));
            Assert.That(result.Output, Does.Contain("Broken.cs(3,"));
            Assert.That(result.Output, Does.Contain("error CS0103"));
            Assert.That(File.Exists(GuestToolchain.ImagePath(_bad)), Is.False);
        });
    }

    [Test]
    public void Unsupported_runtime_features_fail_in_ilc_with_a_pointer_to_the_readme()
    {
        // A generic virtual method needs runtime type loading, which the guest runtime lacks.
        File.WriteAllText(Path.Combine(_scratch, "Visitor.cs"), """
            public abstract class Visitor { public abstract T Visit<T>(T value); }
            public sealed class Echo : Visitor { public override T Visit<T>(T value) => value; }
            public static class App { public static int Main() { Visitor v = new Echo(); return v.Visit(0); } }
            """);
        var result = GuestToolchain.BuildNow(_bad, _scratch);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1));
            Assert.That(result.Output, Does.Contain("TypeLoaderExports"), "ILC's own message");
            Assert.That(result.Output, Does.Contain("guestkernel/README.md"));
        });
    }

    [Test]
    public void Unknown_app_is_a_usage_error()
    {
        var result = GuestToolchain.BuildNow("no-such-app-here");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2));
            Assert.That(result.Stderr, Does.Contain("no guest app named 'no-such-app-here'"));
        });
    }
}
