// Where everything goes in a domain's RAM (see protocols/Boot/GuestLayout.cs): fixed low pages,
// the image from 0x100000, the heap after it, and the stack at the top of RAM above an
// unmapped guard page. Pure arithmetic, so it is unit-tested without KVM.
using ParaKit.Protocols.Boot;

namespace ParaKit.Hypervisor.Domains;

/// <summary>What a guest may do with one 4 KiB page.</summary>
[Flags]
public enum PageAccess
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
    ReadWrite = Read | Write,
    ReadExecute = Read | Execute,
    All = Read | Write | Execute,
}

public sealed record MemoryLayout(ulong MemoryBytes, ulong ImageStart, ulong ImageEnd, ulong HeapStart, ulong HeapEnd, ulong StackBottom, ulong StackTop)
{
    public const ulong DefaultStackBytes = 1 << 20;
    public const ulong MinMemoryBytes = 4 << 20;
    private const ulong Page = GuestLayout.PageSize;

    public ulong GuardPage => StackBottom - Page;

    /// <summary>Plans RAM for an image spanning [imageLow, imageHigh). Throws GuestImageException when it does not fit.</summary>
    public static MemoryLayout Plan(ulong memoryBytes, ulong imageLow, ulong imageHigh, ulong stackBytes = DefaultStackBytes)
    {
        if (memoryBytes % Page != 0 || memoryBytes < MinMemoryBytes || memoryBytes > GuestLayout.MaxMemoryBytes)
            throw new ArgumentOutOfRangeException(nameof(memoryBytes), $"memory must be between {MinMemoryBytes >> 20} and {GuestLayout.MaxMemoryBytes >> 20} MiB");
        ulong start = imageLow & ~(Page - 1);
        ulong end = AlignUp(imageHigh);
        if (start < GuestLayout.ImageBase || end < start)
            throw new GuestImageException($"image starts at 0x{imageLow:x}, below 0x{GuestLayout.ImageBase:x}");
        ulong stackTop = memoryBytes;
        ulong stackBottom = stackTop - stackBytes;
        ulong guard = stackBottom - Page;
        if (end > guard)
            throw new GuestImageException($"image needs {(end - GuestLayout.ImageBase) >> 10} KiB from 0x{GuestLayout.ImageBase:x}, but only {(guard - GuestLayout.ImageBase) >> 10} KiB fit below the stack in {memoryBytes >> 20} MiB of memory (use more memory)");
        return new MemoryLayout(memoryBytes, start, end, end, guard, stackBottom, stackTop);
    }

    /// <summary>The guest's rights on the page at <paramref name="address"/> (the page-table policy).</summary>
    public PageAccess AccessOf(ulong address)
    {
        ulong page = address & ~(Page - 1);
        if (page >= MemoryBytes)
            return page == GuestLayout.HypercallDoorbell || (page >= GuestLayout.DeviceWindowStart && page < GuestLayout.DeviceWindowEnd)
                ? PageAccess.ReadWrite   // not memory: every access exits to domain 0 (hypercall or device bus)
                : PageAccess.None;
        return page switch
        {
            0 => PageAccess.None, // null dereferences must fault
            GuestLayout.StartInfoAddress => PageAccess.Read,
            GuestLayout.SharedInfoAddress => PageAccess.ReadWrite,
            GuestLayout.HypercallPageAddress => PageAccess.ReadExecute,
            GuestLayout.StoreRingAddress or GuestLayout.ConsoleRingAddress => PageAccess.ReadWrite,
            // The grant table: the guest writes entries, the hypervisor flips reading/writing.
            >= Grants.GrantTable.FrameAddress and < Grants.GrantTable.FrameAddress + Grants.GrantTable.FrameCount * Page => PageAccess.ReadWrite,
            < GuestLayout.PrivateStart => PageAccess.None,
            // The trap stack (IST1): the CPU pushes fault frames there at ring 3.
            >= ParaKit.Protocols.Traps.TrapLayout.TrapStackBottom and < ParaKit.Protocols.Traps.TrapLayout.TrapStackTop => PageAccess.ReadWrite,
            ParaKit.Protocols.Traps.TrapLayout.TrapStackGuard => PageAccess.None,
            < GuestLayout.PrivateEnd => PageAccess.Read, // GDT, TSS, IDT and page tables: visible, never writable
            _ when page == GuardPage => PageAccess.None,
            _ when page >= StackBottom => PageAccess.ReadWrite,
            _ => PageAccess.All, // image and heap
        };
    }

    /// <summary>True when every page of [start, end) has the same access: no boundary of the
    /// policy in <see cref="AccessOf"/> falls strictly inside the range.</summary>
    public bool IsUniform(ulong start, ulong end)
    {
        if (start < GuestLayout.PrivateEnd || end > MemoryBytes)
            return false; // the low fixed pages change every few KiB; beyond RAM is special
        foreach (ulong b in (ReadOnlySpan<ulong>)[ImageStart, GuardPage, StackBottom])
        {
            if (b > start && b < end)
                return false;
        }
        return true;
    }

    /// <summary>Ranges hypercalls may write into on the guest's behalf (same policy as the page tables).</summary>
    public (ulong Start, ulong End)[] WritableRanges() =>
    [
        (GuestLayout.SharedInfoAddress, GuestLayout.SharedInfoAddress + Page),
        (GuestLayout.StoreRingAddress, GuestLayout.ConsoleRingAddress + Page),
        (ParaKit.Protocols.Traps.TrapLayout.TrapStackBottom, ParaKit.Protocols.Traps.TrapLayout.TrapStackTop),
        (ImageStart, GuardPage),
        (StackBottom, StackTop),
    ];

    private static ulong AlignUp(ulong v) => (v + Page - 1) & ~(Page - 1);
}
