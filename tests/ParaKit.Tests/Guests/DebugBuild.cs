// A guest app built once per test run with DEBUG=1 (line tables and locals) under the name
// APPdebug, so the plain image other tests use is left alone; and line numbers looked up in its
// source, so editing the app does not break the tests that name its lines.
namespace ParaKit.Tests.Guests;

internal sealed class DebugBuild(string app, string sourceFile)
{
    private readonly Lock _lock = new();
    private string? _image;

    /// <summary>The image's name (and the prefix of its symbols): APPdebug.</summary>
    public string Name { get; } = app + "debug";

    public string Source { get; } = Path.Combine(GuestToolchain.RepoRoot, "guestkernel", "Apps", app, sourceFile);

    public string Image()
    {
        lock (_lock)
        {
            if (_image == null)
            {
                var r = GuestToolchain.Run(Path.Combine(GuestToolchain.RepoRoot, "guestkernel", "build.sh"), [Name], TimeSpan.FromMinutes(5),
                    new Dictionary<string, string> { ["GUEST_APP_DIR"] = Path.GetDirectoryName(Source)!, ["DEBUG"] = "1" });
                Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
                _image = GuestToolchain.ImagePath(Name);
            }
        }
        return _image;
    }

    /// <summary>The 1-based number of the first line of the source that contains <paramref name="code"/>.</summary>
    public int LineOf(string code)
    {
        int index = Array.FindIndex(File.ReadAllLines(Source), l => l.Contains(code, StringComparison.Ordinal));
        Assert.That(index, Is.GreaterThanOrEqualTo(0), $"{Path.GetFileName(Source)} no longer contains '{code}'");
        return index + 1;
    }
}
