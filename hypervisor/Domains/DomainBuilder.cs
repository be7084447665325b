// Turns a DomainConfig into a ready-to-run Domain: validates the ELF image, plans memory, maps
// the image's boot template (hypercall page, GDT, page tables and image, shared copy-on-write
// with other domains of the same image and size: BootTemplateCache) under fresh RAM, or writes
// those pages straight into it for a hypervisor that does not share them, creates
// the KVM VM and vCPU, writes the per-domain pages (start_info, shared_info) and sets the boot
// registers. On any failure everything created so far is released.
using System.Text;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Hypercalls;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Hypervisor.Memory;
using ParaKit.Hypervisor.Time;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Events;

namespace ParaKit.Hypervisor.Domains;

/// <summary>The configuration cannot produce a domain (bad memory size, command line too long...).</summary>
public sealed class DomainConfigException(string message) : Exception(message);

public static class DomainBuilder
{
    public const int MaxMemoryMiB = (int)(GuestLayout.MaxMemoryBytes >> 20);

    internal static Domain Build(KvmDevice kvm, uint id, DomainConfig config, ElfImage image, IConsoleSink console, HypercallDispatcher hypercalls, BootTemplateCache? templates)
    {
        if (config.MemoryMiB < (int)(MemoryLayout.MinMemoryBytes >> 20) || config.MemoryMiB > MaxMemoryMiB)
            throw new DomainConfigException($"memory must be between {MemoryLayout.MinMemoryBytes >> 20} and {MaxMemoryMiB} MiB (got {config.MemoryMiB})");
        byte[] cmdline = Encoding.UTF8.GetBytes(config.CommandLine);
        if (cmdline.Length >= StartInfo.CmdLineCapacity || cmdline.Contains((byte)0))
            throw new DomainConfigException($"command line must be at most {StartInfo.CmdLineCapacity - 1} bytes without nul characters (got {cmdline.Length})");
        ulong memoryBytes = (ulong)config.MemoryMiB << 20;
        MemoryLayout layout;
        try
        {
            layout = MemoryLayout.Plan(memoryBytes, image.LowAddress, image.HighAddress);
        }
        catch (GuestImageException e)
        {
            throw new GuestImageException($"{config.Kernel}: {e.Message}");
        }

        GuestMemory? memory = null;
        KvmVm? vm = null;
        KvmVcpu? vcpu = null;
        try
        {
            // Without templates (a hypervisor of one domain) the boot pages go straight into its RAM.
            BootTemplate? template = null;
            ulong cr3 = 0;
            if (templates is not null)
                (template, cr3) = templates.Acquire(image, layout, Path.GetFileNameWithoutExtension(config.Kernel));
            memory = GuestMemory.Allocate(memoryBytes, config.Name, template);
            if (template is null)
                BootTemplateCache.Write(memory.Slice, image, layout, out cr3);
            memory.SetWritableRanges(layout.WritableRanges());
            vm = kvm.CreateVm();
            vm.SetMemoryRegion(0, 0, memoryBytes, memory.HostAddress);
            // Emulated devices interrupt the guest through the in-kernel local APIC (DESIGN.md,
            // "Interrupts"): the irqchip must exist before the vCPU.
            // PARAKIT_E1000_INTERRUPTS=0 (a benchmark knob) leaves them out: the driver then polls
            // and only the block/wake path tells it of work, to price one interrupt against it.
            bool deviceInterrupts = config.Vifs.Any(v => v.Model == Devices.Vif.NicModel.E1000)
                && Environment.GetEnvironmentVariable("PARAKIT_E1000_INTERRUPTS") != "0";
            if (deviceInterrupts)
                vm.CreateIrqchip();
            vcpu = vm.CreateVcpu(0);
            SystemClock.Initialize(vcpu.TscKhz());

            // The template holds the image's code and read-only data, the GDT, TSS, page tables
            // and hypercall page; its data pages are this domain's own; the IDT and everything
            // else read as zero in fresh RAM until written.
            foreach (var (start, end) in image.PrivatePages)
                image.CopyFileData(start, memory.Slice(start, (int)(end - start)));
            WriteStartInfo(ref memory.RefAt<StartInfo>(GuestLayout.StartInfoAddress), id, layout, cmdline);
            InitSharedInfo(ref memory.RefAt<SharedInfo>(GuestLayout.SharedInfoAddress), memoryBytes);

            // As late as it can be (the sregs are checked against it): the CPUID query started
            // with the hypervisor (KvmDevice.StartCpuidQuery) has had the most time to finish.
            vcpu.SetCpuid(vm.GetSupportedCpuid());
            vcpu.SetSregs(BootCpuState.Sregs(vcpu.GetSregs(), cr3));
            var regs = BootCpuState.Regs(image.Entry, layout.StackTop);
            if (deviceInterrupts)
            {
                vcpu.EnableLapic();
                regs.Rflags |= BootCpuState.InterruptFlag;   // ring 3 cannot sti: start with IF set
            }
            vcpu.SetRegs(regs);
            ulong tscOffset = MeasureTscOffset(vcpu);
            var domain = new Domain(id, config, image, layout, vm, memory, vcpu, console, hypercalls);
            domain.Vcpu.GuestTscOffset = tscOffset;
            return domain;
        }
        catch
        {
            vcpu?.Dispose();
            vm?.Dispose();
            memory?.Dispose();
            throw;
        }
    }

    /// <summary>Guest TSC minus host TSC. Under kvm_pvm the guest reads the host TSC directly
    /// (offset 0, measured); hardware KVM gives each VM an offset TSC that starts near 0, and
    /// vcpu_time_info must be expressed in the guest's TSC. Differences smaller than the cost
    /// of the ioctl itself are measurement noise and count as 0.</summary>
    internal static ulong MeasureTscOffset(KvmVcpu vcpu)
    {
        ulong before = Native.NativeCode.Rdtsc();
        ulong? guest = vcpu.ReadTscMsr();
        ulong after = Native.NativeCode.Rdtsc();
        if (guest is not { } g)
            return 0;
        ulong mid = before + (after - before) / 2;
        long offset = (long)(g - mid);
        long noise = (long)Math.Max(after - before, 1_000_000); // at least ~0.4 ms of ticks
        return Math.Abs(offset) <= noise ? 0 : (ulong)offset;
    }

    /// <summary>Stub n: mov r10, rcx; mov eax, n; mov r11, doorbell; mov [r11], eax; ret.
    /// The store misses every memory slot, so KVM exits with KVM_EXIT_MMIO carrying n.</summary>
    public static void WriteHypercallPage(Span<byte> page)
    {
        page.Fill(0xCC); // int3 padding: jumping into the middle of a stub faults
        for (int n = 0; n < ParaKit.Protocols.Hypercalls.Hypercall.Count; n++)
        {
            var s = page.Slice(n * GuestLayout.HypercallStubSize, GuestLayout.HypercallStubSize);
            int i = 0;
            s[i++] = 0x49; s[i++] = 0x89; s[i++] = 0xCA;                      // mov r10, rcx
            s[i++] = 0xB8; BitConverter.TryWriteBytes(s[i..], n); i += 4;      // mov eax, n
            s[i++] = 0x49; s[i++] = 0xBB;                                      // mov r11, imm64
            BitConverter.TryWriteBytes(s[i..], GuestLayout.HypercallDoorbell); i += 8;
            s[i++] = 0x41; s[i++] = 0x89; s[i++] = 0x03;                      // mov [r11], eax
            s[i++] = 0xC3;                                                     // ret
        }
    }

    private static unsafe void WriteStartInfo(ref StartInfo si, uint id, MemoryLayout layout, byte[] cmdline)
    {
        si = default;
        si.Magic = StartInfo.MagicValue;
        si.Version = StartInfo.CurrentVersion;
        si.DomId = id;
        si.MemoryBytes = layout.MemoryBytes;
        si.SharedInfoAddress = GuestLayout.SharedInfoAddress;
        si.HypercallPageAddress = GuestLayout.HypercallPageAddress;
        si.HeapStart = layout.HeapStart;
        si.HeapEnd = layout.HeapEnd;
        si.StackTop = layout.StackTop;
        si.StackBottom = layout.StackBottom;
        si.ImageStart = layout.ImageStart;
        si.ImageEnd = layout.ImageEnd;
        si.TscKhz = SystemClock.TscKhz;
        si.CmdLineLength = (uint)cmdline.Length;
        fixed (byte* p = si.CmdLine)
            cmdline.CopyTo(new Span<byte>(p, StartInfo.CmdLineCapacity));
    }

    private static void InitSharedInfo(ref SharedInfo si, ulong memoryBytes)
    {
        si = default;
        si.Vcpu0.UpcallMask = 1; // as in Xen: event delivery starts disabled; SCHEDOP_block enables it
        // Wall clock at system time 0.
        var bootTime = DateTimeOffset.UtcNow - TimeSpan.FromTicks((long)(SystemClock.Now() / 100));
        long ns = bootTime.ToUnixTimeMilliseconds() * 1_000_000 + bootTime.Ticks % TimeSpan.TicksPerMillisecond * 100;
        si.WcSec = (uint)(ns / 1_000_000_000);
        si.WcSecHi = (uint)((ulong)(ns / 1_000_000_000) >> 32);
        si.WcNsec = (uint)(ns % 1_000_000_000);
        si.ArchMaxPfn = memoryBytes / GuestLayout.PageSize;
    }
}
