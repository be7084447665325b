// Hypercall wrappers: each hypercall is a call into the stub the hypervisor wrote at
// hypercall_page + n*32 (SysV call, the stub moves rcx to r10 and makes one MMIO exit).
// SuppressGCTransition keeps the call a plain `call` (the GC poll it adds is a no-op here).
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Kernel;

/// <summary>Raw hypercalls by number, plus typed wrappers for the core ones.</summary>
public static unsafe class Hypervisor
{
    private static byte* s_page = (byte*)GuestLayout.HypercallPageAddress;

    /// <summary>Number of hypercalls this domain has made (each one is a VM exit).</summary>
    public static ulong Count;

    internal static void Initialize(ulong hypercallPage)
    {
        if (hypercallPage != 0)
            s_page = (byte*)hypercallPage;
    }

    /// <summary>Calls hypercall <paramref name="number"/> with up to five arguments; returns rax
    /// (negative errno on failure, see <see cref="Errno"/>).</summary>
    public static long Call(int number, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong a4 = 0, ulong a5 = 0)
    {
        if ((uint)number >= Hypercall.Count)
            BadHypercall(number);
        var stub = (delegate* unmanaged[SuppressGCTransition]<ulong, ulong, ulong, ulong, ulong, long>)(s_page + number * GuestLayout.HypercallStubSize);
        Count++;
        return stub(a1, a2, a3, a4, a5);
    }

    /// <summary>debug_stop(frame, fxsave) called straight through its stub, not through
    /// <see cref="Call"/>: a gdb breakpoint on Call must not be hit again by the #BP handler
    /// reporting it (that would recurse until the stack overflowed).</summary>
    internal static long DebugStop(void* frame, byte* fxsave)
    {
        var stub = (delegate* unmanaged[SuppressGCTransition]<ulong, ulong, long>)(s_page + ParaKit.Protocols.Traps.ParaKitHypercall.DebugStop * GuestLayout.HypercallStubSize);
        return stub((ulong)frame, (ulong)fxsave);
    }

    /// <summary>The page has no stub for <paramref name="number"/>: jumping there would run
    /// whatever lies beyond it. End the domain naming the number and the calling method.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void BadHypercall(int number)
    {
        Internal.Runtime.FaultRecord r = default;
        Internal.Runtime.HardwareFaults.CallerContext(&r);
        r.Cause = Internal.Runtime.HardwareFaults.BadHypercall;
        r.Vector = uint.MaxValue;
        r.ErrorCode = (ulong)(uint)number;
        Console.WriteLine("panic: bad hypercall number " + number.ToString() + " (the hypercall page has stubs 0-127)");
        Internal.Runtime.HardwareFaults.Report(&r);
    }

    /// <summary>console_io(CONSOLEIO_write): returns the count written or -EFAULT.</summary>
    public static long ConsoleWrite(byte* bytes, int count) => Call(Hypercall.ConsoleIo, (ulong)ConsoleIo.Write, (ulong)count, (ulong)bytes);

    /// <summary>xen_version(XENVER_version): (major &lt;&lt; 16) | minor.</summary>
    public static long XenVersionNumber() => Call(Hypercall.XenVersion, (ulong)XenVersion.Version, 0);

    /// <summary>xen_version(XENVER_extraversion) into a 16-byte buffer.</summary>
    public static long XenExtraVersion(byte* buffer16) => Call(Hypercall.XenVersion, (ulong)XenVersion.ExtraVersion, (ulong)buffer16);

    public static long SchedOp(int op, ulong argument) => Call(Hypercall.SchedOp, (ulong)op, argument);

    /// <summary>set_timer_op: one-shot timer at absolute system time (ns); 0 cancels.</summary>
    public static long SetTimer(ulong deadlineNs) => Call(Hypercall.SetTimerOp, deadlineNs);
}
