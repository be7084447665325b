// Threads made with pthread_create, for short jobs domain 0 runs beside its main thread while it
// starts. .NET's Thread.Start returns only once the new thread runs managed code (it yields in a
// loop until then: ~0.4 ms of a starting `parakit run` on a loaded host); pthread_create returns
// at once, and the runtime attaches the thread when it first enters managed code.
using System.Runtime.InteropServices;

namespace ParaKit.Hypervisor.Native;

internal static unsafe partial class NativeThread
{
    private const string Lib = "libc.so.6";

    [LibraryImport(Lib, EntryPoint = "pthread_create")]
    private static partial int PthreadCreate(nuint* thread, nint attr, delegate* unmanaged<nint, nint> start, nint arg);

    [LibraryImport(Lib, EntryPoint = "pthread_join")]
    private static partial int PthreadJoin(nuint thread, nint* result);

    [LibraryImport(Lib, EntryPoint = "pthread_detach")]
    private static partial int PthreadDetach(nuint thread);

    /// <summary>Starts <paramref name="entry"/> on a new thread, its argument a GCHandle of
    /// <paramref name="target"/> (GCHandle.FromIntPtr gets it back), which keeps the target
    /// reachable until <paramref name="handle"/> is freed: by the caller once it has joined the
    /// thread, or by a detached thread itself as it ends (Cli/RunWatch); on failure nothing stays
    /// allocated. The entry must catch everything: an exception cannot
    /// leave an UnmanagedCallersOnly method.</summary>
    public static nuint Start(delegate* unmanaged<nint, nint> entry, object target, out GCHandle handle)
    {
        handle = GCHandle.Alloc(target);
        nuint thread;
        int err = PthreadCreate(&thread, 0, entry, GCHandle.ToIntPtr(handle));
        if (err != 0)
        {
            handle.Free();
            throw new OutOfMemoryException($"pthread_create failed: {Libc.StrError(err)}");
        }
        return thread;
    }

    /// <summary>Waits for a thread from <see cref="Start"/> to end (once per thread).</summary>
    public static void Join(nuint thread)
    {
        int err = PthreadJoin(thread, null);
        if (err != 0)
            throw new InvalidOperationException($"pthread_join failed: {Libc.StrError(err)}");
    }

    /// <summary>Lets a thread from <see cref="Start"/> free itself when it ends (instead of <see cref="Join"/>).</summary>
    public static void Detach(nuint thread)
    {
        int err = PthreadDetach(thread);
        if (err != 0)
            throw new InvalidOperationException($"pthread_detach failed: {Libc.StrError(err)}");
    }
}
