// NewReno congestion control (RFC 5681 with RFC 6582's fast recovery): slow start and
// congestion avoidance on new ACKs, fast retransmit on the third duplicate ACK, window
// inflation during recovery, partial ACKs that retransmit the next hole, and the loss window
// after a timeout. In bytes; the connection asks it how much may be in flight.
namespace ParaKit.Net.Stack;

internal sealed class TcpCongestion
{
    private const int MaxWindow = 1 << 30;
    private int _mss;

    /// <summary>cwnd in bytes.</summary>
    public int Window { get; private set; }
    public int SlowStartThreshold { get; private set; }
    public int DuplicateAcks { get; private set; }
    public bool InRecovery { get; private set; }
    /// <summary>RFC 6582's "recover" plus one: SND.MAX when recovery (or the last timeout) began,
    /// so an ACK at or beyond it acknowledges everything that was outstanding then.</summary>
    public uint Recover { get; private set; }

    public void Reset(int mss, uint iss)
    {
        _mss = mss;
        // RFC 5681 3.1: IW = min(4*SMSS, max(2*SMSS, 4380)) ... RFC 6928 allows 10; we take 10
        // segments as Linux does, bounded like the RFC's byte rule for small MSS.
        Window = 10 * mss < 14600 ? 10 * mss : System.Math.Max(14600, 2 * mss);
        SlowStartThreshold = int.MaxValue;
        DuplicateAcks = 0;
        InRecovery = false;
        Recover = iss;
    }

    public void SetMss(int mss) => _mss = mss;

    /// <summary>An ACK that moved SND.UNA forward by <paramref name="acked"/> bytes. Returns true
    /// when it is a partial ACK during recovery (the caller retransmits the next unacked segment).</summary>
    public bool OnNewAck(int acked, uint ack, int flightBefore)
    {
        DuplicateAcks = 0;
        if (InRecovery)
        {
            if (TcpSeq.Ge(ack, Recover))
            {
                // Full ACK (RFC 6582 3.2 step 3): deflate to ssthresh, bounded by what is in flight.
                int flight = flightBefore - acked;
                Window = System.Math.Min(SlowStartThreshold, System.Math.Max(flight, _mss) + _mss);
                InRecovery = false;
                return false;
            }
            // Partial ACK: deflate by what was acked, add back one MSS if it acked at least one.
            Window = System.Math.Max(Window - acked + (acked >= _mss ? _mss : 0), _mss);
            return true;
        }
        if (Window < SlowStartThreshold)
            Window += System.Math.Min(acked, 2 * _mss);   // RFC 3465 with L = 2*SMSS (delayed ACKs)
        else
            Window += System.Math.Max(1, _mss * _mss / Window);
        // Without loss cwnd only grows; past the largest window (1 GiB, RFC 7323) it means
        // nothing, and an int would overflow after a few GiB of loss-free transfer.
        if (Window > MaxWindow)
            Window = MaxWindow;
        return false;
    }

    /// <summary>A duplicate ACK (RFC 5681 definition). Returns true on the one that starts fast
    /// retransmit (the caller retransmits SND.UNA's segment).</summary>
    public bool OnDuplicateAck(int flight, uint una, uint sndMax)
    {
        DuplicateAcks++;
        if (InRecovery)
        {
            Window = System.Math.Min(Window + _mss, MaxWindow);   // each further duplicate means a segment left the network
            return false;
        }
        // RFC 6582 3.2 step 2: only when the ACK covers more than "recover", so one loss
        // episode is not taken as a second after a timeout.
        if (DuplicateAcks != 3 || !TcpSeq.Ge(una, Recover))
            return false;
        SlowStartThreshold = System.Math.Max(flight / 2, 2 * _mss);
        Window = SlowStartThreshold + 3 * _mss;
        Recover = sndMax;
        InRecovery = true;
        return true;
    }

    /// <summary>The retransmission timer expired (RFC 5681 3.1 eq. 4 and the loss window).</summary>
    public void OnTimeout(int flight, uint sndMax)
    {
        SlowStartThreshold = System.Math.Max(flight / 2, 2 * _mss);
        Window = _mss;
        DuplicateAcks = 0;
        InRecovery = false;
        Recover = sndMax;
    }
}
