// protocols/ is also compiled into every guest image against ParaKit's own CoreLib (see
// guestkernel/build.sh). These checks keep it that way: the sources must compile with csc
// -nostdlib against the guest runtime, and must not use what a guest cannot run.
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ParaKit.Tests.Protocols;

public class GuestCompatibilityTests
{
    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "ParaKit.sln")))
        {
            dir = dir.Parent;
        }
        Assert.That(dir, Is.Not.Null, "ParaKit.sln not found above the test directory");
        return dir!.FullName;
    }

    private static IEnumerable<string> ProtocolSources(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "protocols"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .OrderBy(f => f, StringComparer.Ordinal);

    /// <summary>Roslyn's csc.dll from the newest SDK next to the running .NET (as build.sh picks it).</summary>
    private static (string Dotnet, string Csc) Compiler()
    {
        // .../dotnet/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll -> .../dotnet
        string dotnetRoot = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string dotnet = Path.Combine(dotnetRoot, "dotnet");
        string? csc = Directory.Exists(Path.Combine(dotnetRoot, "sdk"))
            ? Directory.GetDirectories(Path.Combine(dotnetRoot, "sdk"))
                .Select(d => Path.Combine(d, "Roslyn", "bincore", "csc.dll"))
                .Where(File.Exists)
                .OrderBy(p => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(p))))?.Split('-')[0], out var v) ? v : new Version(0, 0))
                .LastOrDefault()
            : null;
        Assert.That(File.Exists(dotnet) && csc != null, Is.True, $"no dotnet SDK with Roslyn under {dotnetRoot}");
        return (dotnet, csc!);
    }

    private static (int Code, string Output) Csc(string dotnet, string csc, string workDir, IEnumerable<string> args)
    {
        string rsp = Path.Combine(workDir, $"csc-{Guid.NewGuid():N}.rsp");
        File.WriteAllLines(rsp, args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        var psi = new ProcessStartInfo(dotnet, [csc, "@" + rsp]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.That(p.WaitForExit(120_000), Is.True, "csc timed out");
        return (p.ExitCode, output);
    }

    [Test, CancelAfter(180_000)]
    public void Protocols_compile_against_the_guest_corelib_with_warnings_as_errors()
    {
        string root = RepoRoot();
        string runtimeDir = Path.Combine(root, "guestkernel", "Runtime");
        Assert.That(Directory.Exists(runtimeDir), Is.True, "guestkernel/Runtime (the guest CoreLib) is missing");
        var (dotnet, csc) = Compiler();
        string work = Directory.CreateTempSubdirectory("parakit-protocols-guest-").FullName;
        try
        {
            string[] common = ["-nologo", "-noconfig", "-nostdlib", "-unsafe", "-langversion:latest", "-nullable:enable",
                "-runtimemetadataversion:v4.0.30319", "-deterministic", "-target:library"];
            // The runtime is built exactly as guestkernel/build.sh builds it (its warning list included).
            string corelib = Path.Combine(work, "System.Private.CoreLib.dll");
            var runtime = Csc(dotnet, csc, work, common
                .Append("-nowarn:CS0649,CS0169,CS8500,CS8629,CS1718").Append("-out:" + corelib)
                .Concat(Directory.EnumerateFiles(runtimeDir, "*.cs", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal)));
            Assert.That(runtime.Code, Is.EqualTo(0), "the guest runtime itself does not compile (not a protocols problem):\n" + runtime.Output);

            var protocols = Csc(dotnet, csc, work, common
                .Append("-warnaserror").Append("-r:" + corelib).Append("-out:" + Path.Combine(work, "ParaKit.Protocols.Guest.dll"))
                .Concat(ProtocolSources(root)));
            Assert.That(protocols.Code, Is.EqualTo(0), "protocols/ uses something the guest CoreLib lacks:\n" + protocols.Output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Constructs a guest cannot run even where its CoreLib happens to declare the type.</summary>
    private static readonly (string Pattern, string Why)[] Forbidden =
    [
        (@"\bthrow\b", "no exceptions in guests: return a status"),
        (@"\bSystem\.Linq\b|\bSystem\.Collections\b", "no LINQ or collections"),
        (@"\$""", "no string interpolation"),
        (@"\b(Math|BitConverter|BinaryPrimitives|MemoryMarshal|Unsafe|Debug|Console)\s*\.", "BCL helper guests do not have"),
        (@"\bnew\s+[A-Za-z_][\w<>,\s]*\[", "no array allocation"),
        (@"\brecord\b", "no records"),
        (@"override\s+string\s+ToString", "no ToString overrides"),
    ];

    [Test]
    public void Protocol_sources_avoid_what_guests_cannot_run()
    {
        var problems = new List<string>();
        foreach (string file in ProtocolSources(RepoRoot()))
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = Regex.Replace(lines[i], @"//.*$", "");
                foreach (var (pattern, why) in Forbidden)
                {
                    if (Regex.IsMatch(code, pattern))
                    {
                        problems.Add($"{Path.GetFileName(file)}:{i + 1}: {why}: {lines[i].Trim()}");
                    }
                }
            }
        }
        Assert.That(problems, Is.Empty);
    }
}
