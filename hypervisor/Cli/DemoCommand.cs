// `parakit demo ring [N]`: runs hypervisor/Demo/RingDemo.cs (a frontend and a backend thread
// over one shared io/ring.h page). No KVM needed.
namespace ParaKit.Hypervisor.Cli;

public static class DemoCommand
{
    private const string Help = """
        usage: parakit demo ring [N]

        Moves N netif TX requests (default 100000) from a frontend thread to a backend thread
        through one shared Xen io/ring.h ring page and reports how many travel per notification.
        """;

    public const int DefaultRequests = 100_000;

    public static int Execute(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            System.Console.WriteLine(Help);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        if (args[0] != "ring")
            throw new UsageException($"demo: unknown demo '{args[0]}' (available: ring)");
        if (args.Length > 2)
            throw new UsageException("demo ring: at most one argument, the number of requests");
        if (args.Length == 2 && args[1] is "--help" or "-h")
        {
            System.Console.WriteLine(Help);
            return ExitCodes.Ok;
        }
        int n = args.Length == 2 ? CommandLine.PositiveInt("demo ring N", args[1], 100_000_000) : DefaultRequests;
        return Demo.RingDemo.Run(n);
    }
}
