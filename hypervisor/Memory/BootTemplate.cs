// A boot template: the pages every domain built from one image and memory size starts with
// (hypercall page, GDT/TSS, page tables, the image's code and read-only data), written once into a
// sealed memfd. Each domain maps the template's ranges MAP_PRIVATE over its own RAM
// (GuestMemory.Allocate), so a page nobody writes is one physical page for all of them, and a
// page the guest or domain 0 writes is copied for that domain alone (copy on write), as
// fork() shares a parent's pages. Reference-counted: the memfd closes with its last domain.
using ParaKit.Hypervisor.Native;
using ParaKit.Protocols.Boot;

namespace ParaKit.Hypervisor.Memory;

public sealed unsafe class BootTemplate
{
    private int _fd;
    private int _references = 1;

    /// <summary>Page-aligned guest-physical ranges, sorted and disjoint, that domains map from the
    /// template; the template's file offset of a byte is its guest-physical address.</summary>
    public IReadOnlyList<(ulong Start, ulong End)> Ranges { get; }
    /// <summary>One past the last byte of the last range.</summary>
    public ulong Size { get; }
    /// <summary>Raised once, when the last reference is released and the memfd is closed.</summary>
    public event Action<BootTemplate>? Released;

    internal int Fd => Volatile.Read(ref _fd) is >= 0 and var fd ? fd : throw new ObjectDisposedException(nameof(BootTemplate));

    private BootTemplate(int fd, (ulong, ulong)[] ranges, ulong size)
    {
        _fd = fd;
        Ranges = ranges;
        Size = size;
    }

    /// <summary>Creates a template of <paramref name="size"/> bytes holding one reference.
    /// <paramref name="fill"/> writes the pages through slices of guest-physical memory that read
    /// as zero, and returns the ranges domains map (page-aligned, sorted, disjoint).</summary>
    public static BootTemplate Create(string name, ulong size, Func<RamSlice, (ulong Start, ulong End)[]> fill)
    {
        if (size == 0 || size % GuestLayout.PageSize != 0 || size > GuestLayout.MaxMemoryBytes)
            throw new ArgumentOutOfRangeException(nameof(size), $"a boot template is a multiple of 4 KiB up to {GuestLayout.MaxMemoryBytes >> 20} MiB (got {size} bytes)");
        int fd = Libc.MemfdCreate("parakit-boot:" + name, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        if (fd < 0)
            throw new InsufficientMemoryException("memfd_create for a boot template failed: " + Libc.StrError(Libc.LastErrno));
        nint p = Libc.MapFailed;
        try
        {
            if (Libc.Ftruncate(fd, (long)size) != 0)
                throw new InsufficientMemoryException($"cannot size a boot template to {size >> 10} KiB: {Libc.StrError(Libc.LastErrno)}");
            p = Libc.Mmap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
            if (p == Libc.MapFailed)
                throw new InsufficientMemoryException($"cannot map a boot template of {size >> 10} KiB: {Libc.StrError(Libc.LastErrno)}");
            nint mapped = p;
            var ranges = fill((address, length) => address <= size && (ulong)length <= size - address
                ? new Span<byte>((byte*)mapped + address, length)
                : throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x}+{length} is outside the {size >> 10} KiB boot template"));
            CheckRanges(ranges, size);
            Libc.Munmap(p, (nuint)size);
            p = Libc.MapFailed;
            // Nothing may change the pages domains share from now on: domains only ever map the
            // template privately, and the seals make a stray writable mapping impossible too.
            if (Libc.Fcntl(fd, Libc.F_ADD_SEALS, Libc.F_SEAL_SEAL | Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_WRITE) != 0)
                throw new InvalidOperationException("cannot seal a boot template: " + Libc.StrError(Libc.LastErrno));
            return new BootTemplate(fd, ranges, ranges[^1].End);
        }
        catch
        {
            if (p != Libc.MapFailed)
                Libc.Munmap(p, (nuint)size);
            Libc.Close(fd);
            throw;
        }
    }

    private static void CheckRanges((ulong Start, ulong End)[] ranges, ulong size)
    {
        const ulong page = GuestLayout.PageSize;
        if (ranges.Length == 0)
            throw new ArgumentException("a boot template must share at least one page", nameof(ranges));
        ulong last = 0;
        foreach (var (start, end) in ranges)
        {
            if (start % page != 0 || end % page != 0 || end <= start || start < last || end > size)
                throw new ArgumentException($"template ranges must be page-aligned, non-empty, sorted, disjoint and inside its {size >> 10} KiB (got 0x{start:x}-0x{end:x})", nameof(ranges));
            last = end;
        }
    }

    /// <summary>Takes one more reference, unless the template is already released.</summary>
    public bool TryAddReference()
    {
        for (int r = Volatile.Read(ref _references); r > 0; r = Volatile.Read(ref _references))
        {
            if (Interlocked.CompareExchange(ref _references, r + 1, r) == r)
                return true;
        }
        return false;
    }

    /// <summary>Drops one reference; the last one closes the memfd (domains' mappings keep the
    /// pages they still map alive on their own).</summary>
    public void Release()
    {
        int r = Interlocked.Decrement(ref _references);
        if (r > 0)
            return;
        if (r < 0)
            throw new InvalidOperationException("boot template released more often than referenced");
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
        Released?.Invoke(this);
    }
}
