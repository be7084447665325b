// TCP for one NetStack: checks each received segment (counted by reason when it is wrong),
// finds its connection, listener or half-open entry, answers strangers with a RST, runs the
// timers, and owns the fixed pools (connections with their buffers, listeners, the half-open
// table). The socket calls of NetStack (ListenTcp, ConnectTcp) end here.
using System;

namespace ParaKit.Net.Stack;

internal sealed class TcpEngine
{
    private const ushort FirstEphemeral = 49152;

    private readonly NetStack _stack;
    private readonly TcpConfig _config;
    private readonly NetStackCounters _counters;
    private readonly TcpConnection?[] _slots;
    private readonly TcpListener?[] _listeners;
    private readonly TcpSynQueue _syn;
    private readonly int _sendBytes, _receiveBytes, _rcvScale;
    private ushort _nextPort;

    public TcpEngine(NetStack stack, TcpConfig config, NetStackCounters counters)
    {
        _stack = stack;
        _config = config;
        _counters = counters;
        _slots = new TcpConnection?[Math.Max(1, config.MaxConnections)];
        _listeners = new TcpListener?[Math.Max(1, config.MaxListeners)];
        _syn = new TcpSynQueue(Math.Max(1, config.HalfOpenEntries));
        _sendBytes = TcpStreamBuffer.RoundSize(config.SendBufferBytes);
        _receiveBytes = TcpStreamBuffer.RoundSize(config.ReceiveBufferBytes);
        while ((_receiveBytes >> _rcvScale) > 65535)
            _rcvScale++;
        _nextPort = (ushort)(FirstEphemeral + (int)(config.IssSecret % 16384));
    }

    public ulong Now => _stack.NowNs;
    /// <summary>Our MSS: the largest TCP payload in one unfragmented packet on this device.</summary>
    public int MaxSegmentData => _stack.Mtu - Ipv4.HeaderLength - TcpSegment.HeaderLength;
    public int HalfOpenCount => _syn.InUse;

    public int ConnectionCount
    {
        get
        {
            int n = 0;
            foreach (TcpConnection? c in _slots)
                if (c != null && !c.IsFree)
                    n++;
            return n;
        }
    }

    // ---- sockets ----

    public TcpListener? Listen(ushort port, int backlog)
    {
        if (port == 0 || backlog < 1 || FindListener(port) != null)
            return null;
        for (int i = 0; i < _listeners.Length; i++)
        {
            if (_listeners[i] == null)
            {
                var l = new TcpListener(this, port, backlog);
                _listeners[i] = l;
                return l;
            }
        }
        return null;
    }

    public void RemoveListener(TcpListener l)
    {
        for (int i = 0; i < _listeners.Length; i++)
            if (_listeners[i] == l)
                _listeners[i] = null;
        _syn.RemovePort(l.Port);
    }

    public TcpSocket? Connect(uint remoteIp, ushort remotePort, ushort localPort)
    {
        if (remoteIp == 0 || remotePort == 0)
            return null;
        if (localPort == 0)
        {
            localPort = EphemeralPort(remoteIp, remotePort);
            if (localPort == 0)
                return null;
        }
        else if (FindConnection(remoteIp, remotePort, localPort) != null)
        {
            return null;
        }
        TcpConnection? c = TakeSlot();
        if (c == null)
            return null;
        ulong now = Now;
        _stack.HoldFlush();
        c.OpenActive(remoteIp, remotePort, localPort, NewIss(remoteIp, remotePort, localPort, now), now);
        _stack.ReleaseFlush();
        return new TcpSocket(c);
    }

    private ushort EphemeralPort(uint remoteIp, ushort remotePort)
    {
        for (int tries = 0; tries < 16384; tries++)
        {
            ushort p = _nextPort;
            _nextPort = _nextPort == 65535 ? FirstEphemeral : (ushort)(_nextPort + 1);
            if (FindListener(p) == null && FindConnection(remoteIp, remotePort, p) == null)
                return p;
        }
        return 0;
    }

    /// <summary>A free slot (its buffers made on first use), else the TIME_WAIT connection
    /// closest to its end; null, counted, when every slot is busy.</summary>
    private TcpConnection? TakeSlot()
    {
        TcpConnection? waiting = null;
        for (int i = 0; i < _slots.Length; i++)
        {
            TcpConnection? c = _slots[i];
            if (c == null)
            {
                c = new TcpConnection(this, _config, _counters, _sendBytes, _receiveBytes);
                _slots[i] = c;
                return c;
            }
            if (c.IsFree)
                return c;
            if (c.State == TcpState.TimeWait && (waiting == null || c.NextDeadline < waiting.NextDeadline))
                waiting = c;
        }
        if (waiting != null)
        {
            _counters.TcpTimeWaitRecycled++;
            waiting.Recycle();
            return waiting;
        }
        _counters.TcpNoFreeConnection++;
        return null;
    }

    /// <summary>Called by a connection when the application wrote, read or closed: its
    /// segments go out with one flush at the end.</summary>
    public void OutputFromApplication(TcpConnection c)
    {
        _stack.HoldFlush();
        c.Output(Now);
        _stack.ReleaseFlush();
    }

    // ---- receiving ----

    public void Receive(in Ipv4Info info, ReadOnlySpan<byte> payload, ulong now)
    {
        _counters.TcpRx++;
        if (info.Broadcast)
        {
            _counters.TcpBroadcast++;   // TCP is unicast only
            return;
        }
        switch (TcpSegment.Parse(payload, info.Source, info.Destination, out TcpSegment seg, info.ChecksumValidated))
        {
            case TcpParse.Ok: break;
            case TcpParse.Truncated: _counters.TcpTruncated++; return;
            case TcpParse.BadDataOffset: _counters.TcpBadDataOffset++; return;
            case TcpParse.BadChecksum: _counters.TcpBadChecksum++; return;
            case TcpParse.BadOptions: _counters.TcpBadOptions++; return;
            case TcpParse.BadFlags: _counters.TcpBadFlags++; return;
            default: _counters.TcpBadPort++; return;
        }
        TcpConnection? c = FindConnection(info.Source, seg.SourcePort, seg.DestinationPort);
        if (c != null)
        {
            c.OnSegment(seg, now);
            return;
        }
        TcpListener? l = FindListener(seg.DestinationPort);
        if (l != null)
        {
            OnListenerSegment(l, info.Source, seg, now);
            return;
        }
        _counters.TcpNoSocket++;
        Refuse(info.Source, seg);
    }

    /// <summary>RFC 9293 3.10.7.1: a segment for no connection gets a RST (never a RST for a RST).</summary>
    private void Refuse(uint remoteIp, in TcpSegment seg)
    {
        if (seg.Has(TcpFlags.Rst))
            return;
        if (seg.Has(TcpFlags.Ack))
            SendReset(remoteIp, seg.SourcePort, seg.DestinationPort, seg.Ack, 0, false);
        else
            SendReset(remoteIp, seg.SourcePort, seg.DestinationPort, 0, seg.Seq + (uint)seg.Length, true);
    }

    private void OnListenerSegment(TcpListener l, uint remoteIp, in TcpSegment seg, ulong now)
    {
        int h = _syn.Find(remoteIp, seg.SourcePort, seg.DestinationPort);
        if (seg.Has(TcpFlags.Rst))
        {
            // Only a RST exactly at the sequence we expect ends a half-open entry (RFC 5961 3.2).
            if (h >= 0 && seg.Seq == _syn[h].Irs + 1)
            {
                _counters.TcpRstReceived++;
                _syn.Remove(h);
            }
            else
            {
                _counters.TcpRstOutOfWindow++;
            }
            return;
        }
        if (seg.Has(TcpFlags.Syn))
        {
            if (seg.Has(TcpFlags.Ack))
            {
                _counters.TcpBadAck++;
                Refuse(remoteIp, seg);
                return;
            }
            if (h >= 0)
            {
                if (seg.Seq == _syn[h].Irs)
                {
                    _counters.TcpSynAckRetransmits++;   // our SYN-ACK was lost: send it again
                    SendSynAck(ref _syn[h]);
                }
                else
                {
                    _counters.TcpOutOfWindow++;   // a second SYN with another ISN for the same tuple
                }
                return;
            }
            if (seg.Data.Length != 0)
                _counters.TcpSynDataIgnored++;
            h = _syn.Take(out bool evicted);
            if (evicted && _config.SynCookies)
            {
                // The table is full: remember nothing, answer with a cookie (RFC 4987 3.6), so the
                // entries of clients already in the table stay.
                SendCookieSynAck(remoteIp, seg, now);
                return;
            }
            if (evicted)
                _counters.TcpHalfOpenEvicted++;
            ref TcpHalfOpen e = ref _syn[h];
            e.InUse = true;
            e.RemoteIp = remoteIp;
            e.RemotePort = seg.SourcePort;
            e.LocalPort = seg.DestinationPort;
            e.Irs = seg.Seq;
            e.Iss = NewIss(remoteIp, seg.SourcePort, seg.DestinationPort, now);
            e.PeerMss = seg.Mss;
            e.PeerWindowScale = seg.WindowScale;
            e.PeerWindow = seg.Window;
            e.CreatedNs = now;
            e.SentNs = now;
            e.Retries = 0;
            e.NextRetryNs = now + _config.InitialRtoNs;
            _counters.TcpSynReceived++;
            SendSynAck(ref e);
            return;
        }
        if (!seg.Has(TcpFlags.Ack))
        {
            _counters.TcpNoAck++;
            return;
        }
        if (h < 0 && CookieRecent(now))
        {
            if (TcpSynCookie.Check(_config.IssSecret, remoteIp, seg.SourcePort, _stack.Address, seg.DestinationPort, seg.Seq, seg.Ack,
                now, _config.SynCookiePeriodNs, out ushort mss))
            {
                AcceptCookie(l, remoteIp, seg, mss, now);
                return;
            }
            _counters.TcpSynCookiesRejected++;
        }
        if (h < 0 || seg.Ack != _syn[h].Iss + 1 || seg.Seq != _syn[h].Irs + 1)
        {
            // An ACK for a handshake we do not know (evicted, or forged): RST as for no socket.
            _counters.TcpNoSocket++;
            Refuse(remoteIp, seg);
            return;
        }
        if (l.IsFull)
        {
            // Like Linux: drop the ACK and keep the entry; our SYN-ACK retransmission (or the
            // client's data) tries again once the application accepted.
            _counters.TcpAcceptQueueFull++;
            return;
        }
        TcpConnection? c = TakeSlot();
        if (c == null)
            return;
        c.OpenPassive(_syn[h], now);
        _syn.Remove(h);
        l.Enqueue(c);
        c.OnSegment(seg, now);
    }

    /// <summary>When a cookie was last sent (0: never). A final ACK is only checked as a cookie
    /// while cookies may be outstanding, so random ACKs are not tried against the hash forever.</summary>
    private ulong _lastCookieNs;

    private bool CookieRecent(ulong now) =>
        _config.SynCookies && _lastCookieNs != 0 && now - _lastCookieNs < TcpSynCookie.MaxAge * _config.SynCookiePeriodNs;

    private void SendCookieSynAck(uint remoteIp, in TcpSegment seg, ulong now)
    {
        var e = new TcpHalfOpen
        {
            RemoteIp = remoteIp,
            RemotePort = seg.SourcePort,
            LocalPort = seg.DestinationPort,
            Irs = seg.Seq,
            Iss = TcpSynCookie.Make(_config.IssSecret, remoteIp, seg.SourcePort, _stack.Address, seg.DestinationPort, seg.Seq, seg.Mss,
                now, _config.SynCookiePeriodNs),
            PeerWindowScale = -1,   // a cookie cannot keep it: offer none, so neither side scales
        };
        _lastCookieNs = now == 0 ? 1 : now;
        _counters.TcpSynCookiesSent++;
        SendSynAck(ref e);
    }

    /// <summary>The final ACK of a cookie handshake: the connection as the cookie describes it.</summary>
    private void AcceptCookie(TcpListener l, uint remoteIp, in TcpSegment seg, ushort mss, ulong now)
    {
        if (l.IsFull)
        {
            _counters.TcpAcceptQueueFull++;   // nothing to keep: the client's next segment tries again
            return;
        }
        TcpConnection? c = TakeSlot();
        if (c == null)
            return;
        var h = new TcpHalfOpen
        {
            RemoteIp = remoteIp,
            RemotePort = seg.SourcePort,
            LocalPort = seg.DestinationPort,
            Iss = seg.Ack - 1,
            Irs = seg.Seq - 1,
            PeerMss = mss,
            PeerWindowScale = -1,
            PeerWindow = seg.Window,
            SentNs = now,
            Retries = 1,   // no clean round-trip sample: we do not know when the SYN-ACK went
        };
        _counters.TcpSynCookiesAccepted++;
        c.OpenPassive(h, now);
        l.Enqueue(c);
        c.OnSegment(seg, now);
    }

    private void SendSynAck(ref TcpHalfOpen e)
    {
        int scale = e.PeerWindowScale >= 0 ? _rcvScale : -1;
        Span<byte> s = TxSegment(TcpSegmentBuilder.HeaderLength(true, scale >= 0));
        TcpSegmentBuilder.Write(s, e.LocalPort, e.RemotePort, e.Iss, e.Irs + 1, TcpFlags.Syn | TcpFlags.Ack,
            (ushort)Math.Min(_receiveBytes, 65535), (ushort)MaxSegmentData, scale);
        Transmit(e.RemoteIp, s);
    }

    // ---- timers ----

    public void Tick(ulong now)
    {
        foreach (TcpConnection? c in _slots)
            if (c != null && c.State != TcpState.Closed)
                c.Tick(now);
        for (int i = 0; i < _syn.Capacity; i++)
        {
            ref TcpHalfOpen e = ref _syn[i];
            if (!e.InUse || e.NextRetryNs > now)
                continue;
            if (e.Retries >= _config.SynAckRetries)
            {
                _counters.TcpHalfOpenTimeouts++;
                _syn.Remove(i);
                continue;
            }
            e.Retries++;
            e.NextRetryNs = now + (_config.InitialRtoNs << e.Retries);
            _counters.TcpSynAckRetransmits++;
            SendSynAck(ref e);
        }
    }

    public ulong NextDeadline
    {
        get
        {
            ulong next = ulong.MaxValue;
            foreach (TcpConnection? c in _slots)
                if (c != null && c.State != TcpState.Closed)
                    next = Math.Min(next, c.NextDeadline);
            for (int i = 0; i < _syn.Capacity; i++)
                if (_syn[i].InUse)
                    next = Math.Min(next, _syn[i].NextRetryNs);
            return next;
        }
    }

    // ---- sending ----

    public Span<byte> TxSegment(int length) => _stack.IpPayloadBuffer.Slice(0, length);

    /// <summary>Data bytes of the largest TSO super-segment the device takes now (0: no TSO).</summary>
    public int MaxSuperSegmentData => _stack.MaxSuperFrame > 0
        ? _stack.MaxSuperFrame - Ethernet.HeaderLength - Ipv4.HeaderLength - TcpSegment.HeaderLength : 0;

    /// <summary>Checksums (or leaves the checksum to a device that fills it in) and sends the segment
    /// built in TxSegment; with <paramref name="gsoSize"/> &gt; 0 it is a super-segment the device cuts
    /// into segments of that many bytes. False only when the device refused it (the caller retries
    /// later); ARP parking and other losses count as sent.</summary>
    public bool Transmit(uint remoteIp, Span<byte> segment, int gsoSize = 0)
    {
        bool offload = _stack.ChecksumOffload;
        if (!offload)
            TcpSegmentBuilder.Checksum(segment, _stack.Address, remoteIp);
        SendStatus s = _stack.SendIpPayload(remoteIp, Ipv4.ProtoTcp, segment.Length, gsoSize, offload);
        if (s == SendStatus.DeviceRefused)
            return false;
        _counters.TcpTx++;
        return true;
    }

    public void SendReset(uint remoteIp, ushort remotePort, ushort localPort, uint seq, uint ack, bool withAck)
    {
        Span<byte> s = TxSegment(TcpSegment.HeaderLength);
        TcpSegmentBuilder.Write(s, localPort, remotePort, seq, ack, withAck ? (byte)(TcpFlags.Rst | TcpFlags.Ack) : TcpFlags.Rst, 0, 0, -1);
        if (Transmit(remoteIp, s))
            _counters.TcpRstSent++;
    }

    // ---- lookups ----

    private TcpConnection? FindConnection(uint remoteIp, ushort remotePort, ushort localPort)
    {
        foreach (TcpConnection? c in _slots)
            if (c != null && c.Matches(remoteIp, remotePort, localPort))
                return c;
        return null;
    }

    private TcpListener? FindListener(ushort port)
    {
        foreach (TcpListener? l in _listeners)
            if (l != null && l.Port == port)
                return l;
        return null;
    }

    /// <summary>RFC 6528: a clock that ticks every 4 µs plus a keyed hash of the connection, so
    /// sequence numbers of a new incarnation lie ahead of the old one and are hard to guess.
    /// (The hash is a good mixer, not a cryptographic PRF: the guest runtime has none.)</summary>
    private uint NewIss(uint remoteIp, ushort remotePort, ushort localPort, ulong now)
    {
        ulong x = _config.IssSecret ^ ((ulong)remoteIp << 32 | (ulong)remotePort << 16 | localPort) ^ ((ulong)_stack.Address << 7);
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCD;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53;
        x ^= x >> 33;
        return (uint)(now / 4000) + (uint)x;
    }
}
