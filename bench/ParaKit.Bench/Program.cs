// BenchmarkDotNet entry point: `make bench BENCH=<filter>` picks benchmarks by name.
using BenchmarkDotNet.Running;

namespace ParaKit.Bench;

public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
