// Shared helpers for the hypervisor tests: the repository root, the published out/bin/parakit,
// the assembly test guests (tests/guests, built with gcc + ld on first use), and a process
// runner. KVM-dependent tests call RequireKvm, which fails (never skips) without /dev/kvm.
using System.Diagnostics;

namespace ParaKit.Tests.Hypervisor;

internal sealed record ParakitResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => $"--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

internal static class HypervisorHarness
{
    private static readonly Lock s_buildLock = new();
    private static bool s_guestsBuilt;

    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Parakit => Path.Combine(RepoRoot, "out", "bin", "parakit");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ParaKit.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find ParaKit.sln above " + TestContext.CurrentContext.TestDirectory);
    }

    public static void RequireKvm()
    {
        string dev = Environment.GetEnvironmentVariable("PARAKIT_KVM_DEVICE") is { Length: > 0 } p ? p : "/dev/kvm";
        if (!File.Exists(dev))
            Assert.Fail($"{dev} is missing: this test boots guests under KVM and needs a host with /dev/kvm (as root)");
    }

    public static void RequireParakit()
    {
        if (!File.Exists(Parakit))
            Assert.Fail($"{Parakit} is missing: run `make` (or dotnet publish hypervisor/ParaKit.Hypervisor.csproj -c Release -o out/bin) first");
    }

    /// <summary>Path of an assembly test guest, building all of them once per test run.</summary>
    public static string AsmGuest(string name)
    {
        lock (s_buildLock)
        {
            if (!s_guestsBuilt)
            {
                var r = Run(Path.Combine(RepoRoot, "tests", "guests", "build.sh"), [], TimeSpan.FromMinutes(2));
                Assert.That(r.ExitCode, Is.EqualTo(0), "tests/guests/build.sh failed:\n" + r.Output);
                s_guestsBuilt = true;
            }
        }
        string path = Path.Combine(RepoRoot, "out", "tests", "guests", name + ".elf");
        Assert.That(File.Exists(path), Is.True, path + " was not built");
        return path;
    }

    /// <summary>A C# guest image from out/guests (built by `make` / guestkernel/build.sh).</summary>
    public static string CsGuest(string app)
    {
        string path = Path.Combine(RepoRoot, "out", "guests", app + ".elf");
        if (!File.Exists(path))
        {
            var r = Run(Path.Combine(RepoRoot, "guestkernel", "build.sh"), [app], TimeSpan.FromMinutes(5));
            Assert.That(r.ExitCode, Is.EqualTo(0), $"guestkernel/build.sh {app} failed:\n" + r.Output);
        }
        return path;
    }

    /// <summary>Runs out/bin/parakit with SIGINT at its default disposition (a test runner started
    /// in the background would otherwise pass SIG_IGN down and Ctrl-C could not be tested).</summary>
    public static ParakitResult RunParakit(IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null, Action<Process>? whileRunning = null)
    {
        RequireParakit();
        return Run("/usr/bin/env", ["--default-signal=INT", Parakit, .. args], timeout ?? TimeSpan.FromSeconds(60), env, whileRunning);
    }

    public static ParakitResult Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null, Action<Process>? whileRunning = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        if (env != null)
        {
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        whileRunning?.Invoke(p);
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(file)} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        p.WaitForExit();
        return new ParakitResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A fresh scratch folder under the system temp folder, deleted by the caller.</summary>
    public static string ScratchDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "parakit-hv-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
