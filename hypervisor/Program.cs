// Entry point of `parakit`, domain 0's command-line tool.
namespace ParaKit.Hypervisor;

public static class Program
{
    public static int Main(string[] args)
    {
        ProcessClock.Touch();
        return Cli.CommandLine.Run(args);
    }
}
