// Segment arrival for one connection, in the order of RFC 9293 section 3.10.7.4: sequence
// acceptability, RST (RFC 5961 3.2: only an exact RCV.NXT match resets; others in the window
// get a challenge ACK), SYN (RFC 5961 4: a challenge ACK), the ACK (RFC 5961 5.2 range check,
// new data acknowledged, duplicate ACKs, the send window), the data, then the FIN.
using System;

namespace ParaKit.Net.Stack;

internal sealed partial class TcpConnection
{
    public void OnSegment(in TcpSegment seg, ulong now)
    {
        if (State == TcpState.SynSent)
        {
            OnSegmentSynSent(seg, now);
            return;
        }
        if (!Acceptable(seg, out bool zeroWindowProbe))
        {
            if (seg.Has(TcpFlags.Rst))
            {
                _counters.TcpRstOutOfWindow++;
                return;
            }
            _counters.TcpOutOfWindow++;
            SendAck(now);   // RFC 9293: answer an unacceptable segment with an ACK
            return;
        }
        if (seg.Has(TcpFlags.Rst))
        {
            if (seg.Seq != _rcvNxt)
            {
                _counters.TcpChallengeAcks++;
                SendAck(now);
                return;
            }
            _counters.TcpRstReceived++;
            Terminate(State == TcpState.SynReceived ? TcpError.Refused : TcpError.Reset);
            return;
        }
        if (seg.Has(TcpFlags.Syn))
        {
            _counters.TcpChallengeAcks++;
            SendAck(now);
            return;
        }
        if (!seg.Has(TcpFlags.Ack))
        {
            _counters.TcpNoAck++;
            return;
        }
        if (!OnAck(seg, now))
            return;
        if (State == TcpState.Closed)
            return;   // LAST_ACK ended
        if (!zeroWindowProbe)
            OnData(seg, now);
        if (State != TcpState.Closed)
            Output(now);
    }

    /// <summary>RFC 9293's acceptability table against the receive window, with the right edge
    /// itself allowed for a segment without data. A segment at RCV.NXT into a closed window still
    /// has its ACK (and RST) processed, only its data dropped.</summary>
    private bool Acceptable(in TcpSegment seg, out bool dataDropped)
    {
        dataDropped = false;
        uint wnd = ReceiveWindow;
        int len = seg.Length;
        bool ok;
        // A segment without data may sit exactly at the right edge (Linux's tcp_sequence does the
        // same): a peer that filled our window numbers its pure ACKs with its SND.MAX, which is
        // that edge while the segments before it are lost; refusing them would drop their ACKs.
        if (len == 0)
            ok = TcpSeq.Ge(seg.Seq, _rcvNxt) && TcpSeq.Le(seg.Seq, _rcvNxt + wnd);
        else
            ok = wnd != 0 && (InWindow(seg.Seq, wnd) || InWindow(seg.Seq + (uint)len - 1, wnd));
        if (!ok && wnd == 0 && seg.Seq == _rcvNxt)
        {
            dataDropped = true;
            _counters.TcpZeroWindowDrops++;
            return true;
        }
        return ok;
    }

    private bool InWindow(uint seq, uint wnd) => TcpSeq.Ge(seq, _rcvNxt) && TcpSeq.Lt(seq, _rcvNxt + wnd);

    /// <summary>Space to the right of RCV.NXT in the receive buffer.</summary>
    private uint ReceiveWindow => _rcvRead + (uint)_rcv.Size - _rcvNxt;

    private void OnSegmentSynSent(in TcpSegment seg, ulong now)
    {
        bool hasAck = seg.Has(TcpFlags.Ack);
        if (hasAck && (TcpSeq.Le(seg.Ack, _iss) || TcpSeq.Gt(seg.Ack, _sndMax)))
        {
            _counters.TcpBadAck++;
            if (!seg.Has(TcpFlags.Rst))
                _engine.SendReset(RemoteAddress, RemotePort, LocalPort, seg.Ack, 0, false);
            return;
        }
        if (seg.Has(TcpFlags.Rst))
        {
            if (hasAck)
            {
                _counters.TcpRstReceived++;
                Terminate(TcpError.Refused);
            }
            else
            {
                _counters.TcpRstOutOfWindow++;   // RFC 9293: a RST without an acceptable ACK is dropped
            }
            return;
        }
        if (!seg.Has(TcpFlags.Syn))
        {
            _counters.TcpNoAck++;
            return;
        }
        if (seg.Data.Length != 0)
            _counters.TcpSynDataIgnored++;   // the peer sends it again once we are synchronized
        _irs = seg.Seq;
        _rcvNxt = _rcvRead = seg.Seq + 1;
        TakePeerOptions(seg.Mss, seg.WindowScale);
        _rcvAdvRight = _rcvNxt + (uint)Math.Min(_rcv.Size, 65535);
        _sndWnd = _maxSndWnd = seg.Window;   // a SYN's window is never scaled
        _sndWl1 = seg.Seq;
        _sndWl2 = seg.Ack;
        if (hasAck)
        {
            _sndUna = seg.Ack;
            if (_timing)
            {
                Rto.Sample(now - _timedAt);
                _timing = false;
            }
            Rto.Stop();
            _retries = 0;
            State = TcpState.Established;
            _ackNow = true;
            Output(now);
        }
        else
        {
            // Simultaneous open (RFC 9293 figure 8): both SYNs crossed.
            State = TcpState.SynReceived;
            _timing = false;
            SendSyn(now);
            Rto.Start(now);
        }
    }

    /// <summary>The ACK field (step five). False when the segment is to be dropped.</summary>
    private bool OnAck(in TcpSegment seg, ulong now)
    {
        uint ack = seg.Ack;
        if (State == TcpState.SynReceived)
        {
            if (!TcpSeq.Gt(ack, _sndUna) || TcpSeq.Gt(ack, _sndMax))
            {
                _counters.TcpBadAck++;
                _engine.SendReset(RemoteAddress, RemotePort, LocalPort, ack, 0, false);
                return false;
            }
            State = TcpState.Established;
            Rto.Stop();
            _retries = 0;
            _sndWnd = (uint)seg.Window << _sndScale;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seg.Seq;
            _sndWl2 = ack;
        }
        if (TcpSeq.Gt(ack, _sndMax))
        {
            _counters.TcpAckTooNew++;
            SendAck(now);
            return false;
        }
        if (TcpSeq.Lt(ack, _sndUna - Math.Max(_maxSndWnd, 1u)))
        {
            _counters.TcpAckTooOld++;   // RFC 5961 5.2: older than anything in a window
            SendAck(now);
            return false;
        }
        uint wnd = (uint)seg.Window << _sndScale;
        bool advances = TcpSeq.Gt(ack, _sndUna);
        if (advances)
        {
            OnNewAck(ack, now);
        }
        else if (ack == _sndUna && seg.Data.Length == 0 && !seg.Has(TcpFlags.Fin) && wnd == _sndWnd && _sndMax != _sndUna && !_persist)
        {
            _counters.TcpDuplicateAcks++;
            if (Congestion.OnDuplicateAck(InFlight, _sndUna, _sndMax))
            {
                _counters.TcpFastRetransmits++;
                _timing = false;
                RetransmitFirst(now);
            }
        }
        // RFC 9293's SND.WL1/WL2 test, and also every ACK that moves SND.UNA (as Linux's
        // tcp_may_update_window does): SND.WND counts from SND.UNA, so keeping an old window
        // while SND.UNA moves would slide the right edge past what the peer offered. That happens
        // when the peer's retransmitted data (an older SEG.SEQ than its last pure ACK) brings the
        // newest ACK and a smaller window.
        if (advances || TcpSeq.Lt(_sndWl1, seg.Seq) || (_sndWl1 == seg.Seq && TcpSeq.Le(_sndWl2, ack)))
        {
            _sndWnd = wnd;
            _maxSndWnd = Math.Max(_maxSndWnd, wnd);
            _sndWl1 = seg.Seq;
            _sndWl2 = ack;
            if (_persist && wnd != 0)
            {
                _persist = false;
                if (_sndMax == _sndUna)
                    Rto.Stop();
            }
        }
        bool finAcked = _finQueued && TcpSeq.Gt(_sndUna, _finSeq);
        switch (State)
        {
            case TcpState.FinWait1:
                if (finAcked)
                {
                    State = TcpState.FinWait2;
                    if (!Held)
                        _closeDeadline = now + _config.FinWait2TimeoutNs;
                }
                break;
            case TcpState.Closing:
                if (finAcked)
                    EnterTimeWait(now);
                break;
            case TcpState.LastAck:
                if (finAcked)
                {
                    Terminate(TcpError.None);
                    return false;
                }
                break;
        }
        return true;
    }

    private int InFlight => (int)(_sndMax - _sndUna);

    private void OnNewAck(uint ack, ulong now)
    {
        int flight = InFlight;
        int acked = (int)(ack - _sndUna);
        _sndUna = ack;
        if (TcpSeq.Gt(ack, _sndNxt))
            _sndNxt = ack;
        if (_timing && TcpSeq.Gt(ack, _timedSeq))
        {
            Rto.Sample(now - _timedAt);
            _timing = false;
        }
        Rto.EndBackoff();
        _retries = 0;
        bool partial = Congestion.OnNewAck(acked, ack, flight);
        if (_sndUna == _sndMax)
            Rto.Stop();
        else
            Rto.Start(now);   // RFC 6298 5.3: restart on new data acknowledged
        if (partial)
        {
            _counters.TcpPartialAckRetransmits++;
            RetransmitFirst(now);
        }
    }

    /// <summary>The segment's text and FIN (steps seven and eight).</summary>
    private void OnData(in TcpSegment seg, ulong now)
    {
        uint seq = seg.Seq;
        ReadOnlySpan<byte> data = seg.Data;
        bool fin = seg.Has(TcpFlags.Fin);
        if (data.Length > 0 || fin)
        {
            if (State != TcpState.Established && State != TcpState.FinWait1 && State != TcpState.FinWait2)
            {
                _counters.TcpDataAfterFin++;   // the peer already ended its stream
                return;
            }
            if (!Held && data.Length > 0 && TcpSeq.Gt(seq + (uint)data.Length, _rcvNxt))
            {
                // Nobody will read it: tell the peer, as Linux does for data after close().
                _counters.TcpDataAfterClose++;
                Abort(TcpError.Aborted);
                return;
            }
        }
        if (fin && !_peerFinPending && !_finReceived)
        {
            uint finSeq = seq + (uint)data.Length;
            if (TcpSeq.Ge(finSeq, _rcvNxt) && TcpSeq.Lt(finSeq, _rcvNxt + ReceiveWindow + 1))
            {
                _peerFinSeq = finSeq;
                _peerFinPending = true;
            }
        }
        if (data.Length > 0)
            AcceptData(seq, data, now);
        if (_peerFinPending && _rcvNxt == _peerFinSeq)
        {
            _peerFinPending = false;
            _finReceived = true;
            _rcvNxt++;
            _ackNow = true;
            switch (State)
            {
                case TcpState.Established:
                    State = TcpState.CloseWait;
                    break;
                case TcpState.FinWait1:
                    if (_finQueued && TcpSeq.Gt(_sndUna, _finSeq))
                        EnterTimeWait(now);
                    else
                        State = TcpState.Closing;   // simultaneous close
                    break;
                case TcpState.FinWait2:
                    EnterTimeWait(now);
                    break;
            }
        }
    }

    private void AcceptData(uint seq, ReadOnlySpan<byte> data, ulong now)
    {
        if (TcpSeq.Lt(seq, _rcvNxt))
        {
            uint skip = _rcvNxt - seq;
            if (skip >= (uint)data.Length)
            {
                _counters.TcpDuplicateSegments++;
                _ackNow = true;   // the peer retransmitted what we have: our ACK was lost
                return;
            }
            data = data.Slice((int)skip);
            seq = _rcvNxt;
        }
        uint room = ReceiveWindow - (seq - _rcvNxt);
        if ((uint)data.Length > room)
        {
            _counters.TcpTrimmedBeyondWindow++;
            data = data.Slice(0, (int)room);
            if (data.Length == 0)
                return;
        }
        if (seq == _rcvNxt)
        {
            _rcv.Write(seq, data);
            _rcvNxt += (uint)data.Length;
            _rcvSinceAck += data.Length;
            if (_ooo.Count > 0)
            {
                _rcvNxt = _ooo.Advance(_rcvNxt);
                _ackNow = true;   // RFC 5681 4.2: ACK at once when a segment fills a gap
            }
            if (_rcvSinceAck >= 2 * _mss)
                _ackNow = true;   // every second full-sized segment
            else if (_delayedAckDeadline == ulong.MaxValue)
                _delayedAckDeadline = now + _config.DelayedAckNs;
            return;
        }
        if (!_ooo.Add(seq, seq + (uint)data.Length))
        {
            _counters.TcpOutOfOrderDropped++;
            _ackNow = true;
            return;
        }
        _rcv.Write(seq, data);
        _counters.TcpOutOfOrderQueued++;
        _ackNow = true;   // an out-of-order segment: a duplicate ACK at once (RFC 5681 4.2)
    }

    private void EnterTimeWait(ulong now)
    {
        State = TcpState.TimeWait;
        Rto.Stop();
        _persist = false;
        _closeDeadline = now + _config.TimeWaitNs;
    }
}
