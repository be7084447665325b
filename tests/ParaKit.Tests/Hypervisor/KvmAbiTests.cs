// linux/kvm.h layouts as domain 0 declares them (numbers from the header, measured with gcc),
// the hypercall page bytes, exit decoding and the exit-status contract. No KVM needed.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Tests.Hypervisor;

public unsafe class KvmAbiTests
{
    [Test]
    public void Struct_sizes_match_linux_kvm_h()
    {
        Assert.Multiple(() =>
        {
            Assert.That(sizeof(KvmRegs), Is.EqualTo(0x90));
            Assert.That(sizeof(KvmSregs), Is.EqualTo(0x138));
            Assert.That(sizeof(KvmSegment), Is.EqualTo(0x18));
            Assert.That(sizeof(KvmDtable), Is.EqualTo(0x10));
            Assert.That(sizeof(KvmRun), Is.EqualTo(0x930));
            Assert.That(sizeof(KvmUserspaceMemoryRegion), Is.EqualTo(0x20));
            Assert.That(sizeof(KvmCpuidEntry2), Is.EqualTo(40));
        });
    }

    [Test]
    public void Field_offsets_match_linux_kvm_h()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Marshal.OffsetOf<KvmRun>(nameof(KvmRun.ExitReason)), Is.EqualTo((nint)8));
            Assert.That(Marshal.OffsetOf<KvmRun>(nameof(KvmRun.MmioPhysAddr)), Is.EqualTo((nint)0x20));
            Assert.That(Marshal.OffsetOf<KvmRun>(nameof(KvmRun.KvmValidRegs)), Is.EqualTo((nint)0x120));
            Assert.That(Marshal.OffsetOf<KvmRun>(nameof(KvmRun.KvmDirtyRegs)), Is.EqualTo((nint)0x128));
            Assert.That(Marshal.OffsetOf<KvmRun>(nameof(KvmRun.SyncRegs)), Is.EqualTo((nint)0x130));
            Assert.That(Marshal.OffsetOf<KvmRun>(nameof(KvmRun.SyncSregs)), Is.EqualTo((nint)0x1C0));
            Assert.That(Marshal.OffsetOf<KvmSregs>(nameof(KvmSregs.Gdt)), Is.EqualTo((nint)0xC0));
            Assert.That(Marshal.OffsetOf<KvmSregs>(nameof(KvmSregs.Cr0)), Is.EqualTo((nint)0xE0));
            Assert.That(Marshal.OffsetOf<KvmSregs>(nameof(KvmSregs.Efer)), Is.EqualTo((nint)0x108));
            Assert.That(Marshal.OffsetOf<KvmSregs>("InterruptBitmap"), Is.EqualTo((nint)0x118));
        });
    }

    [Test]
    public void Ioctl_numbers_encode_the_struct_sizes()
    {
        // _IOW/_IOR put the argument size in bits 16..29.
        Assert.Multiple(() =>
        {
            Assert.That((int)(KvmIoctl.SetRegs >> 16) & 0x3FFF, Is.EqualTo(sizeof(KvmRegs)));
            Assert.That((int)(KvmIoctl.GetSregs >> 16) & 0x3FFF, Is.EqualTo(sizeof(KvmSregs)));
            Assert.That((int)(KvmIoctl.SetUserMemoryRegion >> 16) & 0x3FFF, Is.EqualTo(sizeof(KvmUserspaceMemoryRegion)));
        });
    }

    [Test]
    public void Hypercall_stub_moves_rcx_to_r10_stores_its_number_at_the_doorbell_and_returns()
    {
        var page = new byte[4096];
        DomainBuilder.WriteHypercallPage(page);
        var stub = page.AsSpan(Hypercall.SchedOp * 32, 32).ToArray();
        byte[] expected =
        [
            0x49, 0x89, 0xCA,                   // mov r10, rcx
            0xB8, 29, 0, 0, 0,                  // mov eax, 29
            0x49, 0xBB, 0, 0, 0, 0xF0, 0, 0, 0, 0, // mov r11, 0xF0000000
            0x41, 0x89, 0x03,                   // mov [r11], eax
            0xC3,                               // ret
        ];
        Assert.Multiple(() =>
        {
            Assert.That(stub[..expected.Length], Is.EqualTo(expected));
            Assert.That(stub[expected.Length..], Is.All.EqualTo((byte)0xCC), "int3 padding");
            Assert.That(BitConverter.ToUInt64(stub, 10), Is.EqualTo(GuestLayout.HypercallDoorbell));
            Assert.That(BitConverter.ToInt32(page, 127 * 32 + 4), Is.EqualTo(127));
        });
    }

    private static KvmRun Mmio(ulong addr, uint len, bool write, ulong data)
    {
        KvmRun r = default;
        r.ExitReason = (uint)KvmExitReason.Mmio;
        r.MmioPhysAddr = addr;
        r.MmioLen = len;
        r.MmioIsWrite = (byte)(write ? 1 : 0);
        r.MmioData = data;
        return r;
    }

    [Test]
    public void A_4_byte_doorbell_write_is_a_hypercall()
    {
        var a = ExitDecoder.Decode(Mmio(GuestLayout.HypercallDoorbell, 4, true, 0xFFFF_FFFF_0000_0012));
        Assert.That(a, Is.EqualTo(new ExitAction(ExitKind.Hypercall, 18, null)));
    }

    [TestCase(0xF000_0000UL, 8u, true, "unexpected MMIO write of 8 bytes to 0xf0000000")]
    [TestCase(0xF000_0ff8UL, 4u, true, "unexpected MMIO write of 4 bytes to 0xf0000ff8")]
    [TestCase(0xF000_0004UL, 4u, true, "unexpected MMIO write of 4 bytes to 0xf0000004")]
    [TestCase(0xF000_0000UL, 4u, false, "MMIO read of 4 bytes from 0xf0000000")]
    public void Other_mmio_is_a_crash(ulong addr, uint len, bool write, string message)
    {
        var a = ExitDecoder.Decode(Mmio(addr, len, write, 0));
        Assert.That(a.Kind, Is.EqualTo(ExitKind.Crash));
        Assert.That(a.Message, Does.Contain(message));
    }

    [TestCase(0xF002_0000UL, 4u, false)]
    [TestCase(0xF002_3818UL, 4u, true)]
    [TestCase(0xF001_0000UL, 8u, true)]
    public void Mmio_outside_the_doorbell_page_goes_to_the_device_bus(ulong addr, uint len, bool write)
    {
        Assert.That(ExitDecoder.Decode(Mmio(addr, len, write, 0)).Kind, Is.EqualTo(ExitKind.DeviceAccess));
    }

    [TestCase(KvmExitReason.Shutdown, "triple fault")]
    [TestCase(KvmExitReason.InternalError, "KVM internal error, suberror 1 (emulation failure)")]
    [TestCase(KvmExitReason.FailEntry, "VM entry failed")]
    [TestCase(KvmExitReason.Io, "port I/O")]
    [TestCase(KvmExitReason.Hlt, "hlt executed")]
    [TestCase((KvmExitReason)99, "unexpected exit exit_99 (99)")]
    public void Faults_and_unexpected_exits_are_crashes(KvmExitReason reason, string message)
    {
        KvmRun r = default;
        r.ExitReason = (uint)reason;
        r.InternalSuberror = 1;
        var a = ExitDecoder.Decode(r);
        Assert.That(a.Kind, Is.EqualTo(ExitKind.Crash));
        Assert.That(a.Message, Does.Contain(message));
    }

    [Test]
    public void An_interrupted_run_resumes()
    {
        KvmRun r = default;
        r.ExitReason = (uint)KvmExitReason.Intr;
        Assert.That(ExitDecoder.Decode(r).Kind, Is.EqualTo(ExitKind.Resume));
    }

    [Test]
    public void Exit_codes_follow_the_boot_contract()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DomainExit.PowerOff(0).ExitCode, Is.EqualTo(0));
            Assert.That(DomainExit.PowerOff(42).ExitCode, Is.EqualTo(42));
            Assert.That(DomainExit.Shutdown(ShutdownReason.Reboot).ExitCode, Is.EqualTo(0));
            Assert.That(DomainExit.Crash("x").ExitCode, Is.EqualTo(70));
        });
    }

    [Test]
    public void Boot_state_is_64_bit_ring_3_with_sse_and_nx()
    {
        var s = BootCpuState.Sregs(default, 0xA000);
        var r = BootCpuState.Regs(0x100123, 64 << 20);
        Assert.Multiple(() =>
        {
            Assert.That(s.Cs.Dpl, Is.EqualTo(3));
            Assert.That(s.Cs.L, Is.EqualTo(1));
            Assert.That(s.Cs.Selector & 3, Is.EqualTo(3));
            Assert.That(s.Ss.Dpl, Is.EqualTo(3));
            Assert.That(s.Cr4 & (BootCpuState.Cr4OSFXSR | BootCpuState.Cr4OSXMMEXCPT | BootCpuState.Cr4PAE), Is.EqualTo(BootCpuState.Cr4OSFXSR | BootCpuState.Cr4OSXMMEXCPT | BootCpuState.Cr4PAE));
            Assert.That(s.Cr0 & BootCpuState.Cr0MP, Is.Not.Zero);
            Assert.That(s.Efer, Is.EqualTo(BootCpuState.EferLME | BootCpuState.EferLMA | BootCpuState.EferNXE));
            Assert.That(s.Idt.Base, Is.EqualTo(ParaKit.Protocols.Traps.TrapLayout.IdtAddress), "domain 0's IDT");
            Assert.That(s.Idt.Limit, Is.EqualTo(4095));
            Assert.That(r.Rflags, Is.EqualTo(2UL));
            Assert.That(r.Rdi, Is.EqualTo(GuestLayout.StartInfoAddress));
            Assert.That(r.Rsp, Is.EqualTo(64UL << 20));
            Assert.That(r.Rip, Is.EqualTo(0x100123UL));
        });
    }
}
