// set_trap_table (Xen's number 0), and ParaKit's fault_info (64) and crash_report (65): the
// guest's exception and interrupt handlers, and how it reports a fatal one. The IDT itself lives in Domains/TrapGates.cs.
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Traps;

namespace ParaKit.Hypervisor.Hypercalls;

public static class TrapHypercalls
{
    public static void Register(HypercallDispatcher d)
    {
        d.Register(Hypercall.SetTrapTable, SetTrapTable);
        d.Register(ParaKitHypercall.FaultInfo, FaultInfo);
        d.Register(ParaKitHypercall.CrashReport, CrashReport);
    }

    /// <summary>crash_report(GuestCrashInfo*): the domain ends as crashed with the guest's cause,
    /// file:line and backtrace (copied once, then validated while formatting).</summary>
    public static long CrashReport(Domain d, in HypercallArgs a)
    {
        if (!d.Memory.TryRead(a.A1, out GuestCrashInfo info))
            return Errno.EFAULT;
        d.RequestGuestCrash(info);
        return 0;
    }

    /// <summary>set_trap_table(const struct trap_info traps[]).</summary>
    public static long SetTrapTable(Domain d, in HypercallArgs a) => TrapGates.SetTrapTable(d.Memory, d.Layout, a.A1);

    /// <summary>fault_info(): CR2 into vcpu_info[0].arch.cr2. One KVM_GET_SREGS (~5 µs), taken
    /// only on a page fault, which is already the slow path.</summary>
    public static long FaultInfo(Domain d, in HypercallArgs a)
    {
        KvmSregs s;
        try
        {
            s = d.Vcpu.Kvm.GetSregs();
        }
        catch (KvmException)
        {
            return Errno.EIO;
        }
        Volatile.Write(ref d.SharedInfo.Vcpu0.ArchCr2, s.Cr2);
        return 0;
    }
}
