// The guest's network stack on one IEthernetDevice: Ethernet demux, ARP, IPv4 (checks, next
// hop, reassembly), ICMP echo, UDP, and TCP (TcpEngine) with its socket calls. Pure and single-threaded like the
// rest of the guest: the device and the time (ns) are passed in, so host tests drive it over
// a fake link. Input from the wire is checked before it is believed; anything wrong is counted
// in NetStackCounters and dropped, never thrown. Transmit frames are built in one preallocated
// buffer and receive paths work on the device's span, so steady traffic allocates nothing.
using System;
using ParaKit.Drivers;
using ParaKit.Net.Traffic;
using ParaKit.Protocols.Net;

namespace ParaKit.Net.Stack;

/// <summary>A UDP datagram for a bound port; the payload span is valid during the call only.</summary>
public delegate void UdpHandler(uint sourceIp, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload);

/// <summary>An ICMP echo reply (for a `ping` app); the data span is valid during the call only.</summary>
public delegate void EchoReplyHandler(uint sourceIp, ushort id, ushort sequence, ReadOnlySpan<byte> data);

public enum SendStatus
{
    /// <summary>Handed to the device.</summary>
    Sent,
    /// <summary>Parked until ARP resolves the next hop (sent then, or dropped and counted if it fails).</summary>
    Queued,
    /// <summary>Off-link destination and no gateway.</summary>
    NoRoute,
    /// <summary>Does not fit one frame (the stack does not fragment what it sends).</summary>
    TooBig,
    /// <summary>The ARP queue is full or the cache has no entry to spare.</summary>
    QueueFull,
    /// <summary>The device refused the frame (its counters say why).</summary>
    DeviceRefused,
}

/// <summary>Sizes and timers; the defaults suit a unikernel with a handful of peers.</summary>
public sealed class NetStackConfig
{
    public uint Address, Gateway;
    public int PrefixLength = 24;
    public int ArpEntries = 32;
    public int ArpPendingFrames = 16;
    public ulong ArpLifetimeNs = 60_000_000_000;
    public ulong ArpRetryNs = 1_000_000_000;
    public int ArpMaxRequests = 3;
    public int ReassemblySlots = 4;
    public int ReassemblyMaxPayload = Ipv4.MaxPacket - Ipv4.HeaderLength;
    public ulong ReassemblyTimeoutNs = 30_000_000_000;
    public int UdpPorts = 16;
    public byte Ttl = 64;
    /// <summary>TCP's pools, buffers and timers.</summary>
    public TcpConfig Tcp = new();
}

public sealed class NetStack
{
    private const int ArpLength = 28;
    private const int UdpHeader = 8, IcmpHeader = 8;

    private readonly IEthernetDevice _dev;
    private readonly FrameHandler _onFrame;
    private readonly byte[] _tx;
    private readonly Reassembler _reassembler;
    private readonly ushort[] _ports;
    private readonly UdpHandler?[] _handlers;
    private ushort _nextId;
    private readonly TcpEngine _tcp;
    private ulong _now;
    private bool _inPoll;
    private int _holdFlush;

    public uint Address { get; }
    public int PrefixLength { get; }
    public uint Gateway { get; }
    public uint Netmask { get; }
    public ulong Mac { get; }
    public int Mtu { get; }
    public byte Ttl { get; }
    public ArpCache Arp { get; }
    public NetStackCounters Counters { get; } = new();
    public EchoReplyHandler? OnEchoReply;

    public NetStack(IEthernetDevice device, NetStackConfig config)
    {
        _dev = device;
        Mac = Wire.ReadMac(device.Mac, 0);
        Mtu = device.Mtu;
        Address = config.Address;
        PrefixLength = config.PrefixLength;
        Netmask = Ipv4.Mask(config.PrefixLength);
        Gateway = config.Gateway;
        Ttl = config.Ttl;
        // Room for a TSO super-frame when the device takes them (netfront with feature-gso-tcpv4).
        _tx = new byte[Math.Max(Ethernet.HeaderLength + Mtu, Math.Min(device.MaxOffloadFrame, MaxSuperFrameBytes))];
        Arp = new ArpCache(config.ArpEntries, config.ArpPendingFrames, _tx.Length, config.ArpLifetimeNs, config.ArpRetryNs, config.ArpMaxRequests);
        _reassembler = new Reassembler(config.ReassemblySlots, config.ReassemblyMaxPayload, config.ReassemblyTimeoutNs);
        _ports = new ushort[config.UdpPorts];
        _handlers = new UdpHandler?[config.UdpPorts];
        _onFrame = OnFrame;   // one delegate for the stack's life: Poll allocates nothing
        _nextId = (ushort)(Mac ^ (Mac >> 16));
        _tcp = new TcpEngine(this, config.Tcp, Counters);
    }

    public int ReassemblyInUse => _reassembler.InUse;

    /// <summary>Announces us with a gratuitous ARP request (sender = target = our address), so
    /// peers and switches that knew an older MAC for the address update it.</summary>
    public void Start(ulong nowNs)
    {
        _now = nowNs;
        if (SendArp(1, Ethernet.Broadcast, 0, Address))
            Counters.ArpGratuitousSent++;
        _dev.Flush();
    }

    /// <summary>One turn of the event loop: up to <paramref name="budget"/> received frames,
    /// then the timers, then one flush for everything sent meanwhile.</summary>
    public int Poll(ulong nowNs, int budget)
    {
        _now = nowNs;
        _inPoll = true;
        int n = _dev.Poll(_onFrame, budget);
        Tick(nowNs);
        _inPoll = false;
        _dev.Flush();
        return n;
    }

    /// <summary>Handles one received frame (what Poll does per frame; tests call it directly).</summary>
    public void Receive(ReadOnlySpan<byte> frame, ulong nowNs)
    {
        _now = nowNs;
        OnFrame(frame);
    }

    /// <summary>The timers: ARP retries and give-ups, cache expiry, reassembly timeouts.</summary>
    public void Tick(ulong nowNs)
    {
        _now = nowNs;
        while (Arp.NextDue(nowNs, out uint ip, out bool giveUp))
        {
            if (giveUp)
            {
                Counters.ArpResolveFailed += (ulong)Arp.DropPending(ip);
            }
            else if (SendArp(1, Ethernet.Broadcast, 0, ip))
            {
                Counters.ArpRequestsSent++;
            }
        }
        _reassembler.Tick(nowNs);
        Counters.FragTimeouts = _reassembler.Timeouts;
        _tcp.Tick(nowNs);
        if (!_inPoll)
            _dev.Flush();
    }

    // ---- sockets ----

    /// <summary>The time of the latest Poll, Tick or Receive: what socket calls made between
    /// polls use as "now".</summary>
    public ulong NowNs => _now;

    /// <summary>The earliest time a TCP timer (retransmission, delayed ACK, TIME_WAIT, SYN-ACK
    /// retry) needs a Poll; ulong.MaxValue when none is running. An app that sleeps between
    /// polls wakes at the latest then.</summary>
    public ulong NextTimerNs => _tcp.NextDeadline;

    /// <summary>Connections in use (TIME_WAIT included) and half-open handshakes.</summary>
    public int TcpConnections => _tcp.ConnectionCount;
    public int TcpHalfOpen => _tcp.HalfOpenCount;

    /// <summary>Listens on a TCP port with an accept queue of <paramref name="backlog"/>
    /// connections. Null when the port is 0 or taken, backlog &lt; 1, or no listener slot is free.</summary>
    public TcpListener? ListenTcp(ushort port, int backlog) => _tcp.Listen(port, backlog);

    /// <summary>Starts connecting (SYN sent now, from an ephemeral port unless
    /// <paramref name="localPort"/> is given); watch the socket's State/IsConnected/Error.
    /// Null when no connection slot is free or the 4-tuple is in use.</summary>
    public TcpSocket? ConnectTcp(uint address, ushort port, ushort localPort = 0) => _tcp.Connect(address, port, localPort);

    /// <summary>Binds a UDP port with a receive queue of <paramref name="queueBytes"/> bytes and
    /// up to <paramref name="queueDatagrams"/> datagrams. Null when the port is 0 or taken or the
    /// port table is full.</summary>
    public UdpSocket? OpenUdp(ushort port, int queueBytes = 65536, int queueDatagrams = 64)
    {
        if (queueBytes < 1 || queueDatagrams < 1)
            return null;
        var s = new UdpSocket(this, port, queueBytes, queueDatagrams);
        return BindUdp(port, s.Handler) ? s : null;
    }

    // ---- UDP ports ----

    /// <summary>Delivers datagrams for <paramref name="port"/> to <paramref name="handler"/>.
    /// False when the port is taken, 0, or the table is full.</summary>
    public bool BindUdp(ushort port, UdpHandler handler)
    {
        if (port == 0 || FindPort(port) >= 0)
            return false;
        for (int i = 0; i < _ports.Length; i++)
        {
            if (_ports[i] == 0)
            {
                _ports[i] = port;
                _handlers[i] = handler;
                return true;
            }
        }
        return false;
    }

    public bool UnbindUdp(ushort port)
    {
        int i = FindPort(port);
        if (i < 0)
            return false;
        _ports[i] = 0;
        _handlers[i] = null;
        return true;
    }

    private int FindPort(ushort port)
    {
        for (int i = 0; i < _ports.Length; i++)
            if (_ports[i] == port)
                return i;
        return -1;
    }

    // ---- sending ----

    /// <summary>Sends one UDP datagram (checksummed) from our address.</summary>
    public SendStatus SendUdp(uint destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, ulong nowNs)
    {
        _now = nowNs;
        int udpLength = UdpHeader + payload.Length;
        if (Ipv4.HeaderLength + udpLength > Mtu)
        {
            Counters.TxTooBig++;
            return SendStatus.TooBig;
        }
        Span<byte> u = _tx.AsSpan(Ethernet.HeaderLength + Ipv4.HeaderLength, udpLength);
        Wire.WriteU16(u, 0, sourcePort);
        Wire.WriteU16(u, 2, destinationPort);
        Wire.WriteU16(u, 4, (ushort)udpLength);
        Wire.WriteU16(u, 6, 0);
        payload.CopyTo(u.Slice(UdpHeader));
        ulong sum = InternetChecksum.PseudoHeaderSum(Address, destination, Ipv4.ProtoUdp, udpLength);
        ushort check = InternetChecksum.Complete(InternetChecksum.Sum(u, sum));
        Wire.WriteU16(u, 6, check == 0 ? (ushort)0xFFFF : check);   // 0 means "no checksum" in UDP
        SendStatus s = SendIp(destination, Ipv4.ProtoUdp, udpLength);
        if (s == SendStatus.Sent || s == SendStatus.Queued)
            Counters.UdpTx++;
        return s;
    }

    /// <summary>Sends an ICMP echo request; replies reach <see cref="OnEchoReply"/>.</summary>
    public SendStatus SendPing(uint destination, ushort id, ushort sequence, ReadOnlySpan<byte> data, ulong nowNs)
    {
        _now = nowNs;
        int length = IcmpHeader + data.Length;
        if (Ipv4.HeaderLength + length > Mtu)
        {
            Counters.TxTooBig++;
            return SendStatus.TooBig;
        }
        Span<byte> m = _tx.AsSpan(Ethernet.HeaderLength + Ipv4.HeaderLength, length);
        data.CopyTo(m.Slice(IcmpHeader));
        WriteIcmpEcho(m, 8, id, sequence);
        return SendIp(destination, Ipv4.ProtoIcmp, length);
    }

    private static void WriteIcmpEcho(Span<byte> m, byte type, ushort id, ushort sequence)
    {
        m[0] = type;
        m[1] = 0;
        Wire.WriteU16(m, 2, 0);
        Wire.WriteU16(m, 4, id);
        Wire.WriteU16(m, 6, sequence);
        Wire.WriteU16(m, 2, InternetChecksum.Checksum(m));
    }

    /// <summary>Where a packet for <paramref name="destination"/> goes on the link: itself when
    /// on our subnet, else the gateway. 0 = no route. Broadcasts are answered by IsBroadcast.</summary>
    public uint NextHop(uint destination)
    {
        if ((destination & Netmask) == (Address & Netmask))
            return destination;
        return Gateway;
    }

    private bool IsBroadcast(uint a) =>
        a == Ipv4.LimitedBroadcast || (PrefixLength < 31 && a == (Address | ~Netmask));

    /// <summary>Where an upper layer builds an IP payload before SendIpPayload (Mtu - 20 bytes, or a
    /// super-frame's payload when the device does TSO).</summary>
    internal Span<byte> IpPayloadBuffer => _tx.AsSpan(Ethernet.HeaderLength + Ipv4.HeaderLength);

    /// <summary>The largest frame a TSO super-frame may be now (0: the device does no TSO).</summary>
    internal int MaxSuperFrame => Math.Min(_dev.MaxOffloadFrame, _tx.Length);

    /// <summary>Largest super-frame the stack builds, Ethernet header included (netif's packet size limit).</summary>
    private const int MaxSuperFrameBytes = 65535;

    /// <summary>Does the device fill in TCP/UDP checksums?</summary>
    internal bool ChecksumOffload => _dev.ChecksumOffload;

    /// <summary>Sends the payload built in IpPayloadBuffer. With <paramref name="checksumBlank"/> the
    /// L4 checksum is left to the device; with <paramref name="gsoSize"/> &gt; 0 the device cuts the
    /// TCP payload into segments of that size (TSO).</summary>
    internal SendStatus SendIpPayload(uint destination, byte protocol, int length, int gsoSize = 0, bool checksumBlank = false) =>
        SendIp(destination, protocol, length, gsoSize, checksumBlank);

    /// <summary>Between HoldFlush and ReleaseFlush, frames are queued on the device and flushed
    /// once at the end (a socket write that sends many segments notifies once).</summary>
    internal void HoldFlush() => _holdFlush++;

    internal void ReleaseFlush()
    {
        if (--_holdFlush == 0 && !_inPoll)
            _dev.Flush();
    }

    private bool FlushNow => !_inPoll && _holdFlush == 0;

    /// <summary>Wraps the <paramref name="payloadLength"/> bytes already at offset 34 of the TX
    /// buffer in IPv4 and Ethernet headers and sends or parks the frame.</summary>
    private SendStatus SendIp(uint destination, byte protocol, int payloadLength, int gsoSize = 0, bool checksumBlank = false)
    {
        int total = Ipv4.HeaderLength + payloadLength;
        Span<byte> frame = _tx.AsSpan(0, Ethernet.HeaderLength + total);
        Ipv4.WriteHeader(frame.Slice(Ethernet.HeaderLength), total, _nextId++, 0, Ttl, protocol, Address, destination);

        ulong mac;
        if (IsBroadcast(destination))
        {
            mac = Ethernet.Broadcast;
        }
        else
        {
            uint hop = NextHop(destination);
            if (hop == 0)
            {
                Counters.TxNoRoute++;
                return SendStatus.NoRoute;
            }
            if (!Arp.TryLookup(hop, _now, out mac))
            {
                // A parked frame goes out later as a plain frame: no super-frame, and its checksum now.
                if (gsoSize > 0)
                {
                    Counters.ArpQueueFull++;
                    return SendStatus.QueueFull;
                }
                if (checksumBlank)
                    FillChecksum(frame.Slice(Ethernet.HeaderLength + Ipv4.HeaderLength), protocol, destination);
                bool first = !Arp.IsResolving(hop);
                if (!Arp.StartResolve(hop, _now, ref Counters.ArpCacheEvictions) || !Arp.Enqueue(hop, frame))
                {
                    Counters.ArpQueueFull++;
                    return SendStatus.QueueFull;
                }
                // The ARP request reuses the TX buffer, so the frame is parked first.
                if (first && SendArp(1, Ethernet.Broadcast, 0, hop))
                    Counters.ArpRequestsSent++;
                if (FlushNow)
                    _dev.Flush();
                return SendStatus.Queued;
            }
        }
        Ethernet.WriteHeader(frame, mac, Mac, Ethernet.TypeIpv4);
        return Transmit(frame, gsoSize, checksumBlank);
    }

    /// <summary>The L4 checksum a device would have filled in (TCP or UDP over our address).</summary>
    private void FillChecksum(Span<byte> l4, byte protocol, uint destination)
    {
        int field = protocol == Ipv4.ProtoTcp ? 16 : 6;
        Wire.WriteU16(l4, field, 0);
        ulong sum = InternetChecksum.PseudoHeaderSum(Address, destination, protocol, l4.Length);
        ushort c = InternetChecksum.Complete(InternetChecksum.Sum(l4, sum));
        Wire.WriteU16(l4, field, protocol == Ipv4.ProtoUdp && c == 0 ? (ushort)0xFFFF : c);
    }

    private SendStatus Transmit(ReadOnlySpan<byte> frame, int gsoSize = 0, bool checksumBlank = false)
    {
        if (!(checksumBlank ? _dev.TrySendOffload(frame, gsoSize) : _dev.TrySend(frame)))
        {
            Counters.TxDeviceRefused++;
            return SendStatus.DeviceRefused;
        }
        Counters.IpTx++;
        if (FlushNow)
            _dev.Flush();
        return SendStatus.Sent;
    }

    /// <summary>An ARP packet in a 60-byte frame (padded to the Ethernet minimum).</summary>
    private bool SendArp(ushort op, ulong dstMac, ulong targetMac, uint targetIp)
    {
        Span<byte> f = _tx.AsSpan(0, Ethernet.MinFrame);
        f.Clear();
        Ethernet.WriteHeader(f, dstMac, Mac, Ethernet.TypeArp);
        Span<byte> a = f.Slice(Ethernet.HeaderLength);
        Wire.WriteU16(a, 0, 1);                 // hardware: Ethernet
        Wire.WriteU16(a, 2, Ethernet.TypeIpv4); // protocol: IPv4
        a[4] = 6;
        a[5] = 4;
        Wire.WriteU16(a, 6, op);
        Wire.WriteMac(a, 8, Mac);
        Wire.WriteU32(a, 14, Address);
        Wire.WriteMac(a, 18, targetMac);
        Wire.WriteU32(a, 24, targetIp);
        if (!_dev.TrySend(f))
        {
            Counters.TxDeviceRefused++;
            return false;
        }
        return true;
    }

    // ---- receiving ----

    private void OnFrame(ReadOnlySpan<byte> frame)
    {
        Counters.RxFrames++;
        if (frame.Length < Ethernet.HeaderLength)
        {
            Counters.EthTruncated++;
            return;
        }
        ulong dst = Wire.ReadMac(frame, 0);
        if (dst != Mac && dst != Ethernet.Broadcast)
        {
            Counters.EthNotForUs++;
            return;
        }
        ushort type = Wire.ReadU16(frame, 12);
        ReadOnlySpan<byte> body = frame.Slice(Ethernet.HeaderLength);
        if (type == Ethernet.TypeIpv4)
            ReceiveIpv4(body);
        else if (type == Ethernet.TypeArp)
            ReceiveArp(body);
        else
            Counters.EthUnknownType++;
    }

    private void ReceiveArp(ReadOnlySpan<byte> a)
    {
        Counters.ArpRx++;
        if (a.Length < ArpLength)
        {
            Counters.ArpMalformed++;
            return;
        }
        if (Wire.ReadU16(a, 0) != 1 || Wire.ReadU16(a, 2) != Ethernet.TypeIpv4 || a[4] != 6 || a[5] != 4)
        {
            Counters.ArpUnsupported++;
            return;
        }
        ushort op = Wire.ReadU16(a, 6);
        if (op != 1 && op != 2)
        {
            Counters.ArpUnsupported++;
            return;
        }
        ulong senderMac = Wire.ReadMac(a, 8);
        uint senderIp = Wire.ReadU32(a, 14);
        uint targetIp = Wire.ReadU32(a, 24);
        if (Ethernet.IsGroup(senderMac) || senderMac == 0 || IsBroadcast(senderIp) || Ipv4.IsMulticast(senderIp))
        {
            Counters.ArpBadSender++;
            return;
        }
        if (senderIp == Address && Address != 0)
        {
            // Someone else claims our address: never cache it (that would send our own
            // traffic to them); counting it is how an operator learns of the clash.
            Counters.ArpConflict++;
            return;
        }
        bool forUs = targetIp == Address && Address != 0;
        // An ARP probe (sender 0.0.0.0, RFC 5227) has no mapping to learn.
        if (senderIp != 0 && Arp.Update(senderIp, senderMac, _now, forUs, ref Counters.ArpCacheEvictions))
            FlushPending(senderIp, senderMac);
        if (op == 1 && forUs)
        {
            Counters.ArpRequestsAnswered++;
            if (SendArp(2, senderMac, senderMac, senderIp))
                Counters.ArpRepliesSent++;
        }
    }

    private void FlushPending(uint hop, ulong mac)
    {
        int slot;
        while ((slot = Arp.TakePending(hop)) >= 0)
        {
            Span<byte> f = Arp.PendingFrame(slot);
            Ethernet.WriteHeader(f, mac, Mac, Ethernet.TypeIpv4);
            Transmit(f);
            Arp.Release(slot);
        }
    }

    private void ReceiveIpv4(ReadOnlySpan<byte> p)
    {
        Counters.IpRx++;
        switch (Ipv4.Check(p, out int total))
        {
            case Ipv4Check.Ok: break;
            case Ipv4Check.Truncated: Counters.IpTruncated++; return;
            case Ipv4Check.BadVersion: Counters.IpBadVersion++; return;
            case Ipv4Check.BadHeaderLength: Counters.IpBadHeaderLength++; return;
            case Ipv4Check.Options: Counters.IpOptions++; return;
            case Ipv4Check.BadTotalLength: Counters.IpBadTotalLength++; return;
            case Ipv4Check.BadChecksum: Counters.IpBadChecksum++; return;
            default: Counters.IpBadFlags++; return;
        }
        Ipv4Info info;
        info.Source = Wire.ReadU32(p, 12);
        info.Destination = Wire.ReadU32(p, 16);
        info.Protocol = p[9];
        info.Ttl = p[8];
        info.Broadcast = IsBroadcast(info.Destination);
        info.ChecksumValidated = false;
        if (info.Ttl == 0)
        {
            // RFC 1122 3.2.1.7: a host never sends TTL 0, so such a packet is broken.
            Counters.IpTtlExpired++;
            return;
        }
        if (info.Destination != Address && !info.Broadcast)
        {
            Counters.IpNotForUs++;   // a host does not forward
            return;
        }
        if (IsBroadcast(info.Source) || Ipv4.IsMulticast(info.Source))
        {
            Counters.IpBadSource++;
            return;
        }
        ReadOnlySpan<byte> payload = p.Slice(Ipv4.HeaderLength, total - Ipv4.HeaderLength);
        ushort frag = Wire.ReadU16(p, 6);
        bool more = (frag & Ipv4.FlagMoreFragments) != 0;
        int offset = (frag & Ipv4.OffsetMask) * 8;
        if (!more && offset == 0)
            info.ChecksumValidated = _dev.RxChecksumValidated;
        if (more || offset != 0)
        {
            Counters.FragRx++;
            ReassemblyResult r = _reassembler.Add(info, Wire.ReadU16(p, 4), offset, more, payload, _now, out ReadOnlySpan<byte> whole);
            Counters.FragEvicted = _reassembler.Evictions;
            switch (r)
            {
                case ReassemblyResult.Pending: return;
                case ReassemblyResult.Bad: Counters.FragBad++; return;
                case ReassemblyResult.TooBig: Counters.FragTooBig++; return;
                case ReassemblyResult.Inconsistent: Counters.FragInconsistent++; return;
            }
            Counters.FragReassembled++;
            info = _reassembler.LastInfo;
            payload = whole;
        }
        Deliver(info, payload);
    }

    private void Deliver(in Ipv4Info info, ReadOnlySpan<byte> payload)
    {
        if (info.Protocol == Ipv4.ProtoUdp)
        {
            Counters.IpDelivered++;
            ReceiveUdp(info, payload);
        }
        else if (info.Protocol == Ipv4.ProtoIcmp)
        {
            Counters.IpDelivered++;
            ReceiveIcmp(info, payload);
        }
        else if (info.Protocol == Ipv4.ProtoTcp)
        {
            Counters.IpDelivered++;
            _tcp.Receive(info, payload, _now);
        }
        else
        {
            Counters.IpUnknownProtocol++;
        }
    }

    private void ReceiveIcmp(in Ipv4Info info, ReadOnlySpan<byte> m)
    {
        Counters.IcmpRx++;
        if (m.Length < IcmpHeader)
        {
            Counters.IcmpTruncated++;
            return;
        }
        if (InternetChecksum.Finish(InternetChecksum.Sum(m, 0)) != 0xFFFF)
        {
            Counters.IcmpBadChecksum++;
            return;
        }
        byte type = m[0];
        if (type == 8 && m[1] == 0)
        {
            if (info.Broadcast)
            {
                // As Linux's icmp_echo_ignore_broadcasts: no smurf amplifier.
                Counters.IcmpBroadcastIgnored++;
                return;
            }
            Counters.IcmpEchoRequests++;
            int length = m.Length;
            if (Ipv4.HeaderLength + length > Mtu)
            {
                Counters.TxTooBig++;   // a reassembled ping too large to answer unfragmented
                return;
            }
            Span<byte> r = _tx.AsSpan(Ethernet.HeaderLength + Ipv4.HeaderLength, length);
            m.CopyTo(r);
            WriteIcmpEcho(r, 0, Wire.ReadU16(m, 4), Wire.ReadU16(m, 6));
            SendIp(info.Source, Ipv4.ProtoIcmp, length);
        }
        else if (type == 0 && m[1] == 0)
        {
            Counters.IcmpEchoReplies++;
            OnEchoReply?.Invoke(info.Source, Wire.ReadU16(m, 4), Wire.ReadU16(m, 6), m.Slice(IcmpHeader));
        }
        else
        {
            Counters.IcmpOther++;
        }
    }

    private void ReceiveUdp(in Ipv4Info info, ReadOnlySpan<byte> u)
    {
        Counters.UdpRx++;
        if (u.Length < UdpHeader)
        {
            Counters.UdpTruncated++;
            return;
        }
        int length = Wire.ReadU16(u, 4);
        if (length < UdpHeader || length > u.Length)
        {
            Counters.UdpBadLength++;
            return;
        }
        u = u.Slice(0, length);
        if (Wire.ReadU16(u, 6) != 0 && !info.ChecksumValidated)   // 0: the sender did not checksum (allowed in IPv4)
        {
            ulong sum = InternetChecksum.PseudoHeaderSum(info.Source, info.Destination, Ipv4.ProtoUdp, length);
            if (InternetChecksum.Finish(InternetChecksum.Sum(u, sum)) != 0xFFFF)
            {
                Counters.UdpBadChecksum++;
                return;
            }
        }
        ushort dstPort = Wire.ReadU16(u, 2);
        int i = dstPort == 0 ? -1 : FindPort(dstPort);
        if (i < 0)
        {
            Counters.UdpNoPort++;
            return;
        }
        Counters.UdpDelivered++;
        _handlers[i]!(info.Source, Wire.ReadU16(u, 0), dstPort, u.Slice(UdpHeader));
    }
}
