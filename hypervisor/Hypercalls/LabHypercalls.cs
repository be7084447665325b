// Domain 0's half of lab_op, the hypercall of lab "hypercall" (guestkernel/Labs/hypercall/README.md;
// the ABI is protocols/Hypercalls/LabOp.cs). THIS IS THE STUDENT'S FILE in that lab: it is
// registered in the core table (HypercallDispatcher.CreateCore) and answers -ENOSYS until the lab
// is done. `make grade LAB=hypercall` rebuilds out/bin/parakit after it changes.
using ParaKit.Hypervisor.Domains;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Hypercalls;

public static class LabHypercalls
{
    public static void Register(HypercallDispatcher d) => d.Register(LabOp.Number, Handle);

    /// <summary>lab_op(cmd, a2, a3) for domain <paramref name="d"/>: a.A1 is the command, a.A2 and
    /// a.A3 its arguments. Returns the result or a negative errno; never throws.</summary>
    public static long Handle(Domain d, in HypercallArgs a)
    {
        // TODO(lab hypercall): LabOp.Echo, LabOp.HypercallCount and LabOp.DomainName as
        // protocols/Hypercalls/LabOp.cs describes them; -EINVAL for any other command.
        return Errno.ENOSYS;
    }
}
