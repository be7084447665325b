// The device bus without KVM: ranges, dispatch, read completion, counters and refusals.
using ParaKit.Hypervisor.Devices.Bus;
using ParaKit.Protocols.Boot;

namespace ParaKit.Tests.Devices;

public sealed class MmioBusTests
{
    private sealed class Registers : IMmioDevice
    {
        public readonly Dictionary<ulong, ulong> Values = new();
        public ulong Read(ulong offset, int size) => Values.GetValueOrDefault(offset, 0xDEAD_BEEF_CAFE_F00D);
        public void Write(ulong offset, int size, ulong value) => Values[offset] = value;
    }

    [Test]
    public void Writes_are_dispatched_and_reads_completed_with_the_access_size()
    {
        var bus = new MmioBus();
        var dev = new Registers();
        var r = bus.Add("nic", GuestLayout.E1000Bar(0), GuestLayout.E1000BarSize, dev);
        ulong data = 0xFFFF_FFFF_1234_5678;
        Assert.That(bus.Access(GuestLayout.E1000Bar(0) + 0x3818, 4, true, ref data), Is.True);
        Assert.That(dev.Values[0x3818], Is.EqualTo(0x1234_5678UL), "only the low 4 bytes of a 4-byte store");
        data = 0;
        Assert.That(bus.Access(GuestLayout.E1000Bar(0) + 0x3818, 2, false, ref data), Is.True);
        Assert.That(data, Is.EqualTo(0x5678UL));
        data = 0;
        Assert.That(bus.Access(GuestLayout.E1000Bar(0) + 0x10, 4, false, ref data), Is.True);
        Assert.That(data, Is.EqualTo(0xCAFE_F00DUL));
        Assert.Multiple(() =>
        {
            Assert.That(r.Reads, Is.EqualTo(2));
            Assert.That(r.Writes, Is.EqualTo(1));
            Assert.That(r.AccessesAt(0x3818), Is.EqualTo(2));
            Assert.That(r.AccessesAt(0x10), Is.EqualTo(1));
            Assert.That(r.Busiest().First(), Is.EqualTo((0x3818UL, 2L)));
        });
    }

    [Test]
    public void Unclaimed_odd_sized_and_straddling_accesses_are_refused_and_counted()
    {
        var bus = new MmioBus();
        bus.Add("nic", GuestLayout.E1000Bar(0), GuestLayout.E1000BarSize, new Registers());
        ulong data = 0;
        Assert.Multiple(() =>
        {
            Assert.That(bus.Access(GuestLayout.E1000Bar(1), 4, false, ref data), Is.False, "no device there");
            Assert.That(bus.Access(GuestLayout.E1000Bar(0), 3, false, ref data), Is.False, "3-byte access");
            Assert.That(bus.Access(GuestLayout.E1000Bar(1) - 4, 8, false, ref data), Is.False, "crosses the range's end");
            Assert.That(bus.Unclaimed, Is.EqualTo(3));
            Assert.That(MmioBus.UnclaimedMessage(0xF0040000, 4, false), Is.EqualTo("MMIO read of 4 bytes from 0xf0040000 (not guest RAM, and no device on the bus claims it)"));
        });
    }

    [Test]
    public void Ranges_must_be_in_the_device_window_and_must_not_overlap()
    {
        var bus = new MmioBus();
        var a = bus.Add("a", GuestLayout.E1000Bar(0), GuestLayout.E1000BarSize, new Registers());
        Assert.Throws<InvalidOperationException>(() => bus.Add("b", GuestLayout.E1000Bar(0) + 0x1000, 0x1000, new Registers()));
        Assert.Throws<ArgumentOutOfRangeException>(() => bus.Add("c", GuestLayout.HypercallDoorbell, 0x1000, new Registers()));
        Assert.Throws<ArgumentOutOfRangeException>(() => bus.Add("d", 0x10_0000, 0x1000, new Registers()));
        Assert.Throws<ArgumentOutOfRangeException>(() => bus.Add("e", GuestLayout.DeviceWindowEnd - 0x1000, 0x2000, new Registers()));
        bus.Remove(a);
        ulong data = 0;
        Assert.That(bus.Access(GuestLayout.E1000Bar(0), 4, false, ref data), Is.False, "removed");
        Assert.DoesNotThrow(() => bus.Add("b", GuestLayout.E1000Bar(0) + 0x1000, 0x1000, new Registers()));
    }

    [Test]
    public void The_device_window_is_mapped_in_every_guest_and_the_rest_above_ram_is_not()
    {
        var layout = ParaKit.Hypervisor.Domains.MemoryLayout.Plan(16 << 20, 0x100000, 0x110000);
        Assert.Multiple(() =>
        {
            Assert.That(layout.AccessOf(GuestLayout.E1000Bar(0)), Is.EqualTo(ParaKit.Hypervisor.Domains.PageAccess.ReadWrite));
            Assert.That(layout.AccessOf(GuestLayout.DeviceWindowEnd - 1), Is.EqualTo(ParaKit.Hypervisor.Domains.PageAccess.ReadWrite));
            Assert.That(layout.AccessOf(GuestLayout.DeviceWindowEnd), Is.EqualTo(ParaKit.Hypervisor.Domains.PageAccess.None));
            Assert.That(layout.AccessOf(GuestLayout.HypercallDoorbell + 0x1000), Is.EqualTo(ParaKit.Hypervisor.Domains.PageAccess.None));
        });
    }
}
