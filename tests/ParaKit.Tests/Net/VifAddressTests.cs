// Address configuration the way a Xen toolstack passes it: vif = [ 'ip=A.B.C.D/N,gateway=G' ]
// is checked when the file is read, written into the vif's backend directory (ip and vifname as
// libxl writes them, gateway beside them) and read back by the guest's kernel (Drivers/Platform
// VifAddress, the code the ping app calls through Netfronts.ReadAddress) through the real store.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Drivers.Platform;
using ParaKit.Hypervisor.Config;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;
using ParaKit.Tests.Netfront;

namespace ParaKit.Tests.Net;

public class VifAddressTests
{
    private static (VifAddress Address, bool Ok, string Error) PublishAndRead(string vifSpec)
    {
        var store = new XenStore();
        store.IntroduceDomain(3, "guest", 1024);
        using var xs = new LocalStoreClient(store);
        var config = VifConfig.Parse(vifSpec, 0, "test.cfg:1");
        var (front, back) = VifXenbus.DirectoryKeys(config, config.MacFor(3));
        Assert.That(XenbusDevices.Add(xs, 3, 0, "vif", 0, front, back), Is.EqualTo(XsError.None));
        using var guest = new GuestStoreClient(store, 3);
        // The guest finds its backend the way netfront does: from its own device directory.
        string? backend = guest.Read("device/vif/0/backend");
        Assert.That(backend, Is.EqualTo("/local/domain/0/backend/vif/3/0"));
        bool ok = VifAddress.TryRead(guest, backend!, out var address, out string error);
        return (address, ok, error);
    }

    [Test]
    public void Ip_and_gateway_reach_the_guest_through_the_backend_directory()
    {
        var (a, ok, error) = PublishAndRead("mac=00:16:3e:00:00:07,bridge=br0,ip=10.1.2.3/24,gateway=10.1.2.1");
        Assert.That(ok, Is.True, error);
        Assert.That((a.Address, a.PrefixLength, a.Gateway), Is.EqualTo((0x0A010203u, 24, 0x0A010201u)));
    }

    [Test]
    public void The_backend_directory_holds_libxls_keys_and_the_frontend_none_of_them()
    {
        var config = VifConfig.Parse("ip=192.168.7.9/16,gateway=192.168.0.1,vifname=web0,mtu=9000", 2, "x.cfg:1");
        var (front, back) = VifXenbus.DirectoryKeys(config, config.MacFor(5));
        Assert.That(back["ip"], Is.EqualTo("192.168.7.9/16"));
        Assert.That(back["gateway"], Is.EqualTo("192.168.0.1"));
        Assert.That(back["vifname"], Is.EqualTo("web0"));
        Assert.That(back["mtu"], Is.EqualTo("9000"));
        Assert.That(back["handle"], Is.EqualTo("2"));
        Assert.That(front.Keys, Is.EquivalentTo(new[] { "mac", "handle" }));
        var bare = VifXenbus.DirectoryKeys(VifConfig.Parse("bridge=sw1", 0, "x.cfg:1"), config.MacFor(5)).Backend;
        Assert.That(bare.Keys, Has.None.AnyOf("ip", "gateway", "vifname"));
    }

    [Test]
    public void A_vif_without_ip_gives_the_guest_no_address_and_no_error()
    {
        var (a, ok, error) = PublishAndRead("bridge=sw0");
        Assert.That((ok, error, a.HasAddress, a.Gateway), Is.EqualTo((true, "", false, 0u)));
    }

    [Test]
    public void An_ip_without_prefix_is_accepted_by_the_toolstack_but_the_guest_says_what_is_missing()
    {
        // libxl passes ip as text; a plain address is valid there, but a guest needs a prefix.
        var (_, ok, error) = PublishAndRead("ip=10.0.0.2");
        Assert.That(ok, Is.False);
        Assert.That(error, Does.Contain("has no /PREFIX"));
    }

    [Test]
    public void A_gateway_off_the_vifs_network_is_refused_by_the_guest()
    {
        var (_, ok, error) = PublishAndRead("ip=10.0.0.2/24,gateway=10.0.1.1");
        Assert.That(ok, Is.False);
        Assert.That(error, Does.Contain("not on its network"));
    }

    [Test]
    public void Bad_addresses_are_configuration_errors_naming_the_key()
    {
        foreach (var (spec, key) in new[]
        {
            ("ip=10.0.0", "ip must be"), ("ip=10.0.0.256/24", "ip must be"), ("ip=10.0.0.2/33", "ip must be"),
            ("ip=10.0.0.2 10.0.0.3", "ip must be"), ("ip=0.0.0.0/8", "ip must be"), ("ip=010.0.0.2/24", "ip must be"),
            ("gateway=10.0.0.1/24", "gateway must be"), ("gateway=router", "gateway must be"),
        })
        {
            var e = Assert.Throws<ConfigException>(() => VifConfig.Parse(spec, 0, "bad.cfg:4"), spec);
            Assert.That(e!.Message, Does.Contain("bad.cfg:4").And.Contain(key), spec);
        }
    }

    [Test]
    public void Guest_values_that_domain_0_did_not_check_are_errors_not_exceptions()
    {
        var store = new XenStore();
        store.IntroduceDomain(4, "guest", 1024);
        using var xs = new LocalStoreClient(store);
        // Made readable by the guest as the toolstack does; then domain 0 (or a bug) writes junk.
        Assert.That(XenbusDevices.Add(xs, 4, 0, "vif", 0, backendEntries: new Dictionary<string, string> { ["ip"] = "10.0.0.2/24" }), Is.EqualTo(XsError.None));
        string dir = "/local/domain/0/backend/vif/4/0";
        using var guest = new GuestStoreClient(store, 4);
        foreach (string junk in new[] { "", "1.2.3.4/", "1.2.3.4/0", "1.2.3.4/024", "a.b.c.d/8", "1.2.3/8", "1.2.3.4.5/8", "999.1.1.1/8", "1.2.3.4/8x" })
        {
            Assert.That(xs.Write(dir + "/ip", junk), Is.EqualTo(XsError.None));
            Assert.That(guest.Read(dir + "/ip"), Is.EqualTo(junk), "the guest must see the value");
            Assert.That(VifAddress.TryRead(guest, dir, out var a, out string error), Is.False, junk);
            Assert.That((a.Address, error), Is.Not.EqualTo((0u, "")), junk);
        }
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Every_address_the_toolstack_accepts_the_guest_reads_back_exactly()
    {
        var gen = from a in Gen.Choose(0, 255)
                  from b in Gen.Choose(0, 255)
                  from c in Gen.Choose(0, 255)
                  from d in Gen.Choose(1, 255)
                  from p in Gen.Choose(1, 32)
                  select (a, b, c, d, p);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            string text = $"{t.a}.{t.b}.{t.c}.{t.d}/{t.p}";
            bool host = Ipv4Text.IsAddress(text, prefixAllowed: true);
            bool guest = VifAddress.TryParse(text, true, out uint address, out int prefix);
            return host && guest && address == ((uint)t.a << 24 | (uint)t.b << 16 | (uint)t.c << 8 | (uint)t.d) && prefix == t.p;
        });
    }

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property The_toolstack_and_the_guest_agree_on_any_text()
    {
        var chars = Gen.Elements('0', '1', '2', '5', '9', '.', '/', '3', 'x', ' ');
        var gen = Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(chars, n)).Select(a => new string(a));
        return Prop.ForAll(gen.ToArbitrary(), s =>
            Ipv4Text.IsAddress(s, prefixAllowed: true) == VifAddress.TryParse(s, true, out _, out _)
            && Ipv4Text.IsAddress(s, prefixAllowed: false) == VifAddress.TryParse(s, false, out _, out _));
    }
}
