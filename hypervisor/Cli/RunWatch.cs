// What watches a domain that `parakit run` runs on its main thread (Domain.RunHere): Ctrl-C and
// SIGTERM shut it down, and so does the --timeout. It lives on a thread of its own, created with
// pthread_create so that the main thread goes straight on into the guest (.NET's Thread.Start
// waits for the new thread to run managed code) and the watch's own start overlaps the guest's.
// The main thread never waits for that start either: a short guest (hello runs ~0.6 ms) often
// ends before the watch has attached to the runtime and registered its signals (the runtime's
// first registration starts its signal thread); joining it cost the run 0.05-0.2 ms (median),
// up to ~1 ms when the thread waited for a core. Dispose marks the run over and lets the thread
// go; from then on the watch touches the domain no more.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Cli;

internal sealed unsafe class RunWatch : IDisposable
{
    private readonly Domain _domain;
    private readonly double? _timeout;
    private readonly nuint _thread;
    // Guards _over against the watch's actions on the domain: after Dispose none may start.
    private readonly Lock _gate = new();
    private bool _over;
    // Wakes the watch when the run is over. Never disposed: without a WaitHandle it holds no
    // kernel object, and the detached thread may still be waiting on it when Dispose returns.
    private readonly ManualResetEventSlim _wake = new();
    private volatile bool _interrupted, _timedOut;

    /// <summary>A signal ended the domain.</summary>
    public bool Interrupted => _interrupted;
    /// <summary>The timeout ended the domain.</summary>
    public bool TimedOut => _timedOut;

    private RunWatch(Domain domain, double? timeoutSeconds)
    {
        _domain = domain;
        _timeout = timeoutSeconds;
        _thread = NativeThread.Start(&Entry, this, out _);
    }

    /// <summary>Starts watching <paramref name="domain"/> (no timeout when null).</summary>
    public static RunWatch Start(Domain domain, double? timeoutSeconds) => new(domain, timeoutSeconds);

    [UnmanagedCallersOnly]
    private static nint Entry(nint self)
    {
        var handle = GCHandle.FromIntPtr(self);
        var watch = (RunWatch)handle.Target!;
        try
        {
            watch.Watch();
        }
        catch (Exception e)
        {
            // An exception cannot leave an UnmanagedCallersOnly method; without its watch the
            // domain still runs to its end, so say so and let it.
            System.Console.Error.WriteLine($"parakit: the watch of domain {watch._domain.Name} failed: {e.Message}");
        }
        handle.Free(); // the thread is detached: nobody else knows when it has ended
        return 0;
    }

    private void Watch()
    {
        if (IsOver)
            return; // the guest ended before the watch began: no signals to take
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var timeout = _timeout is { } s ? TimeSpan.FromSeconds(s) : Timeout.InfiniteTimeSpan;
        if (!_wake.Wait(timeout))
            EndDomain(timedOut: true, $"timed out after {_timeout!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} s");
    }

    private void OnSignal(PosixSignalContext ctx)
    {
        // Once the run is over the signal does what it would without a watch (ends the process).
        ctx.Cancel = EndDomain(timedOut: false, $"interrupted ({ctx.Signal})");
    }

    private bool IsOver
    {
        get { lock (_gate) return _over; }
    }

    /// <summary>Shuts the domain down unless the run is already over; true if it did.</summary>
    private bool EndDomain(bool timedOut, string why)
    {
        lock (_gate)
        {
            if (_over)
                return false;
            if (timedOut)
                _timedOut = true;
            else
                _interrupted = true;
            _domain.Shutdown(why);
            return true;
        }
    }

    /// <summary>Ends the watch: it no longer acts on the domain once this returns, and its
    /// thread lets its signals go and ends by itself (it is not waited for).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_over)
                return;
            _over = true;
        }
        _wake.Set();
        NativeThread.Detach(_thread);
    }
}
