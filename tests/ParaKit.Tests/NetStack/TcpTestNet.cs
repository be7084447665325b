// Two NetStacks joined by a simulated wire for the TCP tests: a virtual clock, a one-way delay,
// and impairments drawn from a seeded generator (loss, duplication, reordering by extra delay,
// one flipped byte) or chosen by a filter the test writes. Frames live in preallocated buffers
// and the queue is an array, so a transfer in steady state allocates nothing here either and
// the allocation test measures only the stacks. The loop jumps the clock to the next frame or
// timer, so a second of simulated TCP costs only the events in it.
using ParaKit.Drivers;
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Net.Offload;
using ParaKit.Net.Stack;
using ParaKit.Net.Traffic;
using IpStack = ParaKit.Net.Stack.NetStack;

namespace ParaKit.Tests.NetStack;

/// <summary>What the simulated devices do with TSO: none (the stacks checksum and segment
/// themselves), cut super-frames into MTU frames on the wire as a backend does (domain 0's
/// FrameSegmenter), or hand super-frames whole to the peer with the checksum vouched for (a
/// GSO-capable netfront's receive side).</summary>
internal enum TsoMode { Off, SegmentOnWire, WholeToPeer }

internal sealed class TcpTestNet
{
    public const uint IpA = 0x0A000001, IpB = 0x0A000002;
    public const ulong MacA = 0x00163E00000A, MacB = 0x00163E00000B;

    public readonly Lane LaneAB, LaneBA;
    public readonly IpStack A, B;
    public ulong Now = 1_000_000;
    public double Loss, Duplicate, Reorder, Corrupt;
    public ulong DelayNs = 50_000;
    /// <summary>Return true to drop a frame (from A when fromA); it sees a copy of the frame as sent.</summary>
    public Func<bool, byte[], bool>? Drop { get; set; }
    /// <summary>Every frame sent, counted by direction.</summary>
    public long FramesAB => LaneAB.Sent;
    public long FramesBA => LaneBA.Sent;
    private readonly Random _rng;

    /// <summary>Super-frames the stacks handed their devices (TSO), by sender.</summary>
    public long SuperFramesA => _endA.SuperFrames;
    public long SuperFramesB => _endB.SuperFrames;
    private readonly End _endA, _endB;

    public TcpTestNet(int seed = 1, Action<NetStackConfig>? configure = null, int mtu = 1500, TsoMode tso = TsoMode.Off)
    {
        _rng = new Random(seed);
        LaneAB = new Lane(this, true, MacB, mtu);
        LaneBA = new Lane(this, false, MacA, mtu);
        var ca = Config(IpA, configure);
        var cb = Config(IpB, configure);
        _endA = new End(MacA, mtu, LaneAB, LaneBA, tso);
        _endB = new End(MacB, mtu, LaneBA, LaneAB, tso);
        A = new IpStack(_endA, ca);
        B = new IpStack(_endB, cb);
        A.Start(Now);
        B.Start(Now);
        Step();
    }

    private static NetStackConfig Config(uint ip, Action<NetStackConfig>? configure)
    {
        var c = new NetStackConfig { Address = ip, PrefixLength = 24 };
        c.Tcp.TimeWaitNs = 2_000_000_000;
        c.Tcp.MinRtoNs = 10_000_000;
        c.Tcp.InitialRtoNs = 100_000_000;
        configure?.Invoke(c);
        return c;
    }

    /// <summary>Polls both stacks once at the current time.</summary>
    public void Step()
    {
        A.Poll(Now, 64);
        B.Poll(Now, 64);
    }

    /// <summary>Polls, calls <paramref name="app"/>, and advances the clock to the next event,
    /// until <paramref name="done"/> or <paramref name="maxNs"/> of simulated time. True if done.</summary>
    public bool Run(Func<bool> done, ulong maxNs = 60_000_000_000, Action? app = null)
    {
        ulong end = Now + maxNs;
        while (true)
        {
            Step();
            app?.Invoke();
            Step();
            if (done())
                return true;
            ulong next = Math.Min(Math.Min(LaneAB.NextDue, LaneBA.NextDue), Math.Min(A.NextTimerNs, B.NextTimerNs));
            if (next == ulong.MaxValue)
                next = Now + 1_000_000;   // nothing pending: let the application act again
            Now = Math.Max(Now + 1000, next);
            if (Now > end)
                return false;
        }
    }

    public void RunFor(ulong ns, Action? app = null)
    {
        ulong end = Now + ns;
        Run(() => Now >= end, ns + 1, app);
    }

    internal bool Chance(double p) => p > 0 && _rng.NextDouble() < p;
    internal int NextInt(int max) => _rng.Next(max);

    /// <summary>One direction of the wire: a bounded pool of frames in flight with due times.</summary>
    internal sealed class Lane
    {
        private const int Slots = 4096;
        private readonly TcpTestNet _net;
        private readonly bool _fromA;
        private readonly byte[][] _buf = new byte[Slots][];
        private readonly int[] _len = new int[Slots];
        private readonly ulong[] _due = new ulong[Slots];
        private readonly long[] _order = new long[Slots];
        private readonly bool[] _validated = new bool[Slots];
        /// <summary>While a frame is handed over: it was put with its checksum vouched for.</summary>
        public bool CurrentValidated;
        private long _orderNext;
        private readonly int[] _free = new int[Slots];
        private readonly int[] _queued = new int[Slots];
        private int _freeCount, _queuedCount;
        public long Sent, Dropped, Duplicated, Corrupted, Reordered;
        /// <summary>Frames the test injects as if from the other side (hand-made segments).</summary>
        public readonly Queue<byte[]> Injected = new();
        /// <summary>When set, every frame put on this wire is also copied here.</summary>
        public List<(ulong At, byte[] Frame)>? Capture;

        public Lane(TcpTestNet net, bool fromA, ulong dstMac, int mtu)
        {
            _net = net;
            _fromA = fromA;
            for (int i = 0; i < Slots; i++)
            {
                _buf[i] = new byte[mtu + 14];
                _free[i] = i;
            }
            _freeCount = Slots;
        }

        public ulong NextDue
        {
            get
            {
                ulong m = Injected.Count > 0 ? _net.Now : ulong.MaxValue;
                for (int i = 0; i < _queuedCount; i++)
                    m = Math.Min(m, _due[_queued[i]]);
                return m;
            }
        }

        public void Put(ReadOnlySpan<byte> frame) => Put(frame, false);

        public void Put(ReadOnlySpan<byte> frame, bool validated)
        {
            Sent++;
            Capture?.Add((_net.Now, frame.ToArray()));
            if (_net.Drop != null && _net.Drop(_fromA, frame.ToArray()))
            {
                Dropped++;
                return;
            }
            if (_net.Chance(_net.Loss))
            {
                Dropped++;
                return;
            }
            int copies = _net.Chance(_net.Duplicate) ? 2 : 1;
            if (copies == 2)
                Duplicated++;
            for (int c = 0; c < copies && _freeCount > 0; c++)
            {
                int s = _free[--_freeCount];
                if (frame.Length > _buf[s].Length)
                    _buf[s] = new byte[frame.Length];   // a super-frame passed whole (TsoMode.WholeToPeer)
                frame.CopyTo(_buf[s]);
                _len[s] = frame.Length;
                _validated[s] = validated;
                ulong due = _net.Now + _net.DelayNs;
                if (_net.Chance(_net.Reorder))
                {
                    due += (ulong)_net.NextInt(4) * _net.DelayNs / 2 + 1;
                    Reordered++;
                }
                if (_net.Chance(_net.Corrupt))
                {
                    int at = 14 + _net.NextInt(frame.Length - 14);
                    _buf[s][at] ^= (byte)(1 << _net.NextInt(8));
                    Corrupted++;
                }
                _due[s] = due;
                _order[s] = _orderNext++;
                _queued[_queuedCount++] = s;
            }
        }

        /// <summary>Hands frames that are due, earliest first, to the receiving stack.</summary>
        public int Deliver(FrameHandler handler, int budget)
        {
            int n = 0;
            while (n < budget && Injected.Count > 0)
            {
                handler(Injected.Dequeue());
                n++;
            }
            while (n < budget)
            {
                int best = -1;
                for (int i = 0; i < _queuedCount; i++)
                {
                    int q = _queued[i];
                    if (_due[q] <= _net.Now && (best < 0 || _due[q] < _due[_queued[best]]
                        || (_due[q] == _due[_queued[best]] && _order[q] < _order[_queued[best]])))
                        best = i;
                }
                if (best < 0)
                    break;
                int s = _queued[best];
                _queued[best] = _queued[--_queuedCount];
                CurrentValidated = _validated[s];
                handler(_buf[s].AsSpan(0, _len[s]));
                CurrentValidated = false;
                _free[_freeCount++] = s;
                n++;
            }
            return n;
        }
    }

    private sealed class End : IEthernetDevice, IFrameSink
    {
        private readonly byte[] _mac = new byte[6];
        private readonly Lane _out, _in;
        private readonly TsoMode _tso;
        public long SuperFrames;

        public End(ulong mac, int mtu, Lane outgoing, Lane incoming, TsoMode tso)
        {
            Wire.WriteMac(_mac, 0, mac);
            Mtu = mtu;
            _out = outgoing;
            _in = incoming;
            _tso = tso;
        }

        public ReadOnlySpan<byte> Mac => _mac;
        public int Mtu { get; }
        public bool IsUp => true;
        public bool ChecksumOffload => _tso != TsoMode.Off;
        public int MaxOffloadFrame => _tso != TsoMode.Off ? 65535 : 0;
        public bool RxChecksumValidated => _in.CurrentValidated;

        /// <summary>What a backend does with the frame: checks the description (as netback does),
        /// then segments and checksums it onto the wire, or passes it whole to the peer.</summary>
        public bool TrySendOffload(ReadOnlySpan<byte> frame, int gsoSize)
        {
            byte[] copy = frame.ToArray();
            OffloadCheck check = FrameOffloads.Describe(copy, true, gsoSize, true, Mtu + 14, out FrameOffload offload);
            if (_tso == TsoMode.Off || check != OffloadCheck.Ok)
                throw new InvalidOperationException($"the stack handed over a bad offload frame: {check}");
            if (gsoSize > 0)
                SuperFrames++;
            if (_tso == TsoMode.WholeToPeer)
                _out.Put(copy, validated: true);
            else
                Assert.That(FrameSegmenter.DeliverPlain(copy, offload, this), Is.GreaterThan(0));
            return true;
        }

        /// <summary>The segments FrameSegmenter made, onto the wire.</summary>
        void IFrameSink.Deliver(ReadOnlySpan<byte> frame) => _out.Put(frame);
        public NetDeviceCounters Counters { get; } = new();
        public bool TrySend(ReadOnlySpan<byte> frame)
        {
            _out.Put(frame);
            return true;
        }
        public void Flush() { }
        public int Poll(FrameHandler handler, int budget) => _in.Deliver(handler, budget);
        public bool TxIdle => true;   // a frame is delivered (or dropped) as it is sent
    }
}
