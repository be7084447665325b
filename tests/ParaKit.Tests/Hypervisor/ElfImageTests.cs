// The guest image parser: accepts the images we build, names what is wrong with everything
// else, never fails with anything but GuestImageException on hostile bytes, symbolizes, and
// its file data lands where it belongs (also above 2 GiB, through the boot-page writer).
using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Memory;

namespace ParaKit.Tests.Hypervisor;

public class ElfImageTests
{
    private static byte[] Hello => File.ReadAllBytes(HypervisorHarness.AsmGuest("hello"));
    private static byte[] Crash => File.ReadAllBytes(HypervisorHarness.AsmGuest("crash"));

    [Test]
    public void Parses_an_assembly_guest()
    {
        var image = ElfImage.Parse(Crash);
        Assert.Multiple(() =>
        {
            Assert.That(image.Entry, Is.EqualTo(image.SymbolAddress("_start")));
            Assert.That(image.LowAddress, Is.EqualTo(0x100000UL));
            Assert.That(image.Segments, Has.Some.Matches<ElfSegment>(s => s.IsExecutable));
            Assert.That(image.SymbolAddress("crash_here"), Is.Not.Null);
        });
    }

    [Test]
    public void Symbolizes_addresses_inside_sized_functions_and_nearest_symbols()
    {
        var image = ElfImage.Parse(Crash);
        ulong f = image.SymbolAddress("crash_here")!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(image.Symbolize(f), Is.EqualTo("crash_here"));
            Assert.That(image.Symbolize(f + 2), Is.EqualTo("crash_here+0x2"));
            Assert.That(image.Symbolize(image.Entry + 5), Is.EqualTo("_start+0x5"));
            Assert.That(image.Symbolize(0x10), Is.Null, "below the image");
            Assert.That(image.Symbolize(0x7000_0000), Is.Null, "outside every segment");
        });
    }

    [Test]
    public void Rejects_non_elf_files() =>
        Assert.That(() => ElfImage.Parse("#!/bin/sh\necho hi\n"u8.ToArray()), Throws.TypeOf<GuestImageException>().With.Message.Contains("not an ELF file"));

    [Test]
    public void Rejects_empty_and_truncated_files()
    {
        Assert.That(() => ElfImage.Parse([]), Throws.TypeOf<GuestImageException>());
        Assert.That(() => ElfImage.Parse(Hello[..40]), Throws.TypeOf<GuestImageException>().With.Message.Contains("truncated"));
    }

    [Test]
    public void Rejects_32_bit_big_endian_and_foreign_machines()
    {
        var b = Hello; b[4] = 1;
        Assert.That(() => ElfImage.Parse(b), Throws.TypeOf<GuestImageException>().With.Message.Contains("64-bit"));
        b = Hello; b[5] = 2;
        Assert.That(() => ElfImage.Parse(b), Throws.TypeOf<GuestImageException>().With.Message.Contains("little-endian"));
        b = Hello; BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), 183); // aarch64
        Assert.That(() => ElfImage.Parse(b), Throws.TypeOf<GuestImageException>().With.Message.Contains("not an x86-64 image"));
    }

    [Test]
    public void Rejects_position_independent_executables()
    {
        var b = Hello; BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 3);
        Assert.That(() => ElfImage.Parse(b), Throws.TypeOf<GuestImageException>().With.Message.Contains("ET_DYN"));
    }

    [Test]
    public void Rejects_segments_below_the_image_base_or_outside_memory()
    {
        var low = WithFirstLoadAddress(Hello, 0x1000);
        Assert.That(() => ElfImage.Parse(low), Throws.TypeOf<GuestImageException>().With.Message.Contains("outside the allowed range"));
        var high = WithFirstLoadAddress(Hello, 0xFFFF_FFFF_FFFF_F000);
        Assert.That(() => ElfImage.Parse(high), Throws.TypeOf<GuestImageException>().With.Message.Contains("outside the allowed range"));
    }

    [Test]
    public void Rejects_segment_data_beyond_the_end_of_the_file()
    {
        var b = Hello;
        int ph = FirstLoadHeader(b);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(ph + 32), (ulong)b.Length * 4); // p_filesz
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(ph + 40), (ulong)b.Length * 4); // p_memsz
        Assert.That(() => ElfImage.Parse(b), Throws.TypeOf<GuestImageException>().With.Message.Contains("outside the file"));
    }

    [Test]
    public void Rejects_an_entry_point_outside_executable_segments()
    {
        var b = Hello; BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), 0x5000_0000);
        Assert.That(() => ElfImage.Parse(b), Throws.TypeOf<GuestImageException>().With.Message.Contains("entry point"));
    }

    [Test]
    public void Copies_each_pages_file_data_to_its_address()
    {
        var image = ElfImage.Parse(Hello);
        var ram = new byte[4 << 20];
        foreach (var (start, end) in image.SharedPages.Concat(image.PrivatePages))
            image.CopyFileData(start, ram.AsSpan((int)start, (int)(end - start)));
        var text = image.Segments.First(s => s.IsExecutable);
        Assert.That(ram.AsSpan((int)text.VirtualAddress, (int)text.FileSize).ToArray(),
            Is.EqualTo(Hello.AsSpan((int)text.FileOffset, (int)text.FileSize).ToArray()));
    }

    [Test]
    public void Boot_pages_above_2_GiB_land_in_a_3_GiB_domain_with_and_without_a_template()
    {
        // Guest RAM larger than one span can cover: the boot pages are written piece by piece.
        var b = Hello;
        int ph = FirstLoadHeader(b);
        ulong oldBase = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(ph + 16));
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(24));
        WithFirstLoadAddress(b, 0xA000_0000);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), 0xA000_0000 + (entry - oldBase));
        var image = ElfImage.Parse(b);
        var layout = MemoryLayout.Plan(3UL << 30, image.LowAddress, image.HighAddress);
        var seg = image.Segments.First(s => s.VirtualAddress == 0xA000_0000);
        byte[] expected = b.AsSpan((int)seg.FileOffset, (int)seg.FileSize).ToArray();

        using (var own = GuestMemory.Allocate(3UL << 30, "elf-test"))
        {
            BootTemplateCache.Write(own.Slice, image, layout, out _);
            Assert.That(own.Slice(0xA000_0000, (int)seg.FileSize).ToArray(), Is.EqualTo(expected), "straight into the domain's RAM");
        }
        var template = BootTemplate.Create("elf-test-3G", BootTemplateCache.Size(image), ram => BootTemplateCache.Write(ram, image, layout, out _));
        using var shared = GuestMemory.Allocate(3UL << 30, "elf-test", template);
        Assert.That(shared.Slice(0xA000_0000, (int)seg.FileSize).ToArray(), Is.EqualTo(expected), "through a template");
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Corrupted_images_never_throw_anything_but_GuestImageException()
    {
        byte[] original = Hello;
        var gen = Gen.Choose(0, Math.Min(original.Length, 4096) - 1).Two().ListOf();
        return Prop.ForAll(gen.ToArbitrary(), edits =>
        {
            var b = (byte[])original.Clone();
            foreach (var (pos, val) in edits)
                b[pos] = (byte)val;
            try
            {
                var image = ElfImage.Parse(b);
                // Whatever parses must be loadable or refused cleanly, and symbolizable.
                _ = image.Symbolize(image.Entry);
                return true;
            }
            catch (GuestImageException)
            {
                return true;
            }
        });
    }

    internal static int FirstLoadHeader(byte[] b)
    {
        int phoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(56));
        for (int i = 0; i < phnum; i++)
        {
            int o = phoff + i * 56;
            if (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o)) == 1)
                return o;
        }
        throw new InvalidOperationException("no PT_LOAD");
    }

    /// <summary>Moves the first PT_LOAD segment (virtual and physical address) elsewhere.</summary>
    internal static byte[] WithFirstLoadAddress(byte[] b, ulong address)
    {
        int ph = FirstLoadHeader(b);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(ph + 16), address);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(ph + 24), address);
        return b;
    }
}
