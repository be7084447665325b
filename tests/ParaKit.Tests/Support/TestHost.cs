// What every end-to-end test needs from the host: the repository root, the published
// out/bin/parakit, a KVM check that fails (never skips) without /dev/kvm, and a process runner
// with a time limit.
using System.Diagnostics;

namespace ParaKit.Tests;

internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public string Output => $"--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

internal static class TestHost
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Parakit => Path.Combine(RepoRoot, "out", "bin", "parakit");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ParaKit.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (ParaKit.sln) above " + TestContext.CurrentContext.TestDirectory);
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

    /// <summary>Runs a program from the repository root; fails the test if it outlives the timeout.</summary>
    public static ProcessResult Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null, Action<Process>? whileRunning = null)
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
        var clock = Stopwatch.StartNew();
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
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }
}
