// One configured domain (one xl.cfg file) as the toolstack supervises it: the configuration and
// image it boots from, the domain instance running now, the ones before it (restarts) and the
// devices attached to each instance.
using ParaKit.Hypervisor.Devices;
using ParaKit.Hypervisor.Domains;

namespace ParaKit.Hypervisor.Toolstack;

public sealed class ConfiguredDomain(DomainConfig config, ElfImage image)
{
    public DomainConfig Config { get; } = config;
    public ElfImage Image { get; } = image;

    /// <summary>The instance booted last (null before the first boot).</summary>
    public Domain? Current { get; internal set; }

    /// <summary>Instances that ended and were replaced by a restart.</summary>
    public List<Domain> Previous { get; } = [];

    /// <summary>Devices of every instance, in attach order (they keep their counters after detach).</summary>
    public List<IDomainDevice> Devices { get; } = [];

    public int Restarts { get; internal set; }

    /// <summary>True once the toolstack is finished with this configuration (ended, not restarting).</summary>
    public bool Done { get; internal set; }
}
