// System.Diagnostics.Debugger.Break, as students know it: an int3 that stops under
// `parakit run --gdb` (the #BP handler reports it to domain 0's gdb stub) and, with no debugger,
// ends the domain with a crash report naming the breakpoint, as .NET on Linux dies of SIGTRAP.
namespace System.Diagnostics;

public static class Debugger
{
    public static void Break() => Internal.Runtime.TrapStubs.DebugBreak();
}
