// The stack's counters: every frame the stack is handed ends delivered, answered or in exactly
// one drop reason, so a test (or /stats later) can tell why traffic vanished. Peer-controlled
// input is never trusted, so each way it can be wrong has its own counter.
namespace ParaKit.Net.Stack;

public sealed class NetStackCounters
{
    // Ethernet
    public ulong RxFrames, EthTruncated, EthNotForUs, EthUnknownType;

    // ARP
    public ulong ArpRx, ArpMalformed, ArpUnsupported, ArpBadSender, ArpConflict, ArpRequestsAnswered;
    public ulong ArpRequestsSent, ArpRepliesSent, ArpGratuitousSent, ArpResolveFailed, ArpQueueFull, ArpCacheEvictions;

    // IPv4 input
    public ulong IpRx, IpTruncated, IpBadVersion, IpBadHeaderLength, IpOptions, IpBadTotalLength;
    public ulong IpBadChecksum, IpBadFlags, IpTtlExpired, IpBadSource, IpNotForUs, IpUnknownProtocol, IpDelivered;

    // IPv4 fragments
    public ulong FragRx, FragBad, FragTooBig, FragInconsistent, FragTimeouts, FragEvicted, FragReassembled;

    // IPv4 output
    public ulong IpTx, TxNoRoute, TxTooBig, TxDeviceRefused;

    // ICMP
    public ulong IcmpRx, IcmpTruncated, IcmpBadChecksum, IcmpEchoRequests, IcmpEchoReplies, IcmpBroadcastIgnored, IcmpOther;

    // UDP
    public ulong UdpRx, UdpTruncated, UdpBadLength, UdpBadChecksum, UdpNoPort, UdpDelivered, UdpTx;

    // TCP input: malformed segments (dropped), and segments no connection or listener wanted
    public ulong TcpRx, TcpTx, TcpBroadcast, TcpTruncated, TcpBadDataOffset, TcpBadChecksum, TcpBadOptions, TcpBadFlags, TcpBadPort;
    public ulong TcpNoSocket, TcpRstSent, TcpRstReceived, TcpRstOutOfWindow, TcpChallengeAcks, TcpOutOfWindow, TcpNoAck;
    public ulong TcpBadAck, TcpAckTooNew, TcpAckTooOld, TcpSynDataIgnored, TcpZeroWindowDrops, TcpDataAfterFin, TcpDataAfterClose;

    // TCP data path
    public ulong TcpDuplicateSegments, TcpTrimmedBeyondWindow, TcpOutOfOrderQueued, TcpOutOfOrderDropped;
    public ulong TcpDuplicateAcks, TcpFastRetransmits, TcpPartialAckRetransmits, TcpRetransmitTimeouts, TcpRetransmittedSegments;
    public ulong TcpDelayedAcks, TcpPersistProbes, TcpTimeouts, TcpFinWait2Timeouts;

    // TCP connections
    public ulong TcpActiveOpens, TcpPassiveOpens, TcpSynReceived, TcpSynAckRetransmits, TcpHalfOpenEvicted, TcpHalfOpenTimeouts,
        TcpSynCookiesSent, TcpSynCookiesAccepted, TcpSynCookiesRejected;
    public ulong TcpAcceptQueueFull, TcpNoFreeConnection, TcpTimeWaitRecycled;
}
