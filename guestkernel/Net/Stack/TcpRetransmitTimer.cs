// RFC 6298's retransmission timeout: SRTT and RTTVAR from round-trip samples (taken only from
// segments sent once: Karn's rule is the caller's), RTO = SRTT + max(G, 4*RTTVAR) clamped to
// [min, max], doubled on each expiry (backoff) until a new sample. It also holds the timer's
// deadline, shared by retransmission and the zero-window persist probe.
namespace ParaKit.Net.Stack;

internal sealed class TcpRetransmitTimer
{
    // Clock granularity G: our clock reads nanoseconds, so take 1 ms as the floor for 4*RTTVAR.
    private const ulong GranularityNs = 1_000_000;
    private readonly ulong _min, _max, _initial;
    private ulong _srtt, _rttvar, _base;

    public TcpRetransmitTimer(ulong minNs, ulong maxNs, ulong initialNs)
    {
        _min = minNs;
        _max = maxNs;
        _initial = initialNs;
        Reset();
    }

    public ulong SmoothedRttNs => _srtt;
    public ulong RttVarianceNs => _rttvar;
    /// <summary>The current timeout, backoff included.</summary>
    public ulong RtoNs { get; private set; }
    /// <summary>Consecutive expiries without progress (the backoff exponent).</summary>
    public int Backoffs { get; private set; }
    /// <summary>When the timer fires; ulong.MaxValue when stopped.</summary>
    public ulong Deadline { get; private set; } = ulong.MaxValue;
    public bool Running => Deadline != ulong.MaxValue;

    public void Reset()
    {
        _srtt = _rttvar = 0;
        _base = _initial;
        RtoNs = _initial;
        Backoffs = 0;
        Deadline = ulong.MaxValue;
    }

    /// <summary>A round-trip sample (RFC 6298 2.2/2.3); it also ends any backoff.</summary>
    public void Sample(ulong rttNs)
    {
        if (_srtt == 0)
        {
            _srtt = rttNs == 0 ? 1 : rttNs;
            _rttvar = rttNs / 2;
        }
        else
        {
            ulong diff = _srtt > rttNs ? _srtt - rttNs : rttNs - _srtt;
            _rttvar = (3 * _rttvar + diff) / 4;
            _srtt = (7 * _srtt + rttNs) / 8;
            if (_srtt == 0)
                _srtt = 1;
        }
        ulong v = 4 * _rttvar;
        _base = Clamp(_srtt + (v > GranularityNs ? v : GranularityNs));
        RtoNs = _base;
        Backoffs = 0;
    }

    public void Start(ulong nowNs) => Deadline = nowNs + RtoNs;
    public void Stop() => Deadline = ulong.MaxValue;

    /// <summary>An expiry: double the timeout (RFC 6298 5.5), up to the maximum.</summary>
    public void Backoff()
    {
        Backoffs++;
        RtoNs = Clamp(RtoNs * 2);
    }

    /// <summary>New data was acknowledged: the backed-off timeout goes back to the estimate.</summary>
    public void EndBackoff()
    {
        Backoffs = 0;
        RtoNs = _base;
    }

    private ulong Clamp(ulong ns) => ns < _min ? _min : ns > _max ? _max : ns;
}
