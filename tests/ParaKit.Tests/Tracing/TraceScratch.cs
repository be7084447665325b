// A scratch folder per trace test for the files it writes, removed afterwards.
namespace ParaKit.Tests.Tracing;

public abstract class TraceScratch
{
    protected string Dir { get; private set; } = "";

    [SetUp]
    public void CreateScratch()
    {
        Dir = Path.Combine(Path.GetTempPath(), "parakit-trace-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    [TearDown]
    public void RemoveScratch() => Directory.Delete(Dir, recursive: true);
}
