// What the trap stubs (Native/traps.S) hand to the managed trap handler: every general
// register of the interrupted code, the vector, the error code and the CPU's interrupt frame.
// The handler may rewrite it; the stub's iretq resumes wherever the frame then says.
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Internal.Runtime;

[StructLayout(LayoutKind.Sequential)]
public struct TrapFrame
{
    public ulong R15, R14, R13, R12, R11, R10, R9, R8, Rbp, Rdi, Rsi, Rdx, Rcx, Rbx, Rax;
    public ulong Vector, ErrorCode;
    public ulong Rip, Cs, Rflags, Rsp, Ss;
}

/// <summary>The entry stubs in Native/traps.S.</summary>
public static unsafe class TrapStubs
{
    /// <summary>Bytes between two vectors' stubs.</summary>
    public const int Stride = 16;

    [RuntimeImport("*", "ParaKitTrapStubsBase"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern byte* Base();

    /// <summary>Entry address of the stub for <paramref name="vector"/>.</summary>
    public static ulong EntryOf(int vector) => (ulong)(Base() + vector * Stride);

    /// <summary>A page fault whose interrupted rsp is below <paramref name="limit"/> stays on
    /// the trap stack (a stack overflow); others continue on the interrupted stack.</summary>
    [RuntimeImport("*", "ParaKitSetTrapStackLimit"), MethodImpl(MethodImplOptions.InternalCall)]
    public static extern void SetStackLimit(ulong limit);

    /// <summary>Executes an int3: the #BP handler reports it to a debugger, if domain 0 runs one.</summary>
    [RuntimeImport("*", "ParaKitDebugBreak"), MethodImpl(MethodImplOptions.InternalCall)]
    public static extern void DebugBreak();
}
