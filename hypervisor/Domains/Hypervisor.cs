// Domain 0's host object: the open KVM device, the hypercall table and the domains this
// process hosts. The CLI and the benchmarks drive domains through it:
//   using var hv = Hypervisor.Open();
//   var d = hv.CreateDomain(new DomainConfig { Name = "a", Kernel = "out/guests/hello.elf" }, sink);
//   d.Start(); d.WaitForExit(timeout); hv.DestroyDomain(d);
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Events;
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Hypercalls;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Hypervisor.Store;

namespace ParaKit.Hypervisor.Domains;

public sealed class Hypervisor : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Domain> _domains = [];
    private uint _nextId = 1;

    public KvmDevice Kvm { get; }
    public HypercallDispatcher Hypercalls { get; } = HypercallDispatcher.CreateCore();
    /// <summary>Event-channel tables of the domains hosted here, by domain id.</summary>
    public EventChannelDirectory Events { get; } = new();
    /// <summary>Grant tables of the domains hosted here, by domain id.</summary>
    public GrantTableDirectory Grants { get; } = new();
    /// <summary>The XenStore (hypervisor/Store): every domain gets a ring connection at creation.</summary>
    public DomainStores Store { get; } = new();
    /// <summary>Boot pages shared copy-on-write by domains of one image and memory size.</summary>
    internal BootTemplateCache BootTemplates { get; } = new();
    /// <summary>Whether domains of one image and memory size share their boot pages copy-on-write
    /// (BootTemplates; the default). `parakit run` hosts a single domain and turns it off: a
    /// template has nobody to share with there and costs ~0.1 ms of start-up.</summary>
    public bool SharesBootPages { get; set; } = true;
    /// <summary>Whether CreateDomain starts each domain's vCPU thread, to wait for Start (the
    /// default). `parakit run` turns it off and runs its one vCPU itself (Domain.RunHere).</summary>
    public bool PreparesVcpuThreads { get; set; } = true;

    private Hypervisor(KvmDevice kvm) => Kvm = kvm;

    /// <summary>Opens /dev/kvm (or PARAKIT_KVM_DEVICE). Throws KvmUnavailableException.</summary>
    public static Hypervisor Open() => Open(KvmDevice.ConfiguredPath());

    public static Hypervisor Open(string devicePath)
    {
        var kvm = KvmDevice.Open(devicePath);
        // Every domain needs the CPUID leaves: they are asked for beside the rest of the set-up.
        kvm.StartCpuidQuery();
        return new(kvm);
    }

    public IReadOnlyList<Domain> Domains
    {
        get { lock (_lock) return _domains.ToArray(); }
    }

    /// <summary>Builds a domain (not started). Loads the kernel named in the config.</summary>
    public Domain CreateDomain(DomainConfig config, IConsoleSink? console = null) =>
        CreateDomain(config, ElfImage.Load(config.Kernel), console);

    /// <summary>Builds a domain from an already parsed image (density benchmarks parse once).</summary>
    public Domain CreateDomain(DomainConfig config, ElfImage image, IConsoleSink? console = null)
    {
        uint id;
        lock (_lock)
            id = _nextId++;
        var domain = DomainBuilder.Build(Kvm, id, config, image, console ?? new FdConsoleSink(), Hypercalls, SharesBootPages ? BootTemplates : null);
        if (PreparesVcpuThreads)
            domain.Vcpu.Prepare();
        Events.Add(domain.Events);
        Grants.Add(domain.Grants);
        // However the domain is destroyed, the store stops touching its ring page first.
        domain.Destroying += Store.Disconnect;
        try
        {
            Store.Connect(domain);
        }
        catch
        {
            domain.Destroy();
            throw;
        }
        lock (_lock)
            _domains.Add(domain);
        return domain;
    }

    public void DestroyDomain(Domain domain)
    {
        domain.Destroy();
        lock (_lock)
            _domains.Remove(domain);
    }

    public void Dispose()
    {
        foreach (var d in Domains)
            DestroyDomain(d);
        Store.Dispose();
        Kvm.Dispose();
    }
}
