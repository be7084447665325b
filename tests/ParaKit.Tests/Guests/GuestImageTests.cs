// The images build.sh produces obey the boot contract: ELF64 x86-64 executables linked at
// GuestLayout.ImageBase with entry _start, segments where StartInfo allows them, W^X, nothing
// left undefined, and the symbol table kept for crash reports.
using ParaKit.Hypervisor.Domains;
using ParaKit.Protocols.Boot;

namespace ParaKit.Tests.Guests;

[TestFixture]
public class GuestImageTests
{
    // The smallest memory a domain gets by default (hypervisor DomainConfig): images must fit.
    private const ulong DefaultMemoryBytes = 64UL << 20;

    [TestCase("hello")]
    [TestCase("features")]
    public void Image_is_a_static_executable_at_the_image_base(string app)
    {
        string path = GuestToolchain.Build(app);
        byte[] bytes = File.ReadAllBytes(path);
        var image = ElfImage.Parse(bytes);
        var symbols = ElfSymbolTable.Read(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(bytes[4], Is.EqualTo(2), "ELFCLASS64");
            Assert.That(BitConverter.ToUInt16(bytes, 16), Is.EqualTo(2), "ET_EXEC");
            Assert.That(BitConverter.ToUInt16(bytes, 18), Is.EqualTo(62), "EM_X86_64");
            Assert.That(symbols.Addresses.ContainsKey("_start"), "symbol _start");
            Assert.That(image.Entry, Is.EqualTo(symbols.Addresses["_start"]), "entry point is _start");
            Assert.That(image.Segments.Any(s => s.IsExecutable && image.Entry >= s.VirtualAddress && image.Entry < s.End), "entry lies in an executable segment");
            Assert.That(image.LowAddress, Is.EqualTo(GuestLayout.ImageBase), "linked at the image base");
            Assert.That(image.HighAddress, Is.LessThan(DefaultMemoryBytes / 2), "image leaves room for heap and stack in the default memory size");
        });
        foreach (var segment in image.Segments)
        {
            Assert.That(segment.VirtualAddress, Is.GreaterThanOrEqualTo(GuestLayout.ImageBase));
            Assert.That(segment.End, Is.LessThanOrEqualTo(GuestLayout.MaxMemoryBytes));
            Assert.That(segment.IsWritable && segment.IsExecutable, Is.False, $"segment at {segment.VirtualAddress:x} is both writable and executable");
        }
        TestContext.Out.WriteLine($"{app}: {bytes.Length} bytes, loaded {image.LowAddress:x}-{image.HighAddress:x}, {symbols.Defined.Count} symbols");
    }

    [TestCase("hello")]
    [TestCase("features")]
    public void Image_has_no_undefined_symbols_and_keeps_its_symbol_table(string app)
    {
        byte[] bytes = File.ReadAllBytes(GuestToolchain.Build(app));
        var symbols = ElfSymbolTable.Read(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(symbols.Undefined, Is.Empty, "undefined symbols");
            Assert.That(symbols.Defined, Has.Member("__managed__Main"), "ILC's entry for Main");
            Assert.That(symbols.Defined, Has.Member("RhpInitialDynamicInterfaceDispatch"));
            Assert.That(symbols.Defined, Has.Member("__parakit_type_names"), "type-name table from the second link");
            Assert.That(symbols.Defined.Count, Is.GreaterThan(100), "managed methods keep their symbols");
        });
    }

    [Test]
    public void Crash_image_names_the_faulting_method()
    {
        var image = ElfImage.Load(GuestToolchain.Build("crash"));
        ulong? address = image.SymbolAddress("crash_CrashApp__DereferenceNull");
        Assert.That(address, Is.Not.Null, "CrashApp.DereferenceNull keeps a symbol");
        Assert.That(image.Symbolize(address!.Value + 1), Does.Contain("DereferenceNull"));
    }
}
