// Exercises every C# feature the guest runtime supports, one line per check
// ("ok   name" or "FAIL name: detail"), then "features: N passed, M failed".
// Exit status 0 only if every check passed. Add a check here whenever the runtime learns
// something new; a feature that is not here is not supported.
using ParaKit.Kernel;

public static partial class FeaturesApp
{
    private static int s_passed;
    private static int s_failed;

    private static void Check(string name, bool ok, string? detail = null)
    {
        if (ok)
        {
            s_passed++;
            Console.Write("ok   ");
            Console.WriteLine(name);
        }
        else
        {
            s_failed++;
            Console.Write("FAIL ");
            Console.Write(name);
            if (detail != null)
            {
                Console.Write(": ");
                Console.Write(detail);
            }
            Console.WriteLine();
        }
    }

    private static void CheckEqual(string name, long expected, long actual)
        => Check(name, expected == actual, "expected " + expected.ToString() + ", got " + actual.ToString());

    private static void CheckEqual(string name, string expected, string? actual)
        => Check(name, expected == actual, "expected \"" + expected + "\", got \"" + actual + "\"");

    public static int Main(string[] args)
    {
        Console.WriteLine("features: checking the guest runtime");
        Allocation();
        Collection();
        Strings();
        Formatting();
        Arrays();
        Spans();
        Boxing();
        Casts();
        VirtualDispatch();
        InterfaceDispatch();
        Statics();
        Generics();
        Delegates();
        Atomics();
        Arithmetic();
        Structs();
        Protocols();
        KernelLibrary();
        Exceptions();
        Hypercalls();
        Time();
        ControlFlow();
        Iterators();
        TypesAndObjects();
        BclChecks();
        Console.Write("features: ");
        Console.Write(s_passed);
        Console.Write(" passed, ");
        Console.Write(s_failed);
        Console.WriteLine(" failed");
        return s_failed == 0 ? 0 : 1;
    }
}
