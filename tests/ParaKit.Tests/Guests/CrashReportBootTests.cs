// Crash reports under KVM: the crash app (built with DEBUG=1, so the image has a line table)
// crashes once per cause; domain 0's report must name the cause in words, the faulting method
// with its file:line, and a backtrace. Line numbers are looked up in Crash.cs itself, so
// editing the app does not break the test.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Domains;

namespace ParaKit.Tests.Guests;

public class CrashReportBootTests
{
    private static readonly DebugBuild s_build = new("crash", "Crash.cs");
    private static string App => s_build.Name;

    private static string DebugImage() => s_build.Image();

    private static int LineOf(string code) => s_build.LineOf(code);

    [TestCase("null", "crashed: null reference (page fault at 0x0", "*pointer = 0x0BADC0DE;", "DereferenceNull")]
    [TestCase("divide", "crashed: division by zero", "return a / b;", "Divide")]
    [TestCase("overflow", "crashed: arithmetic overflow", "return a / b;", "Divide")]
    [TestCase("stack", "crashed: stack overflow (page fault at 0x", "return Recurse(depth + 1) + 1;", "Recurse")]
    [TestCase("hypercall", "crashed: bad hypercall number 200", "return (int)Hypervisor.Call(number);", "BadHypercall")]
    [TestCase("throw", "crashed: unhandled exception", "throw new System.InvalidOperationException", "Throw")]
    public void Each_cause_is_reported_in_words_with_file_line_and_a_backtrace(string how, string cause, string code, string method)
    {
        var r = GuestToolchain.Boot(DebugImage(), how);
        string where = $"Crash.cs:{LineOf(code)} in {App}_CrashApp__{method}+0x";
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(70), r.Output);
            Assert.That(r.Stderr, Does.Contain(cause), r.Output);
            Assert.That(r.Stderr, Does.Contain(where), r.Output);
            Assert.That(r.Stderr, Does.Contain("backtrace:\n    #0  0x"), r.Output);
            Assert.That(r.Stderr, Does.Contain("#1 "), "at least one caller: " + r.Output);
        });
    }

    [Test]
    public void Unhandled_exception_prints_its_type_and_message_on_the_console()
    {
        var r = GuestToolchain.Boot(DebugImage(), "throw");
        Assert.That(r.Stdout, Does.Contain("panic: unhandled exception System.InvalidOperationException: crash app asked to throw (throw)"));
    }

    [Test]
    public void Line_table_maps_a_method_to_its_first_line()
    {
        var image = ElfImage.Load(DebugImage());
        ulong? address = image.SymbolAddress($"{App}_CrashApp__Divide");
        Assert.That(address, Is.Not.Null);
        Assert.That(image.Lines.Count, Is.GreaterThan(10));
        Assert.That(image.Lines.Find(address!.Value + 3)?.ToString(), Does.EndWith($"Crash.cs:{LineOf("return a / b;")}"));
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Garbage_line_tables_give_no_lines_and_never_throw() =>
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).ToArbitrary(), bytes =>
        {
            var table = LineTable.Parse(bytes);
            _ = table.Find(0x100000);
            return true;
        });
}
