// The ABI of lab_op, the hypercall students implement end to end in lab "hypercall"
// (guestkernel/Labs/hypercall): the number and the commands both sides agree on. Until the lab
// is done, domain 0's handler (hypervisor/Hypercalls/LabHypercalls.cs) answers -ENOSYS.
namespace ParaKit.Protocols.Hypercalls;

public static class LabOp
{
    /// <summary>lab_op(cmd, a2, a3): ParaKit's own number, above Xen's (x86 ends at 55) and
    /// away from ParaKit's trap and debug hypercalls (64 and up).</summary>
    public const int Number = 96;

    /// <summary>lab_op(Echo, value): returns value unchanged (all 64 bits, as a long).</summary>
    public const int Echo = 0;

    /// <summary>lab_op(HypercallCount): how many hypercalls domain 0 has handled for the calling
    /// domain before this one (the total `--stats` prints, at this moment).</summary>
    public const int HypercallCount = 1;

    /// <summary>lab_op(DomainName, buffer, length): copies the domain's name (ASCII) and a
    /// terminating 0 into the guest's buffer; returns the name's length. -EFAULT if the buffer is
    /// not the guest's writable memory, -ENOSPC if length is too small for name and 0.</summary>
    public const int DomainName = 2;
}
