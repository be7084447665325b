// Throws an exception nobody catches: the domain ends with "panic: unhandled exception <type>:
// <message>" on the console and a crash report naming the throw site (CheckReactor) with a
// backtrace (parakit run exits with 70).
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

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void CheckReactor(int temperature)
    {
        if (temperature > 1000)
            throw new System.InvalidOperationException("reactor temperature " + temperature.ToString() + " is above the limit");
    }
}
