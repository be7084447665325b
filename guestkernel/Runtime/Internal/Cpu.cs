// CPU instructions C# has no syntax for, implemented in Native/runtime.S.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

public static class Cpu
{
    /// <summary>Reads the time-stamp counter (rdtsc; works at ring 3, about 10 ns).</summary>
    [RuntimeImport("*", "ParaKitRdtsc"), MethodImpl(MethodImplOptions.InternalCall)]
    public static extern ulong Rdtsc();

    /// <summary>Spin-wait hint (pause).</summary>
    [RuntimeImport("*", "ParaKitPause"), MethodImpl(MethodImplOptions.InternalCall)]
    public static extern void Pause();
}
