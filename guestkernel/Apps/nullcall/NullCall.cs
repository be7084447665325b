// Hypercall round-trip cost: N null hypercalls (xen_version(XENVER_version), which does no
// work in the hypervisor), timed with rdtsc. N is the first argument (default 1000000).
// Prints calls, cycles, cycles_per_call and ns_per_call, then exits 0.
using Internal.Runtime;
using ParaKit.Kernel;

public static class NullCallApp
{
    public static int Main(string[] args)
    {
        ulong n = 1_000_000;
        if (args.Length > 0 && (!ulong.TryParse(args[0], out n) || n == 0))
        {
            Console.WriteLine("nullcall: usage: nullcall [N>0]");
            return 2;
        }
        long expected = Hypervisor.XenVersionNumber();
        ulong start = Cpu.Rdtsc();
        for (ulong i = 0; i < n; i++)
        {
            if (Hypervisor.XenVersionNumber() != expected)
            {
                Console.WriteLine("nullcall: xen_version changed its answer");
                return 1;
            }
        }
        ulong cycles = Cpu.Rdtsc() - start;
        ulong perCall = cycles / n;
        ulong nsTotal = Clock.CyclesToNs(cycles);
        Console.Write("nullcall: ");
        Console.Write(n);
        Console.Write(" calls, ");
        Console.Write(cycles);
        Console.Write(" cycles, cycles_per_call=");
        Console.Write(perCall);
        Console.Write(".");
        Console.Write(cycles % n * 10 / n);
        Console.Write(" ns_per_call=");
        Console.Write(nsTotal / n);
        Console.Write(" tsc_khz=");
        Console.Write(Clock.TscKhz);
        Console.WriteLine();
        return 0;
    }
}
