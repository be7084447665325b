// Lab "grants": YOUR CODE. Sharing pages with another domain through the grant table, and
// copying through grants with GNTTABOP_copy. See README.md in this folder.
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;

public static unsafe class Transfer
{
    /// <summary>Owner side: grants domain <paramref name="peer"/> access to each page (page
    /// aligned, ours), read-only or writable. Returns the grant references in the order of the
    /// pages, or null if any grant failed.</summary>
    public static int[]? Share(ushort peer, byte*[] pages, bool readOnly)
    {
        // TODO(lab grants): one grant entry per page (Grants.GrantAccess).
        return null;
    }

    /// <summary>Owner side: ends the peer's access through each reference. Returns how many
    /// ended (a reference still being copied cannot end yet).</summary>
    public static int Revoke(int[] refs)
    {
        // TODO(lab grants): Grants.EndAccess each reference.
        return 0;
    }

    /// <summary>Worker side: copies the whole page behind each of <paramref name="refs"/> (granted
    /// by <paramref name="owner"/>) into <paramref name="dest"/> (page i at dest + i * 4096), with
    /// ONE GNTTABOP_copy hypercall for all of them. Writes each copy's GNTST_* status into
    /// <paramref name="status"/> and returns how many succeeded.</summary>
    public static int FetchAll(ushort owner, int[] refs, byte* dest, short[] status)
    {
        // TODO(lab grants): fill one GnttabCopy per reference (source: the owner's grant,
        // destination: our own frame, see Grants.CopyFrom for one) and pass them all to
        // Grants.Copy(ops, count) at once; then read each op's Status.
        return 0;
    }

    /// <summary>Worker side: copies <paramref name="length"/> bytes from <paramref name="source"/>
    /// to the start of the page <paramref name="owner"/> granted as <paramref name="gref"/>.
    /// Returns the GNTST_* status (0 = okay) or a negative errno.</summary>
    public static long Put(ushort owner, int gref, byte* source, int length)
    {
        // TODO(lab grants)
        return GrantStatus.GeneralError;
    }
}
