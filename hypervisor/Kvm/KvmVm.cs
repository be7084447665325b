// One KVM virtual machine: the container of a domain's memory slots and its vCPU.
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Kvm;

public sealed unsafe class KvmVm : IDisposable
{
    private readonly KvmDevice _device;
    private int _fd;

    internal KvmVm(KvmDevice device, int fd)
    {
        _device = device;
        _fd = fd;
    }

    internal int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(KvmVm));

    /// <summary>Maps host memory at <paramref name="hostAddress"/> into guest-physical space.</summary>
    public void SetMemoryRegion(uint slot, ulong guestPhys, ulong size, nint hostAddress)
    {
        var region = new KvmUserspaceMemoryRegion
        {
            Slot = slot,
            GuestPhysAddr = guestPhys,
            MemorySize = size,
            UserspaceAddr = (ulong)hostAddress,
        };
        if (Libc.Ioctl(Fd, KvmIoctl.SetUserMemoryRegion, (nint)(&region)) < 0)
            throw new KvmException($"KVM_SET_USER_MEMORY_REGION (slot {slot}, {size >> 20} MiB) failed: {Libc.StrError(Libc.LastErrno)}");
    }

    public KvmVcpu CreateVcpu(int id)
    {
        int fd = Libc.Ioctl(Fd, KvmIoctl.CreateVcpu, id);
        if (fd < 0)
            throw new KvmException($"KVM_CREATE_VCPU {id} failed: {Libc.StrError(Libc.LastErrno)}");
        nint run = Libc.Mmap(0, (nuint)_device.VcpuMmapSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (run == Libc.MapFailed)
        {
            int e = Libc.LastErrno;
            Libc.Close(fd);
            throw new KvmException("mmap of kvm_run failed: " + Libc.StrError(e));
        }
        return new KvmVcpu(_device, fd, run, _device.VcpuMmapSize);
    }

    /// <summary>The CPUID leaves KVM can expose, to hand to a vCPU unchanged.</summary>
    internal byte[] GetSupportedCpuid()
    {
        // The answer is the same for every VM: ask KVM once per process.
        return _device.SupportedCpuid ??= QuerySupportedCpuid(out _);
    }

    private byte[] QuerySupportedCpuid(out int count)
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
                if (Libc.Ioctl(_device.Fd, KvmIoctl.GetSupportedCpuid, (nint)p) == 0)
                {
                    count = (int)*(uint*)p;
                    return buf;
                }
                if (Libc.LastErrno != 7)
                    break;
            }
        }
        count = 0;
        return [];
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
