// grant_table_op(cmd, uop, count) (hypercall 20): setup_table, query_size and copy. Map and
// unmap return -ENOSYS: ParaKit backends live in domain 0 and copy (as netback does). Each
// argument struct is copied out of the guest once; per-op statuses are written back into the
// guest's array, and the hypercall itself returns 0 or a negative errno for a bad array.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Hypercalls;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Grants;

public static class GrantTableHypercalls
{
    /// <summary>Most copies one hypercall may ask for (Xen preempts long batches; we refuse them):
    /// enough for a full netif ring of 256 slots in both directions.</summary>
    public const uint MaxCopyBatch = 1024;

    public static void Register(HypercallDispatcher dispatcher) =>
        dispatcher.Register(Hypercall.GrantTableOp, GrantTableOp);

    public static long GrantTableOp(Domain d, in HypercallArgs a) => Dispatch(d.Grants, (int)a.A1, a.A2, a.A3);

    internal static unsafe long Dispatch(GrantTable table, int cmd, ulong uop, ulong count)
    {
        GuestMemory? memory = table.Memory;
        if (memory is null)
            return Errno.ESRCH;
        switch (cmd)
        {
            case GnttabOp.SetupTable:
                return ForEach<GnttabSetupTable>(memory, uop, count, 1, (ref GnttabSetupTable op) => SetupTable(table, memory, ref op));
            case GnttabOp.QuerySize:
                return ForEach<GnttabQuerySize>(memory, uop, count, 1, (ref GnttabQuerySize op) => QuerySize(table, ref op));
            case GnttabOp.Copy:
                return Copy(table, memory, uop, count);
            default:
                return Errno.ENOSYS;
        }
    }

    /// <summary>GNTTABOP_copy over the guest's array (no allocation: this is netback's hot path).</summary>
    private static unsafe long Copy(GrantTable table, GuestMemory memory, ulong uop, ulong count)
    {
        if (count > MaxCopyBatch)
            return Errno.EINVAL;
        if (count == 0)
            return 0;
        if (!memory.TryGetWritable(uop, count * (ulong)sizeof(GnttabCopy), out var array))
            return Errno.EFAULT;
        GrantTable.LifetimeLock.EnterReadLock();
        try
        {
            for (int i = 0; i < (int)count; i++)
            {
                var slot = array.Slice(i * sizeof(GnttabCopy), sizeof(GnttabCopy));
                GnttabCopy op = MemoryMarshal.Read<GnttabCopy>(slot);
                op.Status = GrantCopier.CopyOne(table, op);
                table.Copies++;
                if (op.Status == GrantStatus.Okay)
                    table.CopyBytes += op.Len;
                else
                    table.CopyErrors++;
                // Only the status is OUT; the rest of the guest's element stays as the guest wrote it.
                MemoryMarshal.Write(slot.Slice(36, 2), in op.Status);
            }
        }
        finally
        {
            GrantTable.LifetimeLock.ExitReadLock();
        }
        return 0;
    }

    private delegate void Op<T>(ref T op) where T : unmanaged;

    /// <summary>Runs <paramref name="action"/> on each element of the guest's array: copy it out
    /// once, act on the copy, write the copy (with its OUT fields and status) back.</summary>
    private static unsafe long ForEach<T>(GuestMemory memory, ulong uop, ulong count, ulong max, Op<T> action) where T : unmanaged
    {
        if (count > max)
            return Errno.EINVAL;
        if (count == 0)
            return 0;
        if (!memory.TryGetWritable(uop, count * (ulong)sizeof(T), out var array))
            return Errno.EFAULT;
        for (int i = 0; i < (int)count; i++)
        {
            var slot = array.Slice(i * sizeof(T), sizeof(T));
            T op = MemoryMarshal.Read<T>(slot);
            action(ref op);
            MemoryMarshal.Write(slot, in op);
        }
        return 0;
    }

    private static void SetupTable(GrantTable table, GuestMemory memory, ref GnttabSetupTable op)
    {
        if (op.Dom != DomId.Self && op.Dom != table.DomId)
        {
            op.Status = GrantStatus.PermissionDenied;
            return;
        }
        if (op.NrFrames > GrantTable.FrameCount)
        {
            op.Status = GrantStatus.GeneralError;
            return;
        }
        if (!memory.TryGetWritable(op.FrameList, (ulong)op.NrFrames * 8, out var list))
        {
            op.Status = GrantStatus.BadVirtAddr;
            return;
        }
        for (uint i = 0; i < op.NrFrames; i++)
            MemoryMarshal.Write(list.Slice((int)i * 8, 8), GrantTable.FrameNumber(i));
        op.Status = GrantStatus.Okay;
    }

    private static void QuerySize(GrantTable table, ref GnttabQuerySize op)
    {
        if (op.Dom != DomId.Self && op.Dom != table.DomId)
        {
            op.Status = GrantStatus.PermissionDenied;
            return;
        }
        op.NrFrames = GrantTable.FrameCount;
        op.MaxNrFrames = GrantTable.FrameCount;
        op.Status = GrantStatus.Okay;
    }
}
