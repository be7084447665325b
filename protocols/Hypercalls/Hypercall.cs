// Hypercall numbers (xen/include/public/xen.h) and the calling convention of our hypercall page.
namespace ParaKit.Protocols.Hypercalls;

/// <summary>__HYPERVISOR_* numbers (xen.h). The stub for number n is at hypercall_page + n*32.
/// Arguments in rdi, rsi, rdx, r10, r8 (the stub copies the SysV rcx into r10); result in rax.</summary>
public static class Hypercall
{
    public const int SetTrapTable = 0;
    public const int MmuUpdate = 1;
    public const int MemoryOp = 12;
    public const int Multicall = 13;
    public const int SetTimerOp = 15;
    public const int XenVersion = 17;
    public const int ConsoleIo = 18;
    public const int GrantTableOp = 20;
    public const int VcpuOp = 24;
    public const int SchedOp = 29;
    public const int EventChannelOp = 32;
    public const int HvmOp = 34;
    /// <summary>Number of stubs in the hypercall page (4096 / 32).</summary>
    public const int Count = 128;
}

/// <summary>CONSOLEIO_* commands (xen.h).</summary>
public static class ConsoleIo
{
    public const int Write = 0;
    public const int Read = 1;
}

/// <summary>XENVER_* commands (version.h).</summary>
public static class XenVersion
{
    /// <summary>Returns (major &lt;&lt; 16) | minor.</summary>
    public const int Version = 0;
    /// <summary>Fills a 16-byte xen_extraversion_t.</summary>
    public const int ExtraVersion = 1;
}

/// <summary>SCHEDOP_* (sched.h).</summary>
public static class SchedOp
{
    public const int Yield = 0;
    public const int Block = 1;
    public const int Shutdown = 2;
    public const int Poll = 3;
    public const int RemoteShutdown = 4;
}

/// <summary>SHUTDOWN_* reasons (sched.h).</summary>
public enum ShutdownReason : uint
{
    Poweroff = 0,
    Reboot = 1,
    Suspend = 2,
    Crash = 3,
    Watchdog = 4,
}

/// <summary>Negative errno values returned in rax (Xen uses Linux's numbers).</summary>
public static class Errno
{
    public const long EPERM = -1;
    public const long ENOENT = -2;
    public const long ESRCH = -3;
    public const long EINTR = -4;
    public const long EIO = -5;
    public const long E2BIG = -7;
    public const long EBADF = -9;
    public const long EAGAIN = -11;
    public const long ENOMEM = -12;
    public const long EACCES = -13;
    public const long EFAULT = -14;
    public const long EBUSY = -16;
    public const long EEXIST = -17;
    public const long ENODEV = -19;
    public const long EINVAL = -22;
    public const long ENOSPC = -28;
    public const long ENOSYS = -38;
}

/// <summary>DOMID_* special domain ids (xen.h).</summary>
public static class DomId
{
    public const ushort Self = 0x7FF0;
    public const ushort Io = 0x7FF1;
    public const ushort Xen = 0x7FF2;
    public const ushort Invalid = 0x7FF4;
}

/// <summary>ParaKit's extensions to sched_op, numbered far from Xen's (which stop below 16).</summary>
public static class ParaKitSchedOp
{
    /// <summary>Shut down with reason poweroff and an exit status (second argument, an integer,
    /// not a pointer): `parakit run` exits with it. Like Solo5's solo5_exit(status).</summary>
    public const int Exit = 0x100;
}
