// Boot templates under KVM: domains of one image and memory size share their boot pages (the
// same physical page behind each domain's mapping, read from /proc/self/pagemap), a write by
// the guest or by domain 0 into such a page is copied for that domain alone, and the template
// (its memfd and every mapping of it) goes with the last domain that uses it. Plus the pure
// parts: which pages a template covers, and what BootTemplate.Create refuses.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Boot;

namespace ParaKit.Tests.Hypervisor;

[TestFixture]
[NonParallelizable]
public unsafe class BootTemplateTests : HypervisorFixture
{
    private const ulong Original = 0x1111111111111111, OriginalData = 0x2222222222222222, Written = 0x5752495454454e21;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // A memory size no other test uses, so the template's memfd name is this fixture's alone.
    private static DomainConfig Config(string name, int memory = 6) =>
        new() { Name = name, Kernel = HypervisorHarness.AsmGuest("cowwrite"), MemoryMiB = memory };

    private static ulong Symbol(ElfImage image, string name) => image.Symbols.Single(s => s.Name == name).Address;

    private static ref ulong Word(Domain d, ulong address) => ref d.Memory.RefAt<ulong>(address);

    /// <summary>Domain 0 reads a guest page, so its mapping of it is resident.</summary>
    private static void Touch(Domain d, ulong guestAddress) => _ = Volatile.Read(ref d.Memory.RefAt<byte>(guestAddress));

    /// <summary>The pagemap entry of domain 0's mapping of a guest page, touched first.</summary>
    private static ulong PagemapEntry(Domain d, ulong guestAddress)
    {
        Touch(d, guestAddress);
        ulong host = (ulong)d.Memory.HostAddress + guestAddress;
        using var pagemap = File.OpenRead("/proc/self/pagemap");
        pagemap.Position = (long)(host / GuestLayout.PageSize * 8);
        Span<byte> entry = stackalloc byte[8];
        pagemap.ReadExactly(entry);
        return BitConverter.ToUInt64(entry);
    }

    private const int Present = 63, FileOrSharedAnon = 61, Exclusive = 56;
    private static bool Bit(ulong entry, int bit) => (entry >> bit & 1) != 0;
    private static ulong Pfn(ulong entry) => entry & ((1UL << 55) - 1);

    [Test]
    public void Two_domains_of_one_image_map_the_same_physical_boot_pages()
    {
        var image = ElfImage.Load(HypervisorHarness.AsmGuest("cowwrite"));
        var a = Dom0.CreateDomain(Config("share-a"), image, new BufferConsoleSink());
        var b = Dom0.CreateDomain(Config("share-b"), image, new BufferConsoleSink());
        try
        {
            Assert.That(b.Memory.Template, Is.SameAs(a.Memory.Template), "one template for one image and size");
            // The image's code, the hypercall page and the top page table (CR3).
            foreach (ulong page in new[] { Symbol(image, "_start"), GuestLayout.HypercallPageAddress, PageTableBuilder.FirstTablePage })
            {
                Touch(a, page);
                Touch(b, page);
                ulong ea = PagemapEntry(a, page), eb = PagemapEntry(b, page);
                Assert.Multiple(() =>
                {
                    Assert.That(Bit(ea, Present) && Bit(eb, Present), Is.True, $"0x{page:x} resident in both");
                    Assert.That(Bit(ea, FileOrSharedAnon) && Bit(eb, FileOrSharedAnon), Is.True, $"0x{page:x} is the template's page, not a private copy");
                    Assert.That(Bit(ea, Exclusive) || Bit(eb, Exclusive), Is.False, $"0x{page:x} is mapped by more than one domain");
                    Assert.That(Pfn(ea), Is.EqualTo(Pfn(eb)), $"0x{page:x}: the same physical page (pfn; 0 for both without CAP_SYS_ADMIN)");
                });
            }
            // Per-domain pages are never shared: start_info names each domain.
            Assert.That(a.StartInfo.DomId, Is.Not.EqualTo(b.StartInfo.DomId));
            Assert.That(Bit(PagemapEntry(a, GuestLayout.StartInfoAddress), Exclusive), Is.True, "start_info is the domain's own page");
        }
        finally
        {
            Dom0.DestroyDomain(a);
            Dom0.DestroyDomain(b);
        }
    }

    [Test]
    public void A_guest_writing_over_its_shared_code_and_data_changes_only_its_own_pages()
    {
        var image = ElfImage.Load(HypervisorHarness.AsmGuest("cowwrite"));
        ulong code = Symbol(image, "code_word"), data = Symbol(image, "data_word");
        var a = Dom0.CreateDomain(Config("cow-a"), image, new BufferConsoleSink());
        var b = Dom0.CreateDomain(Config("cow-b"), image, new BufferConsoleSink());
        Domain? c = null;
        try
        {
            // b has read the pages before a writes them: b must keep the original, not follow a's copy.
            Assert.That((Word(b, code), Word(b, data)), Is.EqualTo((Original, OriginalData)));
            a.Start();
            Assert.That(a.WaitForExit(Wait), Is.True, "the writing guest exits");
            Assert.That(a.Exit!.Value.ExitCode, Is.EqualTo(0), a.Exit.ToString());
            c = Dom0.CreateDomain(Config("cow-c"), image, new BufferConsoleSink());
            Assert.Multiple(() =>
            {
                Assert.That((Word(a, code), Word(a, data)), Is.EqualTo((Written, Written)), "the guest's writes reached its own memory");
                Assert.That((Word(b, code), Word(b, data)), Is.EqualTo((Original, OriginalData)), "the other domain's pages did not change");
                Assert.That((Word(c, code), Word(c, data)), Is.EqualTo((Original, OriginalData)), "the template did not change");
                Assert.That(Bit(PagemapEntry(a, code), Exclusive), Is.True, "the written code page is now a's private copy");
            });
            // Domain 0 writing through one domain's memory (as gdb's breakpoints do) is private too.
            Word(b, code) = 0xCCCCCCCCCCCCCCCC;
            Assert.That(Word(c, code), Is.EqualTo(Original));
            Assert.That(Word(a, code), Is.EqualTo(Written));
            // And c still runs the unchanged code: it writes and exits like a did.
            c.Start();
            Assert.That(c.WaitForExit(Wait), Is.True);
            Assert.That(c.Exit!.Value.ExitCode, Is.EqualTo(0), c.Exit.ToString());
            Assert.That(Word(b, code), Is.EqualTo(0xCCCCCCCCCCCCCCCC));
        }
        finally
        {
            Dom0.DestroyDomain(a);
            Dom0.DestroyDomain(b);
            if (c is not null)
                Dom0.DestroyDomain(c);
        }
    }

    [Test]
    public void A_hypervisor_that_does_not_share_writes_the_same_boot_pages_into_the_domains_own_RAM()
    {
        var image = ElfImage.Load(HypervisorHarness.AsmGuest("cowwrite"));
        using var single = ParaKit.Hypervisor.Domains.Hypervisor.Open();
        single.SharesBootPages = false;
        var shared = Dom0.CreateDomain(Config("pages-shared"), image, new BufferConsoleSink());
        var own = single.CreateDomain(Config("pages-own"), image, new BufferConsoleSink());
        try
        {
            Assert.That((own.Memory.Template, single.BootTemplates.Count), Is.EqualTo(((BootTemplate?)null, 0)), "no template made");
            Assert.That(shared.Memory.Template, Is.Not.Null);
            foreach (var (start, end) in shared.Memory.Template!.Ranges)
            {
                var expected = shared.Memory.Slice(start, (int)(end - start)).ToArray();
                Assert.That(own.Memory.Slice(start, (int)(end - start)).ToArray(), Is.EqualTo(expected), $"0x{start:x}-0x{end:x}");
            }
            Assert.That(Bit(PagemapEntry(own, Symbol(image, "_start")), Exclusive), Is.True, "the code page is the domain's own");
            own.Start();
            Assert.That(own.WaitForExit(Wait), Is.True, "it boots and exits");
            Assert.That(own.Exit!.Value.ExitCode, Is.EqualTo(0), own.Exit.ToString());
            Assert.That((Word(own, Symbol(image, "code_word")), Word(own, Symbol(image, "data_word"))), Is.EqualTo((Written, Written)));
        }
        finally
        {
            Dom0.DestroyDomain(shared);
            single.DestroyDomain(own);
        }
    }

    [Test]
    public void Destroying_the_last_domain_of_an_image_releases_its_template()
    {
        const string name = "parakit-boot:cowwrite-7M";
        var image = ElfImage.Load(HypervisorHarness.AsmGuest("cowwrite"));
        int before = Dom0.BootTemplates.Count;
        var a = Dom0.CreateDomain(Config("rel-a", 7), image, new BufferConsoleSink());
        var b = Dom0.CreateDomain(Config("rel-b", 7), image, new BufferConsoleSink());
        Assert.That(Dom0.BootTemplates.Count, Is.EqualTo(before + 1));
        Assert.That(TemplateFds(name), Is.EqualTo(1), "the cache holds the template's memfd");
        Assert.That(File.ReadAllText("/proc/self/maps"), Does.Contain(name));
        Dom0.DestroyDomain(a);
        Assert.That(TemplateFds(name), Is.EqualTo(1), "b still uses the template");
        Assert.That((Word(b, Symbol(image, "code_word")), Dom0.BootTemplates.Count), Is.EqualTo((Original, before + 1)));
        Dom0.DestroyDomain(b);
        Assert.Multiple(() =>
        {
            Assert.That(Dom0.BootTemplates.Count, Is.EqualTo(before), "the cache forgot the template");
            Assert.That(TemplateFds(name), Is.Zero, "the template's memfd is closed");
            Assert.That(File.ReadAllText("/proc/self/maps"), Does.Not.Contain(name), "no mapping of the template is left");
        });
        // A new domain of the same image builds a fresh template and boots from it.
        var c = Dom0.CreateDomain(Config("rel-c", 7), image, new BufferConsoleSink());
        try
        {
            c.Start();
            Assert.That(c.WaitForExit(Wait), Is.True);
            Assert.That(c.Exit!.Value.ExitCode, Is.EqualTo(0), c.Exit.ToString());
        }
        finally
        {
            Dom0.DestroyDomain(c);
        }
        Assert.That(TemplateFds(name), Is.Zero);
    }

    private static int TemplateFds(string name) => Directory.GetFiles("/proc/self/fd").Count(fd =>
    {
        try
        {
            return (new FileInfo(fd).LinkTarget ?? "").Contains(name, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    });

    [Test]
    public void A_template_covers_the_shared_boot_pages_and_the_image_code_only()
    {
        var image = ElfImage.Load(HypervisorHarness.AsmGuest("cowwrite"));
        // Text (two pages: code_word is page-aligned) is shared; the data page is each domain's own.
        Assert.That(image.SharedPages, Is.EqualTo(new[] { (0x100000UL, 0x102000UL) }));
        Assert.That(image.PrivatePages, Is.EqualTo(new[] { (0x102000UL, 0x103000UL) }));
        ulong tablesEnd = PageTableBuilder.FirstTablePage + 3 * GuestLayout.PageSize;
        var ranges = BootTemplateCache.Ranges(image, tablesEnd);
        Assert.That(ranges, Does.Contain((GuestLayout.HypercallPageAddress, GuestLayout.HypercallPageAddress + GuestLayout.PageSize)));
        Assert.That(ranges, Does.Contain((PageTableBuilder.FirstTablePage, tablesEnd)));
        foreach (ulong perDomain in new ulong[] { GuestLayout.StartInfoAddress, GuestLayout.SharedInfoAddress, GuestLayout.StoreRingAddress,
                     GuestLayout.ConsoleRingAddress, ParaKit.Hypervisor.Grants.GrantTable.FrameAddress, ParaKit.Protocols.Traps.TrapLayout.IdtAddress,
                     ParaKit.Protocols.Traps.TrapLayout.TrapStackBottom, 0x102000 })
            Assert.That(ranges.Any(r => perDomain >= r.Start && perDomain < r.End), Is.False, $"0x{perDomain:x} is written per domain: not in the template");
    }

    [Test]
    public void Shared_and_private_image_pages_split_the_file_data_by_page()
    {
        // Any two segments (read-only, then writable with a bss, maybe on the same page): every
        // file-data page is in exactly one list, and a page is shared exactly when no writable
        // segment touches it.
        var cases = Gen.Choose(0, 5).SelectMany(gap => Gen.Choose(1, 3 * 4096).SelectMany(ro => Gen.Choose(0, 3 * 4096).Select(rw => (gap, ro, rw))));
        Prop.ForAll(cases.ToArbitrary(), t =>
        {
            var (gap, roSize, rwSize) = t;
            ulong roStart = 0x100000, rwStart = roStart + (ulong)roSize + (ulong)gap * 1024, rwEnd = rwStart + (ulong)rwSize + 100;
            var image = ElfImage.Parse(TwoSegmentElf(roSize, rwStart, rwSize));
            var pages = image.SharedPages.Concat(image.PrivatePages)
                .SelectMany(r => Enumerable.Range(0, (int)((r.End - r.Start) / 4096)).Select(i => r.Start + (ulong)i * 4096)).ToList();
            var expected = Enumerable.Range(0, 16).Select(i => roStart + (ulong)i * 4096)
                .Where(p => (p < roStart + (ulong)roSize) || (rwSize > 0 && p < rwStart + (ulong)rwSize && p + 4096 > rwStart)).ToList();
            bool touched(ulong p) => p < rwEnd && p + 4096 > rwStart;
            return pages.Order().SequenceEqual(expected)
                && image.SharedPages.All(r => !touched(r.Start) && !touched(r.End - 4096))
                && image.PrivatePages.All(r => touched(r.Start) && touched(r.End - 4096));
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>A minimal static ELF: a read-only executable segment at 0x100000 filled with 0xAA
    /// and a writable one with <paramref name="rwSize"/> bytes of 0xBB and a 100-byte bss.</summary>
    private static byte[] TwoSegmentElf(int roSize, ulong rwStart, int rwSize)
    {
        const int header = 64 + 2 * 56;
        var f = new byte[header + roSize + rwSize];
        var h = f.AsSpan();
        h[0] = 0x7F; h[1] = (byte)'E'; h[2] = (byte)'L'; h[3] = (byte)'F'; h[4] = 2; h[5] = 1; h[6] = 1;
        BitConverter.TryWriteBytes(h[16..], (ushort)2);
        BitConverter.TryWriteBytes(h[18..], (ushort)62);
        BitConverter.TryWriteBytes(h[24..], 0x100000UL);
        BitConverter.TryWriteBytes(h[32..], 64UL);
        BitConverter.TryWriteBytes(h[54..], (ushort)56);
        BitConverter.TryWriteBytes(h[56..], (ushort)2);
        void Phdr(int i, uint flags, ulong offset, ulong address, ulong fileSize, ulong memSize)
        {
            var p = f.AsSpan(64 + i * 56);
            BitConverter.TryWriteBytes(p, 1u);
            BitConverter.TryWriteBytes(p[4..], flags);
            BitConverter.TryWriteBytes(p[8..], offset);
            BitConverter.TryWriteBytes(p[16..], address);
            BitConverter.TryWriteBytes(p[24..], address);
            BitConverter.TryWriteBytes(p[32..], fileSize);
            BitConverter.TryWriteBytes(p[40..], memSize);
        }
        Phdr(0, 5, header, 0x100000, (ulong)roSize, (ulong)roSize);
        Phdr(1, 6, (ulong)(header + roSize), rwStart, (ulong)rwSize, (ulong)rwSize + 100);
        h.Slice(header, roSize).Fill(0xAA);
        h.Slice(header + roSize, rwSize).Fill(0xBB);
        return f;
    }

    [Test]
    public void CopyFileData_copies_exactly_the_bytes_of_a_range()
    {
        var image = ElfImage.Parse(TwoSegmentElf(5000, 0x100000 + 5000, 300));
        var page = new byte[4096];
        image.CopyFileData(0x101000, page);
        // 904 bytes of the read-only segment, 300 of the writable one, then nothing (bss, beyond).
        Assert.That(page.Take(904).All(b => b == 0xAA), Is.True);
        Assert.That(page.Skip(904).Take(300).All(b => b == 0xBB), Is.True);
        Assert.That(page.Skip(1204).All(b => b == 0), Is.True);
        Assert.That(image.PrivatePages, Is.EqualTo(new[] { (0x101000UL, 0x102000UL) }), "the page both segments share is private");
    }

    [Test]
    public void Create_refuses_ranges_that_are_unaligned_unsorted_empty_or_outside()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => BootTemplate.Create("t", 0x4000, _ => [(0x1000, 0x1800)]), Throws.ArgumentException);
            Assert.That(() => BootTemplate.Create("t", 0x4000, _ => [(0x3000, 0x4000), (0x1000, 0x2000)]), Throws.ArgumentException);
            Assert.That(() => BootTemplate.Create("t", 0x4000, _ => []), Throws.ArgumentException);
            Assert.That(() => BootTemplate.Create("t", 0x4000, _ => [(0x3000, 0x5000)]), Throws.ArgumentException);
        });
    }

    [Test]
    public void A_template_is_sealed_against_writes_and_released_once()
    {
        var t = BootTemplate.Create("sealed", 0x3000, ram =>
        {
            ram(0x1000, 1)[0] = 42;
            return [(0x1000, 0x3000)];
        });
        int released = 0;
        t.Released += _ => released++;
        using (var memory = GuestMemory.Allocate(4 << 20, "seal-test", t))
        {
            Assert.That(memory.RefAt<byte>(0x1000), Is.EqualTo(42));
            Assert.That(memory.RefAt<byte>(0x3000), Is.Zero, "outside the template: the domain's own zeroed RAM");
            // A writable shared mapping of a write-sealed memfd is refused (EPERM).
            nint p = ParaKit.Hypervisor.Native.Libc.Mmap(0, 0x1000, ParaKit.Hypervisor.Native.Libc.PROT_WRITE, ParaKit.Hypervisor.Native.Libc.MAP_SHARED, t.Fd, 0x1000);
            Assert.That(p, Is.EqualTo(ParaKit.Hypervisor.Native.Libc.MapFailed), "the template's memfd cannot be mapped writable");
            Assert.That(t.TryAddReference(), Is.True);
            t.Release();
            Assert.That(released, Is.Zero);
        }
        Assert.That(released, Is.EqualTo(1), "the memory's Dispose released the last reference");
        Assert.That(t.TryAddReference(), Is.False, "a released template cannot be revived");
    }
}
