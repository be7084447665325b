// What a domain is made from: the equivalent of one xl.cfg file or one `parakit run` command.
namespace ParaKit.Hypervisor.Domains;

/// <summary>What to do when a domain crashes (xl.cfg's on_crash; the subset ParaKit supports).</summary>
public enum CrashAction
{
    /// <summary>Free the domain (the default).</summary>
    Destroy,
    /// <summary>Keep the crashed domain's memory and state until the hypervisor exits.</summary>
    Preserve,
    /// <summary>Destroy it and boot a fresh domain from the same configuration.</summary>
    Restart,
}

public sealed record DomainConfig
{
    public const int DefaultMemoryMiB = 64;

    public required string Name { get; init; }
    /// <summary>Path of the guest ELF image.</summary>
    public required string Kernel { get; init; }
    public int MemoryMiB { get; init; } = DefaultMemoryMiB;
    /// <summary>Guest command line (start_info.cmd_line).</summary>
    public string CommandLine { get; init; } = "";
    public CrashAction OnCrash { get; init; } = CrashAction.Destroy;
    /// <summary>Network devices (xl.cfg's vif list), in device-id order.</summary>
    public IReadOnlyList<Devices.Vif.VifConfig> Vifs { get; init; } = [];
}
