// Stack-to-stack TCP throughput of the guest's network stack (guestkernel/Net/Stack) on one
// host thread: two NetStacks joined by an in-memory link (a frame is copied into the peer's
// queue, as a shared ring would), 8 MiB per operation through one connection with 256 KiB
// buffers, both sides' segmentation, checksums, ACKs and copies included. The baseline is a
// plain memcpy of the same bytes in the same run. `make bench BENCH='*TcpThroughput*'`.
using BenchmarkDotNet.Attributes;
using ParaKit.Drivers;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;

namespace ParaKit.Bench.NetStack;

[MemoryDiagnoser]
public class TcpThroughputBenchmarks
{
    private const int Bytes = 8 << 20;
    private readonly byte[] _data = new byte[Bytes], _copy = new byte[Bytes], _chunk = new byte[65536], _into = new byte[65536];
    private ParaKit.Net.Stack.NetStack _a = null!, _b = null!;
    private TcpSocket _client = null!, _server = null!;
    private ulong _now = 1_000_000;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_data);
        var ab = new MemoryLane();
        var ba = new MemoryLane();
        _a = new ParaKit.Net.Stack.NetStack(new MemoryEnd(0x00163E00000A, ab, ba), new NetStackConfig { Address = 0x0A000001 });
        _b = new ParaKit.Net.Stack.NetStack(new MemoryEnd(0x00163E00000B, ba, ab), new NetStackConfig { Address = 0x0A000002 });
        TcpListener l = _b.ListenTcp(5001, 1)!;
        _client = _a.ConnectTcp(0x0A000002, 5001)!;
        TcpSocket? s = null;
        for (int i = 0; i < 100 && (s = l.Accept()) == null; i++)
            Poll();
        _server = s ?? throw new InvalidOperationException("no connection");
    }

    private void Poll()
    {
        _now += 20_000;   // 20 µs of virtual time per turn: timers stay quiet
        _a.Poll(_now, 256);
        _b.Poll(_now, 256);
    }

    [Benchmark(Baseline = true, Description = "memcpy 8 MiB")]
    public void Memcpy()
    {
        for (int off = 0; off < Bytes; off += _chunk.Length)
            _data.AsSpan(off, _chunk.Length).CopyTo(_copy.AsSpan(off));
    }

    [Benchmark(Description = "TCP 8 MiB stack to stack")]
    public long Tcp()
    {
        int sent = 0, polls = 0;
        long got = 0;
        while (got < Bytes)
        {
            if (++polls > 1_000_000)
                throw new InvalidOperationException($"stalled: sent {sent} got {got} client {_client.State}/{_client.Error} server {_server.State}/{_server.Error}"
                    + $" unacked {_client.Unacknowledged} rto {_a.Counters.TcpRetransmitTimeouts} refused {_a.Counters.TxDeviceRefused}");
            while (sent < Bytes)
            {
                int n = _client.Write(_data.AsSpan(sent, Math.Min(65536, Bytes - sent)));
                if (n <= 0)
                    break;
                sent += n;
            }
            Poll();
            int r;
            while ((r = _server.Read(_into)) > 0)
                got += r;
        }
        return got;
    }

    /// <summary>One direction: frames copied into a queue of preallocated buffers.</summary>
    private sealed class MemoryLane
    {
        private readonly byte[][] _frames = new byte[1024][];
        private readonly int[] _length = new int[1024];
        private int _head, _count;

        public MemoryLane()
        {
            for (int i = 0; i < _frames.Length; i++)
                _frames[i] = new byte[1514];
        }

        public bool Put(ReadOnlySpan<byte> f)
        {
            if (_count == _frames.Length)
                return false;
            int at = (_head + _count) % _frames.Length;
            f.CopyTo(_frames[at]);
            _length[at] = f.Length;
            _count++;
            return true;
        }

        public int Take(FrameHandler h, int budget)
        {
            int n = 0;
            while (n < budget && _count > 0)
            {
                h(_frames[_head].AsSpan(0, _length[_head]));
                _head = (_head + 1) % _frames.Length;
                _count--;
                n++;
            }
            return n;
        }
    }

    private sealed class MemoryEnd(ulong mac, MemoryLane outgoing, MemoryLane incoming) : IEthernetDevice
    {
        private readonly byte[] _mac = MacBytes(mac);
        private static byte[] MacBytes(ulong m) { var b = new byte[6]; Wire.WriteMac(b, 0, m); return b; }
        public ReadOnlySpan<byte> Mac => _mac;
        public int Mtu => 1500;
        public bool IsUp => true;
        public bool ChecksumOffload => false;
        public int MaxOffloadFrame => 0;
        public bool RxChecksumValidated => false;
        public bool TrySendOffload(ReadOnlySpan<byte> frame, int gsoSize) => false;
        public NetDeviceCounters Counters { get; } = new();
        public bool TrySend(ReadOnlySpan<byte> frame) => outgoing.Put(frame);
        public void Flush() { }
        public int Poll(FrameHandler handler, int budget) => incoming.Take(handler, budget);
    }
}
