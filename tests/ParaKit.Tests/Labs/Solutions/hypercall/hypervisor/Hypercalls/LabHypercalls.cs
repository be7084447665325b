// Domain 0's half of lab_op, the hypercall of lab "hypercall": REFERENCE SOLUTION
// (tests/ParaKit.Tests/Labs; not handed to students). The ABI is protocols/Hypercalls/LabOp.cs.
using ParaKit.Hypervisor.Domains;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Hypercalls;

public static class LabHypercalls
{
    public static void Register(HypercallDispatcher d) => d.Register(LabOp.Number, Handle);

    /// <summary>lab_op(cmd, a2, a3) for domain <paramref name="d"/>; a negative errno on bad input, never throws.</summary>
    public static long Handle(Domain d, in HypercallArgs a)
    {
        switch (a.A1)
        {
            case LabOp.Echo:
                return (long)a.A2;
            case LabOp.HypercallCount:
                // The dispatcher counts a hypercall after its handler returns: this one is not in yet.
                return d.Stats.TotalHypercalls;
            case LabOp.DomainName:
                return CopyName(d, a.A2, a.A3);
            default:
                return Errno.EINVAL;
        }
    }

    private static long CopyName(Domain d, ulong buffer, ulong length)
    {
        string name = d.Name;
        if (length < (ulong)name.Length + 1)
            return Errno.ENOSPC;
        // Only the bytes we write need to be the guest's, and writable: never trust the pointer.
        if (!d.Memory.TryGetWritable(buffer, (ulong)name.Length + 1, out var dest))
            return Errno.EFAULT;
        int n = System.Text.Encoding.ASCII.GetBytes(name, dest);
        dest[n] = 0;
        return n;
    }
}
