// The thread that serves guests' ring connections. A guest's event-channel send to the store
// port (or a watch event queued for it by another client) kicks the thread; it services every
// kicked connection until none makes progress, then sleeps. Sends arrive on vCPU threads inside
// a hypercall, so the kick itself only sets a flag and releases a semaphore.
namespace ParaKit.Hypervisor.Store;

public sealed class StoreService : IDisposable
{
    private readonly XenStore _store;
    private readonly Lock _lock = new();
    /// <summary>Held while rings are serviced, so Remove can promise that the page is no longer touched.</summary>
    private readonly Lock _busy = new();
    private readonly HashSet<RingConnection> _kicked = [];
    private readonly List<RingConnection> _rings = [];
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private Thread? _thread;
    private volatile bool _stop;

    public XenStore Store => _store;
    public long Wakeups { get; private set; }

    public StoreService(XenStore store)
    {
        _store = store;
    }

    /// <summary>The thread starts with the first kick: a domain that never talks to the store
    /// (hello) never pays for it, and starting a thread was a visible part of `parakit run`'s
    /// start-up. Until a guest kicks, its ring holds no requests to serve.</summary>
    private void EnsureThread()
    {
        if (Volatile.Read(ref _thread) is not null)
            return;
        lock (_lock)
        {
            if (_thread is not null || _stop)
                return;
            var t = new Thread(Loop) { IsBackground = true, Name = "xenstored" };
            t.Start();
            Volatile.Write(ref _thread, t);
        }
    }

    /// <summary>Registers a ring connection with the store; watch events for it kick the thread.</summary>
    public void Add(RingConnection c)
    {
        lock (_lock)
            _rings.Add(c);
        c.OutputQueued += _ => Kick(c);
        _store.Attach(c);
    }

    /// <summary>Stops serving <paramref name="c"/>; when this returns, the service thread no
    /// longer touches its page (the domain's memory may be freed).</summary>
    public void Remove(RingConnection c)
    {
        lock (_busy)
        {
            lock (_lock)
            {
                _rings.Remove(c);
                _kicked.Remove(c);
            }
            _store.Close(c);
        }
    }

    /// <summary>The guest notified the store port (any thread, cheap).</summary>
    public void Kick(RingConnection c)
    {
        lock (_lock)
        {
            if (!_rings.Contains(c) || !_kicked.Add(c))
                return;
        }
        EnsureThread();
        _wake.Release();
    }

    private void Loop()
    {
        while (!_stop)
        {
            // A periodic look at every ring covers a guest that freed rsp space without notifying.
            _wake.Wait(100);
            if (_stop)
                break;
            Wakeups++;
            RingConnection[] work;
            lock (_lock)
            {
                work = _kicked.Count > 0 ? [.. _kicked] : [.. _rings];
                _kicked.Clear();
            }
            lock (_busy)
            {
                bool again = true;
                for (int round = 0; again && round < 1000; round++)
                {
                    again = false;
                    foreach (var c in work)
                    {
                        if (c.IsClosed)
                            continue;
                        try
                        {
                            again |= c.Service();
                        }
                        catch (Exception e)
                        {
                            // A store bug must not stop the service for every other domain.
                            Console.Error.WriteLine($"parakit: xenstored: {c}: {e.Message}; connection closed");
                            Remove(c);
                        }
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        Thread? t;
        lock (_lock)
        {
            _stop = true;
            t = _thread;
        }
        _wake.Release();
        t?.Join(TimeSpan.FromSeconds(2));
    }
}
