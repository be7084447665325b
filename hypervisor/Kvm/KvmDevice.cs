// The KVM system device (/dev/kvm): opened once per hypervisor process and shared by every
// domain. PARAKIT_KVM_DEVICE points it elsewhere, which is how tests simulate a host without KVM.
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Kvm;

/// <summary>An open KVM system device with the capabilities ParaKit relies on checked.</summary>
public sealed class KvmDevice : IDisposable
{
    public const string DefaultPath = "/dev/kvm";
    public const string PathVariable = "PARAKIT_KVM_DEVICE";

    private int _fd;

    public string Path { get; }
    internal int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(KvmDevice));
    /// <summary>Size of each vCPU's kvm_run mapping.</summary>
    internal int VcpuMmapSize { get; }
    public int MaxVcpus { get; }
    /// <summary>kvm_cpuid2 from KVM_GET_SUPPORTED_CPUID, cached by the first VM that asks.</summary>
    internal byte[]? SupportedCpuid { get; set; }

    private KvmDevice(string path, int fd, int mmapSize, int maxVcpus)
    {
        Path = path;
        _fd = fd;
        VcpuMmapSize = mmapSize;
        MaxVcpus = maxVcpus;
    }

    /// <summary>The device path from PARAKIT_KVM_DEVICE, or /dev/kvm.</summary>
    public static string ConfiguredPath()
    {
        string? p = Environment.GetEnvironmentVariable(PathVariable);
        return string.IsNullOrEmpty(p) ? DefaultPath : p;
    }

    public static KvmDevice Open() => Open(ConfiguredPath());

    /// <summary>Opens and checks the device; throws <see cref="KvmUnavailableException"/> with a
    /// message a user can act on.</summary>
    public static KvmDevice Open(string path)
    {
        int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            int e = Libc.LastErrno;
            string hint = e switch
            {
                Libc.ENOENT => "the KVM device does not exist: load the kvm module (kvm_intel, kvm_amd or kvm_pvm) or run on a host with virtualization",
                Libc.EACCES or Libc.EPERM => "permission denied: run as root or add your user to the group that owns the device (usually 'kvm')",
                _ => Libc.StrError(e),
            };
            throw new KvmUnavailableException($"cannot open {path}: {hint}");
        }
        try
        {
            int version = Libc.Ioctl(fd, KvmIoctl.GetApiVersion, 0);
            if (version < 0)
                throw new KvmUnavailableException($"{path} is not a KVM device ({Libc.StrError(Libc.LastErrno)})");
            if (version != KvmIoctl.ApiVersion)
                throw new KvmUnavailableException($"{path}: KVM API version {version}, expected {KvmIoctl.ApiVersion}");
            Require(fd, path, KvmCap.UserMemory, "KVM_CAP_USER_MEMORY");
            Require(fd, path, KvmCap.ImmediateExit, "KVM_CAP_IMMEDIATE_EXIT");
            int sync = Libc.Ioctl(fd, KvmIoctl.CheckExtension, KvmCap.SyncRegs);
            if (sync < 0 || (sync & (int)KvmSync.Regs) == 0)
                throw new KvmUnavailableException($"{path}: KVM_CAP_SYNC_REGS with KVM_SYNC_X86_REGS is required");
            int mmapSize = Libc.Ioctl(fd, KvmIoctl.GetVcpuMmapSize, 0);
            if (mmapSize < 0x930)
                throw new KvmUnavailableException($"{path}: unexpected kvm_run size {mmapSize}");
            int maxVcpus = Math.Max(1, Libc.Ioctl(fd, KvmIoctl.CheckExtension, KvmCap.NrVcpus));
            return new KvmDevice(path, fd, mmapSize, maxVcpus);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
    }

    private static void Require(int fd, string path, int cap, string name)
    {
        if (Libc.Ioctl(fd, KvmIoctl.CheckExtension, cap) <= 0)
            throw new KvmUnavailableException($"{path}: {name} is required");
    }

    /// <summary>Creates an empty VM (one per domain).</summary>
    public KvmVm CreateVm()
    {
        int vm = Libc.Ioctl(Fd, KvmIoctl.CreateVm, 0);
        if (vm < 0)
            throw new KvmException("KVM_CREATE_VM failed: " + Libc.StrError(Libc.LastErrno));
        return new KvmVm(this, vm);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
