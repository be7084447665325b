// Lab "grants": REFERENCE SOLUTION (tests/ParaKit.Tests/Labs; not handed to students). Sharing
// pages through the grant table and copying through grants with GNTTABOP_copy.
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;

public static unsafe class Transfer
{
    /// <summary>Owner side: grants <paramref name="peer"/> access to each page; null if any grant failed.</summary>
    public static int[]? Share(ushort peer, byte*[] pages, bool readOnly)
    {
        var refs = new int[pages.Length];
        for (int i = 0; i < pages.Length; i++)
        {
            refs[i] = Grants.GrantAccess(peer, pages[i], readOnly);
            if (refs[i] < 0)
            {
                for (int j = 0; j < i; j++)
                    Grants.EndAccess(refs[j]);
                return null;
            }
        }
        return refs;
    }

    /// <summary>Owner side: ends the peer's access through each reference; returns how many ended.</summary>
    public static int Revoke(int[] refs)
    {
        int ended = 0;
        foreach (int r in refs)
        {
            if (Grants.EndAccess(r))
                ended++;
        }
        return ended;
    }

    /// <summary>Worker side: copies every granted page into dest with one GNTTABOP_copy.</summary>
    public static int FetchAll(ushort owner, int[] refs, byte* dest, short[] status)
    {
        int n = refs.Length;
        GnttabCopy* ops = stackalloc GnttabCopy[n];
        for (int i = 0; i < n; i++)
        {
            ops[i] = default;
            ops[i].Source.Ref = (uint)refs[i];
            ops[i].Source.DomId = owner;
            ops[i].Dest.Gmfn = ((ulong)dest >> 12) + (ulong)i;
            ops[i].Dest.DomId = DomId.Self;
            ops[i].Len = 4096;
            ops[i].Flags = GnttabCopyFlags.SourceGref;
        }
        long rc = Grants.Copy(ops, n);
        int ok = 0;
        for (int i = 0; i < n; i++)
        {
            status[i] = rc < 0 ? GrantStatus.GeneralError : ops[i].Status;
            if (status[i] == GrantStatus.Okay)
                ok++;
        }
        return ok;
    }

    /// <summary>Worker side: copies length bytes to the start of a page the owner granted.</summary>
    public static long Put(ushort owner, int gref, byte* source, int length)
        => Grants.CopyTo(owner, (uint)gref, 0, source, (ushort)length);
}
