// Domain 0's network worker: the one thread that owns the virtual switch and every vif's netback
// (both single-threaded by design). Guests' event-channel sends only mark their vif and wake the
// worker; the worker drains marked vifs' TX rings through the switch into the other vifs' RX
// rings, then publishes each touched RX ring once (one notification per batch, not per frame).
using ParaKit.Hypervisor.Native;
using ParaKit.Hypervisor.Net.Switch;
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

    /// <summary>Frames the switch sent to this vif before a netback was bound (counted, not kept).</summary>
    public long DroppedUnbound;

    /// <summary>Runs on the worker thread, once per binding, when the bound netback disconnected
    /// its frontend (broken ring or netif rules): the owner posts its reaction, it must not block.</summary>
    public Action? Lost { get; set; }
    internal bool LostReported;

    public bool HasRoomFor(ReadOnlySpan<byte> frame) => Netback?.HasRoomFor(frame.Length) ?? true;

    /// <summary>The switch's output towards the guest.</summary>
    public void Deliver(ReadOnlySpan<byte> frame)
    {
        var nb = Netback;
        if (nb is null)
        {
            DroppedUnbound++;
            return;
        }
        nb.DeliverToGuest(frame);   // a drop is counted by the netback
        RxTouched = true;
    }
}

public sealed class NetworkWorker : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<WorkerVif> _vifs = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private Thread? _thread;
    private volatile bool _stop;

    public NetworkWorker(string name = "sw0") => Name = name;

    /// <summary>The switch's name (xl.cfg's bridge=).</summary>
    public string Name { get; }

    public VirtualSwitch Switch { get; } = new();

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

    /// <summary>Detaches the vif's netback: once this returns, the worker no longer touches its
    /// rings, so they can be released. Frames for the vif are counted in DroppedUnbound.</summary>
    public void Unbind(WorkerVif vif)
    {
        lock (_lock)
            vif.Netback = null;
    }

    /// <summary>Removes a vif (its netback is closed by its owner).</summary>
    public void RemoveVif(WorkerVif vif)
    {
        lock (_lock)
        {
            _vifs.Remove(vif);
            Switch.RemovePort(vif.Port);
            vif.Netback = null;
        }
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
    public void Kick(WorkerVif vif)
    {
        if (Interlocked.Exchange(ref vif.Kicked, 1) != 0)
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
            if (Interlocked.Exchange(ref v.Kicked, 0) != 0 && v.Netback is { } nb)
            {
                // One channel for both directions: the kick may mean new RX buffers too.
                if (nb.RxQueued > 0 && nb.DrainRx() > 0)
                    v.RxTouched = true;
                moved += nb.ProcessTx();
            }
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
        foreach (var v in _vifs)
        {
            if (v.RxTouched)
            {
                v.RxTouched = false;
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

    /// <summary>Stops and joins the worker thread; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_stop)
            return;
        _stop = true;
        _wake.Release();
        _thread?.Join();
        _wake.Dispose();
    }
}
