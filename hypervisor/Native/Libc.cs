// The few libc calls domain 0 needs (files, memory mappings, memfd, eventfd, threads, signals),
// bound with source-generated interop so the NativeAOT build stays reflection-free.
using System.Runtime.InteropServices;

namespace ParaKit.Hypervisor.Native;

internal static unsafe partial class Libc
{
    // The exact soname: plain "libc" makes the runtime probe dozens of paths (and the libc.so
    // linker script) before it finds the library, which showed up in boot time.
    private const string Lib = "libc.so.6";

    public const int O_RDONLY = 0, O_RDWR = 2;
    public const int O_CLOEXEC = 0x80000;
    public const int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    public const int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    public const uint MFD_CLOEXEC = 1;
    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    public const short POLLIN = 1;
    public const int EINTR = 4, EAGAIN = 11, ENOENT = 2, EACCES = 13, EPERM = 1, ENOMEM = 12;
    public static readonly nint MapFailed = -1;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    // ioctl is variadic in C; on x86-64 an integer third argument is passed exactly like a
    // fixed one, so a fixed three-argument binding is correct.
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nint arg);

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint addr, nuint length);

    [LibraryImport(Lib, EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint addr, nuint length, int prot);

    [LibraryImport(Lib, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    // Boot templates (Memory/BootTemplate): sealed memfds mapped privately over guest RAM.
    public const uint MFD_ALLOW_SEALING = 2;
    public const int MAP_FIXED = 0x10;
    public const int F_ADD_SEALS = 1033, F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;

    public const int MADV_POPULATE_READ = 22;

    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint addr, nuint length, int advice);

    // fcntl is variadic in C; an integer third argument is passed like a fixed one on x86-64.
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int arg);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int Eventfd(uint initval, int flags);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buf, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buf, nuint count);

    [LibraryImport(Lib, EntryPoint = "ppoll", SetLastError = true)]
    public static partial int Ppoll(PollFd* fds, nuint nfds, Timespec* timeout, void* sigmask);

    [LibraryImport(Lib, EntryPoint = "pthread_self")]
    public static partial nuint PthreadSelf();

    [LibraryImport(Lib, EntryPoint = "pthread_kill")]
    public static partial int PthreadKill(nuint thread, int sig);

    [LibraryImport(Lib, EntryPoint = "sigaction", SetLastError = true)]
    public static partial int Sigaction(int sig, SigAction* act, SigAction* oldact);

    public const int SIG_BLOCK = 0, SIG_SETMASK = 2;

    /// <summary>glibc's sigset_t: 1024 bits, signal n at bit n - 1.</summary>
    [System.Runtime.CompilerServices.InlineArray(16)]
    public struct SigSet
    {
        private ulong _word;

        public static SigSet Of(ReadOnlySpan<int> signals)
        {
            SigSet set = default;
            foreach (int n in signals)
                set[(n - 1) / 64] |= 1UL << ((n - 1) % 64);
            return set;
        }
    }

    [LibraryImport(Lib, EntryPoint = "pthread_sigmask")]
    public static partial int PthreadSigmask(int how, SigSet* set, SigSet* oldset);

    public const int PR_SET_TIMERSLACK = 29, PR_SET_NAME = 15;

    [LibraryImport(Lib, EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    public const int PR_SET_NO_NEW_PRIVS = 38;

    /// <summary>glibc's syscall(2), for seccomp(2), which glibc does not wrap. Integer arguments
    /// only (the variadic convention then matches a normal call on x86-64).</summary>
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, nuint arg1, nuint arg2, nuint arg3);

    [LibraryImport(Lib, EntryPoint = "strerror")]
    private static partial nint StrErrorNative(int errnum);

    public static string StrError(int errno) => Marshal.PtrToStringUTF8(StrErrorNative(errno)) ?? $"errno {errno}";

    public static int LastErrno => Marshal.GetLastPInvokeError();
}

/// <summary>struct pollfd.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}

/// <summary>struct timespec.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Timespec
{
    public long Seconds;
    public long Nanoseconds;
}

/// <summary>glibc's struct sigaction on x86-64 (152 bytes); glibc adds the restorer itself.</summary>
[StructLayout(LayoutKind.Explicit, Size = 152)]
internal unsafe struct SigAction
{
    [FieldOffset(0)] public nint Handler;
    [FieldOffset(8)] public fixed ulong Mask[16];
    [FieldOffset(136)] public int Flags;
    [FieldOffset(144)] public nint Restorer;
}
