// Lab "hypercall": REFERENCE SOLUTION, guest side (tests/ParaKit.Tests/Labs; not handed to
// students). Wrappers that make the lab_op hypercall (protocols/Hypercalls/LabOp.cs).
using ParaKit.Protocols.Hypercalls;

public static unsafe class LabOps
{
    /// <summary>lab_op(Echo, value): the value back from domain 0.</summary>
    public static long Echo(ulong value) => Hypervisor.Call(LabOp.Number, LabOp.Echo, value);

    /// <summary>lab_op(HypercallCount): hypercalls domain 0 handled for us before this one.</summary>
    public static long HypercallCount() => Hypervisor.Call(LabOp.Number, LabOp.HypercallCount);

    /// <summary>lab_op(DomainName, buffer, length) as it is: the name's length or a negative errno.</summary>
    public static long DomainNameInto(byte* buffer, int length)
        => Hypervisor.Call(LabOp.Number, LabOp.DomainName, (ulong)buffer, (ulong)(uint)length);

    /// <summary>The domain's name as a string, or null if the hypercall failed.</summary>
    public static string? DomainName()
    {
        const int Size = 64;
        byte* buffer = stackalloc byte[Size];
        long n = DomainNameInto(buffer, Size);
        if (n < 0)
            return null;
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
            sb.Append((char)buffer[i]);
        return sb.ToString();
    }
}
