// One vif's counters (Firecracker's metrics.rs): every frame netback sees ends up in exactly one
// of "passed" or a drop reason, so frames in = frames out + drops can be checked, never guessed.
namespace ParaKit.Hypervisor.Devices.Vif;

/// <summary>Why a vif was disconnected (the frontend misbehaved; domain 0 carries on).</summary>
public enum NetbackDisconnect
{
    None = 0,
    /// <summary>TX req_prod outside [req_cons, rsp_prod_pvt + size].</summary>
    TxRingOverflow = 1,
    /// <summary>RX req_prod outside [req_cons, rsp_prod_pvt + size].</summary>
    RxRingOverflow = 2,
    /// <summary>A TX packet whose slots break netif's rules (see <see cref="TxMalformed"/>).</summary>
    MalformedTx = 3,
    /// <summary>The toolstack closed the vif.</summary>
    Closed = 4,
}

/// <summary>Plain counters, written by the one thread that drives the vif.</summary>
public sealed class NetbackCounters
{
    /// <summary>Guest to domain 0: packets handed to the sink and their bytes.</summary>
    public long TxFrames, TxBytes;
    /// <summary>Domain 0 to guest: frames copied into posted RX buffers and their bytes.</summary>
    public long RxFrames, RxBytes;
    /// <summary>TX packets dropped: slots that break netif's rules (the vif is then disconnected).</summary>
    public long TxMalformed;
    /// <summary>TX packets dropped because a grant copy from the guest failed (answered ERROR).</summary>
    public long TxBadGrant;
    /// <summary>TX packets larger than the vif's largest frame (answered ERROR).</summary>
    public long TxOversize;
    /// <summary>RX frames dropped: the guest had not posted enough buffers.</summary>
    public long RxNoBuffer;
    /// <summary>RX frames dropped because a grant copy into a posted buffer failed (answered ERROR).</summary>
    public long RxBadGrant;
    /// <summary>RX frames larger than the vif's largest frame, or empty.</summary>
    public long RxOversize;
    /// <summary>RX frames offered while the vif was not connected.</summary>
    public long RxNotConnected;
    /// <summary>Event-channel notifications sent to the frontend.</summary>
    public long Notifications;
    /// <summary>RX frames that had to wait for buffers (feature-rx-notify); each later ends in
    /// RxFrames or a drop reason, so this is not a final state.</summary>
    public long RxDeferred;

    /// <summary>TX frames that had to wait for room at their destination (backpressure); not a final state.</summary>
    public long TxHeld;
    /// <summary>TX packets the guest published that were never sent because the vif closed first:
    /// a held frame, packets staged behind it, packets still on the ring.</summary>
    public long TxUndelivered;
    /// <summary>TX packets dropped: csum_blank or a GSO extra on a packet that cannot carry it (not
    /// TCP/UDP over IPv4, inconsistent lengths, GSO size 0 or above the MTU, an unknown GSO type;
    /// answered ERROR).</summary>
    public long TxBadOffload;
    /// <summary>GSO super-frames among TxFrames, and among RxFrames (passed whole to a GSO frontend).</summary>
    public long TxGso, RxGso;
    /// <summary>RX super-frames segmented here for a frontend without feature-gso-tcpv4 (or whose
    /// partial checksum was completed here); the resulting frames count in RxFrames.</summary>
    public long RxSoftwareOffload;
    /// <summary>RX frames with offload that could not be segmented or checksummed (lengths that lie).</summary>
    public long RxBadOffload;

    public long TxDrops => TxMalformed + TxBadGrant + TxOversize + TxUndelivered + TxBadOffload;

    /// <summary>Adds another connection's counters (a vif's totals over reconnects).</summary>
    public void Add(NetbackCounters o)
    {
        TxFrames += o.TxFrames; TxBytes += o.TxBytes; RxFrames += o.RxFrames; RxBytes += o.RxBytes;
        TxMalformed += o.TxMalformed; TxBadGrant += o.TxBadGrant; TxOversize += o.TxOversize;
        RxNoBuffer += o.RxNoBuffer; RxBadGrant += o.RxBadGrant; RxOversize += o.RxOversize; RxNotConnected += o.RxNotConnected;
        Notifications += o.Notifications; RxDeferred += o.RxDeferred; TxHeld += o.TxHeld; TxUndelivered += o.TxUndelivered;
        TxBadOffload += o.TxBadOffload; TxGso += o.TxGso; RxGso += o.RxGso; RxSoftwareOffload += o.RxSoftwareOffload; RxBadOffload += o.RxBadOffload;
    }

    public long RxDrops => RxNoBuffer + RxBadGrant + RxOversize + RxNotConnected + RxBadOffload;
}

/// <summary>One ring's indices: the shared ones the frontend can see and netback's private ones.</summary>
public readonly record struct RingIndices(uint ReqProd, uint ReqCons, uint ReqEvent, uint RspProd, uint RspProdPvt, uint RspEvent)
{
    public override string ToString() =>
        $"req_prod={ReqProd} req_cons={ReqCons} (unconsumed {ReqProd - ReqCons}) req_event={ReqEvent} rsp_prod={RspProd} rsp_prod_pvt={RspProdPvt} rsp_event={RspEvent}";
}

/// <summary>A connected vif's TX and RX ring indices.</summary>
public readonly record struct NetbackRingState(RingIndices Tx, RingIndices Rx);
