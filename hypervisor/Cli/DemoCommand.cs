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

    internal const string HelpText = Help;

    /// <summary>`parakit demo ring [N]`.</summary>
    public static int ExecuteRing(string? count)
    {
        int n = count is null ? DefaultRequests : CommandLine.PositiveInt("demo ring N", count, 100_000_000);
        return Demo.RingDemo.Run(n);
    }
}
