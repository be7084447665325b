// The xl.cfg-style parser: what it accepts, and that every refusal names file, line and key.
using ParaKit.Hypervisor.Config;
using ParaKit.Hypervisor.Domains;

namespace ParaKit.Tests.Hypervisor;

public class XlConfigTests
{
    private const string File = "/etc/parakit/web.cfg";

    [Test]
    public void Parses_every_key_with_comments_and_both_quote_styles()
    {
        var c = XlConfig.Parse("""
            # a web server
            name = "web"      # trailing comment
            kernel = 'images/web.elf'
            memory = 128
            extra = "port=80 # not a comment"
            on_crash = "restart"
            vcpus = 1
            """, File);
        Assert.Multiple(() =>
        {
            Assert.That(c.Name, Is.EqualTo("web"));
            Assert.That(c.Kernel, Is.EqualTo("/etc/parakit/images/web.elf"), "relative to the file's folder");
            Assert.That(c.MemoryMiB, Is.EqualTo(128));
            Assert.That(c.CommandLine, Is.EqualTo("port=80 # not a comment"));
            Assert.That(c.OnCrash, Is.EqualTo(CrashAction.Restart));
        });
    }

    [Test]
    public void Defaults_name_to_the_file_name_and_keeps_absolute_kernels()
    {
        var c = XlConfig.Parse("kernel = \"/abs/k.elf\"\r\n", File);
        Assert.Multiple(() =>
        {
            Assert.That(c.Name, Is.EqualTo("web"));
            Assert.That(c.Kernel, Is.EqualTo("/abs/k.elf"));
            Assert.That(c.MemoryMiB, Is.EqualTo(DomainConfig.DefaultMemoryMiB));
            Assert.That(c.OnCrash, Is.EqualTo(CrashAction.Destroy));
        });
    }

    [TestCase("kernel = \"k\"\nmemroy = 512\n", "web.cfg:2: unknown key 'memroy' (allowed: name, kernel, memory, extra, on_crash, vcpus)")]
    [TestCase("kernel = \"k\"\nmemory = \"lots\"\n", "web.cfg:2: memory must be a whole number of MiB")]
    [TestCase("kernel = \"k\"\nmemory = 2\n", "web.cfg:2: memory must be between 4 and 3072")]
    [TestCase("kernel = \"k\"\nmemory = 99999\n", "web.cfg:2: memory must be between")]
    [TestCase("kernel = \"k\"\non_crash = \"explode\"\n", "web.cfg:2: on_crash must be one of destroy, preserve, restart")]
    [TestCase("kernel = \"k\"\nvcpus = 4\n", "web.cfg:2: vcpus must be between 1 and 1")]
    [TestCase("name = \"x\"\n", "web.cfg: kernel is required")]
    [TestCase("kernel = \"k\nname = \"x\"\n", "web.cfg:1: unterminated string")]
    [TestCase("kernel \"k\"\n", "web.cfg:1: expected 'key = value'")]
    [TestCase("kernel = k.elf\n", "web.cfg:1: kernel: expected a quoted string or a whole number")]
    [TestCase("kernel = \"k\"\nkernel = \"j\"\n", "web.cfg:2: key 'kernel' is set twice (first on line 1)")]
    [TestCase("kernel = \"k\" extra\n", "web.cfg:1: unexpected text after the string")]
    [TestCase("kernel = \"k\"\nname = \"two words\"\n", "web.cfg:2: name must be")]
    [TestCase("kernel = \"k\"\nname = 5\n", "web.cfg:2: name must be a quoted string")]
    [TestCase("kernel = [\"k\"]\n", "web.cfg:1: kernel does not take a list")]
    [TestCase("kernel = \"k\"\nmy-key = 1\n", "web.cfg:2: malformed key 'my-key'")]
    public void Refuses_bad_input_naming_file_line_and_key(string text, string expected) =>
        Assert.That(() => XlConfig.Parse(text, File), Throws.TypeOf<ConfigException>().With.Message.Contains(expected));

    [Test]
    public void Refuses_an_extra_longer_than_the_start_info_command_line() =>
        Assert.That(() => XlConfig.Parse($"kernel = \"k\"\nextra = \"{new string('x', 1024)}\"\n", File),
            Throws.TypeOf<ConfigException>().With.Message.Contains("extra is longer than 1023 bytes"));

    [Test]
    public void A_missing_file_is_a_config_error_naming_it() =>
        Assert.That(() => XlConfig.Load("/nonexistent/parakit.cfg"), Throws.TypeOf<ConfigException>().With.Message.Contains("/nonexistent/parakit.cfg"));
}
