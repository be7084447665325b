// Domain 0's network worker: the one thread that owns the virtual switch and every vif's netback
// (both single-threaded by design). Guests' event-channel sends only mark their vif and wake the
// worker; the worker drains marked vifs' TX rings through the switch into the other vifs' RX
// rings, then publishes each touched RX ring once (one notification per batch, not per frame).
// A TAP port (Net/Tap) joins the same switch: its reader thread kicks the worker like a guest
// does, and the batch forwards the host's frames with the same backpressure.
using ParaKit.Hypervisor.Native;
using ParaKit.Hypervisor.Net.Switch;
using ParaKit.Hypervisor.Net.Tap;
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Hypervisor.Net;

/// <summary>A vif as the worker sees it: its switch port and, once connected, its netback.</summary>
public sealed class WorkerVif : IFrameSink
{
    internal int Kicked;
    internal bool RxTouched;

    internal WorkerVif(NetworkWorker worker) => Worker = worker;

    internal NetworkWorker Worker { get; }

    /// <summary>The switch port: give it to the netback as its sink.</summary>
    public SwitchPort Port { get; internal set; } = null!;

    /// <summary>Set by <see cref="NetworkWorker.Bind"/>; until then frames for the vif are counted in <see cref="DroppedUnbound"/>.</summary>
    public Devices.Vif.Netback? Netback { get; internal set; }

    /// <summary>An emulated device on this port instead of a netback (<see cref="NetworkWorker.BindDevice"/>).</summary>
    public IPortDevice? Device { get; internal set; }

    /// <summary>Frames the switch sent to this vif before a netback was bound (counted, not kept).</summary>
    public long DroppedUnbound;

    /// <summary>Runs on the worker thread, once per binding, when the bound netback disconnected
    /// its frontend (broken ring or netif rules): the owner posts its reaction, it must not block.</summary>
    public Action? Lost { get; set; }
    internal bool LostReported;

    public bool HasRoomFor(ReadOnlySpan<byte> frame) => Device?.HasRoomFor(frame.Length) ?? Netback?.HasRoomFor(frame.Length) ?? true;

    /// <summary>The switch's output towards the guest.</summary>
    public void Deliver(ReadOnlySpan<byte> frame)
    {
        if (Device is { } device)
        {
            device.DeliverToGuest(frame);
            RxTouched = true;
            return;
        }
        var nb = Netback;
        if (nb is null)
        {
            DroppedUnbound++;
            return;
        }
        nb.DeliverToGuest(frame);   // a drop is counted by the netback
        RxTouched = true;
    }

    /// <summary>A frame with offload: a netback passes it whole to a frontend that takes it (or
    /// segments it itself); an emulated device gets plain frames.</summary>
    public void Deliver(ReadOnlySpan<byte> frame, in Offload.FrameOffload offload)
    {
        if (!offload.NeedsWork)
        {
            Deliver(frame);
            return;
        }
        if (Device is null && Netback is { } nb)
        {
            nb.DeliverToGuest(frame, offload);
            RxTouched = true;
            return;
        }
        Offload.FrameSegmenter.DeliverPlain(frame, offload, this);
    }
}

public sealed class NetworkWorker : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<WorkerVif> _vifs = new();
    private readonly List<TapPort> _taps = new();
    private readonly List<TapPort> _removedTaps = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private Thread? _thread;
    private volatile bool _stop;

    public NetworkWorker(string name = "sw0") => Name = name;

    /// <summary>The switch's name (xl.cfg's bridge=).</summary>
    public string Name { get; }

    public VirtualSwitch Switch { get; } = new();

    /// <summary>For a vif on a Linux bridge: that bridge. Its worker's switch then has two ports,
    /// the vif and its TAP (vif&lt;domid&gt;.&lt;n&gt;) in the bridge.</summary>
    public string? HostBridge { get; init; }

    /// <summary>TAP ports, current then removed (kept with their counters for the final report).</summary>
    public IReadOnlyList<TapPort> Taps
    {
        get { lock (_lock) return [.. _taps, .. _removedTaps]; }
    }

    /// <summary>Batches run (for tests and stats).</summary>
    public long Batches;

    /// <summary>Adds a vif's switch port; connect its netback with <see cref="Bind"/>.</summary>
    public WorkerVif AddVif(string name)
    {
        lock (_lock)
        {
            var v = new WorkerVif(this);
            v.Port = Switch.AddPort(name, v);
            _vifs.Add(v);
            return v;
        }
    }

    /// <summary>Attaches the vif's netback (built with <c>vif.Port</c> as its sink).</summary>
    public void Bind(WorkerVif vif, Devices.Vif.Netback netback)
    {
        lock (_lock)
        {
            vif.Netback = netback;
            vif.LostReported = false;
        }
    }

    /// <summary>Attaches an emulated device to the port (it uses <c>vif.Port</c> as its sink);
    /// <see cref="Unbind"/> detaches it like a netback.</summary>
    public void BindDevice(WorkerVif vif, IPortDevice device)
    {
        lock (_lock)
            vif.Device = device;
    }

    /// <summary>Detaches the vif's netback: once this returns, the worker no longer touches its
    /// rings, so they can be released. Frames for the vif are counted in DroppedUnbound.</summary>
    public void Unbind(WorkerVif vif)
    {
        lock (_lock)
        {
            vif.Netback = null;
            vif.Device = null;
        }
    }

    /// <summary>Removes a vif (its netback is closed by its owner).</summary>
    public void RemoveVif(WorkerVif vif)
    {
        lock (_lock)
        {
            _vifs.Remove(vif);
            Switch.RemovePort(vif.Port);
            vif.Netback = null;
            vif.Device = null;
        }
    }

    /// <summary>Adds a TAP as a port of the switch and starts reading it.</summary>
    public TapPort AddTap(IFramePipe tap)
    {
        var t = new TapPort(this, tap);
        lock (_lock)
        {
            t.Port = Switch.AddPort("tap:" + tap.Name, t);
            _taps.Add(t);
        }
        t.Start();
        return t;
    }

    /// <summary>Stops reading the TAP and removes its port (host frames still in its ring never
    /// entered the switch and are not counted as forwarded). The caller closes the TAP after.</summary>
    public void RemoveTap(TapPort t)
    {
        t.SnapshotKernelCounters();
        lock (_lock)
        {
            if (!_taps.Remove(t))
                return;
            Switch.RemovePort(t.Port);
            _removedTaps.Add(t);
        }
        t.Dispose();
    }

    /// <summary>When the worker is idle, a kick runs the batch right away on the kicking guest's
    /// vCPU thread (like Linux running netback in the sender's softirq) instead of waking the
    /// worker thread: the guest's exit gets longer by the batch, but a frame skips a thread
    /// wake-up (tens of µs here) on its way. A busy worker just gets the mark.</summary>
    public bool InlineKicks { get; set; } = true;

    /// <summary>Batches run on a kicking vCPU thread rather than the worker (for stats).</summary>
    public long InlineBatches;

    /// <summary>The guest sent on the vif's channel: safe from any thread (the vCPU thread's
    /// handler). Marks the vif, then runs the batch here if the worker is idle, else wakes it.</summary>
    public void Kick(WorkerVif vif) => Kick(ref vif.Kicked);

    /// <summary>A TAP's reader thread queued host frames.</summary>
    internal void Kick(TapPort tap) => Kick(ref tap.Kicked);

    private void Kick(ref int mark)
    {
        if (Interlocked.Exchange(ref mark, 1) != 0)
            return;
        if (InlineKicks && _lock.TryEnter())
        {
            try
            {
                InlineBatches++;
                RunOnceLocked();
            }
            finally
            {
                _lock.Exit();
            }
            // A sender still held for room needs the worker's retries.
            if (_anyBlocked)
                _wake.Release();
            return;
        }
        _wake.Release();
    }

    /// <summary>One batch: TX of every kicked vif through the switch, then one RX flush per touched vif.
    /// Returns the number of TX frames moved. The thread calls it; tests may call it directly.</summary>
    public int RunOnce()
    {
        lock (_lock)
            return RunOnceLocked();
    }

    private int RunOnceLocked()
    {
        if (!TracePoint.On)
            return RunBatch();
        ulong t0 = NativeCode.Rdtsc();
        int moved = RunBatch();
        TracePoint.BackendPass(0, t0, moved);
        return moved;
    }

    private int RunBatch()
    {
        int moved = 0;
        Batches++;
        foreach (var v in _vifs)
        {
            if (Interlocked.Exchange(ref v.Kicked, 0) == 0)
                continue;
            if (v.Device is { } device)
            {
                moved += device.ProcessTx();
            }
            else if (v.Netback is { } nb)
            {
                // One channel for both directions: the kick may mean new RX buffers too.
                if (nb.RxQueued > 0 && nb.DrainRx() > 0)
                    v.RxTouched = true;
                moved += nb.ProcessTx();
            }
        }
        foreach (var t in _taps)
        {
            if (Interlocked.Exchange(ref t.Kicked, 0) != 0 || t.Held)
                moved += t.DrainIntoSwitch();
        }
        // Senders held for room at a receiver try again after every batch (a receiver may have
        // drained) and, while one is held, every HoldRetryMs (the receiver may count as stalled by then).
        _anyBlocked = false;
        foreach (var v in _vifs)
        {
            if (v.Netback is { TxBlocked: true } nb)
            {
                moved += nb.ProcessTx();
                _anyBlocked |= nb.TxBlocked;
            }
        }
        foreach (var t in _taps)
            _anyBlocked |= t.Held;
        foreach (var v in _vifs)
        {
            if (v.RxTouched)
            {
                v.RxTouched = false;
                if (v.Device is { } device)
                    device.FlushRx();
                else
                    v.Netback?.FlushRx();
            }
            if (v.Netback is { IsConnected: false, Disconnected: not Devices.Vif.NetbackDisconnect.Closed } && !v.LostReported)
            {
                v.LostReported = true;
                v.Lost?.Invoke();
            }
        }
        return moved;
    }

    /// <summary>Starts the worker thread.</summary>
    public void Start()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "parakit-net-" + Name };
        _thread.Start();
    }

    // Written by whichever thread runs a batch, read by the kicker and the worker loop.
    private volatile bool _anyBlocked;
    private const int HoldRetryMs = 5;

    private void Loop()
    {
        while (!_stop)
        {
            _wake.Wait(_anyBlocked ? HoldRetryMs : Timeout.Infinite);
            if (!_stop)
                RunOnce();
        }
    }

    /// <summary>Stops the TAP readers and the worker thread; a second call does nothing. The
    /// owners of the TAPs close them.</summary>
    public void Dispose()
    {
        if (_stop)
            return;
        TapPort[] current;
        lock (_lock)
            current = [.. _taps];
        foreach (var t in current)
            RemoveTap(t);
        _stop = true;
        _wake.Release();
        _thread?.Join();
        _wake.Dispose();
    }
}
