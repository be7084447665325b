// One KVM vCPU: its fd, its shared kvm_run page, and the few state ioctls used at boot and for
// crash reports. On the hot path registers move through kvm_run's sync-regs area only, since
// every extra vCPU ioctl costs about 5 µs under kvm_pvm.
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Kvm;

public sealed unsafe class KvmVcpu : IDisposable
{
    private readonly KvmDevice _device;
    private int _fd;
    private nint _run;
    private readonly int _runSize;

    internal KvmVcpu(KvmDevice device, int fd, nint run, int runSize)
    {
        _device = device;
        _fd = fd;
        _run = run;
        _runSize = runSize;
    }

    internal KvmRun* Run => (KvmRun*)_run;
    internal int Fd => _fd;

    /// <summary>Enters the guest until the next exit. Returns 0, or the errno (EINTR when kicked).</summary>
    public int Enter()
    {
        int r = Libc.Ioctl(_fd, KvmIoctl.Run, 0);
        return r < 0 ? Libc.LastErrno : 0;
    }

    public KvmSregs GetSregs()
    {
        KvmSregs s;
        if (Libc.Ioctl(_fd, KvmIoctl.GetSregs, (nint)(&s)) < 0)
            throw new KvmException("KVM_GET_SREGS failed: " + Libc.StrError(Libc.LastErrno));
        return s;
    }

    public void SetSregs(in KvmSregs sregs)
    {
        fixed (KvmSregs* p = &sregs)
        {
            if (Libc.Ioctl(_fd, KvmIoctl.SetSregs, (nint)p) < 0)
                throw new KvmException("KVM_SET_SREGS failed: " + Libc.StrError(Libc.LastErrno));
        }
    }

    public KvmRegs GetRegs()
    {
        KvmRegs r;
        if (Libc.Ioctl(_fd, KvmIoctl.GetRegs, (nint)(&r)) < 0)
            throw new KvmException("KVM_GET_REGS failed: " + Libc.StrError(Libc.LastErrno));
        return r;
    }

    public void SetRegs(in KvmRegs regs)
    {
        fixed (KvmRegs* p = &regs)
        {
            if (Libc.Ioctl(_fd, KvmIoctl.SetRegs, (nint)p) < 0)
                throw new KvmException("KVM_SET_REGS failed: " + Libc.StrError(Libc.LastErrno));
        }
    }

    /// <summary>Software-enables the vCPU's in-kernel local APIC (spurious-interrupt vector register
    /// 0x1FF: APIC enabled, spurious vector 0xFF), without which it accepts no interrupt.</summary>
    public void EnableLapic()
    {
        byte* regs = stackalloc byte[1024];   // struct kvm_lapic_state: the APIC page's first KiB
        if (Libc.Ioctl(_fd, KvmIoctl.GetLapic, (nint)regs) < 0)
            throw new KvmException("KVM_GET_LAPIC failed: " + Libc.StrError(Libc.LastErrno));
        *(uint*)(regs + 0xF0) = 0x1FF;
        if (Libc.Ioctl(_fd, KvmIoctl.SetLapic, (nint)regs) < 0)
            throw new KvmException("KVM_SET_LAPIC failed: " + Libc.StrError(Libc.LastErrno));
    }

    /// <summary>Gives the vCPU the CPUID KVM supports, so long mode, NX and SSE are visible to it.</summary>
    internal void SetCpuid(byte[] cpuid2)
    {
        if (cpuid2.Length == 0)
            return;
        fixed (byte* p = cpuid2)
        {
            if (Libc.Ioctl(_fd, KvmIoctl.SetCpuid2, (nint)p) < 0)
                throw new KvmException("KVM_SET_CPUID2 failed: " + Libc.StrError(Libc.LastErrno));
        }
    }

    /// <summary>The vCPU's IA32_TSC (MSR 0x10) as KVM reports it, or null if it cannot be read.</summary>
    public ulong? ReadTscMsr()
    {
        // kvm_msrs {u32 nmsrs; u32 pad;} followed by kvm_msr_entry {u32 index; u32 reserved; u64 data}.
        ulong* buf = stackalloc ulong[3];
        buf[0] = 1;
        buf[1] = 0x10;
        buf[2] = 0;
        return Libc.Ioctl(_fd, KvmIoctl.GetMsrs, (nint)buf) == 1 ? buf[2] : null;
    }

    /// <summary>TSC frequency of this vCPU in kHz (0 if KVM cannot tell).</summary>
    public ulong TscKhz()
    {
        int khz = Libc.Ioctl(_fd, KvmIoctl.GetTscKhz, 0);
        return khz > 0 ? (ulong)khz : 0;
    }

    public void Dispose()
    {
        nint run = Interlocked.Exchange(ref _run, 0);
        if (run != 0)
            Libc.Munmap(run, (nuint)_runSize);
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
