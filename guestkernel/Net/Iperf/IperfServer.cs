// An iperf3 server (the `iperf3 -s` side of esnet/iperf 3.x) on the guest's sockets, so an
// unmodified `iperf3 -c` measures the guest: TCP and UDP, either direction (-R) or both
// (--bidir), -P streams, -t seconds, -l/-b. One test at a time, test after test; a client that
// comes while one runs gets ACCESS_DENIED, as from iperf3. The sequence, from the server's side:
//   control connection: cookie (37 bytes) -> PARAM_EXCHANGE -> the client's JSON parameters
//   (4-byte big-endian length, then the text) -> CREATE_STREAMS -> the client opens its streams
//   (TCP: a connection that sends the cookie first; UDP: a 4-byte datagram we answer with 4) ->
//   TEST_START, TEST_RUNNING -> data until the client sends TEST_END -> EXCHANGE_RESULTS, the
//   client's results JSON, ours -> DISPLAY_RESULTS -> the client's IPERF_DONE.
// Pure (time passed in, sockets from the stack): host tests drive it over a simulated wire.
using System;
using ParaKit.Net.Json;
using ParaKit.Net.Stack;

namespace ParaKit.Net.Iperf;

/// <summary>The outcome of one test, for the app's report line.</summary>
public struct IperfTestSummary
{
    public bool Udp, Reverse, Bidirectional, Completed;
    public int Streams;
    public ulong BytesReceived, BytesSent, DurationNs, UdpLost, UdpPackets, Retransmits;
    public double JitterMs;
    public string Outcome;
}

public sealed class IperfServer
{
    public const int MaxStreams = 16;
    private const int ControlBufferBytes = 64 * 1024;
    private const int DataChunkBytes = 64 * 1024;
    private const int MaxTcpBlockBytes = 1024 * 1024;   // iperf3's MAX_BLOCKSIZE
    private const ulong HandshakeTimeoutNs = 10_000_000_000;
    private const ulong RejectLingerNs = 2_000_000_000;

    private enum Phase : byte { Idle, Cookie, Parameters, CreateStreams, Running, ClientResults, Done }

    private readonly NetStack _stack;
    private readonly TcpListener _listener;
    private readonly UdpSocket _udpSocket;
    private readonly byte[] _controlIn = new byte[ControlBufferBytes];
    private readonly byte[] _controlOut = new byte[ControlBufferBytes];
    private readonly byte[] _cookie = new byte[IperfWire.CookieSize];
    private readonly byte[] _chunk = new byte[DataChunkBytes];
    private readonly byte[] _payload = new byte[DataChunkBytes];
    private readonly byte[] _results = new byte[16 * 1024];
    private readonly byte[] _udpReply = new byte[4];
    private readonly JsonWriter _json;
    private readonly DataStream[] _streams = new DataStream[MaxStreams];
    private readonly TcpSocket?[] _rejecting = new TcpSocket?[8];
    private readonly ulong[] _rejectingSince = new ulong[8];
    // TCP data connections accepted during CREATE_STREAMS whose cookie has not all arrived.
    private readonly TcpSocket?[] _pending = new TcpSocket?[MaxStreams];
    private readonly byte[][] _pendingCookie = new byte[MaxStreams][];
    private readonly int[] _pendingHave = new int[MaxStreams];

    private Phase _phase;
    private TcpSocket? _control;
    private int _controlInLength, _controlOutStart, _controlOutLength;
    private ulong _phaseSinceNs, _startNs, _endNs;
    private int _streamCount, _expectedStreams;
    // The parameters of the test being run.
    private bool _udp, _reverse, _bidirectional, _counters64;
    private int _parallel, _blockSize, _durationSeconds;
    private ulong _rateBitsPerSecond;

    public IperfServer(NetStack stack, TcpListener listener, UdpSocket udp)
    {
        _stack = stack;
        _listener = listener;
        _udpSocket = udp;
        _json = new JsonWriter(_results);
        for (int i = 0; i < MaxStreams; i++)
        {
            _streams[i] = new DataStream();
            _pendingCookie[i] = new byte[IperfWire.CookieSize];
        }
        for (int i = 0; i < _payload.Length; i++)
            _payload[i] = (byte)(i * 31 + 7);
    }

    /// <summary>Tests finished (successfully or not).</summary>
    public int TestsRun { get; private set; }

    /// <summary>Clients turned away because a test was running.</summary>
    public ulong AccessDenied { get; private set; }

    /// <summary>UDP datagrams on our port that belonged to no stream (or came outside a test).</summary>
    public ulong StrayDatagrams { get; private set; }

    /// <summary>Set when a test ends; the app prints it and clears it.</summary>
    public IperfTestSummary? LastTest;

    /// <summary>True while a test (from its cookie to IPERF_DONE) is in progress.</summary>
    public bool Busy => _phase != Phase.Idle;

    /// <summary>One turn: accept, move the control connection and the streams. True if anything moved.</summary>
    public bool Step(ulong nowNs)
    {
        bool progress = AcceptConnections(nowNs);
        progress |= ServiceRejected(nowNs);
        progress |= FlushControl();
        if (_phase != Phase.Idle)
            progress |= ServiceControl(nowNs);
        progress |= ServiceUdp(nowNs);
        if (_phase == Phase.CreateStreams)
            progress |= ServicePending(nowNs);
        if (_phase == Phase.Running)
            progress |= MoveData(nowNs);
        progress |= FlushControl();
        return progress;
    }

    private bool AcceptConnections(ulong nowNs)
    {
        bool any = false;
        for (TcpSocket? s; (s = _listener.Accept()) != null;)
        {
            any = true;
            if (_phase == Phase.Idle)
            {
                _control = s;
                _controlInLength = _controlOutStart = _controlOutLength = 0;
                Enter(Phase.Cookie, nowNs);
            }
            else if (_phase == Phase.CreateStreams && !_udp && AddPending(s))
            {
                // Its cookie says whether it is one of ours.
            }
            else
            {
                Reject(s, nowNs);
            }
        }
        return any;
    }

    private bool AddPending(TcpSocket s)
    {
        for (int i = 0; i < MaxStreams; i++)
        {
            if (_pending[i] != null)
                continue;
            _pending[i] = s;
            _pendingHave[i] = 0;
            return true;
        }
        return false;
    }

    // ACCESS_DENIED, then close once the byte is acknowledged: closing with the client's cookie
    // unread would reset the connection before the byte could tell it why.
    private void Reject(TcpSocket s, ulong nowNs)
    {
        AccessDenied++;
        Span<byte> denied = stackalloc byte[1];
        denied[0] = unchecked((byte)IperfState.AccessDenied);
        s.Write(denied);
        for (int i = 0; i < _rejecting.Length; i++)
        {
            if (_rejecting[i] != null)
                continue;
            _rejecting[i] = s;
            _rejectingSince[i] = nowNs;
            return;
        }
        s.Abort();
    }

    private bool ServiceRejected(ulong nowNs)
    {
        bool any = false;
        for (int i = 0; i < _rejecting.Length; i++)
        {
            TcpSocket? s = _rejecting[i];
            if (s is null)
                continue;
            while (s.Read(_chunk) > 0)
            {
            }
            if (s.Unacknowledged == 0 || s.IsClosed)
            {
                s.Close();
                _rejecting[i] = null;
                any = true;
            }
            else if (nowNs - _rejectingSince[i] > RejectLingerNs)
            {
                s.Abort();
                _rejecting[i] = null;
                any = true;
            }
        }
        return any;
    }

    private bool ServiceControl(ulong nowNs)
    {
        TcpSocket c = _control!;
        bool progress = false;
        int room = _controlIn.Length - _controlInLength;
        if (room > 0)
        {
            int n = c.Read(_controlIn.AsSpan(_controlInLength, room));
            if (n > 0)
            {
                _controlInLength += n;
                progress = true;
            }
            else if (n == 0 || n == TcpSocket.Failed)
            {
                Finish(nowNs, _phase == Phase.Done ? "done" : "the client closed the control connection", completed: _phase == Phase.Done);
                return true;
            }
        }
        while (_phase != Phase.Idle && Advance(nowNs))
            progress = true;
        if (_phase != Phase.Idle && _phase != Phase.Running && nowNs - _phaseSinceNs > HandshakeTimeoutNs)
        {
            Finish(nowNs, "timed out waiting for the client", completed: false);
            return true;
        }
        return progress;
    }

    // One protocol step on what the control connection has delivered; false when it needs more.
    private bool Advance(ulong nowNs)
    {
        switch (_phase)
        {
            case Phase.Cookie:
                if (_controlInLength < IperfWire.CookieSize)
                    return false;
                _controlIn.AsSpan(0, IperfWire.CookieSize).CopyTo(_cookie);
                Consume(IperfWire.CookieSize);
                SendState(IperfState.ParamExchange);
                Enter(Phase.Parameters, nowNs);
                return true;
            case Phase.Parameters:
            {
                if (!TakeJson(out int start, out int length, out bool tooBig))
                {
                    if (tooBig)
                        Fail(nowNs, IperfError.ReceiveParameters, "parameters longer than " + ControlBufferBytes.ToString() + " bytes");
                    return tooBig;
                }
                int error = ReadParameters(_controlIn.AsSpan(start, length), out string why);
                Consume(start + length);
                if (error != 0)
                {
                    Fail(nowNs, error, why);
                    return true;
                }
                _expectedStreams = _bidirectional ? 2 * _parallel : _parallel;
                _streamCount = 0;
                SendState(IperfState.CreateStreams);
                Enter(Phase.CreateStreams, nowNs);
                return true;
            }
            case Phase.CreateStreams:
            case Phase.Running:
            case Phase.Done:
                if (_controlInLength == 0)
                    return false;
                sbyte state = unchecked((sbyte)_controlIn[0]);
                Consume(1);
                return OnClientState(state, nowNs);
            case Phase.ClientResults:
            {
                if (!TakeJson(out int start, out int length, out bool tooBig))
                {
                    if (tooBig)
                        Finish(nowNs, "the client's results were longer than " + ControlBufferBytes.ToString() + " bytes", completed: false);
                    return tooBig;
                }
                bool valid = JsonReader.IsValid(_controlIn.AsSpan(start, length));
                Consume(start + length);
                if (!valid)
                {
                    Finish(nowNs, "the client's results are not JSON", completed: false);
                    return true;
                }
                SendResults();
                SendState(IperfState.DisplayResults);
                Enter(Phase.Done, nowNs);
                return true;
            }
        }
        return false;
    }

    private bool OnClientState(sbyte state, ulong nowNs)
    {
        switch (state)
        {
            case IperfState.TestStart:
                return true;
            case IperfState.TestEnd when _phase == Phase.Running:
                _endNs = nowNs;
                CloseStreams();
                SendState(IperfState.ExchangeResults);
                Enter(Phase.ClientResults, nowNs);
                return true;
            case IperfState.IperfDone when _phase == Phase.Done:
                Finish(nowNs, "done", completed: true);
                return true;
            case IperfState.ClientTerminate:
                _endNs = nowNs;
                Finish(nowNs, "the client terminated the test", completed: false);
                return true;
            default:
                Finish(nowNs, "unexpected state " + state.ToString() + " from the client", completed: false);
                return true;
        }
    }

    /// <summary>The client's parameters; 0, or the i_errno to answer with and why.</summary>
    private int ReadParameters(ReadOnlySpan<byte> p, out string why)
    {
        why = "";
        if (!JsonReader.IsValid(p))
        {
            why = "the parameters are not JSON";
            return IperfError.ReceiveParameters;
        }
        _udp = JsonReader.Has(p, "udp");
        if (!_udp && !JsonReader.Has(p, "tcp"))
        {
            why = "only TCP and UDP tests are served";
            return IperfError.Unimplemented;
        }
        _reverse = JsonReader.Has(p, "reverse");
        _bidirectional = JsonReader.Has(p, "bidirectional");
        _counters64 = JsonReader.Has(p, "udp_counters_64bit");
        _parallel = JsonReader.TryGetNumber(p, "parallel", out double parallel) ? (int)parallel : 1;
        _durationSeconds = JsonReader.TryGetNumber(p, "time", out double time) ? (int)time : 10;
        _blockSize = JsonReader.TryGetNumber(p, "len", out double len) ? (int)len : (_udp ? 1460 : 128 * 1024);
        _rateBitsPerSecond = JsonReader.TryGetNumber(p, "bandwidth", out double rate) && rate > 0 ? (ulong)rate : (_udp ? 1_048_576UL : 0);
        // -n/-k tests end the same way as -t ones: the client sends TEST_END.
        if (_parallel < 1 || (_bidirectional ? 2 * _parallel : _parallel) > MaxStreams)
        {
            why = "at most " + MaxStreams.ToString() + " streams";
            return IperfError.NumStreams;
        }
        int maxUdp = _stack.Mtu - 28;
        if (_udp && (_blockSize < IperfWire.UdpHeaderSize(_counters64) || _blockSize > maxUdp))
        {
            why = "UDP blocks must be " + IperfWire.UdpHeaderSize(_counters64).ToString() + ".." + maxUdp.ToString() + " bytes (the MTU; the stack does not fragment)";
            return IperfError.UdpBlockSize;
        }
        if (!_udp && (_blockSize < 1 || _blockSize > MaxTcpBlockBytes))
        {
            why = "TCP blocks must be 1.." + MaxTcpBlockBytes.ToString() + " bytes";
            return IperfError.BlockSize;
        }
        return 0;
    }

    private bool ServicePending(ulong nowNs)
    {
        bool any = false;
        for (int i = 0; i < MaxStreams; i++)
        {
            TcpSocket? s = _pending[i];
            if (s is null)
                continue;
            int n = s.Read(_pendingCookie[i].AsSpan(_pendingHave[i], IperfWire.CookieSize - _pendingHave[i]));
            if (n > 0)
            {
                _pendingHave[i] += n;
                any = true;
            }
            else if (n == 0 || n == TcpSocket.Failed)
            {
                s.Abort();
                _pending[i] = null;
                continue;
            }
            if (_pendingHave[i] < IperfWire.CookieSize)
                continue;
            _pending[i] = null;
            if (!_pendingCookie[i].AsSpan().SequenceEqual(_cookie) || _streamCount == _expectedStreams)
            {
                Reject(s, nowNs);
                continue;
            }
            AddStream(s, 0, 0, nowNs);
        }
        return any;
    }

    private void AddStream(TcpSocket? tcp, uint udpAddress, ushort udpPort, ulong nowNs)
    {
        DataStream d = _streams[_streamCount];
        // Server side: with --bidir the first `parallel` streams carry data to us, the rest from us.
        bool sender = _bidirectional ? _streamCount >= _parallel : _reverse;
        d.Open(IperfWire.StreamId(_streamCount), tcp, udpAddress, udpPort, sender);
        _streamCount++;
        if (_streamCount < _expectedStreams)
            return;
        SendState(IperfState.TestStart);
        SendState(IperfState.TestRunning);
        _startNs = nowNs;
        for (int i = 0; i < _streamCount; i++)
            _streams[i].StartNs = nowNs;
        Enter(Phase.Running, nowNs);
    }

    private bool ServiceUdp(ulong nowNs)
    {
        bool any = false;
        while (true)
        {
            int n = _udpSocket.Receive(_chunk, out uint from, out ushort port);
            if (n == TcpSocket.WouldBlock)
                return any;
            any = true;
            if (_phase == Phase.CreateStreams && _udp && n == 4 && FindUdpStream(from, port) == null && _streamCount < _expectedStreams)
            {
                AddStream(null, from, port, nowNs);
                IperfWire.PutLe32(_udpReply, IperfWire.UdpConnectReply);
                _udpSocket.SendTo(from, port, _udpReply);
                continue;
            }
            DataStream? d = FindUdpStream(from, port);
            if (d is null || _phase != Phase.Running || d.Sender)
            {
                StrayDatagrams++;
                continue;
            }
            if (!IperfWire.TryReadUdpHeader(_chunk.AsSpan(0, n), _counters64, out ulong sentUs, out ulong packet))
            {
                StrayDatagrams++;
                continue;
            }
            d.Udp.Add(n, sentUs, packet, nowNs / 1000);
        }
    }

    private DataStream? FindUdpStream(uint address, ushort port)
    {
        for (int i = 0; i < _streamCount; i++)
        {
            DataStream d = _streams[i];
            if (!d.IsTcp && d.UdpAddress == address && d.UdpPort == port)
                return d;
        }
        return null;
    }

    private bool MoveData(ulong nowNs)
    {
        bool any = false;
        for (int i = 0; i < _streamCount; i++)
        {
            DataStream d = _streams[i];
            if (d.Tcp != null)
            {
                if (d.Sender)
                {
                    // A stream of bytes: iperf3's block size (-l) only sizes its write calls.
                    while (d.Tcp.SendSpace > 0)
                    {
                        int n = d.Tcp.Write(_payload);
                        if (n <= 0)
                            break;
                        d.BytesSent += (ulong)n;
                        any = true;
                    }
                }
                else
                {
                    int n;
                    while ((n = d.Tcp.Read(_chunk)) > 0)
                    {
                        d.BytesReceived += (ulong)n;
                        any = true;
                    }
                }
            }
            else if (d.Sender)
            {
                any |= SendUdp(d, nowNs);
            }
        }
        return any;
    }

    // Paced at the client's -b (bits per second over the whole test, as iperf3's send timer
    // does); -b 0 means as fast as the device takes them.
    private bool SendUdp(DataStream d, ulong nowNs)
    {
        bool any = false;
        for (int burst = 0; burst < 64; burst++)
        {
            if (_rateBitsPerSecond != 0)
            {
                double due = (double)(nowNs - d.StartNs) * _rateBitsPerSecond / 8e9;
                if ((double)d.BytesSent + _blockSize > due)
                    break;
            }
            IperfWire.WriteUdpHeader(_payload, nowNs, d.UdpPackets + 1, _counters64);
            SendStatus st = _udpSocket.SendTo(d.UdpAddress, d.UdpPort, _payload.AsSpan(0, _blockSize));
            if (st != SendStatus.Sent)
                break;
            d.UdpPackets++;
            d.BytesSent += (ulong)_blockSize;
            any = true;
        }
        return any;
    }

    /// <summary>When the UDP sender next has a datagram due (the app sleeps until then at most).</summary>
    public ulong NextSendNs(ulong nowNs)
    {
        if (_phase != Phase.Running || !_udp || _rateBitsPerSecond == 0)
            return ulong.MaxValue;
        for (int i = 0; i < _streamCount; i++)
        {
            DataStream d = _streams[i];
            if (!d.Sender)
                continue;
            double at = ((double)d.BytesSent + _blockSize) * 8e9 / _rateBitsPerSecond;
            return d.StartNs + (ulong)at;
        }
        return ulong.MaxValue;
    }

    // Our results, as send_results writes them.
    private void SendResults()
    {
        bool anySender = false;
        for (int i = 0; i < _streamCount; i++)
            anySender |= _streams[i].Sender;
        int senderHasRetransmits = !anySender ? -1 : _udp ? 0 : 1;
        double seconds = (_endNs - _startNs) / 1e9;
        JsonWriter w = _json;
        w.Reset();
        w.BeginObject()
            .Member("cpu_util_total", 0.0)
            .Member("cpu_util_user", 0.0)
            .Member("cpu_util_system", 0.0)
            .Member("sender_has_retransmits", senderHasRetransmits);
        if (!_udp)
            w.Member("congestion_used", "newreno");
        w.Key("streams").BeginArray();
        for (int i = 0; i < _streamCount; i++)
        {
            DataStream d = _streams[i];
            bool udpReceiver = !d.IsTcp && !d.Sender;
            w.BeginObject()
                .Member("id", d.Id)
                .Member("bytes", d.Sender ? d.BytesSent : udpReceiver ? d.Udp.Bytes : d.BytesReceived)
                .Member("retransmits", d.Sender && senderHasRetransmits == 1 ? (long)d.Retransmits : -1)
                .Member("jitter", udpReceiver ? d.Udp.Jitter : 0.0)
                .Member("errors", udpReceiver ? d.Udp.Lost : 0UL)
                .Member("packets", d.Sender ? d.UdpPackets : udpReceiver ? d.Udp.HighestPacket : 0UL)
                .Member("start_time", 0.0)
                .Member("end_time", seconds)
                .EndObject();
        }
        w.EndArray().EndObject();
        int length = w.Length;
        if (w.Overflowed)
            return;   // 16 streams fit in 16 KiB many times over; the client would time out
        Span<byte> prefix = stackalloc byte[4];
        IperfWire.PutBe32(prefix, (uint)length);
        AppendControl(prefix);
        AppendControl(w.Written);
    }

    private void CloseStreams()
    {
        for (int i = 0; i < _streamCount; i++)
        {
            DataStream d = _streams[i];
            if (d.Tcp is null)
                continue;
            d.Retransmits = d.Tcp.Retransmits;
            // Count what arrived up to TEST_END, as iperf3 does before it closes the sockets.
            if (!d.Sender)
            {
                int n;
                while ((n = d.Tcp.Read(_chunk)) > 0)
                    d.BytesReceived += (ulong)n;
            }
            d.Tcp.Close();
            d.Tcp = null;
        }
    }

    private void Fail(ulong nowNs, int ierrno, string why)
    {
        Span<byte> msg = stackalloc byte[9];
        msg[0] = unchecked((byte)IperfState.ServerError);
        IperfWire.PutBe32(msg.Slice(1), (uint)ierrno);
        IperfWire.PutBe32(msg.Slice(5), 0);
        AppendControl(msg);
        FlushControl();
        Finish(nowNs, "refused: " + why, completed: false);
    }

    private void Finish(ulong nowNs, string outcome, bool completed)
    {
        CloseStreams();   // no-op after TEST_END, which closed them already
        if (_endNs == 0)
            _endNs = nowNs;
        var s = new IperfTestSummary
        {
            Udp = _udp,
            Reverse = _reverse,
            Bidirectional = _bidirectional,
            Completed = completed,
            Streams = _streamCount,
            DurationNs = _startNs != 0 && _endNs > _startNs ? _endNs - _startNs : 0,
            Outcome = outcome,
        };
        for (int i = 0; i < _streamCount; i++)
        {
            DataStream d = _streams[i];
            s.BytesSent += d.BytesSent;
            s.BytesReceived += d.IsTcp ? d.BytesReceived : d.Udp.Bytes;
            s.UdpLost += d.Udp.Lost;
            s.UdpPackets += d.Sender ? d.UdpPackets : d.Udp.HighestPacket;
            s.Retransmits += d.Retransmits;
            if (d.Udp.Jitter * 1000 > s.JitterMs)
                s.JitterMs = d.Udp.Jitter * 1000;
        }
        LastTest = s;
        TestsRun++;
        for (int i = 0; i < MaxStreams; i++)
        {
            _streams[i].Tcp = null;
            if (_pending[i] != null)
            {
                _pending[i]!.Abort();
                _pending[i] = null;
            }
        }
        _streamCount = 0;
        if (_control != null)
        {
            FlushControl();
            // Anything the client still sends is of no use now: a clean close needs nothing unread.
            while (_control.Read(_chunk) > 0)
            {
            }
            _control.Close();
            _control = null;
        }
        _startNs = _endNs = 0;
        _controlInLength = _controlOutStart = _controlOutLength = 0;
        _phase = Phase.Idle;
    }

    // A 4-byte big-endian length and that many bytes of JSON at the start of the input.
    private bool TakeJson(out int start, out int length, out bool tooBig)
    {
        start = 4;
        length = 0;
        tooBig = false;
        if (_controlInLength < 4)
            return false;
        uint n = IperfWire.GetBe32(_controlIn);
        if (n > ControlBufferBytes - 4)
        {
            tooBig = true;
            return false;
        }
        length = (int)n;
        return _controlInLength >= 4 + length;
    }

    private void Enter(Phase p, ulong nowNs)
    {
        _phase = p;
        _phaseSinceNs = nowNs;
    }

    private void Consume(int n)
    {
        int rest = _controlInLength - n;
        if (rest > 0)
            _controlIn.AsSpan(n, rest).CopyTo(_controlIn.AsSpan(0, rest));
        _controlInLength = rest;
    }

    private void SendState(sbyte state)
    {
        Span<byte> b = stackalloc byte[1];
        b[0] = unchecked((byte)state);
        AppendControl(b);
    }

    private void AppendControl(ReadOnlySpan<byte> data)
    {
        Compact();
        if (data.Length > _controlOut.Length - _controlOutLength)
            return;   // cannot happen with our message sizes; the client then times out
        data.CopyTo(_controlOut.AsSpan(_controlOutLength, data.Length));
        _controlOutLength += data.Length;
    }

    private void Compact()
    {
        if (_controlOutStart == 0)
            return;
        int live = _controlOutLength - _controlOutStart;
        _controlOut.AsSpan(_controlOutStart, live).CopyTo(_controlOut.AsSpan(0, live));
        _controlOutStart = 0;
        _controlOutLength = live;
    }

    private bool FlushControl()
    {
        if (_control is null || _controlOutStart == _controlOutLength)
            return false;
        int n = _control.Write(_controlOut.AsSpan(_controlOutStart, _controlOutLength - _controlOutStart));
        if (n <= 0)
            return false;
        _controlOutStart += n;
        if (_controlOutStart == _controlOutLength)
            _controlOutStart = _controlOutLength = 0;
        return true;
    }

    /// <summary>One data stream of the running test.</summary>
    private sealed class DataStream
    {
        public int Id;
        public TcpSocket? Tcp;
        public bool IsTcp;
        public uint UdpAddress;
        public ushort UdpPort;
        public bool Sender;
        public ulong StartNs, BytesSent, BytesReceived, UdpPackets, Retransmits;
        public UdpReceiveStats Udp;

        public void Open(int id, TcpSocket? tcp, uint udpAddress, ushort udpPort, bool sender)
        {
            Id = id;
            Tcp = tcp;
            IsTcp = tcp != null;
            UdpAddress = udpAddress;
            UdpPort = udpPort;
            Sender = sender;
            StartNs = BytesSent = BytesReceived = UdpPackets = Retransmits = 0;
            Udp = default;
        }
    }
}
