// A hostile or broken driver programming the emulated e1000: every case is refused or counted as
// the 8254x manual (or, where it is silent, QEMU's e1000) says the card behaves, nothing throws,
// and the card never writes outside the guest's writable RAM.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Devices.E1000;
using ParaKit.Protocols.Nic;

namespace ParaKit.Tests.Devices;

public sealed class EmulatedNicHostileTests
{
    private NicHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new NicHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void A_tx_ring_based_outside_ram_halts_the_transmitter_until_reprogrammed()
    {
        _h.SetupTx(8);
        _h.W(E1000Reg.Tdbal, 0xFFFF_0000);
        _h.W(E1000Reg.Tdbah, 0x7);
        _h.W(E1000Reg.Tdt, 3);
        Assert.That(_h.Nic.Counters.DmaFaults, Is.EqualTo(1));
        _h.W(E1000Reg.Tdt, 4);
        Assert.That(_h.Nic.Counters.DmaFaults, Is.EqualTo(1), "halted: not retried on every TDT write");
        Assert.That(_h.Wire.Frames, Is.Empty);
        _h.W(E1000Reg.Tdbal, 0x30000);
        _h.W(E1000Reg.Tdbah, 0);
        _h.PutTx(0, E1000TxDescriptor.Legacy(0x200000, 64, E1000TxDescriptor.CmdEndOfPacket));
        _h.W(E1000Reg.Tdt, 1);
        Assert.That(_h.Wire.Frames, Has.Count.EqualTo(1), "reprogrammed: running again");
    }

    [Test]
    public void Tx_and_rx_buffers_outside_ram_or_in_read_only_pages_are_refused()
    {
        _h.SetupTx(8);
        _h.PutTx(0, E1000TxDescriptor.Legacy(NicHarness.RamBytes - 10, 64, E1000TxDescriptor.CmdEndOfPacket));
        _h.W(E1000Reg.Tdt, 1);
        Assert.That(_h.Nic.Counters.DmaFaults, Is.EqualTo(1));
        _h.SetupRx(8);
        // A buffer in the hypervisor's private pages (GDT, page tables here: not writable).
        _h.At<E1000RxDescriptor>(0x20000).BufferAddress = 0x9000;
        _h.Nic.DeliverToGuest(NicHarness.Frame(64));
        Assert.Multiple(() =>
        {
            Assert.That(_h.Nic.Counters.DmaFaults, Is.EqualTo(2));
            Assert.That(_h.RxDesc(0).Errors, Is.EqualTo(E1000RxDescriptor.ErrorRxData));
            Assert.That(_h.Ram(0x9000, 64).ToArray(), Is.All.Zero, "nothing written there");
            Assert.That(_h.Nic.Counters.RxFrames, Is.Zero);
        });
    }

    [Test]
    public void An_rx_ring_based_outside_ram_halts_the_receiver()
    {
        _h.SetupRx(8, ringAt: 0x20000);
        _h.W(E1000Reg.Rdbal, (uint)NicHarness.RamBytes);
        _h.Nic.DeliverToGuest(NicHarness.Frame(64));
        _h.Nic.DeliverToGuest(NicHarness.Frame(64));
        Assert.That(_h.Nic.Counters.DmaFaults, Is.EqualTo(1));
        Assert.That(_h.Nic.Counters.RxNoDescriptors, Is.EqualTo(1), "a halted ring has no descriptors");
    }

    [Test]
    public void Ring_lengths_keep_only_multiples_of_128_bytes()
    {
        _h.W(E1000Reg.Rdlen, 200);
        _h.W(E1000Reg.Tdlen, 100);
        Assert.Multiple(() =>
        {
            Assert.That(_h.R(E1000Reg.Rdlen), Is.EqualTo(128));
            Assert.That(_h.R(E1000Reg.Tdlen), Is.Zero);
            Assert.That(_h.Nic.Counters.UnalignedRingLengths, Is.EqualTo(2));
        });
        _h.W(E1000Reg.Tctl, E1000Tctl.Enable);
        _h.W(E1000Reg.Tdt, 1);
        Assert.That(_h.Wire.Frames, Is.Empty, "a zero-length ring moves nothing");
    }

    [Test]
    public void A_head_beyond_the_ring_restarts_at_zero_and_a_tail_beyond_it_leaves_the_ring_idle()
    {
        _h.SetupTx(8);
        _h.PutTx(0, E1000TxDescriptor.Legacy(0x200000, 64, E1000TxDescriptor.CmdEndOfPacket));
        _h.W(E1000Reg.Tdt, 9);
        Assert.That(_h.Wire.Frames, Is.Empty);
        Assert.That(_h.Nic.Counters.IndexBeyondRing, Is.EqualTo(1));
        _h.W(E1000Reg.Tdh, 100);
        _h.W(E1000Reg.Tdt, 1);
        Assert.That(_h.Wire.Frames, Has.Count.EqualTo(1), "head restarted at 0");
        Assert.That(_h.Nic.Counters.IndexBeyondRing, Is.EqualTo(2));

        _h.SetupRx(8);
        _h.W(E1000Reg.Rdh, 50);
        _h.Nic.DeliverToGuest(NicHarness.Frame(64));
        Assert.That(_h.Nic.Counters.RxFrames, Is.EqualTo(1));
        Assert.That(_h.RxDesc(0).Status & E1000RxDescriptor.StatusDone, Is.Not.Zero);
        _h.W(E1000Reg.Rdt, 40);
        _h.Nic.DeliverToGuest(NicHarness.Frame(64));
        Assert.That(_h.Nic.Counters.RxNoDescriptors, Is.EqualTo(1));
    }

    [Test]
    public void Zero_length_and_null_descriptors_are_skipped_and_counted()
    {
        _h.SetupTx(8);
        var f = NicHarness.Frame(64);
        f.CopyTo(_h.Ram(0x200000, 64));
        _h.PutTx(0, E1000TxDescriptor.Legacy(0x200000, 0, E1000TxDescriptor.CmdReportStatus));
        _h.PutTx(1, E1000TxDescriptor.Legacy(0x200000, 64, E1000TxDescriptor.CmdEndOfPacket | E1000TxDescriptor.CmdReportStatus));
        _h.PutTx(2, E1000TxDescriptor.Legacy(0x200000, 0, E1000TxDescriptor.CmdEndOfPacket | E1000TxDescriptor.CmdReportStatus));
        _h.W(E1000Reg.Tdt, 3);
        Assert.Multiple(() =>
        {
            Assert.That(_h.Wire.Frames, Has.Count.EqualTo(1));
            Assert.That(_h.Wire.Frames[0], Is.EqualTo(f));
            Assert.That(_h.Nic.Counters.TxEmptyDescriptors, Is.EqualTo(2));
            Assert.That(_h.TxDesc(0).Upper & 1, Is.EqualTo(1), "written back all the same");
            Assert.That(_h.TxDesc(2).Upper & 1, Is.EqualTo(1));
        });
        _h.SetupRx(8);
        _h.At<E1000RxDescriptor>(0x20000).BufferAddress = 0;
        _h.Nic.DeliverToGuest(f);
        Assert.Multiple(() =>
        {
            Assert.That(_h.Nic.Counters.RxNullDescriptors, Is.EqualTo(1));
            Assert.That(_h.RxDesc(0).Length, Is.Zero);
            Assert.That(_h.RxDesc(1).Length, Is.EqualTo(64));
            Assert.That(_h.RxDesc(1).Status & E1000RxDescriptor.StatusEndOfPacket, Is.Not.Zero);
        });
    }

    [Test]
    public void A_tx_packet_beyond_the_packet_buffer_is_dropped_and_counted()
    {
        _h.SetupTx(16);
        for (int i = 0; i < 5; i++)
            _h.PutTx(i, E1000TxDescriptor.Legacy(0x200000, 4000, i == 4 ? E1000TxDescriptor.CmdEndOfPacket : (byte)0));
        _h.PutTx(5, E1000TxDescriptor.Legacy(0x200000, 64, E1000TxDescriptor.CmdEndOfPacket));
        _h.W(E1000Reg.Tdt, 6);
        Assert.Multiple(() =>
        {
            Assert.That(_h.Nic.Counters.TxOversize, Is.EqualTo(1));
            Assert.That(_h.Wire.Frames, Has.Count.EqualTo(1), "the next packet goes normally");
            Assert.That(_h.Wire.Frames[0], Has.Length.EqualTo(64));
        });
    }

    [Test]
    public void A_tx_ring_that_never_ends_stops_at_the_tail_and_keeps_domain_0_safe()
    {
        _h.SetupTx(256);
        // Every descriptor is 4 KiB without EOP, and the tail sits just behind the head: a full lap.
        for (int i = 0; i < 256; i++)
            _h.PutTx(i, E1000TxDescriptor.Legacy(0x200000, 4096, 0));
        _h.W(E1000Reg.Tdt, 255);
        Assert.Multiple(() =>
        {
            Assert.That(_h.R(E1000Reg.Tdh), Is.EqualTo(255), "one lap, then it stops at the tail");
            Assert.That(_h.Wire.Frames, Is.Empty);
        });
        // More descriptors without EOP, then one with: the packet is far too big.
        _h.PutTx(255, E1000TxDescriptor.Legacy(0x200000, 64, E1000TxDescriptor.CmdEndOfPacket));
        _h.W(E1000Reg.Tdt, 0);
        Assert.That(_h.Nic.Counters.TxOversize, Is.EqualTo(1));
        Assert.That(_h.Wire.Frames, Is.Empty);
    }

    [Test]
    public void Segmentation_requests_are_dropped_and_counted()
    {
        _h.SetupTx(8);
        _h.PutTx(0, new E1000TxDescriptor { Address = 0x200000, Lower = 64u | E1000TxDescriptor.TypeData << 20 | (uint)(E1000TxDescriptor.CmdExtension | E1000TxDescriptor.CmdEndOfPacket | E1000TxDescriptor.CmdTcpSegmentation) << 24 });
        _h.W(E1000Reg.Tdt, 1);
        Assert.That(_h.Nic.Counters.TxSegmentationUnsupported, Is.EqualTo(1));
        Assert.That(_h.Wire.Frames, Is.Empty);
    }

    /// <summary>Any sequence of register writes (any offset, any value, any size) and frames never
    /// throws, and the card writes nothing below the guest's writable RAM.</summary>
    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property Random_programming_never_throws_or_writes_outside_guest_ram()
    {
        var op = from kind in Gen.Choose(0, 9)
                 from off in Gen.Choose(0, 0x1FFFF)
                 from v in Gen.Choose(int.MinValue, int.MaxValue)
                 select (kind, off, v: (uint)v);
        return Prop.ForAll(Gen.ListOf(op, 60).ToArbitrary(), ops =>
        {
            using var h = new NicHarness();
            h.Ram(0x1000, (int)(NicHarness.WritableStart - 0x1000)).Fill(0xAA);
            // Start from a plausible setup so random values reach the ring code.
            h.SetupRx(8);
            h.SetupTx(8);
            uint[] interesting = [E1000Reg.Rdbal, E1000Reg.Rdbah, E1000Reg.Rdlen, E1000Reg.Rdh, E1000Reg.Rdt, E1000Reg.Tdbal, E1000Reg.Tdbah, E1000Reg.Tdlen, E1000Reg.Tdh, E1000Reg.Tdt, E1000Reg.Rctl, E1000Reg.Tctl, E1000Reg.Ims, E1000Reg.Ctrl];
            foreach (var (kind, off, v) in ops)
            {
                switch (kind)
                {
                    case < 4: h.W(interesting[(uint)off % (uint)interesting.Length], v); break;
                    case 4: h.Nic.Write((ulong)off, 1 << (off % 4), v); break;
                    case 5: h.Nic.Read((ulong)off, 4); break;
                    case 6: h.Nic.DeliverToGuest(NicHarness.Frame(14 + off % 3000)); break;
                    case 7: h.PutTx((int)(v % 8), new E1000TxDescriptor { Address = v * 4099UL % (NicHarness.RamBytes + 8192), Lower = v ^ (uint)off, Upper = (uint)off }); break;
                    case 8: h.At<E1000RxDescriptor>(0x20000 + (ulong)(v % 8) * 16).BufferAddress = (ulong)off * 64 % (NicHarness.RamBytes + 8192); break;
                    default: h.Nic.ProcessTx(); h.Nic.FlushRx(); break;
                }
            }
            return h.Ram(0x1000, (int)(NicHarness.WritableStart - 0x1000)).IndexOfAnyExcept((byte)0xAA) < 0;
        });
    }
}
