// Grant-table numbers (xen/include/public/grant_table.h): entry flags, op numbers, map and copy
// flags, status codes and reserved references.
namespace ParaKit.Protocols.Grants;

/// <summary>GTF_* (grant_table.h): bits of <see cref="GrantEntryV1.Flags"/>.</summary>
public static class GrantFlags
{
    /// <summary>The low two bits are the entry type.</summary>
    public const ushort TypeMask = 3;
    public const ushort Invalid = 0;
    public const ushort PermitAccess = 1;
    public const ushort AcceptTransfer = 2;
    public const ushort Transitive = 3;
    /// <summary>The grantee may only read.</summary>
    public const ushort ReadOnly = 4;
    /// <summary>Set by the hypervisor while the grantee reads the page.</summary>
    public const ushort Reading = 8;
    /// <summary>Set by the hypervisor while the grantee writes the page.</summary>
    public const ushort Writing = 16;
}

/// <summary>GNTTABOP_* (grant_table.h): the first argument of grant_table_op.</summary>
public static class GnttabOp
{
    public const int MapGrantRef = 0;
    public const int UnmapGrantRef = 1;
    public const int SetupTable = 2;
    public const int DumpTable = 3;
    public const int Transfer = 4;
    public const int Copy = 5;
    public const int QuerySize = 6;
    public const int UnmapAndReplace = 7;
    public const int SetVersion = 8;
    public const int GetStatusFrames = 9;
    public const int GetVersion = 10;
    public const int SwapGrantRef = 11;
    public const int CacheFlush = 12;
}

/// <summary>GNTMAP_* (grant_table.h): flags of <see cref="GnttabMapGrantRef.Flags"/>.</summary>
public static class GntMapFlags
{
    public const uint DeviceMap = 1;
    public const uint HostMap = 2;
    public const uint ReadOnly = 4;
    public const uint ApplicationMap = 8;
    public const uint ContainsPte = 16;
}

/// <summary>GNTCOPY_* (grant_table.h): flags of <see cref="GnttabCopy.Flags"/>.</summary>
public static class GnttabCopyFlags
{
    /// <summary>Source.Ref is a grant reference (else Source.Gmfn is a frame of the caller).</summary>
    public const ushort SourceGref = 1;
    /// <summary>Dest.Ref is a grant reference.</summary>
    public const ushort DestGref = 2;
}

/// <summary>GNTST_* (grant_table.h): status codes written back into op structs.</summary>
public static class GrantStatus
{
    public const short Okay = 0;
    public const short GeneralError = -1;
    public const short BadDomain = -2;
    public const short BadGntref = -3;
    public const short BadHandle = -4;
    public const short BadVirtAddr = -5;
    public const short BadDevAddr = -6;
    public const short NoDeviceSpace = -7;
    public const short PermissionDenied = -8;
    public const short BadPage = -9;
    /// <summary>The copy crosses a page boundary.</summary>
    public const short BadCopyArg = -10;
    public const short AddressTooBig = -11;
    public const short EAgain = -12;
    public const short NoSpace = -13;
}

/// <summary>Grant references with a fixed meaning and table geometry (grant_table.h).</summary>
public static class GrantRefs
{
    /// <summary>GNTTAB_RESERVED_CONSOLE.</summary>
    public const uint Console = 0;
    /// <summary>GNTTAB_RESERVED_XENSTORE.</summary>
    public const uint Xenstore = 1;
    /// <summary>NR_RESERVED_ENTRIES: the first free reference a guest may hand out.</summary>
    public const uint ReservedCount = 8;
    /// <summary>v1 entries per 4 KiB grant-table frame.</summary>
    public const uint EntriesPerFrame = 512;
}
