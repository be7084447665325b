// Memory layout and identity page tables, checked by walking the tables like the MMU does.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Domains;
using ParaKit.Protocols.Boot;
using PT = ParaKit.Hypervisor.Domains.PageTableBuilder;

namespace ParaKit.Tests.Hypervisor;

public class PageTableTests
{
    private static (byte[] Ram, ulong Cr3, MemoryLayout Layout) Build(ulong mib, ulong imageEnd = 0x104000, bool fast = true)
    {
        var layout = MemoryLayout.Plan(mib << 20, GuestLayout.ImageBase, imageEnd);
        var ram = new byte[GuestLayout.PrivateEnd];
        ulong cr3 = PT.Build(ram, layout.AccessOf, layout.MemoryBytes, fast ? layout.IsUniform : null);
        return (ram, cr3, layout);
    }

    [FsCheck.NUnit.Property(MaxTest = 30)]
    public Property The_uniformity_shortcut_builds_the_same_tables_as_asking_every_page()
    {
        var gen = from mib in Gen.Choose(4, 300)
                  from image in Gen.Choose(1, 512)
                  select (mib, image);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            ulong imageEnd = GuestLayout.ImageBase + (ulong)t.image * 4096;
            if (imageEnd + (2 << 20) > (ulong)t.mib << 20)
                return true; // does not fit; covered by the layout tests
            var fast = Build((ulong)t.mib, imageEnd, fast: true);
            var slow = Build((ulong)t.mib, imageEnd, fast: false);
            return fast.Cr3 == slow.Cr3 && fast.Ram.AsSpan().SequenceEqual(slow.Ram);
        });
    }

    private static ulong Entry(byte[] ram, ulong cr3, ulong address) => PT.Walk(ram, cr3, address, out _);

    [Test]
    public void Layout_places_heap_after_the_image_and_the_stack_at_the_top_of_RAM()
    {
        var l = MemoryLayout.Plan(64 << 20, 0x100000, 0x123456);
        Assert.Multiple(() =>
        {
            Assert.That(l.ImageEnd, Is.EqualTo(0x124000UL));
            Assert.That(l.HeapStart, Is.EqualTo(l.ImageEnd));
            Assert.That(l.StackTop, Is.EqualTo(64UL << 20));
            Assert.That(l.StackTop % 16, Is.Zero);
            Assert.That(l.StackBottom, Is.EqualTo(l.StackTop - MemoryLayout.DefaultStackBytes));
            Assert.That(l.HeapEnd, Is.EqualTo(l.GuardPage));
            Assert.That(l.GuardPage, Is.EqualTo(l.StackBottom - 4096));
        });
    }

    [Test]
    public void Layout_refuses_an_image_that_does_not_fit() =>
        Assert.That(() => MemoryLayout.Plan(4 << 20, 0x100000, 0x100000 + (8 << 20)),
            Throws.TypeOf<GuestImageException>().With.Message.Contains("use more memory"));

    [Test]
    public void Page_zero_is_unmapped_and_fixed_pages_have_their_rights()
    {
        var (ram, cr3, layout) = Build(64);
        Assert.Multiple(() =>
        {
            Assert.That(Entry(ram, cr3, 0), Is.Zero, "null page");
            Assert.That(Entry(ram, cr3, 0xFFF), Is.Zero, "null page end");
            ulong si = Entry(ram, cr3, GuestLayout.StartInfoAddress);
            Assert.That(si & PT.Writable, Is.Zero, "start_info read-only");
            Assert.That(si & PT.NoExecute, Is.Not.Zero);
            ulong hc = Entry(ram, cr3, GuestLayout.HypercallPageAddress);
            Assert.That(hc & PT.Writable, Is.Zero, "hypercall page read-only");
            Assert.That(hc & PT.NoExecute, Is.Zero, "hypercall page executable");
            Assert.That(Entry(ram, cr3, GuestLayout.SharedInfoAddress) & PT.Writable, Is.Not.Zero);
            for (ulong p = GuestLayout.PrivateStart; p < ParaKit.Protocols.Traps.TrapLayout.TrapStackGuard; p += 4096)
                Assert.That(Entry(ram, cr3, p) & PT.Writable, Is.Zero, $"private page 0x{p:x} writable");
            Assert.That(Entry(ram, cr3, ParaKit.Protocols.Traps.TrapLayout.TrapStackGuard), Is.Zero, "trap stack guard page");
            for (ulong p = ParaKit.Protocols.Traps.TrapLayout.TrapStackBottom; p < ParaKit.Protocols.Traps.TrapLayout.TrapStackTop; p += 4096)
            {
                Assert.That(Entry(ram, cr3, p) & PT.Writable, Is.Not.Zero, $"trap stack page 0x{p:x} (the CPU pushes fault frames there at ring 3)");
                Assert.That(Entry(ram, cr3, p) & PT.NoExecute, Is.Not.Zero, $"trap stack page 0x{p:x} not executable");
            }
            Assert.That(Entry(ram, cr3, layout.GuardPage), Is.Zero, "stack guard page");
            Assert.That(Entry(ram, cr3, layout.StackTop - 8) & PT.Writable, Is.Not.Zero, "stack");
            Assert.That(Entry(ram, cr3, layout.StackTop - 8) & PT.NoExecute, Is.Not.Zero, "stack not executable");
            Assert.That(Entry(ram, cr3, layout.StackTop), Is.Zero, "above RAM");
        });
    }

    [Test]
    public void Every_entry_is_user_accessible_with_accessed_and_dirty_preset()
    {
        var (ram, cr3, _) = Build(64);
        ulong e = Entry(ram, cr3, 0x100000);
        Assert.That(e & (PT.User | PT.Accessed | PT.Dirty | PT.Present), Is.EqualTo(PT.User | PT.Accessed | PT.Dirty | PT.Present));
    }

    [Test]
    public void The_doorbell_is_mapped_writable_but_not_backed_by_RAM()
    {
        var (ram, cr3, _) = Build(64);
        ulong e = PT.Walk(ram, cr3, GuestLayout.HypercallDoorbell, out ulong phys);
        Assert.Multiple(() =>
        {
            Assert.That(e & PT.Writable, Is.Not.Zero);
            Assert.That(phys, Is.EqualTo(GuestLayout.HypercallDoorbell));
            Assert.That(Entry(ram, cr3, GuestLayout.HypercallDoorbell + 4096), Is.Zero, "only one doorbell page");
        });
    }

    [Test]
    public void Uniform_2MiB_regions_use_large_pages_so_tables_stay_small()
    {
        var (ram, cr3, _) = Build(3072);
        ulong e = Entry(ram, cr3, 1UL << 30);
        Assert.That(e & PT.Large, Is.Not.Zero);
    }

    [FsCheck.NUnit.Property(MaxTest = 40)]
    public Property Walk_agrees_with_the_access_policy_for_any_memory_size_and_address()
    {
        var gen = Gen.Choose(4, 512).SelectMany(mib => Gen.Choose(0, mib * 256 - 1).Select(page => (mib, page)));
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (ram, cr3, layout) = Build((ulong)t.mib, 0x100000 + 0x5000);
            ulong addr = (ulong)t.page * 4096 + 123;
            ulong e = PT.Walk(ram, cr3, addr, out ulong phys);
            PageAccess want = layout.AccessOf(addr);
            if (want == PageAccess.None)
                return e == 0;
            return e != 0 && phys == addr
                && ((e & PT.Writable) != 0) == want.HasFlag(PageAccess.Write)
                && ((e & PT.NoExecute) == 0) == want.HasFlag(PageAccess.Execute);
        });
    }
}
