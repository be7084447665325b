// How a domain ended, and how that maps to `parakit run`'s exit status (the boot contract).
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Domains;

public enum DomainState
{
    Created,
    Running,
    Paused,
    /// <summary>The guest shut itself down (poweroff, reboot, suspend).</summary>
    Shutdown,
    /// <summary>The guest faulted, asked to crash, or made an exit domain 0 cannot handle.</summary>
    Crashed,
    /// <summary>Domain 0 stopped it (destroy, timeout, Ctrl-C) before it shut down.</summary>
    Destroyed,
}

public readonly record struct DomainExit(DomainState State, ShutdownReason Reason, int Status, string Message)
{
    public const int CrashExitCode = 70;

    public static DomainExit PowerOff(int status) => new(DomainState.Shutdown, ShutdownReason.Poweroff, status, status == 0 ? "poweroff" : $"poweroff, exit status {status}");
    public static DomainExit Shutdown(ShutdownReason reason) => new(DomainState.Shutdown, reason, 0, reason.ToString().ToLowerInvariant());
    public static DomainExit Crash(string message) => new(DomainState.Crashed, ShutdownReason.Crash, CrashExitCode, message);
    public static DomainExit Destroyed(string message) => new(DomainState.Destroyed, ShutdownReason.Poweroff, 0, message);

    /// <summary>The process exit status for `parakit run`: the guest's status on poweroff, 0 on reboot, 70 on a crash.</summary>
    public int ExitCode => State switch
    {
        DomainState.Shutdown => Reason == ShutdownReason.Poweroff ? Status : 0,
        DomainState.Crashed => CrashExitCode,
        _ => CrashExitCode,
    };
}
