// What watches a domain that `parakit run` runs on its main thread (Domain.RunHere): Ctrl-C and
// SIGTERM shut it down, and so does the --timeout. It lives on a thread of its own, created with
// pthread_create so that the main thread goes straight on into the guest (.NET's Thread.Start
// waits for the new thread to run managed code) and the watch's own start overlaps the guest's.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Cli;

internal sealed unsafe class RunWatch : IDisposable
{
    private readonly Domain _domain;
    private readonly double? _timeout;
    private readonly nuint _thread;
    private GCHandle _self;
    private readonly ManualResetEventSlim _disposed = new();
    private volatile bool _interrupted, _timedOut;

    /// <summary>A signal ended the domain.</summary>
    public bool Interrupted => _interrupted;
    /// <summary>The timeout ended the domain.</summary>
    public bool TimedOut => _timedOut;

    private RunWatch(Domain domain, double? timeoutSeconds)
    {
        _domain = domain;
        _timeout = timeoutSeconds;
        _thread = NativeThread.Start(&Entry, this, out _self);
    }

    /// <summary>Starts watching <paramref name="domain"/> (no timeout when null).</summary>
    public static RunWatch Start(Domain domain, double? timeoutSeconds) => new(domain, timeoutSeconds);

    [UnmanagedCallersOnly]
    private static nint Entry(nint self)
    {
        var watch = (RunWatch)GCHandle.FromIntPtr(self).Target!;
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
        return 0;
    }

    private void Watch()
    {
        void OnSignal(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            _interrupted = true;
            _domain.Shutdown($"interrupted ({ctx.Signal})");
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var timeout = _timeout is { } s ? TimeSpan.FromSeconds(s) : Timeout.InfiniteTimeSpan;
        if (WaitHandle.WaitAny([_domain.ExitHandle, _disposed.WaitHandle], timeout) == WaitHandle.WaitTimeout)
        {
            _timedOut = true;
            _domain.Shutdown($"timed out after {_timeout!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} s");
        }
    }

    /// <summary>Stops watching (at once if the domain never ran) and waits for the watch to let
    /// its signals go.</summary>
    public void Dispose()
    {
        if (!_self.IsAllocated)
            return;
        _disposed.Set();
        NativeThread.Join(_thread);
        _self.Free();
        _disposed.Dispose();
    }
}
