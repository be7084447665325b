// A TAP interface as one port of a network worker's switch: the way frames leave domain 0 for the
// host's own network stack and come back. Towards the host, the switch's output is a write(2) on
// the TAP (the kernel takes the frame as received on the TAP, or drops and counts it). From the
// host, a reader thread drains the TAP into a fixed ring of preallocated slots and kicks the
// worker; the worker's batch forwards them into the switch like a vif's TX, asking the
// destination for room first (a full guest RX ring holds the frames; a full ring stops reading,
// so the kernel's TAP queue absorbs, then drops and counts, the excess). No allocation per frame.
// A TAP with a vnet header carries offload both ways: slots are 64 KiB (fewer of them) for the
// kernel's TSO super-frames, and a guest's super-frame is written whole for the kernel to take.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Native;
using ParaKit.Hypervisor.Net.Offload;
using ParaKit.Hypervisor.Net.Switch;

namespace ParaKit.Hypervisor.Net.Tap;

/// <summary>What crossed a TAP port, and every frame it lost, by reason.</summary>
public sealed class TapCounters
{
    /// <summary>Frames read from the host and forwarded into the switch.</summary>
    public long FromHostFrames, FromHostBytes;
    /// <summary>Frames written to the host.</summary>
    public long ToHostFrames, ToHostBytes;
    /// <summary>Dropped: a frame from the host longer than a slot (the TAP's MTU + 18).</summary>
    public long FromHostOversize;
    /// <summary>Failed read(2) calls on the TAP (not frames; the errno of the last one is kept).</summary>
    public long FromHostReadErrors;
    /// <summary>Dropped: write(2) to the TAP failed (e.g. EIO while the interface is down).</summary>
    public long ToHostWriteErrors;
    /// <summary>Dropped: a frame from the host whose vnet header asked for offload we cannot do.</summary>
    public long FromHostBadOffload;
    /// <summary>GSO super-frames among the frames each way (each counted once, as one frame).</summary>
    public long FromHostGso, ToHostGso;
    /// <summary>Waits, not drops: batches that left host frames queued because the destination had no room.</summary>
    public long FromHostHeld;
    /// <summary>Waits, not drops: times the reader stopped because the ring was full (the kernel's queue then fills).</summary>
    public long RingFull;
    public int LastErrno;
    /// <summary>The kernel's own counters for the interface (-1 if unreadable), read at report time or at close.</summary>
    public long KernelRxDropped = -1, KernelTxDropped = -1;

    /// <summary>Frames lost here: oversize from the host, failed writes to it.</summary>
    public long Drops => FromHostOversize + ToHostWriteErrors + FromHostBadOffload;
}

public sealed unsafe class TapPort : IFrameSink, IDisposable
{
    private readonly int _ringSlots;   // slots in the ring: 256, or 64 of 64 KiB with offload
    private readonly NetworkWorker _worker;
    private readonly int _slotSize;
    private readonly byte[] _buffer;     // pinned: _ringSlots slots of _slotSize bytes
    private readonly byte* _base;
    private readonly int[] _lengths;
    private readonly FrameOffload[] _offloads;
    // Free-running: the reader thread writes _produced, the batch (under the worker's lock) _consumed.
    private int _produced, _consumed;
    private readonly ManualResetEventSlim _space = new(false);
    private volatile bool _readerWaiting;
    private readonly int _stopFd;
    private Thread? _reader;
    private volatile bool _stop;
    internal int Kicked;

    internal TapPort(NetworkWorker worker, IFramePipe pipe)
    {
        _worker = worker;
        Pipe = pipe;
        int mtu;
        try
        {
            mtu = pipe.Mtu;
        }
        catch (HostNetworkException)
        {
            mtu = 1500;
        }
        // Ethernet header + an 802.1Q tag + one byte, so a frame that fills the slot is known oversize;
        // with offload a slot takes a 64 KiB super-frame, and there are fewer (4 MiB either way).
        _slotSize = (pipe.CarriesOffload ? ushort.MaxValue : Math.Max(mtu, 1500)) + 14 + 4 + 1;
        _ringSlots = pipe.CarriesOffload ? 64 : 256;
        _lengths = new int[_ringSlots];
        _offloads = new FrameOffload[_ringSlots];
        _buffer = GC.AllocateArray<byte>(_slotSize * _ringSlots, pinned: true);
        _base = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, 0);
        _stopFd = Libc.Eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_stopFd < 0)
            throw new HostNetworkException($"cannot create an eventfd for TAP {pipe.Name}: {Libc.StrError(Libc.LastErrno)}");
    }

    /// <summary>The host end: a TAP, or a test's socket.</summary>
    public IFramePipe Pipe { get; }

    /// <summary>The TAP, when the host end is one.</summary>
    public TapDevice? Tap => Pipe as TapDevice;

    public string Name => Pipe.Name;

    /// <summary>The switch port this TAP is (set by the worker).</summary>
    public SwitchPort Port { get; internal set; } = null!;

    public TapCounters Counters { get; } = new();

    /// <summary>The reader gave up: the interface went away under us (LastErrno says how).</summary>
    public bool ReaderEnded { get; private set; }

    /// <summary>True while frames from the host wait for room at their destination.</summary>
    public bool Held { get; private set; }

    /// <summary>Frames read from the host and not yet forwarded.</summary>
    public int Queued => Volatile.Read(ref _produced) - _consumed;

    /// <summary>The switch's output towards the host: one write per frame.</summary>
    public void Deliver(ReadOnlySpan<byte> frame)
    {
        int rc = Pipe.Write(frame);
        Count(rc, frame.Length);
    }

    /// <summary>A frame with offload: written whole with a vnet header when the TAP has one,
    /// otherwise segmented and checksummed here first.</summary>
    public void Deliver(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (!offload.NeedsWork)
        {
            Deliver(frame);
            return;
        }
        if (!Pipe.CarriesOffload)
        {
            FrameSegmenter.DeliverPlain(frame, offload, this);
            return;
        }
        int rc = Pipe.Write(frame, offload);
        if (rc == 0 && offload.IsGso)
            Counters.ToHostGso++;
        Count(rc, frame.Length);
    }

    private void Count(int rc, int length)
    {
        if (rc == 0)
        {
            Counters.ToHostFrames++;
            Counters.ToHostBytes += length;
        }
        else
        {
            Counters.ToHostWriteErrors++;
            Counters.LastErrno = -rc;
        }
    }

    internal void Start()
    {
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "parakit-tap-" + Pipe.Name };
        _reader.Start();
    }

    private void ReadLoop()
    {
        var fds = stackalloc PollFd[2];
        while (!_stop)
        {
            int produced = _produced;
            if (produced - Volatile.Read(ref _consumed) >= _ringSlots)
            {
                // Full: stop taking frames until the batch makes room (or the timeout, a backstop).
                Counters.RingFull++;
                _space.Reset();
                _readerWaiting = true;
                if (produced - Volatile.Read(ref _consumed) >= _ringSlots)
                    _space.Wait(50);
                _readerWaiting = false;
                continue;
            }
            int n = Pipe.Read(_base + (produced % _ringSlots) * _slotSize, _slotSize, out _offloads[produced % _ringSlots]);
            if (n == TapDevice.BadVnetHeader)
            {
                Counters.FromHostBadOffload++;
                continue;
            }
            if (n > 0)
            {
                if (n >= _slotSize)
                {
                    Counters.FromHostOversize++;
                    continue;
                }
                _lengths[produced % _ringSlots] = n;
                Volatile.Write(ref _produced, produced + 1);
                // Keep reading while frames are waiting; kick once per burst, not per frame.
                if (produced + 1 - Volatile.Read(ref _consumed) < _ringSlots / 4)
                    continue;
                _worker.Kick(this);
                continue;
            }
            if (n < 0)
            {
                Counters.FromHostReadErrors++;
                Counters.LastErrno = -n;
                // The interface was deleted under us (`ip link del`) or the fd is unusable: stop
                // reading rather than spin; the port stays, writes to it are counted as failing.
                if (-n is LinuxNet.EIO or LinuxNet.ENODEV or LinuxNet.EBADFD or LinuxNet.EBADF)
                {
                    ReaderEnded = true;
                    return;
                }
                Thread.Sleep(1);
                continue;
            }
            // Nothing waiting: hand over what we have, then sleep until the TAP or the stop fd speaks.
            if (_produced != Volatile.Read(ref _consumed))
                _worker.Kick(this);
            fds[0] = new PollFd { Fd = Pipe.Fd, Events = Libc.POLLIN };
            fds[1] = new PollFd { Fd = _stopFd, Events = Libc.POLLIN };
            Libc.Ppoll(fds, 2, null, null);
        }
    }

    /// <summary>Forwards queued host frames into the switch (under the worker's lock). A frame
    /// whose destination has no room stays, with everything behind it, until a later batch.</summary>
    internal int DrainIntoSwitch()
    {
        int moved = 0;
        int produced = Volatile.Read(ref _produced);
        Held = false;
        while (_consumed != produced)
        {
            int slot = _consumed % _ringSlots;
            var frame = new ReadOnlySpan<byte>(_base + slot * _slotSize, _lengths[slot]);
            if (!Port.HasRoomFor(frame))
            {
                Held = true;
                Counters.FromHostHeld++;
                break;
            }
            Counters.FromHostFrames++;
            Counters.FromHostBytes += frame.Length;
            ref readonly FrameOffload offload = ref _offloads[slot];
            if (offload.NeedsWork)
            {
                if (offload.IsGso)
                    Counters.FromHostGso++;
                Port.Deliver(frame, offload);
            }
            else
            {
                Port.Deliver(frame);
            }
            Volatile.Write(ref _consumed, _consumed + 1);
            moved++;
        }
        if (moved > 0 && _readerWaiting)
            _space.Set();
        return moved;
    }

    /// <summary>Reads the kernel's drop counters for the interface (before it goes away).</summary>
    public void SnapshotKernelCounters()
    {
        if (Tap is not { Fd: >= 0 } tap)
            return;
        long rx = tap.KernelCounter("rx_dropped"), tx = tap.KernelCounter("tx_dropped");
        if (rx >= 0)
            Counters.KernelRxDropped = rx;
        if (tx >= 0)
            Counters.KernelTxDropped = tx;
    }

    /// <summary>Stops the reader thread (the TAP itself is closed by its owner).</summary>
    public void Dispose()
    {
        if (_stop)
            return;
        _stop = true;
        ulong one = 1;
        Libc.Write(_stopFd, &one, 8);
        _space.Set();
        _reader?.Join();
        Libc.Close(_stopFd);
        _space.Dispose();
    }
}
