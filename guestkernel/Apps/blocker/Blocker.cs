// Prints a line, then blocks forever in SCHEDOP_block with no timer armed: an idle domain that
// costs no CPU (used to measure domain density).
using ParaKit.Kernel;

public static class BlockerApp
{
    public static int Main()
    {
        Console.Write("blocker: domain ");
        Console.Write(Kernel.DomId);
        Console.WriteLine(" blocking forever");
        Scheduler.SetTimer(0);
        while (true)
            Scheduler.Block();
    }
}
