// The smallest useful unikernel: greet, show the command line, power off with status 0.
using ParaKit.Kernel;

public static class HelloApp
{
    public static int Main(string[] args)
    {
        Console.WriteLine("Hello from a ParaKit C# unikernel!");
        Console.Write("command line: ");
        Console.WriteLine(Kernel.CommandLine);
        for (int i = 0; i < args.Length; i++)
        {
            Console.Write("  arg ");
            Console.Write(i);
            Console.Write(": ");
            Console.WriteLine(args[i]);
        }
        return 0;
    }
}
