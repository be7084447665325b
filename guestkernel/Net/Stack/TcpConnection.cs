// One TCP connection's control block (RFC 9293 section 3.3.1): the send and receive sequence
// variables, its two preallocated buffers, and the pieces that each own one concern — the
// retransmission timer (TcpRetransmitTimer), congestion control (TcpCongestion) and the
// out-of-order ranges (TcpReassemblyQueue). This file holds its life (open, close, abort) and
// what the application calls; segment arrival is in TcpConnectionInput.cs, sending and timers
// in TcpConnectionOutput.cs. A slot is reused for a new connection once it is Closed and
// nobody holds it; Generation tells stale TcpSocket handles apart.
using System;

namespace ParaKit.Net.Stack;

internal sealed partial class TcpConnection
{
    private readonly TcpEngine _engine;
    private readonly NetStackCounters _counters;
    private readonly TcpConfig _config;
    private readonly TcpStreamBuffer _snd, _rcv;
    private readonly TcpReassemblyQueue _ooo;

    public readonly TcpRetransmitTimer Rto;
    public readonly TcpCongestion Congestion = new();

    public uint Generation;
    public TcpState State;
    public TcpError Error;
    public uint RemoteAddress;
    public ushort RemotePort, LocalPort;
    /// <summary>The accept queue this connection waits in, if it was not accepted yet.</summary>
    public TcpListener? Listener;
    /// <summary>The application (through a TcpSocket) or an accept queue holds it: the slot
    /// is not reused until it is released and Closed.</summary>
    public bool Held;
    public ulong Retransmits;

    // Send sequence space: [_sndUna, _sndNxt) in flight, [_sndNxt, _sndEnd) written but not sent;
    // _sndMax is the highest ever sent (SND.NXT goes back to SND.UNA after a timeout).
    private uint _iss, _sndUna, _sndNxt, _sndMax, _sndEnd, _finSeq;
    private bool _finQueued;
    private uint _sndWnd, _maxSndWnd, _sndWl1, _sndWl2;
    private int _sndScale, _rcvScale, _mss;
    private bool _peerScales;

    // Receive sequence space: [_rcvRead, _rcvNxt) readable (plus the FIN once received);
    // _rcvAdvRight is the right edge of the window last advertised.
    private uint _irs, _rcvNxt, _rcvRead, _rcvAdvRight, _peerFinSeq;
    private bool _peerFinPending, _finReceived;

    // ACK policy, RTT timing (one segment at a time, Karn's rule), other timers.
    private bool _ackNow, _persist, _timing;
    private int _rcvSinceAck;
    private uint _timedSeq;
    private ulong _timedAt, _delayedAckDeadline = ulong.MaxValue, _closeDeadline = ulong.MaxValue;
    private int _retries;

    public TcpConnection(TcpEngine engine, TcpConfig config, NetStackCounters counters, int sendBytes, int receiveBytes)
    {
        _engine = engine;
        _config = config;
        _counters = counters;
        _snd = new TcpStreamBuffer(sendBytes);
        _rcv = new TcpStreamBuffer(receiveBytes);
        _ooo = new TcpReassemblyQueue(config.OutOfOrderRanges);
        Rto = new TcpRetransmitTimer(config.MinRtoNs, config.MaxRtoNs, config.InitialRtoNs);
        int scale = 0;
        while ((receiveBytes >> scale) > 65535)
            scale++;
        _rcvScale = scale;
    }

    /// <summary>Closed and held by nobody: the slot can take a new connection.</summary>
    public bool IsFree => State == TcpState.Closed && !Held;

    public bool IsSynchronized => State >= TcpState.Established;

    public bool Matches(uint remoteIp, ushort remotePort, ushort localPort) =>
        State != TcpState.Closed && RemotePort == remotePort && LocalPort == localPort && RemoteAddress == remoteIp;

    // ---- opening ----

    private void Begin(uint remoteIp, ushort remotePort, ushort localPort, uint iss)
    {
        Generation++;
        Error = TcpError.None;
        RemoteAddress = remoteIp;
        RemotePort = remotePort;
        LocalPort = localPort;
        Listener = null;
        Held = true;
        Retransmits = 0;
        _iss = iss;
        _sndUna = _sndNxt = _sndMax = iss;
        _sndEnd = iss + 1;
        _finQueued = false;
        _sndWnd = _maxSndWnd = 0;
        _sndScale = 0;
        _peerScales = false;
        _mss = 536;   // RFC 9293 3.7.1: the default when the peer sends no MSS option
        _irs = _rcvNxt = _rcvRead = _rcvAdvRight = 0;
        _peerFinPending = _finReceived = false;
        _ooo.Clear();
        _ackNow = _persist = _timing = false;
        _rcvSinceAck = 0;
        _delayedAckDeadline = _closeDeadline = ulong.MaxValue;
        _retries = 0;
        Rto.Reset();
    }

    private int OurMss => _engine.MaxSegmentData;

    private void TakePeerOptions(ushort peerMss, int peerScale)
    {
        _mss = Math.Min(peerMss != 0 ? peerMss : 536, OurMss);
        _peerScales = peerScale >= 0;
        if (_peerScales)
        {
            _sndScale = peerScale;
        }
        else
        {
            _sndScale = 0;
            _rcvScale = 0;   // RFC 7323 2.2: scaling only when both SYNs carried the option
        }
        Congestion.Reset(_mss, _iss);
    }

    /// <summary>Active open: SYN_SENT with our SYN on the wire.</summary>
    public void OpenActive(uint remoteIp, ushort remotePort, ushort localPort, uint iss, ulong now)
    {
        Begin(remoteIp, remotePort, localPort, iss);
        RestoreScale();
        State = TcpState.SynSent;
        Congestion.Reset(_mss, iss);
        SendSyn(now);
        _sndNxt = _sndMax = iss + 1;
        StartTiming(iss, now);
        Rto.Start(now);
        _counters.TcpActiveOpens++;
    }

    /// <summary>Passive open completed by the peer's ACK: ESTABLISHED straight from the half-open
    /// entry (the caller then processes the ACK segment itself, which may carry data).</summary>
    public void OpenPassive(in TcpHalfOpen h, ulong now)
    {
        Begin(h.RemoteIp, h.RemotePort, h.LocalPort, h.Iss);
        RestoreScale();
        TakePeerOptions(h.PeerMss, h.PeerWindowScale);
        State = TcpState.Established;
        _sndUna = _sndNxt = _sndMax = h.Iss + 1;
        _irs = h.Irs;
        _rcvNxt = _rcvRead = h.Irs + 1;
        _rcvAdvRight = _rcvNxt + (uint)Math.Min(_rcv.Size, 65535);
        _sndWnd = _maxSndWnd = h.PeerWindow;   // a SYN's window is never scaled
        _sndWl1 = h.Irs;
        _sndWl2 = h.Iss;
        if (h.Retries == 0 && now > h.SentNs)
            Rto.Sample(now - h.SentNs);   // the SYN-ACK went once: its round trip is a clean sample
        _counters.TcpPassiveOpens++;
    }

    private void RestoreScale()
    {
        int scale = 0;
        while ((_rcv.Size >> scale) > 65535)
            scale++;
        _rcvScale = scale;
    }

    // ---- what the application calls ----

    public int BytesToRead => IsSynchronized || State == TcpState.Closed
        ? (int)(_rcvNxt - _rcvRead) - (_finReceived ? 1 : 0)
        : 0;

    public bool ReadEnded => Error != TcpError.None || (_finReceived && BytesToRead == 0);

    private bool Writable => Error == TcpError.None && !_finQueued
        && (State == TcpState.SynSent || State == TcpState.SynReceived || State == TcpState.Established || State == TcpState.CloseWait);

    private int SendBuffered
    {
        get
        {
            uint start = TcpSeq.Max(_sndUna, _iss + 1);
            return TcpSeq.Gt(start, _sndEnd) ? 0 : (int)(_sndEnd - start);
        }
    }

    public int SendSpace => Writable ? _snd.Size - SendBuffered : 0;

    public int Unacknowledged
    {
        get
        {
            if (State == TcpState.Closed)
                return 0;
            uint end = _finQueued ? _finSeq + 1 : _sndEnd;
            uint from = TcpSeq.Max(_sndUna, _iss + 1);
            return TcpSeq.Gt(end, from) ? (int)(end - from) : 0;
        }
    }

    public int Read(Span<byte> into)
    {
        if (Error != TcpError.None)
            return TcpSocket.Failed;
        int available = BytesToRead;
        if (available == 0)
        {
            if (_finReceived)
                return 0;
            return State == TcpState.Closed ? TcpSocket.Failed : TcpSocket.WouldBlock;
        }
        int n = Math.Min(available, into.Length);
        if (n == 0)
            return 0;
        _rcv.Read(_rcvRead, into.Slice(0, n));
        _rcvRead += (uint)n;
        // Tell the peer the window opened when it had closed to under half the buffer and
        // this read moved it by two segments (RFC 9293 3.8.6.2.2: no silly small updates).
        uint advertised = TcpSeq.Gt(_rcvAdvRight, _rcvNxt) ? _rcvAdvRight - _rcvNxt : 0;
        uint right = _rcvRead + (uint)_rcv.Size;
        if (IsSynchronized && advertised < (uint)_rcv.Size / 2 && right - _rcvAdvRight >= 2 * (uint)_mss)
        {
            _ackNow = true;
            _engine.OutputFromApplication(this);
        }
        return n;
    }

    public int Write(ReadOnlySpan<byte> data)
    {
        if (!Writable)
            return TcpSocket.Failed;
        int space = _snd.Size - SendBuffered;
        if (space == 0)
            return data.Length == 0 ? 0 : TcpSocket.WouldBlock;
        int n = Math.Min(space, data.Length);
        _snd.Write(_sndEnd, data.Slice(0, n));
        _sndEnd += (uint)n;
        if (IsSynchronized)
            _engine.OutputFromApplication(this);
        return n;
    }

    public void Shutdown()
    {
        if (_finQueued || Error != TcpError.None)
            return;
        switch (State)
        {
            case TcpState.SynSent:
                // Nothing was agreed yet: just forget the attempt (RFC 9293 3.10.4).
                State = TcpState.Closed;
                Rto.Stop();
                return;
            case TcpState.SynReceived:
            case TcpState.Established:
                State = TcpState.FinWait1;
                break;
            case TcpState.CloseWait:
                State = TcpState.LastAck;
                break;
            default:
                return;
        }
        _finQueued = true;
        _finSeq = _sndEnd;
        _engine.OutputFromApplication(this);
    }

    public void Close()
    {
        if (!Held)
            return;
        if (BytesToRead > 0 && Error == TcpError.None && State != TcpState.Closed)
        {
            Abort(TcpError.Aborted);
            return;
        }
        Held = false;
        Shutdown();
        if (State == TcpState.FinWait2 && _closeDeadline == ulong.MaxValue)
            _closeDeadline = _engine.Now + _config.FinWait2TimeoutNs;
    }

    /// <summary>Ends the connection now with a RST (when the peer has something to reset).
    /// Aborted is the application's own abort, which also releases the slot.</summary>
    public void Abort(TcpError error)
    {
        if (State != TcpState.Closed && State != TcpState.TimeWait && State != TcpState.SynSent)
        {
            _engine.SendReset(RemoteAddress, RemotePort, LocalPort, _sndNxt, 0, false);
        }
        Terminate(error);
        if (error == TcpError.Aborted)
            Held = false;
    }

    /// <summary>To Closed, with <paramref name="error"/> kept for the application; out of the
    /// accept queue if it never got there.</summary>
    private void Terminate(TcpError error)
    {
        if (Error == TcpError.None)
            Error = error;
        State = TcpState.Closed;
        Rto.Stop();
        _persist = false;
        _timing = false;
        _delayedAckDeadline = _closeDeadline = ulong.MaxValue;
        if (Listener != null)
        {
            Listener.Remove(this);   // nobody will accept a dead connection: release it
            Held = false;
        }
    }

    /// <summary>A slot in TIME_WAIT taken back for a new connection.</summary>
    public void Recycle()
    {
        Terminate(TcpError.Recycled);
        Held = false;
    }
}
