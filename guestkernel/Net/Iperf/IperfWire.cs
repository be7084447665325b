// iperf3's wire protocol (esnet/iperf 3.x, src/iperf_api.h, iperf.h, iperf_udp.c), the facts a
// server needs: the control connection's one-byte states, the 37-byte cookie, the UDP "connect"
// datagrams and the UDP data header, and the error numbers a SERVER_ERROR carries.
using System;

namespace ParaKit.Net.Iperf;

/// <summary>Control-connection states: one signed byte each (iperf_api.h).</summary>
public static class IperfState
{
    public const sbyte TestStart = 1, TestRunning = 2, TestEnd = 4;
    public const sbyte ParamExchange = 9, CreateStreams = 10, ServerTerminate = 11, ClientTerminate = 12;
    public const sbyte ExchangeResults = 13, DisplayResults = 14, IperfStart = 15, IperfDone = 16;
    public const sbyte AccessDenied = -1, ServerError = -2;
}

/// <summary>i_errno values a SERVER_ERROR reports (iperf_api.h's enum), the few we use.</summary>
public static class IperfError
{
    public const int NumStreams = 6, BlockSize = 7, Unimplemented = 13, UdpBlockSize = 20, ReceiveParameters = 114;
}

public static class IperfWire
{
    public const ushort DefaultPort = 5201;

    /// <summary>The client's random id: 36 ASCII characters and a NUL, first on every TCP connection of a test.</summary>
    public const int CookieSize = 37;

    /// <summary>The UDP "connect" datagram and its answer are 4-byte integers the client and server
    /// write in their own byte order (x86: little-endian): UDP_CONNECT_MSG 0x36373839 and
    /// UDP_CONNECT_REPLY 0x39383736; old servers answered 987654321.</summary>
    public const uint UdpConnectMessage = 0x36373839, UdpConnectReply = 0x39383736, LegacyUdpConnectReply = 987654321;

    /// <summary>Each UDP data datagram starts with the send time (seconds, microseconds) and a
    /// packet number counting from 1, all big-endian: 32-bit (12 bytes) or, when the client asked
    /// for udp_counters_64bit, 64-bit (16 bytes).</summary>
    public static int UdpHeaderSize(bool counters64) => counters64 ? 16 : 12;

    public static void WriteUdpHeader(Span<byte> into, ulong sendTimeNs, ulong packet, bool counters64)
    {
        ulong secs = sendTimeNs / 1_000_000_000, usecs = sendTimeNs % 1_000_000_000 / 1000;
        PutBe32(into, (uint)secs);
        PutBe32(into.Slice(4), (uint)usecs);
        if (counters64)
        {
            PutBe32(into.Slice(8), (uint)(packet >> 32));
            PutBe32(into.Slice(12), (uint)packet);
        }
        else
        {
            PutBe32(into.Slice(8), (uint)packet);
        }
    }

    /// <summary>Reads a UDP data header; false when the datagram is shorter than one.</summary>
    public static bool TryReadUdpHeader(ReadOnlySpan<byte> datagram, bool counters64, out ulong sendTimeUs, out ulong packet)
    {
        sendTimeUs = 0;
        packet = 0;
        if (datagram.Length < UdpHeaderSize(counters64))
            return false;
        sendTimeUs = (ulong)GetBe32(datagram) * 1_000_000 + GetBe32(datagram.Slice(4));
        packet = counters64 ? (ulong)GetBe32(datagram.Slice(8)) << 32 | GetBe32(datagram.Slice(12)) : GetBe32(datagram.Slice(8));
        return true;
    }

    public static void PutBe32(Span<byte> b, uint v)
    {
        b[0] = (byte)(v >> 24);
        b[1] = (byte)(v >> 16);
        b[2] = (byte)(v >> 8);
        b[3] = (byte)v;
    }

    public static uint GetBe32(ReadOnlySpan<byte> b) => (uint)b[0] << 24 | (uint)b[1] << 16 | (uint)b[2] << 8 | b[3];

    public static void PutLe32(Span<byte> b, uint v)
    {
        b[0] = (byte)v;
        b[1] = (byte)(v >> 8);
        b[2] = (byte)(v >> 16);
        b[3] = (byte)(v >> 24);
    }

    /// <summary>iperf3's stream ids: 1 for the first stream, then 3, 4, 5, ... (iperf_add_stream
    /// starts counting the later ones at 2 and has kept that for compatibility).</summary>
    public static int StreamId(int index) => index == 0 ? 1 : index + 2;
}

/// <summary>What a UDP receiver measures, as iperf_udp_recv does: packets by their numbers (a gap
/// counts as lost, a number that goes backwards as out of order and takes one loss back) and
/// the jitter of RFC 3550 (6.4.1, A.8): J += (|D| - J) / 16, D the change in transit time.</summary>
public struct UdpReceiveStats
{
    public ulong Bytes, HighestPacket, Lost, OutOfOrder, Datagrams;
    /// <summary>Seconds.</summary>
    public double Jitter;
    private double _previousTransit;
    private ulong _firstSentUs, _firstArrivalUs;

    public void Add(int length, ulong sentUs, ulong packet, ulong arrivalUs)
    {
        if (Datagrams == 0)
        {
            // Transit times relative to the first datagram: the two clocks need not agree, and
            // small numbers keep a double's precision.
            _firstSentUs = sentUs;
            _firstArrivalUs = arrivalUs;
        }
        Datagrams++;
        Bytes += (ulong)length;
        if (packet >= HighestPacket + 1)
        {
            if (packet > HighestPacket + 1)
                Lost += packet - 1 - HighestPacket;
            HighestPacket = packet;
        }
        else
        {
            OutOfOrder++;
            if (Lost > 0)
                Lost--;
        }
        double transit = ((double)(long)(arrivalUs - _firstArrivalUs) - (double)(long)(sentUs - _firstSentUs)) / 1e6;
        if (Datagrams == 1)
            _previousTransit = transit;
        double d = transit - _previousTransit;
        if (d < 0)
            d = -d;
        _previousTransit = transit;
        Jitter += (d - Jitter) / 16.0;
    }
}
