// The KVM system device (/dev/kvm): opened once per hypervisor process and shared by every
// domain. PARAKIT_KVM_DEVICE points it elsewhere, which is how tests simulate a host without KVM.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Kvm;

/// <summary>An open KVM system device with the capabilities ParaKit relies on checked.</summary>
public sealed unsafe class KvmDevice : IDisposable
{
    public const string DefaultPath = "/dev/kvm";
    public const string PathVariable = "PARAKIT_KVM_DEVICE";

    private int _fd;

    public string Path { get; }
    internal int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(KvmDevice));
    /// <summary>Size of each vCPU's kvm_run mapping.</summary>
    internal int VcpuMmapSize { get; }
    public int MaxVcpus { get; }
    private readonly Lock _cpuidLock = new();
    private byte[]? _supportedCpuid;
    private nuint _cpuidThread;
    private GCHandle _cpuidHandle;
    private string? _cpuidCachePath;
    private byte[]? _cpuidCacheKey;

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

    /// <summary>Takes KVM's CPUID leaves from the cache of an earlier run (<see cref="CpuidCache"/>),
    /// or else asks KVM for them on a thread of its own, so the answer is ready when
    /// the first vCPU needs it. Under nested KVM the query is the dearest step of building a
    /// domain (KVM executes every host leaf, and each CPUID traps: ~0.9 ms); meanwhile the
    /// main thread sets up the store, the VM and the guest's memory.</summary>
    internal void StartCpuidQuery()
    {
        lock (_cpuidLock)
        {
            if (_supportedCpuid is not null || _cpuidThread != 0)
                return;
            _cpuidCachePath = CpuidCache.DefaultPath();
            _cpuidCacheKey = _cpuidCachePath is null ? null : CpuidCache.Key(_fd);
            if (_cpuidCacheKey is not null && CpuidCache.TryLoad(_cpuidCachePath!, _cpuidCacheKey) is { } cached)
            {
                _supportedCpuid = cached;
                return;
            }
            _cpuidThread = NativeThread.Start(&QueryOnThread, this, out _cpuidHandle);
        }
    }

    [UnmanagedCallersOnly]
    private static nint QueryOnThread(nint handle)
    {
        var device = (KvmDevice)GCHandle.FromIntPtr(handle).Target!;
        try
        {
            var cpuid = QuerySupportedCpuid(device._fd);
            device._supportedCpuid = cpuid;
            if (device._cpuidCachePath is { } path && device._cpuidCacheKey is { } key)
                CpuidCache.TryStore(path, key, cpuid);
        }
        catch (Exception)
        {
            // Left null: the caller asks again on its own thread and sees the error there.
        }
        return 0;
    }

    /// <summary>kvm_cpuid2 from KVM_GET_SUPPORTED_CPUID: the same for every VM, so asked once per
    /// process (by <see cref="StartCpuidQuery"/>'s thread when it was started).</summary>
    internal byte[] SupportedCpuid
    {
        get
        {
            lock (_cpuidLock)
            {
                WaitForCpuidQuery();
                return _supportedCpuid ??= QuerySupportedCpuid(Fd);
            }
        }
    }

    private void WaitForCpuidQuery()
    {
        if (_cpuidThread == 0)
            return;
        NativeThread.Join(_cpuidThread);
        _cpuidThread = 0;
        _cpuidHandle.Free();
    }

    private static byte[] QuerySupportedCpuid(int fd)
    {
        // kvm_cpuid2: u32 nent, u32 padding, then entries. Start at KVM_MAX_CPUID_ENTRIES (256):
        // KVM enumerates the host's leaves (each CPUID traps when nested) before it can say
        // E2BIG, so a first guess too small costs a whole second enumeration.
        for (int n = 256; n <= 4096; n *= 2)
        {
            byte[] buf = new byte[8 + n * sizeof(KvmCpuidEntry2)];
            fixed (byte* p = buf)
            {
                *(uint*)p = (uint)n;
                if (Libc.Ioctl(fd, KvmIoctl.GetSupportedCpuid, (nint)p) == 0)
                    return buf;
                if (Libc.LastErrno != 7)
                    break;
            }
        }
        return [];
    }

    public void Dispose()
    {
        lock (_cpuidLock)
            WaitForCpuidQuery();
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
