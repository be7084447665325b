// The application's handle on one TCP connection. Everything is non-blocking, as the guest is
// one cooperative loop: NetStack.Poll moves the bytes, and these calls only copy between the
// application and the connection's preallocated buffers (and send what the windows allow).
// A handle goes stale when its connection's slot is reused; a stale handle reads as Closed.
using System;

namespace ParaKit.Net.Stack;

public sealed class TcpSocket
{
    /// <summary>Read or Write: nothing can move now; try again after the next Poll.</summary>
    public const int WouldBlock = -1;
    /// <summary>Read or Write: the connection failed or this direction is closed (see <see cref="Error"/>).</summary>
    public const int Failed = -2;

    private readonly TcpConnection _c;
    private readonly uint _generation;

    internal TcpSocket(TcpConnection connection)
    {
        _c = connection;
        _generation = connection.Generation;
    }

    private bool Live => _c.Generation == _generation;

    public TcpState State => Live ? _c.State : TcpState.Closed;
    public TcpError Error => Live ? _c.Error : TcpError.Recycled;
    public uint RemoteAddress => _c.RemoteAddress;
    public ushort RemotePort => _c.RemotePort;
    public ushort LocalPort => _c.LocalPort;

    /// <summary>The handshake is done and the connection has not failed (Established or later,
    /// until Closed).</summary>
    public bool IsConnected => Live && _c.IsSynchronized && _c.Error == TcpError.None;

    /// <summary>Nothing more will happen on this connection: closed, reset, timed out, or in TIME_WAIT.</summary>
    public bool IsClosed => !Live || _c.State == TcpState.Closed || _c.State == TcpState.TimeWait;

    /// <summary>Bytes Read would return now.</summary>
    public int BytesToRead => Live ? _c.BytesToRead : 0;

    /// <summary>The peer sent FIN and every byte before it was read, or the connection failed:
    /// Read returns 0 (clean end) or Failed.</summary>
    public bool ReadEnded => !Live || _c.ReadEnded;

    /// <summary>Data or an end is waiting: Read will not return WouldBlock.</summary>
    public bool CanRead => BytesToRead > 0 || ReadEnded;

    /// <summary>Bytes Write would accept now (free space in the send buffer; 0 after Shutdown).</summary>
    public int SendSpace => Live ? _c.SendSpace : 0;

    /// <summary>Bytes written but not yet acknowledged by the peer; 0 once everything
    /// written has arrived (and, after Shutdown, the FIN too).</summary>
    public int Unacknowledged => Live ? _c.Unacknowledged : 0;

    /// <summary>Copies up to into.Length received bytes. Returns the count (> 0); 0 at the clean
    /// end of the stream (the peer's FIN, everything read); WouldBlock when nothing has arrived
    /// yet; Failed when the connection was reset, timed out, aborted or recycled.</summary>
    public int Read(Span<byte> into) => Live ? _c.Read(into) : Failed;

    /// <summary>Copies as much of data as the send buffer has room for and sends what the
    /// windows allow. Returns the count taken (> 0, or 0 for empty data); WouldBlock when the
    /// buffer is full; Failed after Shutdown/Close or when the connection failed.</summary>
    public int Write(ReadOnlySpan<byte> data) => Live ? _c.Write(data) : Failed;

    /// <summary>Half-close: a FIN follows the bytes already written; reading goes on.</summary>
    public void Shutdown()
    {
        if (Live)
            _c.Shutdown();
    }

    /// <summary>Shutdown and give up the handle: the stack finishes the close (FIN, TIME_WAIT)
    /// by itself and then reuses the slot. With unread data it aborts instead (RST), as Linux
    /// does, so the peer learns that data was lost.</summary>
    public void Close()
    {
        if (Live)
            _c.Close();
    }

    /// <summary>Sends a RST and frees the connection at once.</summary>
    public void Abort()
    {
        if (Live)
            _c.Abort(TcpError.Aborted);
    }

    /// <summary>Smoothed round trip, congestion window and retransmissions, for a done line.</summary>
    public ulong SmoothedRttNs => Live ? _c.Rto.SmoothedRttNs : 0;
    public int CongestionWindow => Live ? _c.Congestion.Window : 0;
    public ulong Retransmits => Live ? _c.Retransmits : 0;
}
