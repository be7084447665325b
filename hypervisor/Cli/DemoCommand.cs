// `parakit demo ring [N]`: wired to hypervisor/Demo/RingDemo.cs once the protocols engineer adds it.
namespace ParaKit.Hypervisor.Cli;

public static class DemoCommand
{
    private const string Help = """
        usage: parakit demo ring [N]

        Runs the shared-ring demo (N requests through a Xen io/ring.h ring).
        """;

    public static int Execute(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            System.Console.WriteLine(Help);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        if (args[0] != "ring")
            throw new UsageException($"demo: unknown demo '{args[0]}' (available: ring)");
        System.Console.Error.WriteLine("parakit: demo ring is not available in this build yet");
        return ExitCodes.Environment;
    }
}
