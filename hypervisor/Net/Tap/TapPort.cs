// A TAP interface as one port of a network worker's switch: the way frames leave domain 0 for the
// host's own network stack and come back. Towards the host, the switch's output is a write(2) on
// the TAP (the kernel takes the frame as received on the TAP, or drops and counts it). From the
// host, a reader thread drains the TAP into a fixed ring of preallocated slots and kicks the
// worker; the worker's batch forwards them into the switch like a vif's TX, asking the
// destination for room first (a full guest RX ring holds the frames; a full ring stops reading,
// so the kernel's TAP queue absorbs, then drops and counts, the excess). No allocation per frame.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Native;
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
    /// <summary>Dropped: read(2) on the TAP failed (the errno of the last one is kept).</summary>
    public long FromHostReadErrors;
    /// <summary>Dropped: write(2) to the TAP failed (e.g. EIO while the interface is down).</summary>
    public long ToHostWriteErrors;
    /// <summary>Waits, not drops: batches that left host frames queued because the destination had no room.</summary>
    public long FromHostHeld;
    /// <summary>Waits, not drops: times the reader stopped because the ring was full (the kernel's queue then fills).</summary>
    public long RingFull;
    public int LastErrno;
    /// <summary>The kernel's own counters for the interface (-1 if unreadable), read at report time or at close.</summary>
    public long KernelRxDropped = -1, KernelTxDropped = -1;

    public long Drops => FromHostOversize + FromHostReadErrors + ToHostWriteErrors;
}

public sealed unsafe class TapPort : IFrameSink, IDisposable
{
    private const int RingSlots = 256;
    private readonly NetworkWorker _worker;
    private readonly int _slotSize;
    private readonly byte[] _buffer;     // pinned: RingSlots slots of _slotSize bytes
    private readonly byte* _base;
    private readonly int[] _lengths = new int[RingSlots];
    // Free-running: the reader thread writes _produced, the batch (under the worker's lock) _consumed.
    private int _produced, _consumed;
    private readonly ManualResetEventSlim _space = new(false);
    private volatile bool _readerWaiting;
    private readonly int _stopFd;
    private Thread? _reader;
    private volatile bool _stop;
    internal int Kicked;

    internal TapPort(NetworkWorker worker, TapDevice tap)
    {
        _worker = worker;
        Tap = tap;
        int mtu;
        try
        {
            mtu = tap.Mtu;
        }
        catch (HostNetworkException)
        {
            mtu = 1500;
        }
        // Ethernet header + an 802.1Q tag + one byte, so a frame that fills the slot is known oversize.
        _slotSize = Math.Max(mtu, 1500) + 14 + 4 + 1;
        _buffer = GC.AllocateArray<byte>(_slotSize * RingSlots, pinned: true);
        _base = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, 0);
        _stopFd = Libc.Eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_stopFd < 0)
            throw new HostNetworkException($"cannot create an eventfd for TAP {tap.Name}: {Libc.StrError(Libc.LastErrno)}");
    }

    public TapDevice Tap { get; }

    public string Name => Tap.Name;

    /// <summary>The switch port this TAP is (set by the worker).</summary>
    public SwitchPort Port { get; internal set; } = null!;

    public TapCounters Counters { get; } = new();

    /// <summary>True while frames from the host wait for room at their destination.</summary>
    public bool Held { get; private set; }

    /// <summary>Frames read from the host and not yet forwarded.</summary>
    public int Queued => Volatile.Read(ref _produced) - _consumed;

    /// <summary>The switch's output towards the host: one write per frame.</summary>
    public void Deliver(ReadOnlySpan<byte> frame)
    {
        int rc = Tap.Write(frame);
        if (rc == 0)
        {
            Counters.ToHostFrames++;
            Counters.ToHostBytes += frame.Length;
        }
        else
        {
            Counters.ToHostWriteErrors++;
            Counters.LastErrno = -rc;
        }
    }

    internal void Start()
    {
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "parakit-tap-" + Tap.Name };
        _reader.Start();
    }

    private void ReadLoop()
    {
        var fds = stackalloc PollFd[2];
        while (!_stop)
        {
            int produced = _produced;
            if (produced - Volatile.Read(ref _consumed) >= RingSlots)
            {
                // Full: stop taking frames until the batch makes room (or the timeout, a backstop).
                Counters.RingFull++;
                _space.Reset();
                _readerWaiting = true;
                if (produced - Volatile.Read(ref _consumed) >= RingSlots)
                    _space.Wait(50);
                _readerWaiting = false;
                continue;
            }
            int n = Tap.Read(_base + (produced % RingSlots) * _slotSize, _slotSize);
            if (n > 0)
            {
                if (n >= _slotSize)
                {
                    Counters.FromHostOversize++;
                    continue;
                }
                _lengths[produced % RingSlots] = n;
                Volatile.Write(ref _produced, produced + 1);
                // Keep reading while frames are waiting; kick once per burst, not per frame.
                if (produced + 1 - Volatile.Read(ref _consumed) < RingSlots / 4)
                    continue;
                _worker.Kick(this);
                continue;
            }
            if (n < 0)
            {
                Counters.FromHostReadErrors++;
                Counters.LastErrno = -n;
                if (-n is LinuxNet.EIO or LinuxNet.ENODEV || Counters.FromHostReadErrors > 1000)
                    Thread.Sleep(10);   // the interface went away or is broken: do not spin
                continue;
            }
            // Nothing waiting: hand over what we have, then sleep until the TAP or the stop fd speaks.
            if (_produced != Volatile.Read(ref _consumed))
                _worker.Kick(this);
            fds[0] = new PollFd { Fd = Tap.Fd, Events = Libc.POLLIN };
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
            int slot = _consumed % RingSlots;
            var frame = new ReadOnlySpan<byte>(_base + slot * _slotSize, _lengths[slot]);
            if (!Port.HasRoomFor(frame))
            {
                Held = true;
                Counters.FromHostHeld++;
                break;
            }
            Counters.FromHostFrames++;
            Counters.FromHostBytes += frame.Length;
            Port.Deliver(frame);
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
        long rx = Tap.KernelCounter("rx_dropped"), tx = Tap.KernelCounter("tx_dropped");
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
