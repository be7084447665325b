// Sending for one connection: segmentation of the send buffer to the MSS within the smaller of
// the congestion and send windows (sender-side silly window avoidance, no Nagle: replies go out
// at once), the FIN after the last byte, ACKs (immediate or delayed), retransmissions (timeout
// with go-back-N, fast retransmit, partial ACK), zero-window probes, and the timers.
using System;

namespace ParaKit.Net.Stack;

internal sealed partial class TcpConnection
{
    /// <summary>Sends whatever the windows allow, then an ACK if one is owed and nothing carried it.</summary>
    public void Output(ulong now)
    {
        if (State == TcpState.Closed)
            return;
        if (State == TcpState.SynSent || State == TcpState.SynReceived || State == TcpState.TimeWait)
        {
            if (_ackNow && State != TcpState.SynSent)
                SendAck(now);
            return;
        }
        while (true)
        {
            int unsent = TcpSeq.Gt(_sndEnd, _sndNxt) ? (int)(_sndEnd - _sndNxt) : 0;
            bool finToSend = _finQueued && TcpSeq.Le(_sndNxt, _finSeq);
            if (unsent == 0 && !finToSend)
                break;
            long window = Math.Min((long)Congestion.Window, (long)_sndWnd);
            long usable = window - (long)(_sndNxt - _sndUna);
            int len = (int)Math.Max(0, Math.Min(Math.Min((long)MaxSendLength, unsent), usable));
            if (unsent > 0)
            {
                if (len == 0)
                {
                    if (_sndWnd == 0 && _sndNxt == _sndUna && !Rto.Running)
                    {
                        _persist = true;   // zero window, nothing in flight: probe it (RFC 9293 3.8.6.1)
                        Rto.Start(now);
                    }
                    break;
                }
                // Sender silly window avoidance (RFC 9293 3.8.6.2.1), without Nagle's delay: a
                // small piece waits for the ACK of what is in flight, which opens the window
                // further; with nothing in flight no ACK would come, so it goes now (this
                // stands in for the RFC's override timer).
                if (len < _mss && len < unsent && len < (int)(_maxSndWnd / 2) && _sndNxt != _sndUna)
                    break;
            }
            bool fin = finToSend && _sndNxt + (uint)len == _finSeq;
            if (!SendSegment(_sndNxt, len, fin, now))
                break;   // the device is full: the next Poll tries again
            if (!_timing && TcpSeq.Ge(_sndNxt, _sndMax) && len > 0)
                StartTiming(_sndNxt, now);
            _sndNxt += (uint)len + (fin ? 1u : 0u);
            _sndMax = TcpSeq.Max(_sndMax, _sndNxt);
            if (!Rto.Running || _persist)
            {
                _persist = false;
                Rto.Start(now);
            }
            if (fin)
                break;
        }
        if (_ackNow)
            SendAck(now);
    }

    /// <summary>Data bytes one send may carry: the MSS, or whole MSS multiples up to a TSO
    /// super-segment when the device cuts them (then each segment on the wire is still one MSS).</summary>
    private int MaxSendLength
    {
        get
        {
            int super = _engine.MaxSuperSegmentData;
            return super > _mss ? super / _mss * _mss : _mss;
        }
    }

    /// <summary>A pure ACK. Its sequence number is SND.MAX, not SND.NXT: after a timeout SND.NXT
    /// is back at SND.UNA, and an ACK numbered there would be outside the peer's window and
    /// dropped with the acknowledgement in it (BSD's tcp_output does the same).</summary>
    public void SendAck(ulong now) => SendSegment(_sndMax, 0, false, now);

    private void StartTiming(uint seq, ulong now)
    {
        _timing = true;
        _timedSeq = seq;
        _timedAt = now;
    }

    /// <summary>Sends the first unacknowledged segment again (fast retransmit, partial ACK).</summary>
    private void RetransmitFirst(ulong now)
    {
        uint dataEnd = _finQueued ? _finSeq : _sndEnd;
        int len = TcpSeq.Gt(dataEnd, _sndUna) ? (int)Math.Min((long)_mss, dataEnd - _sndUna) : 0;
        bool fin = _finQueued && _sndUna + (uint)len == _finSeq && TcpSeq.Gt(_sndMax, _finSeq);
        if (len == 0 && !fin)
            return;
        SendSegment(_sndUna, len, fin, now);
        Rto.Start(now);
    }

    /// <summary>One segment with the current ACK and window. False only when the device refused it
    /// (nothing changed: try again later); a packet lost further on is the timers' business.</summary>
    private bool SendSegment(uint seq, int len, bool fin, ulong now)
    {
        byte flags = TcpFlags.Ack;
        if (fin)
            flags |= TcpFlags.Fin;
        if (len > 0 && seq + (uint)len == _sndEnd)
            flags |= TcpFlags.Psh;
        Span<byte> s = _engine.TxSegment(TcpSegment.HeaderLength + len);
        TcpSegmentBuilder.Write(s, LocalPort, RemotePort, seq, _rcvNxt, flags, WindowField(), 0, -1);
        if (len > 0)
            _snd.Read(seq, s.Slice(TcpSegment.HeaderLength, len));
        if (!_engine.Transmit(RemoteAddress, s, len > _mss ? _mss : 0))
            return false;
        if (TcpSeq.Lt(seq, _sndMax) && (len > 0 || fin))
        {
            Retransmits++;
            _counters.TcpRetransmittedSegments++;
        }
        _ackNow = false;
        _rcvSinceAck = 0;
        _delayedAckDeadline = ulong.MaxValue;
        return true;
    }

    private void SendSyn(ulong now)
    {
        bool ack = State == TcpState.SynReceived;
        // RFC 7323 2.2: a SYN-ACK carries the option only if the peer's SYN did.
        int scale = !ack || _peerScales ? _rcvScale : -1;
        int header = TcpSegmentBuilder.HeaderLength(true, scale >= 0);
        Span<byte> s = _engine.TxSegment(header);
        TcpSegmentBuilder.Write(s, LocalPort, RemotePort, _iss, ack ? _rcvNxt : 0, ack ? (byte)(TcpFlags.Syn | TcpFlags.Ack) : TcpFlags.Syn,
            (ushort)Math.Min(_rcv.Size, 65535), (ushort)OurMss, scale);
        _engine.Transmit(RemoteAddress, s);
    }

    /// <summary>The window field: free buffer space scaled down, with the right edge moved only
    /// in steps of at least one MSS or half the buffer (receiver SWS avoidance) and never back.</summary>
    private ushort WindowField()
    {
        uint right = _rcvRead + (uint)_rcv.Size;
        uint step = Math.Min((uint)_rcv.Size / 2, (uint)_mss);
        if (TcpSeq.Lt(_rcvAdvRight, _rcvNxt) || right - _rcvAdvRight >= step)
            _rcvAdvRight = right;
        uint wnd = TcpSeq.Gt(_rcvAdvRight, _rcvNxt) ? _rcvAdvRight - _rcvNxt : 0;
        wnd >>= _rcvScale;
        return (ushort)Math.Min(wnd, 65535u);
    }

    /// <summary>The earliest time this connection needs Tick.</summary>
    public ulong NextDeadline => Math.Min(Math.Min(Rto.Deadline, _delayedAckDeadline), _closeDeadline);

    public void Tick(ulong now)
    {
        if (State == TcpState.Closed)
            return;
        if (_closeDeadline <= now)
        {
            // TIME_WAIT is over, or FIN_WAIT_2 waited long enough for a peer that never closes.
            if (State == TcpState.FinWait2)
                _counters.TcpFinWait2Timeouts++;
            Terminate(TcpError.None);
            return;
        }
        if (Rto.Deadline <= now)
        {
            if (_persist)
                Probe(now);
            else
                OnRetransmitTimeout(now);
            if (State == TcpState.Closed)
                return;
        }
        if (_delayedAckDeadline <= now)
        {
            _delayedAckDeadline = ulong.MaxValue;
            _counters.TcpDelayedAcks++;
            _ackNow = true;
        }
        Output(now);
    }

    /// <summary>A zero-window probe: one byte beyond the window, which the peer acknowledges
    /// with its current window (RFC 9293 3.8.6.1). It does not count towards giving up.</summary>
    private void Probe(ulong now)
    {
        _counters.TcpPersistProbes++;
        if (TcpSeq.Gt(_sndEnd, _sndNxt) && SendSegment(_sndNxt, 1, false, now))
            _sndMax = TcpSeq.Max(_sndMax, _sndNxt + 1);
        Rto.Backoff();
        Rto.Start(now);
    }

    private void OnRetransmitTimeout(ulong now)
    {
        _retries++;
        bool syn = State == TcpState.SynSent || State == TcpState.SynReceived;
        if (_retries > (syn ? _config.SynRetries : _config.DataRetries))
        {
            _counters.TcpTimeouts++;
            Abort(TcpError.TimedOut);
            return;
        }
        _counters.TcpRetransmitTimeouts++;
        Rto.Backoff();
        _timing = false;   // Karn: no sample from a retransmitted segment
        if (syn)
        {
            Retransmits++;
            _counters.TcpRetransmittedSegments++;
            SendSyn(now);
            Rto.Start(now);
            return;
        }
        Congestion.OnTimeout(InFlight, _sndMax);
        _sndNxt = _sndUna;   // go back N: resend from the first unacknowledged byte
        Rto.Stop();
        Output(now);
        if (!Rto.Running)
            Rto.Start(now);
    }
}
