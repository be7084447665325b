// Domain lifecycle through the Domain API, in process: what domain 0 itself spends to build a
// domain, to boot hello to its exit, and to tear it down, without fork/exec or runtime start-up.
// The whole-process numbers and their raw-KVM baselines are bench/boot.sh and bench/density.sh.
// `make bench BENCH='*DomainLifecycle*'`; needs /dev/kvm and out/guests/hello.elf.
using BenchmarkDotNet.Attributes;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Domains;
using Dom0 = ParaKit.Hypervisor.Domains.Hypervisor;

// Not "ParaKit.Bench.Hypervisor": a namespace of that name would shadow the Hypervisor type for
// every other benchmark under ParaKit.Bench.
namespace ParaKit.Bench.Lifecycle;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class DomainLifecycleBenchmarks
{
    private Dom0 _hv = null!;
    private ElfImage _hello = null!;
    private DomainConfig _config = null!;

    [GlobalSetup]
    public void Setup()
    {
        string image = GuestImages.Find("hello");
        _hv = Dom0.Open();
        _hello = ElfImage.Load(image);
        // 4 MiB is the smallest domain: the cost measured is the builder's, not zeroing RAM.
        _config = new DomainConfig { Name = "bench", Kernel = image, MemoryMiB = 4 };
    }

    [GlobalCleanup]
    public void Cleanup() => _hv.Dispose();

    [Benchmark(Description = "create + destroy (never run)")]
    public void CreateDestroy()
    {
        var d = _hv.CreateDomain(_config, _hello, DiscardConsole.Instance);
        _hv.DestroyDomain(d);
    }

    [Benchmark(Description = "create + boot hello to exit + destroy")]
    public void BootToExit()
    {
        var d = _hv.CreateDomain(_config, _hello, DiscardConsole.Instance);
        d.Start();
        if (!d.WaitForExit(TimeSpan.FromSeconds(10)))
            throw new TimeoutException("hello did not exit within 10 s");
        _hv.DestroyDomain(d);
    }
}

/// <summary>Console output nobody reads: the benchmark measures the domain, not the terminal.</summary>
internal sealed class DiscardConsole : IConsoleSink
{
    public static readonly DiscardConsole Instance = new();
    public void Write(ReadOnlySpan<byte> bytes) { }
    public void Flush() { }
}

/// <summary>Finds out/guests/NAME.elf from wherever BenchmarkDotNet runs its child process.</summary>
internal static class GuestImages
{
    public static string Find(string name)
    {
        string? env = Environment.GetEnvironmentVariable("PARAKIT_GUESTS");
        if (env is not null && File.Exists(Path.Combine(env, name + ".elf")))
            return Path.Combine(env, name + ".elf");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "out", "guests", name + ".elf");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"out/guests/{name}.elf not found above {AppContext.BaseDirectory}: build it with 'make guest APP={name}' (or set PARAKIT_GUESTS)");
    }
}
