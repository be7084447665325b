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
    private readonly long[] _drops = new long[9];

    /// <summary>One RX flush: buffers consumed and frames placed since the previous one.</summary>
    public void RxFlush(uint domain, uint rxReqCons, NetbackCounters c, bool notified)
    {
        TracePoint.RingBatch(domain, rx: true, rxReqCons - _rxReqCons, c.RxFrames - _rxFrames, notified);
        _rxReqCons = rxReqCons;
        _rxFrames = c.RxFrames;
        Drops(domain, c);
    }

    /// <summary>Records every drop counter that moved since the last call.</summary>
    public void Drops(uint domain, NetbackCounters c)
    {
        Drop(domain, FrameDropReason.TxMalformed, c.TxMalformed);
        Drop(domain, FrameDropReason.TxBadGrant, c.TxBadGrant);
        Drop(domain, FrameDropReason.TxOversize, c.TxOversize);
        Drop(domain, FrameDropReason.TxUndelivered, c.TxUndelivered);
        Drop(domain, FrameDropReason.RxNoBuffer, c.RxNoBuffer);
        Drop(domain, FrameDropReason.RxBadGrant, c.RxBadGrant);
        Drop(domain, FrameDropReason.RxOversize, c.RxOversize);
        Drop(domain, FrameDropReason.RxNotConnected, c.RxNotConnected);
    }

    private void Drop(uint domain, FrameDropReason why, long now)
    {
        long moved = now - _drops[(int)why];
        if (moved == 0)
            return;
        _drops[(int)why] = now;
        TracePoint.FrameDrop(domain, why, moved);
    }
}
