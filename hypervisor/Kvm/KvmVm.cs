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

    /// <summary>KVM_CREATE_IRQCHIP: the in-kernel local APIC (and PIC/IOAPIC) that lets domain 0
    /// inject interrupts without a user-space exit. Must come before the vCPUs.</summary>
    public void CreateIrqchip()
    {
        if (Libc.Ioctl(Fd, KvmIoctl.CreateIrqchip, 0) < 0)
            throw new KvmException("KVM_CREATE_IRQCHIP failed: " + Libc.StrError(Libc.LastErrno));
        HasIrqchip = true;
    }

    public bool HasIrqchip { get; private set; }

    // GSI routes this VM has (KVM_SET_GSI_ROUTING replaces the whole table each time).
    private readonly List<(uint Gsi, uint Vector)> _msiRoutes = [];
    /// <summary>First GSI for MSI routes: above the IOAPIC's 24 pins.</summary>
    private const uint FirstMsiGsi = 24;

    /// <summary>Routes a new GSI to an MSI for vector <paramref name="vector"/> on APIC 0 (fixed
    /// delivery, edge) and connects <paramref name="eventFd"/> to it with KVM_IRQFD: a write to the
    /// eventfd then interrupts the guest from inside the kernel, no user-space exit on the way.</summary>
    public uint AddMsiIrqfd(int eventFd, uint vector)
    {
        if (!HasIrqchip)
            throw new InvalidOperationException("an MSI route needs KVM_CREATE_IRQCHIP first");
        uint gsi;
        lock (_msiRoutes)
        {
            gsi = FirstMsiGsi + (uint)_msiRoutes.Count;
            _msiRoutes.Add((gsi, vector));
            // kvm_irq_routing {u32 nr; u32 flags;} + kvm_irq_routing_entry[nr] of 48 bytes:
            // {u32 gsi; u32 type; u32 flags; u32 pad; union { msi {u32 address_lo, address_hi, data, devid} ... u32 pad[8] } }.
            byte[] buf = new byte[8 + 48 * _msiRoutes.Count];
            fixed (byte* p = buf)
            {
                *(uint*)p = (uint)_msiRoutes.Count;
                for (int i = 0; i < _msiRoutes.Count; i++)
                {
                    uint* e = (uint*)(p + 8 + 48 * i);
                    e[0] = _msiRoutes[i].Gsi;
                    e[1] = 2;                       // KVM_IRQ_ROUTING_MSI
                    e[4] = 0xFEE0_0000;             // MSI address: destination APIC id 0
                    e[5] = 0;
                    e[6] = _msiRoutes[i].Vector;    // data: fixed delivery, edge, the vector
                }
                if (Libc.Ioctl(Fd, KvmIoctl.SetGsiRouting, (nint)p) < 0)
                    throw new KvmException("KVM_SET_GSI_ROUTING failed: " + Libc.StrError(Libc.LastErrno));
            }
        }
        // kvm_irqfd {u32 fd; u32 gsi; u32 flags; u32 resamplefd; u8 pad[16];}
        uint* irqfd = stackalloc uint[8];
        for (int i = 0; i < 8; i++)
            irqfd[i] = 0;
        irqfd[0] = (uint)eventFd;
        irqfd[1] = gsi;
        if (Libc.Ioctl(Fd, KvmIoctl.Irqfd, (nint)irqfd) < 0)
            throw new KvmException("KVM_IRQFD failed: " + Libc.StrError(Libc.LastErrno));
        return gsi;
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
    internal byte[] GetSupportedCpuid() => _device.SupportedCpuid;

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
