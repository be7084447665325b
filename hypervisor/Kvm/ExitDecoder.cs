// Decides what a KVM exit means for a ParaKit domain, as a pure function of kvm_run so it is
// unit-tested without KVM: a 4-byte MMIO write to the doorbell is a hypercall, any other access
// to the doorbell's page ends the domain, MMIO elsewhere goes to the domain's device bus
// (Devices/Bus: it crashes the domain when no device claims the address), an interrupted run is
// retried, and everything else ends the domain with a message saying why.
using ParaKit.Protocols.Boot;

namespace ParaKit.Hypervisor.Kvm;

public enum ExitKind
{
    /// <summary>Hypercall number in <see cref="ExitAction.Hypercall"/>.</summary>
    Hypercall,
    /// <summary>An MMIO access for the device bus (kvm_run's mmio fields say what).</summary>
    DeviceAccess,
    /// <summary>Nothing to do: enter the guest again.</summary>
    Resume,
    /// <summary>The guest cannot continue: crash with <see cref="ExitAction.Message"/>.</summary>
    Crash,
}

public readonly record struct ExitAction(ExitKind Kind, int Hypercall, string? Message)
{
    public static ExitAction Crash(string message) => new(ExitKind.Crash, 0, message);
}

public static class ExitDecoder
{
    public static readonly ExitAction Resume = new(ExitKind.Resume, 0, null);
    public static readonly ExitAction DeviceAccess = new(ExitKind.DeviceAccess, 0, null);

    internal static ExitAction Decode(in KvmRun run)
    {
        switch ((KvmExitReason)run.ExitReason)
        {
            case KvmExitReason.Mmio:
                if (run.MmioIsWrite != 0 && run.MmioPhysAddr == GuestLayout.HypercallDoorbell && run.MmioLen == 4)
                    return new ExitAction(ExitKind.Hypercall, (int)(uint)run.MmioData, null);
                if ((run.MmioPhysAddr & ~(GuestLayout.PageSize - 1)) != GuestLayout.HypercallDoorbell)
                    return DeviceAccess;
                return ExitAction.Crash(run.MmioIsWrite != 0
                    ? $"unexpected MMIO write of {run.MmioLen} bytes to 0x{run.MmioPhysAddr:x} (not guest RAM)"
                    : $"MMIO read of {run.MmioLen} bytes from 0x{run.MmioPhysAddr:x} (not guest RAM)");
            case KvmExitReason.Intr:
                return Resume;
            case KvmExitReason.Shutdown:
                return ExitAction.Crash("triple fault (KVM_EXIT_SHUTDOWN): the guest faulted and has no way to handle exceptions");
            case KvmExitReason.InternalError:
                return ExitAction.Crash($"KVM internal error, suberror {run.InternalSuberror} ({InternalErrorName(run.InternalSuberror)})");
            case KvmExitReason.FailEntry:
                return ExitAction.Crash($"VM entry failed, hardware reason 0x{run.FailEntryReason:x}");
            case KvmExitReason.Io:
                return ExitAction.Crash($"port I/O to 0x{run.IoPort:x} (guests must use hypercalls)");
            case KvmExitReason.Hlt:
                return ExitAction.Crash("hlt executed (guests must use SCHEDOP_block)");
            default:
                return ExitAction.Crash($"unexpected exit {ExitName(run.ExitReason)} ({run.ExitReason})");
        }
    }

    public static string InternalErrorName(uint sub) => sub switch
    {
        1 => "emulation failure",
        2 => "simultaneous exceptions",
        3 => "delivery event",
        4 => "unexpected exit reason",
        _ => "unknown",
    };

    public static string ExitName(uint reason) => (KvmExitReason)reason switch
    {
        KvmExitReason.Mmio => "mmio",
        KvmExitReason.Io => "io",
        KvmExitReason.Intr => "intr",
        KvmExitReason.Shutdown => "shutdown",
        KvmExitReason.InternalError => "internal_error",
        KvmExitReason.FailEntry => "fail_entry",
        KvmExitReason.Hlt => "hlt",
        KvmExitReason.Exception => "exception",
        KvmExitReason.Debug => "debug",
        KvmExitReason.SystemEvent => "system_event",
        _ => $"exit_{reason}",
    };
}
