// Grant-table ABI (xen/include/public/grant_table.h), version 1: the entries a guest writes to
// share its pages, and the argument structs of the grant_table_op hypercall.
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Grants;

/// <summary>grant_entry_v1 (grant_table.h), 8 bytes. The granting domain writes domid and frame,
/// then flags; the hypervisor sets and clears the reading/writing bits while it uses the page.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct GrantEntryV1
{
    /// <summary><see cref="GrantFlags"/>.</summary>
    [FieldOffset(0)] public ushort Flags;
    /// <summary>The domain allowed to use the grant.</summary>
    [FieldOffset(2)] public ushort DomId;
    /// <summary>The granted frame (ParaKit: guest-physical page number).</summary>
    [FieldOffset(4)] public uint Frame;
}

/// <summary>The source or destination of a copy (struct gnttab_copy_ptr in grant_table.h), 16 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct GnttabCopyPtr
{
    /// <summary>u.ref: a grant reference (when the matching GNTCOPY_*_gref flag is set).</summary>
    [FieldOffset(0)] public uint Ref;
    /// <summary>u.gmfn: a frame of <see cref="DomId"/> (when the flag is clear; that domain must be the caller).</summary>
    [FieldOffset(0)] public ulong Gmfn;
    [FieldOffset(8)] public ushort DomId;
    /// <summary>Byte offset within the page.</summary>
    [FieldOffset(10)] public ushort Offset;
}

/// <summary>gnttab_copy (grant_table.h), 40 bytes: GNTTABOP_copy, one element of an array.
/// A copy must not cross a page boundary on either side (else GNTST_bad_copy_arg).</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
public struct GnttabCopy
{
    [FieldOffset(0)] public GnttabCopyPtr Source;
    [FieldOffset(16)] public GnttabCopyPtr Dest;
    [FieldOffset(32)] public ushort Len;
    /// <summary><see cref="GnttabCopyFlags"/>.</summary>
    [FieldOffset(34)] public ushort Flags;
    /// <summary>OUT: a <see cref="GrantStatus"/>.</summary>
    [FieldOffset(36)] public short Status;
}

/// <summary>gnttab_map_grant_ref (grant_table.h), 32 bytes: GNTTABOP_map_grant_ref.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public struct GnttabMapGrantRef
{
    /// <summary>IN: where to map the page in the caller.</summary>
    [FieldOffset(0)] public ulong HostAddr;
    /// <summary>IN: <see cref="GntMapFlags"/>.</summary>
    [FieldOffset(8)] public uint Flags;
    [FieldOffset(12)] public uint Ref;
    /// <summary>IN: the granting domain.</summary>
    [FieldOffset(16)] public ushort Dom;
    /// <summary>OUT: a <see cref="GrantStatus"/>.</summary>
    [FieldOffset(18)] public short Status;
    /// <summary>OUT: handle for the unmap.</summary>
    [FieldOffset(20)] public uint Handle;
    [FieldOffset(24)] public ulong DevBusAddr;
}

/// <summary>gnttab_unmap_grant_ref (grant_table.h), 24 bytes: GNTTABOP_unmap_grant_ref.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct GnttabUnmapGrantRef
{
    [FieldOffset(0)] public ulong HostAddr;
    [FieldOffset(8)] public ulong DevBusAddr;
    [FieldOffset(16)] public uint Handle;
    /// <summary>OUT: a <see cref="GrantStatus"/>.</summary>
    [FieldOffset(20)] public short Status;
}

/// <summary>gnttab_setup_table (grant_table.h), 24 bytes: GNTTABOP_setup_table.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct GnttabSetupTable
{
    [FieldOffset(0)] public ushort Dom;
    [FieldOffset(4)] public uint NrFrames;
    /// <summary>OUT: a <see cref="GrantStatus"/>.</summary>
    [FieldOffset(8)] public short Status;
    /// <summary>Guest pointer to NrFrames u64 frame numbers (XEN_GUEST_HANDLE(xen_pfn_t)).</summary>
    [FieldOffset(16)] public ulong FrameList;
}

/// <summary>gnttab_query_size (grant_table.h), 16 bytes: GNTTABOP_query_size.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct GnttabQuerySize
{
    [FieldOffset(0)] public ushort Dom;
    /// <summary>OUT: frames in use.</summary>
    [FieldOffset(4)] public uint NrFrames;
    /// <summary>OUT: the most frames the domain may have.</summary>
    [FieldOffset(8)] public uint MaxNrFrames;
    /// <summary>OUT: a <see cref="GrantStatus"/>.</summary>
    [FieldOffset(12)] public short Status;
}
