// `parakit create FILE...` (placeholder while the config parser lands).
namespace ParaKit.Hypervisor.Cli;

public static class CreateCommand
{
    public static int Execute(string[] args) => throw new UsageException("create: not implemented yet");
}
