// Prints one line, then spins forever without a hypercall (for --timeout and for measuring a
// guest that never exits to the hypervisor).
using ParaKit.Kernel;

public static class SpinApp
{
    private static ulong s_iterations;

    public static int Main()
    {
        Console.WriteLine("spin: spinning forever without hypercalls");
        Console.Flush();
        while (true)
        {
            // Volatile keeps the loop observable; no exits happen here.
            System.Threading.Volatile.Write(ref s_iterations, s_iterations + 1);
        }
    }
}
