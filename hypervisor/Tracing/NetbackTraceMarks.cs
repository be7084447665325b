// A netback's trace points, kept out of its data path: what it had counted when it last wrote a
// record, so an RX flush records the buffers and frames since the previous flush and every drop
// counter that moved becomes one NetDrop record with its reason. Drops are recorded at the end of
// the pass (or flush, or disconnect) that counted them, so the drop records of a vif add up to its
// counters exactly, whichever path counted them.
using ParaKit.Hypervisor.Devices.Vif;

namespace ParaKit.Hypervisor.Tracing;

internal sealed class NetbackTraceMarks(uint rxReqCons)
{
    private uint _rxReqCons = rxReqCons;
    private long _rxFrames;
    private readonly long[] _drops = new long[11];

    /// <summary>One RX flush: buffers consumed and frames placed since the previous one.</summary>
    public void RxFlush(uint domain, int vif, uint rxReqCons, NetbackCounters c, bool notified)
    {
        TracePoint.RingBatch(domain, vif, rx: true, rxReqCons - _rxReqCons, c.RxFrames - _rxFrames, notified);
        _rxReqCons = rxReqCons;
        _rxFrames = c.RxFrames;
        Drops(domain, vif, c);
    }

    /// <summary>Records every drop counter that moved since the last call.</summary>
    public void Drops(uint domain, int vif, NetbackCounters c)
    {
        Drop(domain, vif, FrameDropReason.TxMalformed, c.TxMalformed);
        Drop(domain, vif, FrameDropReason.TxBadGrant, c.TxBadGrant);
        Drop(domain, vif, FrameDropReason.TxOversize, c.TxOversize);
        Drop(domain, vif, FrameDropReason.TxUndelivered, c.TxUndelivered);
        Drop(domain, vif, FrameDropReason.RxNoBuffer, c.RxNoBuffer);
        Drop(domain, vif, FrameDropReason.RxBadGrant, c.RxBadGrant);
        Drop(domain, vif, FrameDropReason.RxOversize, c.RxOversize);
        Drop(domain, vif, FrameDropReason.RxNotConnected, c.RxNotConnected);
        Drop(domain, vif, FrameDropReason.TxBadOffload, c.TxBadOffload);
        Drop(domain, vif, FrameDropReason.RxBadOffload, c.RxBadOffload);
    }

    private void Drop(uint domain, int vif, FrameDropReason why, long now)
    {
        long moved = now - _drops[(int)why];
        if (moved == 0)
            return;
        _drops[(int)why] = now;
        TracePoint.FrameDrop(domain, why, moved, vif);
    }
}
