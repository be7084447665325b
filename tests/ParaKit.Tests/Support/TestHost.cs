// What every end-to-end test needs from the host: the repository root, the published
// out/bin/parakit, a KVM check that fails (never skips) without /dev/kvm, and a process runner
// with a time limit.
using System.Diagnostics;

namespace ParaKit.Tests;

internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public string Output => $"--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>A world-readable copy of out/bin/parakit and some files (guest images) in a fresh
/// folder under /tmp, for tests that run parakit as another user: the checkout itself may sit
/// in a folder only its owner can enter (a clone under `mktemp -d`). Deleted on dispose.</summary>
internal sealed class SharedCopy : IDisposable
{
    public string Dir { get; }
    public string Parakit { get; }
    private readonly Dictionary<string, string> _copies = [];

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public SharedCopy(params string[] files)
    {
        Dir = Path.Combine("/tmp", "parakit-shared-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Dir);
        const UnixFileMode rx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(Dir, rx);
        Parakit = Add(TestHost.Parakit, rx);
        foreach (string f in files)
            _copies[f] = Add(f, rx & ~(UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute));
    }

    /// <summary>Where the copy of <paramref name="original"/> (one of the constructor's files) is.</summary>
    public string PathOf(string original) => _copies[original];

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private string Add(string file, UnixFileMode mode)
    {
        string to = Path.Combine(Dir, Path.GetFileName(file));
        if (File.Exists(to))
            to = Path.Combine(Dir, Guid.NewGuid().ToString("N")[..6] + "-" + Path.GetFileName(file));
        File.Copy(file, to);
        File.SetUnixFileMode(to, mode);
        return to;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
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
