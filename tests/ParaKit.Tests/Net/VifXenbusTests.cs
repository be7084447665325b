// Domain 0's half of the vif handshake against the in-process XenStore: the backend advertises
// copy mode and goes InitWait where the guest can read it, then reads the guest's keys, which
// it checks as guest data (missing, malformed, no copy mode).
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;
using ParaKit.Tests.Store;

namespace ParaKit.Tests.Net;

public class VifXenbusTests
{
    private static (LocalStoreClient xs, StoreClient guest, XenbusDevicePaths p) Setup()
    {
        var store = new XenStore();
        store.IntroduceDomain(1, "guest", 1024);
        var xs = new LocalStoreClient(store);
        Assert.That(XenbusDevices.Add(xs, 1, 0, "vif", 0, backendEntries: new Dictionary<string, string> { ["mac"] = "00:16:3e:00:00:01" }), Is.EqualTo(XsError.None));
        return (xs, new StoreClient(store, 1), XenbusDevices.PathsOf(1, 0, "vif", 0));
    }

    [Test]
    public void The_backend_advertises_copy_mode_and_waits_and_the_guest_can_read_it()
    {
        var (xs, guest, p) = Setup();
        using var store = xs;
        Assert.That(VifXenbus.AdvertiseFeatures(xs, p.Backend), Is.EqualTo(XsError.None));
        Assert.That(guest.Read(p.Backend + "/feature-rx-copy"), Is.EqualTo("1"));
        Assert.That(guest.Read(p.Backend + "/state"), Is.EqualTo("2"));
        Assert.That(VifXenbus.ReadState(xs, p.Backend), Is.EqualTo(XenbusState.InitWait));
        Assert.That(VifXenbus.ReadState(xs, p.Frontend), Is.EqualTo(XenbusState.Initialising));
    }

    [Test]
    public void The_frontends_keys_are_read_and_checked_as_guest_data()
    {
        var (xs, guest, p) = Setup();
        using var store = xs;
        string f = "device/vif/0/";
        Assert.That(VifXenbus.ReadFrontend(xs, p.Frontend, out _), Is.EqualTo(VifFrontendCheck.MissingKey));
        guest.Write(f + "tx-ring-ref", "12");
        guest.Write(f + "rx-ring-ref", "13");
        guest.Write(f + "event-channel", "-5");
        Assert.That(VifXenbus.ReadFrontend(xs, p.Frontend, out _), Is.EqualTo(VifFrontendCheck.BadNumber));
        guest.Write(f + "event-channel", "99999999999");
        Assert.That(VifXenbus.ReadFrontend(xs, p.Frontend, out _), Is.EqualTo(VifFrontendCheck.BadNumber));
        guest.Write(f + "event-channel", "7");
        Assert.That(VifXenbus.ReadFrontend(xs, p.Frontend, out _), Is.EqualTo(VifFrontendCheck.NoRxCopy));
        guest.Write(f + "request-rx-copy", "1");
        Assert.That(VifXenbus.ReadFrontend(xs, p.Frontend, out var keys), Is.EqualTo(VifFrontendCheck.Ok));
        Assert.That(keys, Is.EqualTo(new VifFrontendKeys(12, 13, 7)));
        guest.Write(f + "state", "banana");
        Assert.That(VifXenbus.ReadState(xs, p.Frontend), Is.EqualTo(XenbusState.Unknown));
        Assert.That(VifXenbus.SetState(xs, p.Backend, XenbusState.Connected), Is.EqualTo(XsError.None));
        Assert.That(guest.Read(p.Backend + "/state"), Is.EqualTo("4"));
    }
}
