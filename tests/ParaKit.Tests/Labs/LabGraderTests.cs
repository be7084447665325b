// Every lab of guestkernel/Labs is solvable and every grader can fail: each lab's grader runs
// on a temporary copy of the checkout, once as handed out (the starter must not get full
// marks) and once with the reference solution from Labs/Solutions/LAB applied over it (full
// marks). The checkout itself is never modified. Lab "hypercall" changes domain 0 too: its
// solution run builds the copy's hypervisor with `dotnet build` (JIT, ~20 s instead of a
// NativeAOT publish) and runs it with --no-seccomp (the allowlist is made for the AOT binary).
using System.Text.RegularExpressions;

namespace ParaKit.Tests.Labs;

[TestFixture]
[NonParallelizable]
public class LabGraderTests
{
    /// <summary>The labs whose starter and solution are guest code only.</summary>
    public static readonly string[] GuestLabs = ["timers", "pingpong", "grants", "xenbus"];

    [TestCaseSource(nameof(GuestLabs))]
    public void Starter_fails_its_grader(string lab)
    {
        using var copy = new LabCopy(lab, withSolution: false);
        var result = copy.Grade();
        LabScore.AssertFails(lab, result);
    }

    [TestCaseSource(nameof(GuestLabs))]
    public void Reference_solution_passes_its_grader(string lab)
    {
        using var copy = new LabCopy(lab, withSolution: true);
        var result = copy.Grade();
        LabScore.AssertFullMarks(lab, result);
    }

    [Test]
    public void Hypercall_starter_fails_its_grader()
    {
        // The checkout's domain 0 has the starter's handler (-ENOSYS): use it as built.
        using var copy = new LabCopy("hypercall", withSolution: false);
        var result = copy.Grade();
        LabScore.AssertFails("hypercall", result);
    }

    [Test]
    public void Hypercall_reference_solution_passes_its_grader()
    {
        using var copy = new LabCopy("hypercall", withSolution: true);
        string parakit = copy.BuildHypervisor();
        var result = copy.Grade(parakit, "--no-seccomp");
        LabScore.AssertFullMarks("hypercall", result);
    }

    [Test]
    public void Grade_names_the_labs_when_given_an_unknown_one()
    {
        var result = TestHost.Run(Path.Combine(TestHost.RepoRoot, "guestkernel", "Labs", "grade.sh"), ["nosuchlab"], TimeSpan.FromSeconds(30));
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.Output);
            Assert.That(result.Stderr, Does.Contain("no lab named 'nosuchlab'").And.Contain("hypercall timers pingpong grants xenbus"));
        });
    }
}

/// <summary>Reads a grader's "LAB: score X/Y" line and its per-check lines.</summary>
internal static partial class LabScore
{
    [GeneratedRegex(@"^(?<lab>\w+): score (?<got>\d+)/(?<of>\d+)$", RegexOptions.Multiline)]
    private static partial Regex ScoreLine();

    public static (int Got, int Of) Parse(string lab, ProcessResult result)
    {
        var m = ScoreLine().Matches(result.Stdout).LastOrDefault(x => x.Groups["lab"].Value == lab);
        Assert.That(m, Is.Not.Null, $"the grader of {lab} printed no score line:\n{result.Output}");
        return (int.Parse(m!.Groups["got"].Value), int.Parse(m.Groups["of"].Value));
    }

    public static void AssertFullMarks(string lab, ProcessResult result)
    {
        var (got, of) = Parse(lab, result);
        TestContext.Out.WriteLine($"{lab} with the reference solution: {got}/{of} in {result.Elapsed.TotalSeconds:F1} s");
        Assert.Multiple(() =>
        {
            Assert.That(of, Is.GreaterThan(0), result.Output);
            Assert.That(got, Is.EqualTo(of), result.Output);
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
            Assert.That(result.Stdout, Does.Not.Contain("FAIL ("), result.Output);
        });
    }

    public static void AssertFails(string lab, ProcessResult result)
    {
        var (got, of) = Parse(lab, result);
        TestContext.Out.WriteLine($"{lab} as handed out: {got}/{of} in {result.Elapsed.TotalSeconds:F1} s");
        Assert.Multiple(() =>
        {
            // The starter compiles: the checks ran, they did not fail for want of a build.
            Assert.That(result.Stdout, Does.Not.Contain("did not build"), result.Output);
            Assert.That(got, Is.LessThan(of), result.Output);
            Assert.That(result.ExitCode, Is.EqualTo(1), result.Output);
            Assert.That(result.Stdout, Does.Contain("FAIL (0/"), result.Output);
        });
    }
}

/// <summary>A temporary copy of what a lab builds from (guestkernel/, protocols/, and for the
/// hypervisor the project and build props), with the guest build cache (out/guestkernel) copied
/// with its times so only the lab's own files are compiled; optionally with the reference
/// solution applied. Deleted on dispose.</summary>
internal sealed class LabCopy : IDisposable
{
    public string Root { get; }
    private readonly string _lab;

    public LabCopy(string lab, bool withSolution)
    {
        _lab = lab;
        Root = Path.Combine(Path.GetTempPath(), "parakit-lab-" + lab + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(Root, "out", "guestkernel"));
        string repo = TestHost.RepoRoot;
        var copy = new List<string> { "-a" };
        foreach (string item in new[] { "guestkernel", "protocols", "hypervisor", "Directory.Build.props", "Directory.Packages.props" })
            copy.Add(Path.Combine(repo, item));
        copy.Add(Root);
        Shell("cp", copy);
        // The cached runtime, kernel library and assembly: kept only if not older than their
        // sources (cp -a keeps both sides' times), so a stale cache is rebuilt, never trusted.
        string cache = Path.Combine(repo, "out", "guestkernel");
        if (Directory.Exists(cache))
        {
            var files = Directory.GetFiles(cache).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
            if (files.Count > 0)
                Shell("cp", ["-a", .. files, Path.Combine(Root, "out", "guestkernel")]);
        }
        if (withSolution)
        {
            string solution = Path.Combine(repo, "tests", "ParaKit.Tests", "Labs", "Solutions", lab);
            Assert.That(Directory.Exists(solution), $"no reference solution for lab {lab} at {solution}");
            Shell("cp", ["-r", solution + "/.", Root]);
        }
    }

    /// <summary>Runs the copy's guestkernel/Labs/grade.sh for the lab.</summary>
    public ProcessResult Grade(string? parakit = null, string flags = "")
    {
        TestHost.RequireKvm();
        TestHost.RequireParakit();
        var env = new Dictionary<string, string>
        {
            ["PARAKIT"] = parakit ?? TestHost.Parakit,
            ["PARAKIT_FLAGS"] = flags,
            ["GRADE_TIMEOUT"] = "30",
        };
        return TestHost.Run(Path.Combine(Root, "guestkernel", "Labs", "grade.sh"), [_lab], TimeSpan.FromMinutes(4), env);
    }

    /// <summary>Builds the copy's domain 0 (JIT) and returns the path of its parakit.</summary>
    public string BuildHypervisor()
    {
        string output = Path.Combine(Root, "hv");
        // Not the test host's MSBuild: a child build must find its own SDK.
        var result = Shell("env", ["-u", "MSBuildSDKsPath", "-u", "MSBUILD_EXE_PATH", "-u", "MSBuildExtensionsPath",
            "dotnet", "build", Path.Combine(Root, "hypervisor", "ParaKit.Hypervisor.csproj"), "-c", "Release", "-o", output, "-nologo", "-v:q"]);
        TestContext.Out.WriteLine($"hypervisor with the solution built in {result.Elapsed.TotalSeconds:F1} s");
        return Path.Combine(output, "parakit");
    }

    private static ProcessResult Shell(string file, IEnumerable<string> args)
    {
        var result = TestHost.Run(file, args, TimeSpan.FromMinutes(5));
        Assert.That(result.ExitCode, Is.EqualTo(0), $"{file} {string.Join(' ', args)}:\n{result.Output}");
        return result;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
