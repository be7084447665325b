// Domain 0's store as the hypervisor runs it: one XenStore, the service thread for guests'
// rings, and per domain the wiring a Xen toolstack does at creation (xenstore page, event
// channel to domain 0, start_info fields, the /local/domain/N nodes) and undoes at destruction.
using ParaKit.Hypervisor.Domains;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

public sealed unsafe class DomainStores : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, RingConnection> _byDomain = [];
    private StoreService? _service;

    public XenStore Store { get; } = new();

    /// <summary>The service thread starts with the first domain (many tests never create one).</summary>
    private StoreService Service
    {
        get
        {
            lock (_lock)
                return _service ??= new StoreService(Store);
        }
    }

    /// <summary>A client for domain 0's own code (a backend, the toolstack side of a device).</summary>
    public LocalStoreClient OpenClient(string name = "domain0") => new(Store, 0, name);

    public RingConnection? ConnectionOf(uint domid)
    {
        lock (_lock)
            return _byDomain.GetValueOrDefault(domid);
    }

    /// <summary>Gives a freshly built (not yet started) domain its store connection: an event
    /// channel bound to domain 0, the ring page initialised, start_info pointing at both.</summary>
    public void Connect(Domain domain)
    {
        var page = (XenstoreDomainInterface*)((byte*)domain.Memory.HostAddress + GuestLayout.StoreRingAddress);
        var service = Service;
        RingConnection? conn = null;
        // The guest's send runs on its vCPU thread: only kick the service thread from there.
        uint port = domain.Events.BindDomain0(() =>
        {
            if (conn is { } c)
                service.Kick(c);
        });
        if (port == 0)
            throw new InvalidOperationException($"domain {domain.Name}: no free event channel for the store");
        RingConnection.InitPage(page, port);
        conn = new RingConnection(Store, domain.Id, domain.Name, page, new ActionNotifier(() => domain.Events.NotifyFromDomain0(port)));
        ref StartInfo si = ref domain.StartInfo;
        si.StoreRingAddress = GuestLayout.StoreRingAddress;
        si.StoreEventChannel = port;
        Store.IntroduceDomain(domain.Id, domain.Name, (ulong)domain.Config.MemoryMiB * 1024);
        lock (_lock)
            _byDomain[domain.Id] = conn;
        service.Add(conn);
    }

    /// <summary>Before the domain's memory goes: stop serving its ring, drop its watches and
    /// transactions, remove its nodes and fire @releaseDomain.</summary>
    public void Disconnect(Domain domain)
    {
        RingConnection? conn;
        lock (_lock)
            _byDomain.Remove(domain.Id, out conn);
        if (conn is not null)
            _service?.Remove(conn);
        Store.ReleaseDomain(domain.Id);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _service?.Dispose();
            _service = null;
        }
    }
}
