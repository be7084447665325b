// One end of a test transfer: writes its bytes as the send buffer takes them, shuts down after
// the last one, and reads everything the peer sends until the peer's FIN. Allocation-free once
// made, so the steady-state allocation test can drive it.
using ParaKit.Net.Stack;

namespace ParaKit.Tests.NetStack;

internal sealed class TcpPump
{
    public readonly TcpSocket Socket;
    public readonly byte[] Outgoing;
    public readonly byte[] Incoming;
    public int Written, Received;
    public bool Ended, Failed, Overflow;
    private readonly byte[] _scratch = new byte[32768];
    private readonly bool _shutdownAfter;

    public TcpPump(TcpSocket socket, byte[] outgoing, int expectIncoming, bool shutdownAfter = true)
    {
        Socket = socket;
        Outgoing = outgoing;
        Incoming = new byte[expectIncoming];
        _shutdownAfter = shutdownAfter;
    }

    public bool SentAll => Written == Outgoing.Length;
    public bool Done => Ended && SentAll && Socket.Unacknowledged == 0;

    public void Act()
    {
        while (Written < Outgoing.Length)
        {
            int n = Socket.Write(Outgoing.AsSpan(Written));
            if (n <= 0)
            {
                Failed |= n == TcpSocket.Failed;
                break;
            }
            Written += n;
        }
        if (SentAll && _shutdownAfter)
            Socket.Shutdown();
        while (!Ended)
        {
            int n = Socket.Read(_scratch);
            if (n == TcpSocket.WouldBlock)
                break;
            if (n == TcpSocket.Failed)
            {
                Failed = true;
                Ended = true;
                break;
            }
            if (n == 0)
            {
                Ended = true;
                break;
            }
            if (Received + n > Incoming.Length)
            {
                Overflow = true;
                n = Incoming.Length - Received;
            }
            _scratch.AsSpan(0, n).CopyTo(Incoming.AsSpan(Received));
            Received += n;
        }
    }

    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }
}
