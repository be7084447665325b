// set_trap_table's validation and the IDT it writes (hypervisor/Domains/TrapGates.cs), without
// KVM: guest memory is a memfd, the layout is planned as for a real domain. Whatever the guest
// passes, the answer is 0 or a negative errno, and a refused table changes no gate.
using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Traps;

namespace ParaKit.Tests.Hypervisor;

public sealed class TrapTableTests : IDisposable
{
    private const ulong Handler = 0x100040;      // inside the image: executable
    private const ulong Array = 0x200000;        // in the heap: readable
    private readonly MemoryLayout _layout = MemoryLayout.Plan(8 << 20, GuestLayout.ImageBase, 0x110000);
    private readonly GuestMemory _memory;

    public TrapTableTests()
    {
        _memory = GuestMemory.Allocate(_layout.MemoryBytes, "trap-test");
        _memory.SetWritableRanges(_layout.WritableRanges());
    }

    public void Dispose() => _memory.Dispose();

    [SetUp]
    public void ClearIdt() => _memory.Slice(TrapLayout.IdtAddress, 4096).Clear(); // one fixture instance serves every test

    private static TrapInfo T(byte vector, ulong address, ushort cs = TrapFlags.GuestCodeSelector, byte flags = 0) =>
        new() { Vector = vector, Flags = flags, Cs = cs, Address = address };

    private long Set(params TrapInfo[] entries) => SetAt(Array, entries);

    private long SetAt(ulong at, TrapInfo[] entries)
    {
        var bytes = MemoryMarshal.AsBytes(entries.Append(default).ToArray().AsSpan());
        if (at <= _layout.MemoryBytes - (ulong)bytes.Length)
            bytes.CopyTo(_memory.Slice(at, bytes.Length));
        return TrapGates.SetTrapTable(_memory, _layout, at);
    }

    private ReadOnlySpan<byte> Gate(int vector) => _memory.Slice(TrapLayout.IdtAddress + (ulong)vector * 16, 16);
    private bool IdtIsEmpty() => !_memory.Slice(TrapLayout.IdtAddress, 4096).ContainsAnyExcept((byte)0);

    [Test]
    public void Trap_info_is_16_bytes_like_xens()
    {
        Assert.That(Marshal.SizeOf<TrapInfo>(), Is.EqualTo(16));
        Assert.That(Marshal.OffsetOf<TrapInfo>(nameof(TrapInfo.Address)), Is.EqualTo((nint)8));
        Assert.That(Marshal.SizeOf<GuestCrashInfo>(), Is.EqualTo(64));
    }

    [Test]
    public void A_valid_table_installs_dpl3_trap_gates_with_the_ring3_selector_and_ist1_for_page_faults()
    {
        Assert.That(Set(T(0, Handler), T(14, Handler + 16), T(0x40, Handler + 32), T(255, Handler + 48)), Is.EqualTo(0));
        Assert.Multiple(() =>
        {
            Assert.That(TrapGates.DecodeGate(Gate(0)), Is.EqualTo(Handler));
            Assert.That(TrapGates.DecodeGate(Gate(14)), Is.EqualTo(Handler + 16));
            Assert.That(TrapGates.DecodeGate(Gate(0x40)), Is.EqualTo(Handler + 32), "device-interrupt vectors are allowed");
            Assert.That(TrapGates.DecodeGate(Gate(255)), Is.EqualTo(Handler + 48));
            Assert.That(TrapGates.DecodeGate(Gate(1)), Is.Null, "vectors not in the table stay not present");
            Assert.That(Gate(0)[5], Is.EqualTo(0xEF), "present, DPL 3, 64-bit trap gate");
            Assert.That(BitConverter.ToUInt16(Gate(0)[2..4]), Is.EqualTo((ushort)0x33));
            Assert.That(Gate(0)[4], Is.EqualTo(0), "no IST for #DE");
            Assert.That(Gate(14)[4], Is.EqualTo(1), "#PF switches to the trap stack");
            Assert.That(Gate(0x40)[4], Is.EqualTo(0));
        });
    }

    [Test]
    public void A_later_call_replaces_only_its_vectors_and_a_null_table_clears_all()
    {
        Assert.That(Set(T(0, Handler), T(6, Handler + 16)), Is.EqualTo(0));
        Assert.That(Set(T(6, Handler + 64)), Is.EqualTo(0));
        Assert.That(TrapGates.DecodeGate(Gate(0)), Is.EqualTo(Handler));
        Assert.That(TrapGates.DecodeGate(Gate(6)), Is.EqualTo(Handler + 64));
        Assert.That(TrapGates.SetTrapTable(_memory, _layout, 0), Is.EqualTo(0));
        Assert.That(IdtIsEmpty(), Is.True);
    }

    [TestCase((byte)15, TestName = "Reserved vector 15 is refused")]
    [TestCase((byte)22, TestName = "Reserved vector 22 is refused")]
    [TestCase((byte)31, TestName = "Reserved vector 31 is refused")]
    public void Reserved_vectors_are_refused(byte vector)
    {
        Assert.That(Set(T(0, Handler), T(vector, Handler)), Is.EqualTo(Errno.EINVAL));
        Assert.That(IdtIsEmpty(), Is.True, "a refused table changes nothing, not even its valid entries");
    }

    [Test]
    public void A_selector_other_than_the_ring3_code_segment_is_refused()
    {
        Assert.That(Set(T(0, Handler, cs: 0x10)), Is.EqualTo(Errno.EINVAL), "ring-0 code: gates into it die under kvm_pvm");
        Assert.That(Set(T(0, Handler, cs: 0xE033)), Is.EqualTo(Errno.EINVAL));
        Assert.That(IdtIsEmpty(), Is.True);
    }

    [Test]
    public void An_interrupt_gate_request_and_unknown_flags_are_refused_but_privilege_bits_are_fine()
    {
        Assert.That(Set(T(32, Handler, flags: TrapFlags.ClearEventMask)), Is.EqualTo(Errno.EINVAL));
        Assert.That(Set(T(32, Handler, flags: 0x80)), Is.EqualTo(Errno.EINVAL));
        Assert.That(IdtIsEmpty(), Is.True);
        Assert.That(Set(T(3, Handler, flags: 3)), Is.EqualTo(0));
    }

    [TestCase(0x2000UL, TestName = "Handler in shared_info (not executable) is refused")]
    [TestCase(0x9000UL, TestName = "Handler in the TSS page is refused")]
    [TestCase(0x7FF000UL, TestName = "Handler on the stack is refused")]
    [TestCase(0x800000UL, TestName = "Handler beyond RAM is refused")]
    [TestCase(0xF0000000UL, TestName = "Handler at the doorbell is refused")]
    [TestCase(0xFFFF_8000_0000_0000UL, TestName = "Handler at a kernel-half address is refused")]
    public void Handlers_outside_executable_guest_memory_are_refused(ulong address)
    {
        Assert.That(Set(T(0, address)), Is.EqualTo(Errno.EINVAL));
        Assert.That(IdtIsEmpty(), Is.True);
    }

    [TestCase(0x800000UL - 8, TestName = "Array running past the end of RAM gives EFAULT")]
    [TestCase(0x900000UL, TestName = "Array beyond RAM gives EFAULT")]
    [TestCase(0x10UL, TestName = "Array in page 0 gives EFAULT")]
    [TestCase(ulong.MaxValue - 7, TestName = "Array at the top of the address space gives EFAULT")]
    public void Arrays_outside_readable_ram_give_efault(ulong at)
    {
        Assert.That(SetAt(at, [T(0, Handler)]), Is.EqualTo(Errno.EFAULT));
        Assert.That(IdtIsEmpty(), Is.True);
    }

    [Test]
    public void A_table_without_terminator_within_256_entries_gives_e2big()
    {
        var entries = Enumerable.Range(0, 300).Select(i => T(0, Handler)).ToArray();
        Assert.That(Set(entries), Is.EqualTo(Errno.E2BIG));
        Assert.That(IdtIsEmpty(), Is.True);
        Assert.That(Set(entries[..255]), Is.EqualTo(0), "255 entries and the terminator fit");
    }

    [Test]
    public void The_tss_points_ist1_at_the_trap_stack_which_is_guest_writable_above_an_unmapped_guard()
    {
        var ram = new byte[GuestLayout.PrivateEnd];
        TrapGates.WriteTss(ram);
        Assert.Multiple(() =>
        {
            Assert.That(BitConverter.ToUInt64(ram, (int)PageTableBuilder.TssAddress + TrapGates.TssIst1Offset), Is.EqualTo(TrapLayout.TrapStackTop));
            Assert.That(_layout.AccessOf(TrapLayout.TrapStackTop - 8), Is.EqualTo(PageAccess.ReadWrite));
            Assert.That(_layout.AccessOf(TrapLayout.TrapStackBottom), Is.EqualTo(PageAccess.ReadWrite));
            Assert.That(_layout.AccessOf(TrapLayout.TrapStackGuard), Is.EqualTo(PageAccess.None));
            Assert.That(_layout.AccessOf(TrapLayout.IdtAddress), Is.EqualTo(PageAccess.Read), "the guest reads its IDT, never writes it");
            Assert.That(PageTableBuilder.FirstTablePage, Is.GreaterThan(TrapLayout.IdtAddress));
        });
    }

    private static readonly Gen<TrapInfo> AnyEntry =
        from vector in Gen.Choose(0, 255)
        from flags in Gen.Elements(0, 1, 3, 4, 0x40)
        from cs in Gen.Elements(0x33, 0x33, 0x33, 0x10, 0)
        from address in Gen.Elements(Handler, Handler + 0x100, 0x2000UL, 0x7FF000UL, 0x900000UL, 0xDEAD_BEEF_0000UL)
        select T((byte)vector, address, (ushort)cs, (byte)flags);

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Any_table_is_installed_whole_or_refused_whole() =>
        Prop.ForAll(Gen.ListOf(AnyEntry).Select(l => l.ToArray()).ToArbitrary(), entries =>
        {
            TrapGates.SetTrapTable(_memory, _layout, 0);
            long rc = Set(entries);
            bool valid = entries.All(e => !TrapFlags.IsReserved(e.Vector) && e.Flags <= 3 && e.Cs == 0x33 && (e.Address == Handler || e.Address == Handler + 0x100));
            if (!valid)
                return rc == Errno.EINVAL && IdtIsEmpty();
            // The last entry for a vector wins.
            var last = new Dictionary<int, ulong>();
            foreach (var e in entries)
                last[e.Vector] = e.Address;
            return rc == 0 && Enumerable.Range(0, 256).All(v => TrapGates.DecodeGate(Gate(v)) == (last.TryGetValue(v, out var a) ? a : null));
        });
}
