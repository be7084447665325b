// What Xen's vif-bridge script does for a device whose bridge= names a Linux bridge, shared by
// every device kind (netback vifs and emulated e1000s): a private worker for the device, a TAP
// with the device's name and MTU and Xen's fe:ff:ff:ff:ff:ff backend MAC (so the bridge never
// adopts it as its own address), brought up and enslaved to the bridge, as the worker's host port.
// Disposing undoes it in reverse: the TAP leaves the bridge and disappears with its fd.
namespace ParaKit.Hypervisor.Net.Tap;

public sealed class HostBridgeLink : IDisposable
{
    private int _disposed;

    /// <summary>The device's private worker: add the device's own port to it.</summary>
    public NetworkWorker Worker { get; }
    public TapDevice Tap { get; }
    /// <summary>The TAP's port on the worker (counters for the final table and `parakit vif`).</summary>
    public TapPort Port { get; }
    /// <summary>Why leaving the bridge failed at dispose, or "".</summary>
    public string LastProblem { get; private set; } = "";

    private HostBridgeLink(NetworkWorker worker, TapDevice tap, TapPort port)
    {
        Worker = worker;
        Tap = tap;
        Port = port;
    }

    /// <summary>Creates TAP <paramref name="name"/> in Linux bridge <paramref name="bridge"/>; a
    /// failure (name taken, no permission) undoes what was done and throws with the reason.
    /// <paramref name="offload"/>: a vnet header with TSO and checksum offload, for a device that
    /// passes super-frames on (a netback vif); a device that cannot (the e1000 model) is better
    /// served by the kernel segmenting and checksumming for it than by domain 0 in software.</summary>
    public static HostBridgeLink Open(Networks networks, string name, string bridge, int mtu, bool offload = true)
    {
        var worker = networks.ForHostBridge(name, bridge);
        TapDevice? tap = null;
        try
        {
            tap = TapDevice.Open(name, mustBeNew: true, offload);
            tap.SetMtu(mtu);
            tap.SetHardwareAddress([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]);
            tap.SetUp();
            tap.JoinBridge(bridge);
            return new HostBridgeLink(worker, tap, worker.AddTap(tap));
        }
        catch
        {
            tap?.Dispose();
            worker.Dispose();
            throw;
        }
    }

    /// <summary>Call after the device removed its own port from <see cref="Worker"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Worker.RemoveTap(Port);
        if (!Tap.LeaveBridge(out string? problem))
            LastProblem = problem ?? "";
        Tap.Dispose();   // the TAP disappears with its fd
        Worker.Dispose();
    }
}
