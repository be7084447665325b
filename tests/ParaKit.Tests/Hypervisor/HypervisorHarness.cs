// Shared helpers for the hypervisor tests: the repository root, the published out/bin/parakit,
// the assembly test guests (tests/guests, built with gcc + ld on first use), and a process
// runner. KVM-dependent tests call RequireKvm, which fails (never skips) without /dev/kvm.
using System.Diagnostics;

namespace ParaKit.Tests.Hypervisor;

internal static class HypervisorHarness
{
    private static readonly Lock s_buildLock = new();
    private static bool s_guestsBuilt;

    public static string RepoRoot => TestHost.RepoRoot;
    public static string Parakit => TestHost.Parakit;

    public static void RequireKvm() => TestHost.RequireKvm();

    public static void RequireParakit() => TestHost.RequireParakit();

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

    /// <summary>A C# guest image from out/guests, built by guestkernel/build.sh when needed.</summary>
    public static string CsGuest(string app) => Guests.GuestToolchain.Build(app);

    /// <summary>Runs out/bin/parakit with SIGINT at its default disposition (a test runner started
    /// in the background would otherwise pass SIG_IGN down and Ctrl-C could not be tested).</summary>
    public static ProcessResult RunParakit(IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null, Action<Process>? whileRunning = null)
    {
        RequireParakit();
        return Run("/usr/bin/env", ["--default-signal=INT", Parakit, .. args], timeout ?? TimeSpan.FromSeconds(60), env, whileRunning);
    }

    public static ProcessResult Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null, Action<Process>? whileRunning = null)
        => TestHost.Run(file, args, timeout, env, whileRunning);

    /// <summary>A fresh scratch folder under the system temp folder, deleted by the caller.</summary>
    public static string ScratchDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "parakit-hv-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
