// Two tiny pieces of machine code domain 0 needs and C# cannot express: reading the TSC (the
// guest's clock source, so host and guest must agree on it) and a do-nothing signal handler
// that lets one thread knock another out of a blocking KVM_RUN. Managed code must not run
// inside a signal handler, so the handler is a single native `ret`.
namespace ParaKit.Hypervisor.Native;

internal static unsafe class NativeCode
{
    /// <summary>Real-time signal used to kick a vCPU thread out of KVM_RUN. The .NET runtime
    /// uses SIGRTMIN for its own thread activation, so stay well clear of it.</summary>
    public const int KickSignal = 42;

    private static readonly delegate* unmanaged[SuppressGCTransition]<ulong> s_rdtsc;
    private static readonly nint s_retStub;
    private static readonly Lock s_signalLock = new();
    private static bool s_signalInstalled;

    static NativeCode()
    {
        ReadOnlySpan<byte> code =
        [
            0x0F, 0x31,             // rdtsc
            0x48, 0xC1, 0xE2, 0x20, // shl rdx, 32
            0x48, 0x09, 0xD0,       // or rax, rdx
            0xC3,                   // ret
            0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
            0xC3,                   // ret: the kick signal handler (offset 16)
        ];
        nint page = Libc.Mmap(0, 4096, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (page == Libc.MapFailed)
            throw new InvalidOperationException("cannot map a page for native stubs: " + Libc.StrError(Libc.LastErrno));
        code.CopyTo(new Span<byte>((void*)page, 4096));
        if (Libc.Mprotect(page, 4096, Libc.PROT_READ | Libc.PROT_EXEC) != 0)
            throw new InvalidOperationException("cannot make native stubs executable: " + Libc.StrError(Libc.LastErrno));
        s_rdtsc = (delegate* unmanaged[SuppressGCTransition]<ulong>)page;
        s_retStub = page + 16;
    }

    /// <summary>The host's time-stamp counter (what a guest's rdtsc returns under kvm_pvm).</summary>
    public static ulong Rdtsc() => s_rdtsc();

    /// <summary>Installs the no-op handler for <see cref="KickSignal"/> once per process. Without
    /// a handler the signal would kill the process; with SIG_IGN it would not interrupt KVM_RUN.</summary>
    public static void EnsureKickHandler()
    {
        lock (s_signalLock)
        {
            if (s_signalInstalled)
                return;
            SigAction act = default;
            act.Handler = s_retStub;
            act.Flags = 0; // no SA_RESTART: the interrupted KVM_RUN must return EINTR
            if (Libc.Sigaction(KickSignal, &act, null) != 0)
                throw new InvalidOperationException("sigaction failed: " + Libc.StrError(Libc.LastErrno));
            s_signalInstalled = true;
        }
    }
}
