// What netback needs from the guest's grant table: domain 0's copy API, behind an interface so
// the state machine runs in tests against a fake table (STYLE.md: memory access is passed in).
using ParaKit.Hypervisor.Grants;

namespace ParaKit.Hypervisor.Devices.Vif;

/// <summary>Grant copies between domain 0 and one frontend domain. Both return a GrantStatus
/// (0 = okay) and never throw on a bad ref.</summary>
public interface INetbackGrants
{
    /// <summary>Copies <c>destination.Length</c> bytes from the granted page at <paramref name="offset"/>.</summary>
    short TryCopyFromGuest(uint gref, int offset, Span<byte> destination);

    /// <summary>Copies <paramref name="source"/> into the granted page at <paramref name="offset"/>.</summary>
    short TryCopyToGuest(uint gref, int offset, ReadOnlySpan<byte> source);

    /// <summary>The end of a batch (a TX pass, an RX flush, a disconnect): copies counted since the
    /// last call reach the shared counters and the trace now, one record per direction.</summary>
    void EndBatch() { }
}

/// <summary>The real thing: a domain's <see cref="GrantTable"/> (grantee = domain 0). A vif's
/// netback stops before its domain's table is detached (VifDevice disconnects in
/// Domain.Destroying), so it uses the copies that skip the process-wide lifetime lock. One per
/// netback, used by the one thread that drives it: the batch's tallies are plain fields.</summary>
public sealed class GrantTableAccess(GrantTable table) : INetbackGrants
{
    private GrantCopyTally _out, _in;

    public short TryCopyFromGuest(uint gref, int offset, Span<byte> destination) => table.TryCopyFromGuestForBackend(gref, offset, destination, ref _out);

    public short TryCopyToGuest(uint gref, int offset, ReadOnlySpan<byte> source) => table.TryCopyToGuestForBackend(gref, offset, source, ref _in);

    public void EndBatch()
    {
        table.EndCopyBatch(ref _out, toGuest: false);
        table.EndCopyBatch(ref _in, toGuest: true);
    }
}
