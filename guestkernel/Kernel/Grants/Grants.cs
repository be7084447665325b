// The guest's grant-table client: set the table up (grant_table_op setup_table tells us which
// frames of our RAM hold it; RAM is identity-mapped, so frame n is at address n*4096), hand out
// grant references with publish/revoke from protocols/Grants, and a GNTTABOP_copy wrapper.
using Internal.Runtime;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Kernel;

public static unsafe class Grants
{
    private const int MaxFrames = 4;
    private static GrantEntryV1* s_table;
    private static uint s_entries;
    private static uint[]? s_free;
    private static int s_freeCount;

    /// <summary>Entries in the table (0 until <see cref="Initialize"/> succeeded).</summary>
    public static uint EntryCount => s_entries;

    /// <summary>References currently handed out.</summary>
    public static int InUse => s_entries == 0 ? 0 : (int)(s_entries - GrantRefs.ReservedCount) - s_freeCount;

    /// <summary>query_size + setup_table. Returns 0, or a negative errno / GNTST status. Idempotent.</summary>
    public static long Initialize()
    {
        if (s_table != null)
            return 0;
        GnttabQuerySize q = default;
        q.Dom = DomId.Self;
        long rc = Hypervisor.Call(Hypercall.GrantTableOp, GnttabOp.QuerySize, (ulong)&q, 1);
        if (rc < 0)
            return rc;
        if (q.Status != GrantStatus.Okay)
            return q.Status;
        uint frames = q.MaxNrFrames < MaxFrames ? q.MaxNrFrames : MaxFrames;
        ulong* list = stackalloc ulong[MaxFrames];
        GnttabSetupTable s = default;
        s.Dom = DomId.Self;
        s.NrFrames = frames;
        s.FrameList = (ulong)list;
        rc = Hypervisor.Call(Hypercall.GrantTableOp, GnttabOp.SetupTable, (ulong)&s, 1);
        if (rc < 0)
            return rc;
        if (s.Status != GrantStatus.Okay)
            return s.Status;
        // The frames must be contiguous for one flat table (ParaKit's are); else use the first.
        uint usable = 1;
        while (usable < frames && list[usable] == list[0] + usable)
            usable++;
        s_table = (GrantEntryV1*)(list[0] * 4096);
        s_entries = usable * GrantRefs.EntriesPerFrame;
        s_free = new uint[s_entries - GrantRefs.ReservedCount];
        // Hand out low references first (pushed last).
        s_freeCount = 0;
        for (uint r = s_entries - 1; r >= GrantRefs.ReservedCount; r--)
            s_free[s_freeCount++] = r;
        return 0;
    }

    /// <summary>Lets <paramref name="domId"/> access the page at <paramref name="page"/> (page
    /// aligned, ours). Returns the grant reference, or -1 when the table is full or not set up.</summary>
    public static int GrantAccess(ushort domId, void* page, bool readOnly)
    {
        if (s_free is null || s_freeCount == 0 || ((ulong)page & 4095) != 0)
            return -1;
        uint gref = s_free[--s_freeCount];
        GrantEntries.Publish(s_table + gref, domId, (uint)((ulong)page >> 12), readOnly);
        return (int)gref;
    }

    /// <summary>Ends access through <paramref name="gref"/>. False while the hypervisor is still
    /// copying to or from the page (try again later; the page must not be reused yet).</summary>
    public static bool EndAccess(int gref)
    {
        if (s_free is null || gref < GrantRefs.ReservedCount || (uint)gref >= s_entries)
            return false;
        if (!GrantEntries.IsActive(s_table + gref))
            return false;
        if (!GrantEntries.TryRevoke(s_table + gref))
            return false;
        s_free[s_freeCount++] = (uint)gref;
        return true;
    }

    /// <summary>The entry itself (for tests and dumps).</summary>
    public static GrantEntryV1* Entry(int gref) => s_table == null || (uint)gref >= s_entries ? null : s_table + gref;

    /// <summary>GNTTABOP_copy on an array; each element's Status says how it went. Returns the
    /// hypercall's result (0, or a negative errno for a bad array or count).</summary>
    public static long Copy(GnttabCopy* ops, int count) => Hypervisor.Call(Hypercall.GrantTableOp, GnttabOp.Copy, (ulong)ops, (ulong)count);

    /// <summary>Copies <paramref name="length"/> bytes from offset <paramref name="offset"/> of the page
    /// <paramref name="granter"/> granted us as <paramref name="gref"/> into our memory at
    /// <paramref name="destination"/> (must not cross a page). Returns a GNTST status or negative errno.</summary>
    public static long CopyFrom(ushort granter, uint gref, ushort offset, void* destination, ushort length)
    {
        GnttabCopy op = default;
        op.Source.Ref = gref;
        op.Source.DomId = granter;
        op.Source.Offset = offset;
        op.Dest.Gmfn = (ulong)destination >> 12;
        op.Dest.DomId = DomId.Self;
        op.Dest.Offset = (ushort)((ulong)destination & 4095);
        op.Len = length;
        op.Flags = GnttabCopyFlags.SourceGref;
        long rc = Copy(&op, 1);
        return rc < 0 ? rc : op.Status;
    }

    /// <summary>Copies <paramref name="length"/> bytes from our memory at <paramref name="source"/>
    /// into the page <paramref name="granter"/> granted us (writable) as <paramref name="gref"/>.</summary>
    public static long CopyTo(ushort granter, uint gref, ushort offset, void* source, ushort length)
    {
        GnttabCopy op = default;
        op.Source.Gmfn = (ulong)source >> 12;
        op.Source.DomId = DomId.Self;
        op.Source.Offset = (ushort)((ulong)source & 4095);
        op.Dest.Ref = gref;
        op.Dest.DomId = granter;
        op.Dest.Offset = offset;
        op.Len = length;
        op.Flags = GnttabCopyFlags.DestGref;
        long rc = Copy(&op, 1);
        return rc < 0 ? rc : op.Status;
    }

    /// <summary>A zeroed, page-aligned page the collector never frees or moves (for sharing).</summary>
    public static byte* AllocatePage()
    {
        byte* raw = (byte*)Allocator.AllocateRaw(2 * 4096);
        return (byte*)(((ulong)raw + 4095) & ~4095UL);
    }
}
