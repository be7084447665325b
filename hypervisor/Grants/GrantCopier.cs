// GNTTABOP_copy, one element at a time (Xen's gnttab_copy): check the lengths, claim the source
// and destination (a grant of another domain, or a frame of the caller itself), copy, release.
// Every failure is a GNTST_* status for that element; nothing here throws on guest data.
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Grants;

public static class GrantCopier
{
    /// <summary>Domain 0's id as a grantee (backends copy with this id).</summary>
    public const ushort Domain0 = 0;
    private const ushort KnownFlags = GnttabCopyFlags.SourceGref | GnttabCopyFlags.DestGref;

    /// <summary>One side of a copy once claimed: the page and how to let it go.</summary>
    private ref struct Side
    {
        public Span<byte> Page;
        public GrantTable? Granter;
        public uint Ref;
    }

    /// <summary>Performs one gnttab_copy for <paramref name="caller"/> and returns its status.
    /// The caller must hold <see cref="GrantTable.LifetimeLock"/> for reading.</summary>
    internal static short CopyOne(GrantTable caller, in GnttabCopy op)
    {
        if ((op.Flags & ~KnownFlags) != 0)
            return GrantStatus.GeneralError;
        if (op.Source.Offset + op.Len > GrantTable.PageSize || op.Dest.Offset + op.Len > GrantTable.PageSize)
            return GrantStatus.BadCopyArg;
        short st = Claim(caller, op.Source, (op.Flags & GnttabCopyFlags.SourceGref) != 0, write: false, out Side src);
        if (st != GrantStatus.Okay)
            return st;
        st = Claim(caller, op.Dest, (op.Flags & GnttabCopyFlags.DestGref) != 0, write: true, out Side dst);
        if (st == GrantStatus.Okay)
        {
            // memmove semantics: source and destination may be the same page.
            src.Page.Slice(op.Source.Offset, op.Len).CopyTo(dst.Page.Slice(op.Dest.Offset, op.Len));
            dst.Granter?.Release(dst.Ref, write: true);
        }
        src.Granter?.Release(src.Ref, write: false);
        return st;
    }

    private static short Claim(GrantTable caller, in GnttabCopyPtr ptr, bool isGref, bool write, out Side side)
    {
        side = default;
        ushort dom = ptr.DomId == DomId.Self ? caller.DomId : ptr.DomId;
        if (isGref)
        {
            GrantTable? granter = dom == caller.DomId ? caller : caller.Directory?.Find(dom);
            if (granter is null || granter.Memory is null)
                return GrantStatus.BadDomain;
            short st = granter.Acquire(ptr.Ref, caller.DomId, write, out side.Page);
            if (st != GrantStatus.Okay)
                return st;
            side.Granter = granter;
            side.Ref = ptr.Ref;
            return GrantStatus.Okay;
        }
        // A bare frame must be the caller's own (only a privileged domain may name others').
        if (dom != caller.DomId)
            return GrantStatus.PermissionDenied;
        var memory = caller.Memory;
        if (memory is null)
            return GrantStatus.BadDomain;
        if (!GrantTable.FrameAccessible(memory, ptr.Gmfn, write))
            return GrantStatus.BadPage;
        side.Page = memory.Slice(ptr.Gmfn * GuestLayout.PageSize, GrantTable.PageSize);
        return GrantStatus.Okay;
    }
}
