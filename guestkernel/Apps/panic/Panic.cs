// Throws an exception nobody catches. The guest runtime has no unwinder, so the throw ends the
// domain with "panic: unhandled exception <type>: <message>" on the console and a crash
// shutdown (parakit run exits with 70).
using ParaKit.Kernel;

public static class PanicApp
{
    public static int Main()
    {
        Console.WriteLine("panic: about to throw");
        CheckReactor(9000);
        Console.WriteLine("panic: unreachable");
        return 0;
    }

    private static void CheckReactor(int temperature)
    {
        if (temperature > 1000)
            throw new System.InvalidOperationException("reactor temperature " + temperature.ToString() + " is above the limit");
    }
}
