// One vif of one domain, for its whole life (the shape every ParaKit device follows):
//   attach   the toolstack's xenbus directories (frontend under the guest, backend under
//            domain 0, mac/bridge/mtu in both as libxl writes them), features advertised,
//            backend InitWait, a watch on the frontend's state;
//   connect  frontend Connected: its keys are read as guest data, both ring pages claimed,
//            the event channel connected, a Netback bound to the switch's network worker;
//   close    frontend Closing/Closed, a frontend whose ring breaks netif's rules (netback
//            disconnects it), or the frontend directory vanishing: the netback is unbound and
//            its rings and port released; a frontend that goes back to Initialising after Closed
//            finds the backend in InitWait again (Linux netback's reconnect);
//   detach   before the domain's memory goes (Domain.Destroying): unbind, release, remove the
//            directories and the switch port.
// Where the vif plugs in (Xen's vif-bridge script): when bridge=NAME is an existing Linux bridge,
// the vif also appears on the host as TAP vif<domid>.<n> (or vifname=) with the vif's MTU, enslaved
// to NAME, joined to the vif through a private two-port switch and worker; at detach it leaves
// the bridge and disappears. Otherwise NAME is an in-process switch shared with other vifs.
// State changes run on the toolstack's control thread (DeviceContext.Post); counters add up
// over every connection the vif has had.
using System.Globalization;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Net.Switch;
using ParaKit.Hypervisor.Net.Tap;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Devices.Vif;

public sealed class VifDevice : IDomainDevice
{
    private readonly Domain _domain;
    private readonly DeviceContext _ctx;
    private readonly NetworkWorker _worker;
    private readonly WorkerVif _port;
    private readonly string _token;
    private readonly NetbackCounters _past = new();
    // Posted work runs on the control thread, but the domain may be destroyed from another.
    private readonly Lock _sync = new();
    private VifBackend? _backend;
    private bool _detached;
    private HostBridgeLink? _link;

    public VifConfig Config { get; }
    public string Name { get; }
    public MacAddress Mac { get; }
    public XenbusDevicePaths Paths { get; }
    /// <summary>The backend's xenbus state as domain 0 last wrote it.</summary>
    public XenbusState State { get; private set; } = XenbusState.Initialising;
    /// <summary>Connections made, and lost by reason (the frontend closed / broke the rings / went away).</summary>
    public int Connects, ClosedByFrontend, LostMisbehaving, ConnectRefused;
    /// <summary>Why the last connection attempt or connection ended, for the vif view.</summary>
    public string LastProblem { get; private set; } = "";

    private VifDevice(Domain domain, VifConfig config, DeviceContext ctx, NetworkWorker worker)
    {
        _domain = domain;
        _ctx = ctx;
        _worker = worker;
        Config = config;
        Name = config.NameFor(domain.Id);
        Mac = config.MacFor(domain.Id);
        Paths = XenbusDevices.PathsOf(domain.Id, 0, "vif", (uint)config.Index);
        _token = "vif-" + Name;
        _port = worker.AddVif(Name);
        _port.Port.TraceDomain = domain.Id;
        _port.Port.TraceVif = config.Index;
        _port.Lost = () => ctx.Post(OnNetbackLost);
    }

    /// <summary>The vif's port on its switch (frames it sent in, what the switch dropped of them).</summary>
    public SwitchPort SwitchPort => _port.Port;

    /// <summary>Loss injected into the vif's switch (`--switch-loss`), if any.</summary>
    public SwitchLoss? SwitchLoss => _worker.Switch.Loss;

    /// <summary>The vif's TAP on the host when it sits on a Linux bridge (null on an in-process switch).</summary>
    public TapPort? HostTap => _link?.Port;

    /// <summary>Attaches the vif where its bridge= says: a Linux bridge of that name (through a
    /// TAP, as Xen's vif-bridge does) if one exists, else the in-process switch of that name.</summary>
    public static VifDevice Attach(Domain domain, VifConfig config, DeviceContext ctx, Networks networks)
    {
        if (!TapDevice.IsLinuxBridge(config.Bridge))
            return Attach(domain, config, ctx, networks.Get(config.Bridge));
        var link = HostBridgeLink.Open(networks, config.NameFor(domain.Id), config.Bridge, config.Mtu);
        VifDevice vif;
        try
        {
            vif = new VifDevice(domain, config, ctx, link.Worker) { _link = link };
        }
        catch
        {
            link.Dispose();
            throw;
        }
        return vif.Finish(domain);
    }

    /// <summary>Creates the device's xenbus directories and starts watching the frontend. Call
    /// before the domain starts; the vif detaches itself when the domain is destroyed.</summary>
    public static VifDevice Attach(Domain domain, VifConfig config, DeviceContext ctx, NetworkWorker worker) =>
        new VifDevice(domain, config, ctx, worker).Finish(domain);

    /// <summary>Publishes the directories and arranges the detach; a failure undoes what was done
    /// (a host-bridge vif's TAP goes, nothing stays in the store).</summary>
    private VifDevice Finish(Domain domain)
    {
        try
        {
            Publish();
        }
        catch
        {
            Dispose();
            throw;
        }
        domain.Destroying += _ => Dispose();
        return this;
    }

    private void Publish()
    {
        var xs = _ctx.Store;
        var (front, back) = VifXenbus.DirectoryKeys(Config, Mac);
        Check(XenbusDevices.Add(xs, _domain.Id, 0, "vif", (uint)Config.Index, front, back), "create the xenbus directories");
        Check(VifXenbus.AdvertiseFeatures(xs, Paths.Backend), "advertise the backend's features");
        State = XenbusState.InitWait;
        // Fires once right away (the frontend is still Initialising), then on every change.
        Check(xs.Watch(Paths.Frontend + "/state", _token, (_, _) => _ctx.Post(OnFrontendChanged)), "watch the frontend's state");
    }

    private void Check(XsError e, string what)
    {
        if (e != XsError.None)
            throw new InvalidOperationException($"{Name}: could not {what}: the store answered {e}");
    }

    private void SetState(XenbusState s)
    {
        State = s;
        VifXenbus.SetState(_ctx.Store, Paths.Backend, s);
    }

    /// <summary>Linux netback's frontend_changed, on the control thread.</summary>
    private void OnFrontendChanged()
    {
        lock (_sync)
            OnFrontendChangedLocked();
    }

    private void OnFrontendChangedLocked()
    {
        if (_detached)
            return;
        XenbusState front = VifXenbus.ReadState(_ctx.Store, Paths.Frontend);
        switch (front)
        {
            case XenbusState.Initialising when State == XenbusState.Closed:
                // The frontend starts over after a close: offer the features again.
                VifXenbus.AdvertiseFeatures(_ctx.Store, Paths.Backend);
                State = XenbusState.InitWait;
                break;
            case XenbusState.Connected when _backend is null && State == XenbusState.InitWait:
                Connect();
                break;
            case XenbusState.Closing:
                if (Disconnect())
                    ClosedByFrontend++;
                if (State != XenbusState.Closed)
                    SetState(XenbusState.Closing);
                break;
            case XenbusState.Closed:
                if (Disconnect())
                    ClosedByFrontend++;
                SetState(XenbusState.Closed);
                break;
            case XenbusState.Unknown:
                // The frontend's directory is gone (its domain is being torn down) or garbled.
                if (Disconnect())
                    ClosedByFrontend++;
                if (State != XenbusState.Closed)
                    SetState(XenbusState.Closed);
                break;
        }
    }

    private void Connect()
    {
        var check = VifXenbus.ReadFrontend(_ctx.Store, Paths.Frontend, out var keys);
        if (check != VifFrontendCheck.Ok)
        {
            Refuse($"the frontend's keys are unusable: {check}");
            return;
        }
        var result = VifBackend.TryConnect(_domain.Grants, _domain.Events, keys, _port.Port, () => _worker.Kick(_port), Config.Mtu, out var backend, Config.Index);
        if (result != VifConnectResult.Ok || backend is null)
        {
            Refuse($"connect failed: {result}");
            return;
        }
        _backend = backend;
        _worker.Bind(_port, backend.Netback);
        Connects++;
        LastProblem = "";
        SetState(XenbusState.Connected);
        // Frames the guest published before we were bound wait in the ring: look now.
        _worker.Kick(_port);
    }

    /// <summary>Like xenbus_dev_fatal: say why in the backend's error node and close.</summary>
    private void Refuse(string why)
    {
        ConnectRefused++;
        LastProblem = why;
        _ctx.Store.Write($"/local/domain/0/error/{Paths.Backend["/local/domain/0/".Length..]}/error", why);
        SetState(XenbusState.Closing);
    }

    /// <summary>The worker saw the netback disconnect the frontend (it broke the ring or netif's rules).</summary>
    private void OnNetbackLost()
    {
        lock (_sync)
            OnNetbackLostLocked();
    }

    private void OnNetbackLostLocked()
    {
        if (_detached || _backend is null || _backend.Netback.IsConnected)
            return;
        LostMisbehaving++;
        LastProblem = $"frontend misbehaved: {_backend.Netback.Disconnected}";
        Disconnect();
        SetState(XenbusState.Closing);
    }

    /// <summary>Unbinds and releases the current connection; false if there was none.</summary>
    private bool Disconnect()
    {
        var b = _backend;
        if (b is null)
            return false;
        _backend = null;
        _worker.Unbind(_port);          // the worker no longer touches the ring pages after this
        b.Dispose();
        _past.Add(b.Netback.Counters);
        return true;
    }

    /// <summary>Counters over every connection so far (the current one included).</summary>
    public NetbackCounters Counters
    {
        get
        {
            var c = new NetbackCounters();
            lock (_sync)
            {
                c.Add(_past);
                if (_backend is { } b)
                    c.Add(b.Netback.Counters);
            }
            return c;
        }
    }

    /// <summary>Ring indices of the current connection (null when not connected), for the vif view.</summary>
    public NetbackRingState? Rings
    {
        get { lock (_sync) return _backend?.Netback.RingState; }
    }

    /// <summary>Frames the switch offered while no netback was bound (counted by the worker).</summary>
    public long DroppedUnbound => _port.DroppedUnbound;

    public string Summary
    {
        get
        {
            var c = Counters;
            string where = HostTap is { } tap ? $"{Config.Bridge} (Linux bridge, tap {tap.Name})" : Config.Bridge;
            return $"{Name} {Mac} {where} {State.ToString().ToLowerInvariant()} tx={c.TxFrames} rx={c.RxFrames} drops(tx={c.TxDrops} rx={c.RxDrops + DroppedUnbound})"
                + (LastProblem.Length > 0 ? $" last: {LastProblem}" : "");
        }
    }

    /// <summary>Detaches the vif: called when the domain is destroyed (before its memory goes) or
    /// by the toolstack. Safe from any thread; later calls do nothing.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_detached)
                return;
            _detached = true;
            Disconnect();
        }
        _worker.RemoveVif(_port);
        if (_link is { } link)
        {
            link.Dispose();   // the TAP leaves the bridge and disappears, then the private worker stops
            if (link.LastProblem != "")
                LastProblem = link.LastProblem;
        }
        var xs = _ctx.Store;
        xs.Unwatch(Paths.Frontend + "/state", _token);
        XenbusDevices.Remove(xs, _domain.Id, 0, "vif", (uint)Config.Index);
    }
}
