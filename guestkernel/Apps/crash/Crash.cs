// Dereferences null inside a method with a recognisable name, so the hypervisor's crash report
// can show CrashApp.DereferenceNull as the faulting symbol. Expected: status 70.
using System.Runtime.CompilerServices;
using ParaKit.Kernel;

public static unsafe class CrashApp
{
    public static int Main()
    {
        Console.WriteLine("crash: about to dereference null in CrashApp.DereferenceNull");
        Console.Flush();
        return DereferenceNull((int*)0);
    }

    // Not inlined, so the faulting instruction lies inside this symbol.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int DereferenceNull(int* pointer)
    {
        *pointer = 0x0BADC0DE;
        return *pointer;
    }
}
