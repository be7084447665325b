// Crashes on purpose, one way per argument, so the crash report can be checked for each cause:
//   null (default, and any other word)  dereferences null in CrashApp.DereferenceNull
//   divide          divides by zero in CrashApp.Divide
//   overflow        int.MinValue / -1 in CrashApp.Divide
//   stack           unbounded recursion in CrashApp.Recurse (stack overflow, guard page)
//   hypercall       calls hypercall number 200 from CrashApp.BadHypercall
//   throw           throws an exception nobody catches from CrashApp.Throw
// Each ends the domain with status 70 and a report naming the cause, the method and its line.
using System.Runtime.CompilerServices;
using ParaKit.Kernel;

public static unsafe class CrashApp
{
    public static int Main(string[] args)
    {
        string how = args.Length > 0 ? args[0] : "null";
        switch (how)
        {
            case "help":
                Console.WriteLine("crash: usage: crash [null|divide|overflow|stack|hypercall|throw]");
                return 2;
            default: // "null", no argument, or words a toolstack added
                Console.WriteLine("crash: about to dereference null in CrashApp.DereferenceNull");
                Console.Flush();
                return DereferenceNull((int*)0);
            case "divide":
                Console.WriteLine("crash: about to divide by zero");
                return Divide(1, args.Length - 1);
            case "overflow":
                Console.WriteLine("crash: about to divide int.MinValue by -1");
                return Divide(int.MinValue, -args.Length);
            case "stack":
                Console.WriteLine("crash: about to recurse without end");
                return Recurse(args.Length);
            case "hypercall":
                Console.WriteLine("crash: about to call hypercall 200");
                return BadHypercall(200);
            case "throw":
                Console.WriteLine("crash: about to throw");
                Throw(how);
                return 0;
        }
    }

    // Not inlined, so the faulting instruction lies inside this symbol.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int DereferenceNull(int* pointer)
    {
        *pointer = 0x0BADC0DE;
        return *pointer;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Divide(int a, int b)
    {
        return a / b;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Recurse(int depth)
    {
        return Recurse(depth + 1) + 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int BadHypercall(int number)
    {
        return (int)Hypervisor.Call(number);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Throw(string why)
    {
        throw new System.InvalidOperationException("crash app asked to throw (" + why + ")");
    }
}
