// The hypervisor's boot templates, one per (image, memory layout): the first domain built from
// an image and memory size writes its hypercall page, GDT/TSS, page tables and image into a
// template (Memory/BootTemplate); later domains map the same pages copy-on-write instead of
// copying the image again. A template goes with the last domain that uses it.
//
// What is shared and what is not: only pages whose content is the same for every such domain.
// start_info (domain id, command line), shared_info (clock), the store and console rings, the
// grant table, the IDT (set_trap_table) and the trap stack are written per domain from the
// start, so they stay in the domain's own memfd rather than being copied on first write.
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Traps;

namespace ParaKit.Hypervisor.Domains;

internal sealed class BootTemplateCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(ElfImage, MemoryLayout), (BootTemplate Pages, ulong Cr3)> _templates = [];

    /// <summary>Templates alive (each referenced by at least one domain).</summary>
    public int Count
    {
        get { lock (_lock) return _templates.Count; }
    }

    /// <summary>The template for <paramref name="image"/> in <paramref name="layout"/> with one
    /// reference taken for the caller (hand it to GuestMemory.Allocate), and the CR3 of its page
    /// tables. Builds it when no live domain shares it. Images are compared by reference
    /// (ElfImage.Load returns one object per file).</summary>
    public (BootTemplate Pages, ulong Cr3) Acquire(ElfImage image, MemoryLayout layout, string name)
    {
        var key = (image, layout);
        lock (_lock)
        {
            if (_templates.TryGetValue(key, out var t) && t.Pages.TryAddReference())
                return t;
            // Built under the lock (tens of microseconds, once per image and size) so that
            // domains created at the same time never build the same template twice.
            ulong cr3 = 0;
            var pages = BootTemplate.Create($"{name}-{layout.MemoryBytes >> 20}M", Size(image), ram => Write(ram, image, layout, out cr3));
            pages.Released += released =>
            {
                lock (_lock)
                {
                    if (_templates.TryGetValue(key, out var current) && current.Pages == released)
                        _templates.Remove(key);
                }
            };
            _templates[key] = (pages, cr3);
            return (pages, cr3);
        }
    }

    /// <summary>Bytes from guest-physical 0 that the boot pages span.</summary>
    internal static ulong Size(ElfImage image) =>
        image.SharedPages is { Length: > 0 } shared ? shared[^1].End : GuestLayout.PrivateEnd;

    /// <summary>Writes the boot pages (GDT, TSS, page tables, hypercall page, the image's shared
    /// pages) into guest-physical memory that reads as zero, taking each piece from
    /// <paramref name="ram"/> where it lies (an image may sit above 2 GiB); returns the ranges
    /// they cover and the page tables' CR3. Into a template here, or straight into one domain's
    /// RAM when its hypervisor does not share boot pages (DomainBuilder).</summary>
    internal static (ulong Start, ulong End)[] Write(RamSlice ram, ElfImage image, MemoryLayout layout, out ulong cr3)
    {
        // The GDT, TSS, page tables and hypercall page all sit in the first MiB.
        Span<byte> low = ram(0, (int)GuestLayout.PrivateEnd);
        BootCpuState.WriteGdt(low);
        TrapGates.WriteTss(low);
        cr3 = PageTableBuilder.Build(low, layout.AccessOf, layout.MemoryBytes, layout.IsUniform, out ulong tablesEnd);
        DomainBuilder.WriteHypercallPage(low.Slice((int)GuestLayout.HypercallPageAddress, (int)GuestLayout.PageSize));
        foreach (var (start, end) in image.SharedPages)
            image.CopyFileData(start, ram(start, (int)(end - start)));
        return Ranges(image, tablesEnd);
    }

    /// <summary>What a template covers: the hypercall page, the GDT and TSS, the page tables
    /// and the image's read-only file data (ElfImage.SharedPages; its data pages are copied per
    /// domain by the builder: every guest writes them at once).</summary>
    internal static (ulong Start, ulong End)[] Ranges(ElfImage image, ulong tablesEnd) =>
    [
        (GuestLayout.HypercallPageAddress, GuestLayout.HypercallPageAddress + GuestLayout.PageSize),
        (PageTableBuilder.GdtAddress, TrapLayout.IdtAddress),
        (PageTableBuilder.FirstTablePage, tablesEnd),
        .. image.SharedPages,
    ];
}
