// The xl.cfg-style parser: what it accepts, and that every refusal names file, line and key.
using ParaKit.Hypervisor.Config;
using ParaKit.Hypervisor.Devices.Vif;
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

    [TestCase("kernel = \"k\"\nmemroy = 512\n", "web.cfg:2: unknown key 'memroy' (allowed: name, kernel, memory, extra, on_crash, vcpus, vif)")]
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

    [Test]
    public void Parses_a_vif_list_over_several_lines_with_defaults()
    {
        var c = XlConfig.Parse("""
            kernel = "k.elf"
            vif = [ 'mac=00:16:3e:0a:0b:0c,bridge=lan,ip=10.0.0.2',   # the first
                    "bridge=wan, mtu=9000",
                  ]
            memory = 16
            """, File);
        Assert.Multiple(() =>
        {
            Assert.That(c.Vifs, Has.Count.EqualTo(2));
            Assert.That(c.Vifs[0].Mac?.ToString(), Is.EqualTo("00:16:3e:0a:0b:0c"));
            Assert.That((c.Vifs[0].Bridge, c.Vifs[0].Ip, c.Vifs[0].Index), Is.EqualTo(("lan", (string?)"10.0.0.2", 0)));
            Assert.That((c.Vifs[1].Bridge, c.Vifs[1].Mtu, c.Vifs[1].Index), Is.EqualTo(("wan", 9000, 1)));
            Assert.That(c.Vifs[1].MacFor(0x0102).ToString(), Is.EqualTo("00:16:3e:01:02:01"), "derived from domain id and index");
            Assert.That(c.Vifs[1].NameFor(7), Is.EqualTo("vif7.1"));
            Assert.That(c.MemoryMiB, Is.EqualTo(16), "lines after the list still parse");
        });
    }

    [Test]
    public void An_empty_vif_entry_gets_every_default()
    {
        var c = XlConfig.Parse("kernel = \"k\"\nvif = [ '' ]\n", File);
        Assert.That((c.Vifs.Single().Bridge, c.Vifs.Single().Mtu, c.Vifs.Single().Mac), Is.EqualTo(("sw0", 1500, (ParaKit.Hypervisor.Devices.Vif.MacAddress?)null)));
    }

    [TestCase("vif = [ 'mca=00:16:3e:00:00:01' ]", "web.cfg:2: vif 0 ('mca=00:16:3e:00:00:01'): unknown vif key 'mca' (allowed: mac, bridge")]
    [TestCase("vif = [ 'bridge=a', 'mac=00:16:3e:00:00' ]", "web.cfg:2: vif 1 ('mac=00:16:3e:00:00'): mac must be a unicast address")]
    [TestCase("vif = [ 'mac=01:00:5e:00:00:01' ]", "mac must be a unicast address")]
    [TestCase("vif = [ 'bridge=a b' ]", "bridge must be 1-15 characters")]
    [TestCase("vif = [ 'mtu=20' ]", "mtu must be a whole number from 68")]
    [TestCase("vif = [ 'bridge' ]", "bridge needs a value")]
    [TestCase("vif = [ 'bridge=a,bridge=b' ]", "bridge is given twice")]
    [TestCase("vif = [ 'backend=3' ]", "backend must be 0")]
    [TestCase("vif = [ 'model=rtl8139' ]", "model must be e1000")]
    [TestCase("vif = [ 'type=pci' ]", "type must be 'vif' or 'ioemu'")]
    [TestCase("vif = 'bridge=a'", "web.cfg:2: vif must be a list of quoted strings")]
    [TestCase("vif = [ bridge=a ]", "web.cfg:2: vif: list items must be quoted strings")]
    [TestCase("vif = [ 'a' 'b' ]", "expected ',' between list items")]
    [TestCase("vif = [ 'a',\n", "the list is not closed")]
    public void Refuses_bad_vifs_naming_file_line_and_key(string vif, string expected) =>
        Assert.That(() => XlConfig.Parse("kernel = \"k\"\n" + vif + "\n", File), Throws.TypeOf<ConfigException>().With.Message.Contains(expected));

    [Test]
    public void Model_e1000_makes_a_vif_an_emulated_nic_in_xls_syntax()
    {
        var c = XlConfig.Parse("kernel = \"k\"\nvif = [ 'model=e1000,bridge=sw0', 'bridge=sw0', 'type=ioemu,model=e1000,mac=00:16:3e:00:00:09' ]\n", File);
        Assert.Multiple(() =>
        {
            Assert.That(c.Vifs.Select(v => v.Model), Is.EqualTo(new[] { NicModel.E1000, NicModel.Netfront, NicModel.E1000 }));
            Assert.That(c.Vifs[2].Mac?.ToString(), Is.EqualTo("00:16:3e:00:00:09"));
        });
    }
}
