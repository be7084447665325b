// How a backend reads one packet off a netif TX ring (io/netif.h): a first request (whose size
// is the whole packet), optional netif_extra_info slots, then fragments while more_data is set.
// The checks are the ones Linux netback applies, as a pure function over copied-out slots, so a
// backend can refuse a malformed packet before it touches a single grant.
using System;

namespace ParaKit.Protocols.Net;

/// <summary>Verdict on one TX packet's slots.</summary>
public enum NetifTxCheck
{
    Ok = 0,
    /// <summary>The packet continues beyond the slots given (wait for the frontend to publish more).</summary>
    Incomplete = 1,
    /// <summary>More slots than the backend accepts (at least <see cref="NetifLimits.SlotsMin"/> must be).</summary>
    TooManySlots = 2,
    /// <summary>A slot's offset + size runs past its 4 KiB page.</summary>
    CrossesPage = 3,
    /// <summary>The fragments add up to more than the first request's packet size.</summary>
    FragmentsTooBig = 4,
    /// <summary>An extra_info slot of an unknown type (0 or above the last defined).</summary>
    BadExtraInfo = 5,
    /// <summary>The first request announces an empty packet.</summary>
    BadSize = 6,
}

/// <summary>Checks one TX packet at the front of a span of copied-out ring slots.</summary>
public static unsafe class NetifTxPacket
{
    private const int PageSize = 4096;

    /// <summary>Walks the packet that starts at <c>slots[0]</c>. On Ok, <paramref name="slotsUsed"/> is
    /// how many slots it occupies (request, extras and fragments: each gets one response, extras a
    /// NULL one), <paramref name="dataSlots"/> how many carry data, <paramref name="firstSize"/> the
    /// bytes in the first slot (its size minus the fragments') and <paramref name="gsoSize"/> the GSO
    /// segment size if a GSO extra came with it (else 0). <paramref name="maxDataSlots"/> is the
    /// backend's limit (use <see cref="NetifLimits.SlotsMin"/> or more).</summary>
    public static NetifTxCheck Check(ReadOnlySpan<NetifTxRequest> slots, int maxDataSlots,
        out int slotsUsed, out int dataSlots, out int firstSize, out int gsoSize)
    {
        slotsUsed = 0;
        dataSlots = 0;
        firstSize = 0;
        gsoSize = 0;
        if (slots.Length == 0)
        {
            return NetifTxCheck.Incomplete;
        }
        NetifTxRequest first = slots[0];
        if (first.Size == 0)
        {
            return NetifTxCheck.BadSize;
        }
        int at = 1;
        if ((first.Flags & NetTxFlags.ExtraInfo) != 0)
        {
            // Extras share the request slots; each says whether another follows.
            while (true)
            {
                if (at >= slots.Length)
                {
                    return NetifTxCheck.Incomplete;
                }
                NetifTxRequest raw = slots[at++];
                NetifExtraInfo extra = *(NetifExtraInfo*)&raw;
                if (extra.Type == NetifExtraType.None || extra.Type > NetifExtraType.Hash)
                {
                    return NetifTxCheck.BadExtraInfo;
                }
                if (extra.Type == NetifExtraType.Gso)
                {
                    gsoSize = extra.GsoSize;
                }
                if ((extra.Flags & NetifExtraFlags.More) == 0)
                {
                    break;
                }
                if (at > maxDataSlots + 8)
                {
                    // Extras are few (one per type); an endless chain is a hostile frontend.
                    return NetifTxCheck.TooManySlots;
                }
            }
        }
        int remaining = first.Size;
        int count = 1;
        ushort flags = first.Flags;
        while ((flags & NetTxFlags.MoreData) != 0)
        {
            if (count >= maxDataSlots)
            {
                return NetifTxCheck.TooManySlots;
            }
            if (at >= slots.Length)
            {
                return NetifTxCheck.Incomplete;
            }
            NetifTxRequest frag = slots[at++];
            count++;
            if (frag.Size > remaining)
            {
                return NetifTxCheck.FragmentsTooBig;
            }
            if (frag.Offset + frag.Size > PageSize)
            {
                return NetifTxCheck.CrossesPage;
            }
            remaining -= frag.Size;
            flags = frag.Flags;
        }
        // What is left of the packet size is the first slot's own data, which must fit its page.
        if (first.Offset + remaining > PageSize)
        {
            return NetifTxCheck.CrossesPage;
        }
        slotsUsed = at;
        dataSlots = count;
        firstSize = remaining;
        return NetifTxCheck.Ok;
    }
}
