// What cannot work in a guest fails at build time with a sentence that says so and names the
// alternative (guestkernel/build.sh's notes over csc's and ILC's errors); a failed build leaves
// no image behind; the features app's BCL console lines print what .NET prints. Small bad apps
// are built from a temp folder with build.sh's out-of-tree mode (GUEST_APP_DIR).
using ParaKit.Tests.Guests;

namespace ParaKit.Tests.GuestBcl;

[TestFixture]
[NonParallelizable]
public class GuestBuildMessageTests
{
    private string _scratch = "";
    private string _app = "";

    [SetUp]
    public void CreateScratch()
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        _scratch = Path.Combine(Path.GetTempPath(), "parakit-bcl-" + id);
        _app = "bclmsg" + id;
        Directory.CreateDirectory(_scratch);
    }

    [TearDown]
    public void RemoveScratch()
    {
        Directory.Delete(_scratch, recursive: true);
        File.Delete(GuestToolchain.ImagePath(_app));
        string work = Path.Combine(GuestToolchain.RepoRoot, "out", "guestkernel", "apps", _app);
        if (Directory.Exists(work))
            Directory.Delete(work, recursive: true);
    }

    private ProcessResult BuildApp(string source)
    {
        File.WriteAllText(Path.Combine(_scratch, "App.cs"), source);
        return GuestToolchain.BuildNow(_app, _scratch);
    }

    [TestCase("new System.Threading.Thread(() => { }).Start();", "threads are not available in a ParaKit guest", "Scheduler")]
    [TestCase("System.Threading.Tasks.Task.Run(() => { }).Wait();", "async/await and Task are not available", "Events.WaitAndDispatch")]
    [TestCase("var xs = new List<int> { 1 }; Console.WriteLine(xs.Where(x => x > 0).Count());", "LINQ (System.Linq) is not available", "foreach")]
    [TestCase("Console.WriteLine(System.IO.File.ReadAllText(\"x\"));", "files (System.IO) are not available", "Main's args")]
    [TestCase("Console.WriteLine(typeof(int).GetMethods().Length);", "reflection is not available", "typeof(T), GetType(), Type.Name")]
    [TestCase("Console.WriteLine(Console.ReadLine());", "console input and terminal control are not available", "command line")]
    public void Unsupported_apis_fail_at_build_time_with_a_sentence_and_the_alternative(string statement, string sentence, string alternative)
    {
        var result = BuildApp("public static class App { public static int Main() { " + statement + " return 0; } }\n");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.Output);
            Assert.That(result.Output, Does.Contain("App.cs(1,"), "csc's own error, file and line first");
            Assert.That(result.Output, Does.Contain("note: " + sentence));
            Assert.That(result.Output, Does.Contain(alternative));
            Assert.That(File.Exists(GuestToolchain.ImagePath(_app)), Is.False);
        });
    }

    [Test]
    public void Async_main_fails_with_the_async_sentence()
    {
        var result = BuildApp("public static class App { public static async System.Threading.Tasks.Task<int> Main() { await System.Threading.Tasks.Task.Delay(1); return 0; } }\n");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.Output);
            Assert.That(result.Output, Does.Contain("note: async/await and Task are not available"));
        });
    }

    [Test]
    public void A_generic_virtual_method_is_explained_instead_of_an_ilc_stack_trace()
    {
        var result = BuildApp("""
            public abstract class Visitor { public abstract T Visit<T>(T value); }
            public sealed class Echo : Visitor { public override T Visit<T>(T value) => value; }
            public static class App { public static int Main() { Visitor v = new Echo(); return v.Visit(0); } }
            """);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.Output);
            Assert.That(result.Output, Does.Contain("note: a generic virtual method"));
            Assert.That(result.Output, Does.Contain("move the type parameter to the class or interface"));
            Assert.That(result.Output, Does.Not.Contain("   at ILCompiler."), "no ILC stack trace");
        });
    }

    [Test]
    public void A_failed_rebuild_removes_the_previous_image()
    {
        var good = BuildApp("public static class App { public static int Main() { Console.WriteLine($\"{42,5:X4}\"); return 0; } }\n");
        Assert.That(good.ExitCode, Is.EqualTo(0), good.Output);
        Assert.That(File.Exists(GuestToolchain.ImagePath(_app)), Is.True);
        var bad = BuildApp("public static class App { public static int Main() => undefinedThing; }\n");
        Assert.Multiple(() =>
        {
            Assert.That(bad.ExitCode, Is.Not.EqualTo(0));
            Assert.That(File.Exists(GuestToolchain.ImagePath(_app)), Is.False, "no stale image for `parakit run` to boot");
        });
    }

    [Test]
    public void Features_console_lines_print_what_dotnet_prints()
    {
        var result = GuestToolchain.Boot(GuestToolchain.Build("features"));
        Assert.Multiple(() =>
        {
            Assert.That(result.Stdout, Does.Contain(string.Format(System.Globalization.CultureInfo.InvariantCulture, "bcl: console {0,5}|{1,-6:F1}|{2:X2}\n", 42, 2.25, 10)));
            Assert.That(result.Stdout, Does.Contain("bcl: console write 1.5 -7\n"));
            Assert.That(result.Stdout, Does.Not.Contain("FAIL bcl:"));
        });
    }
}
