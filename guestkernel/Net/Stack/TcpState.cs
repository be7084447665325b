// The connection states of RFC 9293 section 3.3.2 and why a connection ended, as a socket
// reports them to the application.
namespace ParaKit.Net.Stack;

public enum TcpState
{
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

/// <summary>Why a connection failed; None while it is fine or after a clean close.</summary>
public enum TcpError
{
    None,
    /// <summary>The peer answered our SYN with a RST (nobody listens there).</summary>
    Refused,
    /// <summary>The peer reset an established connection.</summary>
    Reset,
    /// <summary>Retransmissions ran out (peer gone or unreachable).</summary>
    TimedOut,
    /// <summary>We aborted it (Abort, or Close with unread data).</summary>
    Aborted,
    /// <summary>Its slot was taken back (the stack ran out of connections while it sat in TIME_WAIT).</summary>
    Recycled,
}
