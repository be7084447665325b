// The GDT and initial vCPU state for a guest in 64-bit long mode at ring 3 (the boot contract
// in protocols/Boot). The selectors follow Linux's x86-64 GDT layout (user CS 0x33, user DS
// 0x2b) because that is what PVM-style hosts expect of ring-3 code.
using ParaKit.Hypervisor.Kvm;
using ParaKit.Protocols.Boot;

namespace ParaKit.Hypervisor.Domains;

public static class BootCpuState
{
    public const ushort KernelCs = 0x10, KernelDs = 0x18, UserCs32 = 0x23, UserDs = 0x2B, UserCs = 0x33, TssSelector = 0x40;
    public const ulong Cr0PE = 1, Cr0MP = 2, Cr0ET = 0x10, Cr0NE = 0x20, Cr0WP = 0x10000, Cr0PG = 0x8000_0000;
    public const ulong Cr4PAE = 0x20, Cr4OSFXSR = 0x200, Cr4OSXMMEXCPT = 0x400;
    public const ulong EferLME = 0x100, EferLMA = 0x400, EferNXE = 0x800;
    public const int GdtEntries = 10;

    /// <summary>Writes the GDT at <see cref="PageTableBuilder.GdtAddress"/>.</summary>
    public static void WriteGdt(Span<byte> ram)
    {
        ReadOnlySpan<ulong> gdt =
        [
            0,
            0x00CF9B000000FFFF, // 0x08 kernel code 32 (unused, keeps Linux's numbering)
            0x00AF9B000000FFFF, // 0x10 kernel code 64
            0x00CF93000000FFFF, // 0x18 kernel data
            0x00CFFB000000FFFF, // 0x23 user code 32
            0x00CFF3000000FFFF, // 0x2b user data
            0x00AFFB000000FFFF, // 0x33 user code 64
            0,
            TssLow(PageTableBuilder.TssAddress, 0x67), // 0x40 TSS (busy), 16 bytes
            PageTableBuilder.TssAddress >> 32,
        ];
        var dest = ram.Slice((int)PageTableBuilder.GdtAddress, GdtEntries * 8);
        for (int i = 0; i < gdt.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(dest[(i * 8)..], gdt[i]);
    }

    private static ulong TssLow(ulong b, ulong limit) =>
        (limit & 0xFFFF) | ((b & 0xFFFFFF) << 16) | (0x8BUL << 40) | (((limit >> 16) & 0xF) << 48) | (((b >> 24) & 0xFF) << 56);

    public static KvmSregs Sregs(KvmSregs current, ulong cr3)
    {
        KvmSregs s = current;
        var code = new KvmSegment { Base = 0, Limit = 0xFFFFFFFF, Selector = UserCs, Type = 11, Present = 1, Dpl = 3, Db = 0, S = 1, L = 1, G = 1 };
        var data = new KvmSegment { Base = 0, Limit = 0xFFFFFFFF, Selector = UserDs, Type = 3, Present = 1, Dpl = 3, Db = 1, S = 1, L = 0, G = 1 };
        s.Cs = code;
        s.Ds = s.Es = s.Fs = s.Gs = s.Ss = data;
        s.Tr = new KvmSegment { Base = PageTableBuilder.TssAddress, Limit = 0x67, Selector = TssSelector, Type = 11, Present = 1 };
        s.Ldt = new KvmSegment { Limit = 0xFFFF, Type = 2, Present = 1 };
        s.Gdt = new KvmDtable { Base = PageTableBuilder.GdtAddress, Limit = GdtEntries * 8 - 1 };
        // Domain 0's IDT, every gate not present until set_trap_table: a fault without a handler
        // still ends as a triple fault (KVM_EXIT_SHUTDOWN, the crash report).
        s.Idt = new KvmDtable { Base = ParaKit.Protocols.Traps.TrapLayout.IdtAddress, Limit = ParaKit.Protocols.Traps.TrapLayout.IdtEntries * ParaKit.Protocols.Traps.TrapLayout.GateSize - 1 };
        s.Cr0 = Cr0PE | Cr0MP | Cr0ET | Cr0NE | Cr0WP | Cr0PG;
        s.Cr3 = cr3;
        s.Cr4 = Cr4PAE | Cr4OSFXSR | Cr4OSXMMEXCPT;
        s.Efer = EferLME | EferLMA | EferNXE;
        return s;
    }

    /// <summary>RFLAGS.IF: set at boot in domains that take device interrupts.</summary>
    public const ulong InterruptFlag = 0x200;

    /// <summary>rip = entry, rdi = start_info, rsp = top of stack, rflags = 0x2 (interrupts off), the rest 0.</summary>
    public static KvmRegs Regs(ulong entry, ulong stackTop) => new()
    {
        Rip = entry,
        Rdi = GuestLayout.StartInfoAddress,
        Rsp = stackTop,
        Rflags = 2,
    };
}
