// Lab "hypercall": YOUR CODE, guest side. Wrappers that make the lab_op hypercall (the ABI is
// protocols/Hypercalls/LabOp.cs); the hypervisor side is hypervisor/Hypercalls/LabHypercalls.cs.
// See README.md in this folder.
using ParaKit.Protocols.Hypercalls;

public static unsafe class LabOps
{
    /// <summary>lab_op(Echo, value): the value back from domain 0.</summary>
    public static long Echo(ulong value)
    {
        // TODO(lab hypercall): one hypercall, Hypervisor.Call(number, a1, a2, ...).
        return Errno.ENOSYS;
    }

    /// <summary>lab_op(HypercallCount): hypercalls domain 0 handled for us before this one.</summary>
    public static long HypercallCount()
    {
        // TODO(lab hypercall)
        return Errno.ENOSYS;
    }

    /// <summary>lab_op(DomainName, buffer, length) as it is: the name's length or a negative errno.</summary>
    public static long DomainNameInto(byte* buffer, int length)
    {
        // TODO(lab hypercall)
        return Errno.ENOSYS;
    }

    /// <summary>The domain's name as a string (through DomainNameInto with a buffer on the
    /// stack), or null if the hypercall failed.</summary>
    public static string? DomainName()
    {
        // TODO(lab hypercall)
        return null;
    }
}
