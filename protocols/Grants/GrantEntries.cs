// The grant-entry protocol over a shared grant-table page: how a granting guest publishes and
// revokes an entry, and how the hypervisor claims one for the duration of a copy. Both sides
// touch the same 8 bytes concurrently, so each step uses the barrier or atomic Xen requires.
using System.Threading;

namespace ParaKit.Protocols.Grants;

/// <summary>Operations on <see cref="GrantEntryV1"/> entries that live in shared memory.</summary>
public static unsafe class GrantEntries
{
    private const uint BusyMask = GrantFlags.Reading | GrantFlags.Writing;

    /// <summary>Granter: allow <paramref name="domId"/> to access <paramref name="frame"/>.
    /// domid and frame are written first and made visible (wmb) before the flags that validate them.</summary>
    public static void Publish(GrantEntryV1* entry, ushort domId, uint frame, bool readOnly)
    {
        entry->DomId = domId;
        entry->Frame = frame;
        ushort flags = (ushort)(GrantFlags.PermitAccess | (readOnly ? GrantFlags.ReadOnly : 0));
        // Volatile.Write is a release: the stores above become visible first.
        Volatile.Write(ref entry->Flags, flags);
    }

    /// <summary>Granter: end access. Succeeds (flags become 0) only if the hypervisor is neither
    /// reading nor writing the page at that instant; on false the page is still in use and must
    /// not be reused yet. The compare-exchange covers flags and domid together (the low and high
    /// halves of the first u32), as the entry's first word is what the hypervisor swaps too.</summary>
    public static bool TryRevoke(GrantEntryV1* entry)
    {
        uint* word = (uint*)entry;
        while (true)
        {
            uint old = Volatile.Read(ref *word);
            if ((old & BusyMask) != 0)
            {
                return false;
            }
            uint cleared = old & 0xFFFF_0000u;
            if (Interlocked.CompareExchange(ref *word, cleared, old) == old)
            {
                return true;
            }
        }
    }

    /// <summary>True if the entry currently permits access (any domain).</summary>
    public static bool IsActive(GrantEntryV1* entry)
        => (Volatile.Read(ref entry->Flags) & GrantFlags.TypeMask) == GrantFlags.PermitAccess;

    /// <summary>Hypervisor: claim the entry for one access by <paramref name="grantee"/>. Checks the
    /// type, the domain and read-only-ness, and atomically sets reading or writing so that a
    /// concurrent revoke fails until <see cref="Release"/>. Returns a <see cref="GrantStatus"/> and,
    /// on success, the granted frame. A caller that lets several accesses
    /// overlap on one entry must count them itself (Xen's active-grant pin count) and release once.</summary>
    public static short TryAcquire(GrantEntryV1* entry, ushort grantee, bool write, out uint frame)
    {
        uint* word = (uint*)entry;
        uint busy = write ? GrantFlags.Writing : GrantFlags.Reading;
        // A granter flipping the entry under us could make us spin; bound it as Xen does.
        for (int attempt = 0; attempt < 4; attempt++)
        {
            uint old = Volatile.Read(ref *word);
            uint flags = old & 0xFFFF;
            uint dom = old >> 16;
            if ((flags & GrantFlags.TypeMask) != GrantFlags.PermitAccess)
            {
                frame = 0;
                return GrantStatus.GeneralError;
            }
            if (dom != grantee || (write && (flags & GrantFlags.ReadOnly) != 0))
            {
                frame = 0;
                return GrantStatus.PermissionDenied;
            }
            if (Interlocked.CompareExchange(ref *word, old | busy, old) == old)
            {
                // The frame was published before the flags (release), and our CAS is a full
                // barrier, so this read sees the frame that goes with the flags we validated.
                frame = Volatile.Read(ref entry->Frame);
                return GrantStatus.Okay;
            }
        }
        frame = 0;
        return GrantStatus.GeneralError;
    }

    /// <summary>Hypervisor: end the access begun by a successful <see cref="TryAcquire"/>.</summary>
    public static void Release(GrantEntryV1* entry, bool write)
    {
        uint* word = (uint*)entry;
        uint busy = write ? GrantFlags.Writing : GrantFlags.Reading;
        while (true)
        {
            uint old = Volatile.Read(ref *word);
            if (Interlocked.CompareExchange(ref *word, old & ~busy, old) == old)
            {
                return;
            }
        }
    }
}
