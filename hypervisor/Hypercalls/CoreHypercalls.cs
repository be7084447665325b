// The core hypercalls of issue 4: console output, version, one-shot timer and scheduling.
// Guest pointers are checked against the domain's memory rules (GuestMemory.TryGet*); structs
// are copied out once before they are validated.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Domains;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Hypercalls;

public static class CoreHypercalls
{
    public const int VersionMajor = 4, VersionMinor = 19;
    public const string ExtraVersion = ".0-parakit";
    private const int XenverPagesize = 7;
    /// <summary>Largest sched_poll port list Xen accepts.</summary>
    public const uint MaxPollPorts = 128;

    /// <summary>console_io(cmd, count, buffer): CONSOLEIO_write prints count bytes and returns count.</summary>
    public static long ConsoleIo(Domain d, in HypercallArgs a)
    {
        switch ((int)a.A1)
        {
            case Protocols.Hypercalls.ConsoleIo.Write:
                if (a.A2 == 0)
                    return 0;
                if (!d.Memory.TryGetReadable(a.A3, a.A2, out var bytes))
                    return Errno.EFAULT;
                if (d.Stats.ConsoleBytes == 0)
                    d.Stats.FirstConsoleTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
                d.Stats.ConsoleBytes += bytes.Length;
                d.Console.Write(bytes);
                return bytes.Length;
            case Protocols.Hypercalls.ConsoleIo.Read:
                return 0; // no console input yet
            default:
                return Errno.ENOSYS;
        }
    }

    /// <summary>xen_version(cmd, arg).</summary>
    public static long XenVersion(Domain d, in HypercallArgs a)
    {
        switch ((int)a.A1)
        {
            case Protocols.Hypercalls.XenVersion.Version:
                return (VersionMajor << 16) | VersionMinor;
            case Protocols.Hypercalls.XenVersion.ExtraVersion:
                if (!d.Memory.TryGetWritable(a.A2, 16, out var dest))
                    return Errno.EFAULT;
                dest.Clear();
                System.Text.Encoding.ASCII.GetBytes(ExtraVersion, dest);
                return 0;
            case XenverPagesize:
                return 4096;
            default:
                return Errno.ENOSYS;
        }
    }

    /// <summary>set_timer_op(absolute system time in ns); 0 cancels.</summary>
    public static long SetTimerOp(Domain d, in HypercallArgs a)
    {
        d.Vcpu.SetTimer(a.A1);
        return 0;
    }

    /// <summary>sched_op(cmd, arg).</summary>
    public static long SchedOp(Domain d, in HypercallArgs a)
    {
        ulong cmd = a.A1;
        if (cmd < (ulong)d.Stats.SchedOps.Length)
            d.Stats.SchedOps[cmd]++;
        switch (cmd)
        {
            case Protocols.Hypercalls.SchedOp.Yield:
                Thread.Yield();
                return 0;
            case Protocols.Hypercalls.SchedOp.Block:
                d.Vcpu.Block();
                return 0;
            case Protocols.Hypercalls.SchedOp.Shutdown:
            {
                if (!d.Memory.TryRead(a.A2, out SchedShutdown s))
                    return Errno.EFAULT;
                return Shutdown(d, s.Reason);
            }
            case Protocols.Hypercalls.SchedOp.Poll:
            {
                if (!d.Memory.TryRead(a.A2, out SchedPoll p))
                    return Errno.EFAULT;
                if (p.NrPorts > MaxPollPorts)
                    return Errno.EINVAL;
                if (!d.Memory.TryGetReadable(p.Ports, (ulong)p.NrPorts * 4, out var raw))
                    return p.NrPorts == 0 ? d.Vcpu.Poll([], p.Timeout) : Errno.EFAULT;
                // Copy once: the guest may rewrite its port list while we wait.
                uint[] ports = MemoryMarshal.Cast<byte, uint>(raw).ToArray();
                foreach (uint port in ports)
                {
                    if (port >= Protocols.Events.SharedInfo.EventChannelCount)
                        return Errno.EINVAL;
                }
                return d.Vcpu.Poll(ports, p.Timeout);
            }
            case Protocols.Hypercalls.SchedOp.RemoteShutdown:
            {
                // sched_remote_shutdown {u16 domain_id; u32 reason}: only a domain's own id is allowed.
                if (!d.Memory.TryRead(a.A2, out ulong raw))
                    return Errno.EFAULT;
                ushort dom = (ushort)raw;
                uint reason = (uint)(raw >> 32);
                if (dom != DomId.Self && dom != d.Id)
                    return Errno.EPERM;
                return Shutdown(d, reason);
            }
            case ParaKitSchedOp.Exit:
                d.Stats.SchedExit++;
                d.RequestExit(DomainExit.PowerOff((int)a.A2));
                return 0;
            default:
                return Errno.ENOSYS;
        }
    }

    private static long Shutdown(Domain d, uint reason)
    {
        switch ((ShutdownReason)reason)
        {
            case ShutdownReason.Poweroff:
                d.RequestExit(DomainExit.PowerOff(0));
                return 0;
            case ShutdownReason.Reboot:
            case ShutdownReason.Suspend:
                d.RequestExit(DomainExit.Shutdown((ShutdownReason)reason));
                return 0;
            case ShutdownReason.Crash:
            case ShutdownReason.Watchdog:
                d.RequestCrash($"guest requested shutdown ({((ShutdownReason)reason).ToString().ToLowerInvariant()})");
                return 0;
            default:
                return Errno.EINVAL;
        }
    }
}
