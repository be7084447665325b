// A bound UDP port with a receive queue, for applications that poll rather than take a
// callback (NetStack.BindUdp). Datagrams are copied into one preallocated byte ring as they
// arrive; when it is full, new ones are dropped and counted. Sending goes straight out.
using System;

namespace ParaKit.Net.Stack;

public sealed class UdpSocket
{
    private readonly NetStack _stack;
    private readonly byte[] _data;
    private readonly int[] _length;
    private readonly uint[] _sourceIp;
    private readonly ushort[] _sourcePort;
    private int _head, _count, _dataHead, _dataUsed;

    internal UdpSocket(NetStack stack, ushort port, int queueBytes, int queueDatagrams)
    {
        _stack = stack;
        Port = port;
        _data = new byte[queueBytes];
        _length = new int[queueDatagrams];
        _sourceIp = new uint[queueDatagrams];
        _sourcePort = new ushort[queueDatagrams];
        Handler = OnDatagram;
    }

    internal UdpHandler Handler { get; }

    public ushort Port { get; }
    /// <summary>Datagrams waiting for Receive.</summary>
    public int Pending => _count;
    /// <summary>Datagrams dropped because the queue was full.</summary>
    public ulong Dropped { get; private set; }
    /// <summary>Datagrams longer than the buffer handed to Receive (the rest was cut off).</summary>
    public ulong Truncated { get; private set; }
    public bool IsOpen { get; private set; } = true;

    /// <summary>Takes the oldest datagram: copies what fits into <paramref name="into"/> and
    /// returns that length (0 for an empty datagram), or TcpSocket.WouldBlock when none is queued.</summary>
    public int Receive(Span<byte> into, out uint sourceIp, out ushort sourcePort)
    {
        sourceIp = 0;
        sourcePort = 0;
        if (_count == 0)
            return TcpSocket.WouldBlock;
        int length = _length[_head];
        sourceIp = _sourceIp[_head];
        sourcePort = _sourcePort[_head];
        int n = Math.Min(length, into.Length);
        if (n < length)
            Truncated++;
        int first = Math.Min(n, _data.Length - _dataHead);
        _data.AsSpan(_dataHead, first).CopyTo(into);
        _data.AsSpan(0, n - first).CopyTo(into.Slice(first));
        _dataHead = (_dataHead + length) % _data.Length;
        _dataUsed -= length;
        _head = (_head + 1) % _length.Length;
        _count--;
        return n;
    }

    /// <summary>Sends one datagram from this port (see NetStack.SendUdp for the statuses).</summary>
    public SendStatus SendTo(uint destination, ushort destinationPort, ReadOnlySpan<byte> payload) =>
        _stack.SendUdp(destination, Port, destinationPort, payload, _stack.NowNs);

    /// <summary>Unbinds the port; queued datagrams are discarded.</summary>
    public void Close()
    {
        if (!IsOpen)
            return;
        IsOpen = false;
        _stack.UnbindUdp(Port);
        _count = 0;
    }

    private void OnDatagram(uint sourceIp, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        if (_count == _length.Length || payload.Length > _data.Length - _dataUsed)
        {
            Dropped++;
            return;
        }
        int at = (_head + _count) % _length.Length;
        _length[at] = payload.Length;
        _sourceIp[at] = sourceIp;
        _sourcePort[at] = sourcePort;
        int tail = (_dataHead + _dataUsed) % _data.Length;
        int first = Math.Min(payload.Length, _data.Length - tail);
        payload.Slice(0, first).CopyTo(_data.AsSpan(tail));
        payload.Slice(first).CopyTo(_data);
        _dataUsed += payload.Length;
        _count++;
    }
}
