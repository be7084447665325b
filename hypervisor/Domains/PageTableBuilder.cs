// Builds a guest's 4-level identity page tables in its hypervisor-private pages: 2 MiB pages
// where a whole 2 MiB region has one access policy, 4 KiB pages where it does not (the low
// fixed pages, the stack guard page, the doorbell). Every entry has the user bit (the guest
// runs at ring 3) and accessed/dirty preset, so the CPU never needs to write the tables, which
// the guest cannot write either.
using ParaKit.Protocols.Boot;

namespace ParaKit.Hypervisor.Domains;

public static class PageTableBuilder
{
    public const ulong Present = 1, Writable = 2, User = 4, Accessed = 0x20, Dirty = 0x40, Large = 0x80;
    public const ulong NoExecute = 1UL << 63;
    public const ulong AddressMask = 0x000F_FFFF_FFFF_F000;
    /// <summary>The GDT, the TSS and the IDT live in the first three private pages; tables
    /// follow, up to the trap stack's guard page at the end of the private region.</summary>
    public const ulong GdtAddress = GuestLayout.PrivateStart;
    public const ulong TssAddress = GuestLayout.PrivateStart + 0x1000;
    public const ulong FirstTablePage = ParaKit.Protocols.Traps.TrapLayout.IdtAddress + 0x1000;
    public const ulong LastTablePageEnd = ParaKit.Protocols.Traps.TrapLayout.TrapStackGuard;

    private const ulong Table = Present | Writable | User | Accessed;
    private const ulong TwoMiB = 1 << 21, Page = GuestLayout.PageSize;

    /// <summary>Writes the tables into <paramref name="ram"/> (guest-physical 0 at index 0) and
    /// returns CR3.
    /// <paramref name="uniform"/>, when given, answers "does every page of [start, end) have
    /// the same access?" without asking page by page (a 3 GiB guest has 786,432 pages).</summary>
    public static ulong Build(Span<byte> ram, Func<ulong, PageAccess> access, ulong memoryBytes, Func<ulong, ulong, bool>? uniform = null) =>
        Build(ram, access, memoryBytes, uniform, out _);

    /// <summary>As above; <paramref name="tablesEnd"/> is one past the last table page written
    /// (the tables fill [FirstTablePage, tablesEnd)).</summary>
    public static ulong Build(Span<byte> ram, Func<ulong, PageAccess> access, ulong memoryBytes, Func<ulong, ulong, bool>? uniform, out ulong tablesEnd)
    {
        ulong next = FirstTablePage;
        ulong Alloc(Span<byte> r)
        {
            if (next >= LastTablePageEnd)
                throw new InvalidOperationException("page tables do not fit in the private region");
            ulong a = next;
            next += Page;
            r.Slice((int)a, (int)Page).Clear();
            return a;
        }

        ulong pml4 = Alloc(ram);
        ulong pdpt = Alloc(ram);
        Set(ram, pml4, 0, pdpt | Table);

        // Regions to map: all of RAM, plus the doorbell's 2 MiB region.
        var regions = new List<ulong>();
        for (ulong r = 0; r < memoryBytes; r += TwoMiB)
            regions.Add(r);
        ulong doorbellRegion = GuestLayout.HypercallDoorbell & ~(TwoMiB - 1);
        if (doorbellRegion >= memoryBytes)
            regions.Add(doorbellRegion);

        var pds = new Dictionary<ulong, ulong>();
        foreach (ulong region in regions)
        {
            ulong gib = region >> 30;
            if (!pds.TryGetValue(gib, out ulong pd))
            {
                pd = Alloc(ram);
                pds[gib] = pd;
                Set(ram, pdpt, (int)gib, pd | Table);
            }
            int pdIndex = (int)((region >> 21) & 511);
            PageAccess first = access(region);
            // Only a region wholly inside RAM can be one large page.
            bool same = region + TwoMiB <= memoryBytes;
            if (same && uniform is not null)
                same = uniform(region, region + TwoMiB);
            else
            {
                for (ulong p = region + Page; same && p < region + TwoMiB; p += Page)
                    same = access(p) == first;
            }
            if (same)
            {
                if (first != PageAccess.None)
                    Set(ram, pd, pdIndex, region | Leaf(first) | Large);
                continue;
            }
            ulong pt = Alloc(ram);
            Set(ram, pd, pdIndex, pt | Table);
            for (int i = 0; i < 512; i++)
            {
                ulong p = region + (ulong)i * Page;
                PageAccess a = access(p);
                if (a != PageAccess.None)
                    Set(ram, pt, i, p | Leaf(a));
            }
        }
        tablesEnd = next;
        return pml4;
    }

    private static ulong Leaf(PageAccess a)
    {
        ulong e = Present | User | Accessed | Dirty;
        if ((a & PageAccess.Write) != 0)
            e |= Writable;
        if ((a & PageAccess.Execute) == 0)
            e |= NoExecute;
        return e;
    }

    private static void Set(Span<byte> ram, ulong table, int index, ulong entry) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(ram[(int)(table + (ulong)index * 8)..], entry);

    private static ulong Get(ReadOnlySpan<byte> ram, ulong table, ulong index) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(ram[(int)(table + index * 8)..]);

    /// <summary>Walks the tables like the MMU would: the leaf entry for <paramref name="address"/>
    /// (0 when not present) and whether every level allows user access. For tests and debugging.</summary>
    public static ulong Walk(ReadOnlySpan<byte> ram, ulong cr3, ulong address, out ulong physical)
    {
        physical = 0;
        ulong table = cr3 & AddressMask;
        for (int level = 3; level >= 0; level--)
        {
            ulong index = (address >> (12 + 9 * level)) & 511;
            if (table + index * 8 + 8 > (ulong)ram.Length)
                return 0;
            ulong e = Get(ram, table, index);
            if ((e & Present) == 0 || (e & User) == 0)
                return 0;
            if (level == 0 || (level == 1 && (e & Large) != 0))
            {
                ulong pageMask = level == 1 ? TwoMiB - 1 : Page - 1;
                physical = (e & AddressMask & ~pageMask) | (address & pageMask);
                return e;
            }
            table = e & AddressMask;
        }
        return 0;
    }
}
