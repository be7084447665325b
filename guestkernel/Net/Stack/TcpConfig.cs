// TCP's sizes and timers (part of NetStackConfig). The defaults suit one fast connection on a
// LAN (256 KiB per direction with window scaling: > 1 Gbit/s at a 250 µs round trip) and a
// handful of concurrent ones; tests shorten the timers (TIME_WAIT, minimum RTO) to run quickly.
namespace ParaKit.Net.Stack;

public sealed class TcpConfig
{
    /// <summary>Connections (including TIME_WAIT ones) that can exist at once; each owns its two
    /// buffers, allocated on first use of its slot and reused afterwards.</summary>
    public int MaxConnections = 16;
    /// <summary>Ports listened on at once.</summary>
    public int MaxListeners = 8;
    /// <summary>Bytes per connection and direction; rounded up to a power of two (at least 4 KiB).</summary>
    public int SendBufferBytes = 256 * 1024;
    public int ReceiveBufferBytes = 256 * 1024;
    /// <summary>Half-open (SYN received, SYN-ACK sent) entries shared by all listeners. A flood
    /// evicts the oldest entry, never a connection, so a real client still gets through.</summary>
    public int HalfOpenEntries = 64;
    /// <summary>When the half-open table is full, answer further SYNs with SYN cookies (RFC 4987
    /// 3.6) instead of evicting the oldest entry.</summary>
    public bool SynCookies = true;
    /// <summary>A SYN cookie's clock tick; a cookie is accepted for one to two ticks.</summary>
    public ulong SynCookiePeriodNs = 64_000_000_000;
    /// <summary>Out-of-order byte ranges held per connection; a segment that would need more is
    /// dropped (and counted) for the sender to retransmit.</summary>
    public int OutOfOrderRanges = 32;
    /// <summary>RFC 6298: RTO bounds and the initial RTO (before any RTT sample).</summary>
    public ulong MinRtoNs = 200_000_000;
    public ulong MaxRtoNs = 60_000_000_000;
    public ulong InitialRtoNs = 1_000_000_000;
    /// <summary>TIME_WAIT lasts 2*MSL (RFC 9293 says MSL = 2 min; like Linux we use 60 s in all).</summary>
    public ulong TimeWaitNs = 60_000_000_000;
    /// <summary>How long an ACK may be held back for a second segment (RFC 9293: under 0.5 s).</summary>
    public ulong DelayedAckNs = 40_000_000;
    /// <summary>After the application closed, how long FIN_WAIT_2 waits for the peer's FIN.</summary>
    public ulong FinWait2TimeoutNs = 60_000_000_000;
    /// <summary>Retransmissions of one segment (SYN / data) before the connection is given up.</summary>
    public int SynRetries = 6;
    public int DataRetries = 15;
    /// <summary>SYN-ACK retransmissions for a half-open entry before it is dropped.</summary>
    public int SynAckRetries = 5;
    /// <summary>Mixed into initial sequence numbers (RFC 6528); set from something secret per boot.</summary>
    public ulong IssSecret = 0x9E37_79B9_7F4A_7C15;
}
