// The emulated 82540EM register by register, without KVM: reset values, EEPROM, interrupt causes
// and masks, RX and TX rings with write-back, checksum offload, ITR, statistics.
using System.Buffers.Binary;
using ParaKit.Hypervisor.Devices.E1000;
using ParaKit.Protocols.Nic;

namespace ParaKit.Tests.Devices;

public sealed class EmulatedNicTests
{
    private NicHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new NicHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void Reset_values_match_an_82540em_with_its_link_up()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_h.R(E1000Reg.Ctrl), Is.EqualTo(EmulatedNic.CtrlInitial));
            Assert.That(_h.R(E1000Reg.Status) & (E1000Status.LinkUp | E1000Status.FullDuplex), Is.EqualTo(E1000Status.LinkUp | E1000Status.FullDuplex));
            Assert.That(_h.R(E1000Reg.Icr), Is.Zero);
            Assert.That(_h.R(E1000Reg.Ims), Is.Zero);
            Assert.That(_h.R(E1000Reg.Rctl), Is.Zero, "receiver disabled");
            Assert.That(_h.R(E1000Reg.Tctl) & E1000Tctl.Enable, Is.Zero, "transmitter disabled");
            Assert.That(_h.R(E1000Reg.Rdlen) | _h.R(E1000Reg.Tdlen) | _h.R(E1000Reg.Rdh) | _h.R(E1000Reg.Tdt), Is.Zero);
            // RAL0/RAH0 are loaded from the EEPROM's MAC, Address Valid set.
            Assert.That(_h.R(E1000Reg.Ral0), Is.EqualTo(0x003e1600u));
            Assert.That(_h.R(E1000Reg.Rah0), Is.EqualTo(0x8000_0001u));
            Assert.That(_h.R(E1000Reg.Gprc) | _h.R(E1000Reg.Mpc), Is.Zero);
            Assert.That(_h.Nic.Read(E1000Reg.Status, 1), Is.EqualTo(_h.R(E1000Reg.Status) & 0xFF), "a 1-byte read sees the low byte");
        });
    }

    [Test]
    public void The_eeprom_read_register_gives_the_mac_and_a_valid_checksum()
    {
        var words = new ushort[EmulatedNic.EepromWords];
        for (uint a = 0; a < words.Length; a++)
        {
            _h.W(E1000Reg.Eerd, E1000Eerd.Start | a << E1000Eerd.AddrShift);
            uint v = _h.R(E1000Reg.Eerd);
            Assert.That(v & E1000Eerd.Done, Is.Not.Zero, $"word {a} done");
            Assert.That((v >> E1000Eerd.AddrShift) & 0xFF, Is.EqualTo(a));
            words[a] = (ushort)(v >> E1000Eerd.DataShift);
        }
        byte[] mac = [(byte)words[0], (byte)(words[0] >> 8), (byte)words[1], (byte)(words[1] >> 8), (byte)words[2], (byte)(words[2] >> 8)];
        Assert.That(mac, Is.EqualTo(NicHarness.MacBytes));
        Assert.That((ushort)words.Sum(w => w), Is.EqualTo(E1000Eerd.ChecksumSum));
    }

    [Test]
    public void Ctrl_reset_restores_initial_values_and_clears_itself()
    {
        _h.SetupRx(8);
        _h.W(E1000Reg.Ims, E1000Int.RxTimer);
        _h.W(E1000Reg.Ral0, 0x12345678);
        _h.W(E1000Reg.Ctrl, EmulatedNic.CtrlInitial | E1000Ctrl.Reset);
        Assert.Multiple(() =>
        {
            Assert.That(_h.R(E1000Reg.Ctrl) & E1000Ctrl.Reset, Is.Zero);
            Assert.That(_h.R(E1000Reg.Rdlen), Is.Zero);
            Assert.That(_h.R(E1000Reg.Rctl), Is.Zero);
            Assert.That(_h.R(E1000Reg.Ims), Is.Zero);
            Assert.That(_h.R(E1000Reg.Ral0), Is.EqualTo(0x003e1600u), "back to the EEPROM's MAC");
            Assert.That(_h.Nic.Counters.Resets, Is.EqualTo(1));
        });
    }

    [Test]
    public void Icr_is_read_to_clear_and_interrupts_follow_the_mask()
    {
        _h.W(E1000Reg.Ics, E1000Int.LinkStatusChange);
        Assert.That(_h.Line.Asserts, Is.Zero, "masked: no interrupt");
        _h.W(E1000Reg.Ims, E1000Int.LinkStatusChange | E1000Int.RxTimer);
        Assert.That(_h.Line.On, Is.True, "unmasking a pending cause interrupts");
        Assert.That(_h.R(E1000Reg.Ims), Is.EqualTo(E1000Int.LinkStatusChange | E1000Int.RxTimer));
        Assert.That(_h.R(E1000Reg.Icr), Is.EqualTo(E1000Int.LinkStatusChange));
        Assert.Multiple(() =>
        {
            Assert.That(_h.Line.On, Is.False, "reading ICR deasserts");
            Assert.That(_h.R(E1000Reg.Icr), Is.Zero, "and clears it");
        });
        _h.W(E1000Reg.Imc, E1000Int.LinkStatusChange);
        _h.W(E1000Reg.Ics, E1000Int.LinkStatusChange);
        Assert.That(_h.Line.On, Is.False, "IMC masked it again");
        _h.W(E1000Reg.Icr, E1000Int.LinkStatusChange);   // write 1 to clear
        Assert.That(_h.R(E1000Reg.Icr), Is.Zero);
        _h.W(E1000Reg.Ics, E1000Int.RxTimer | E1000Int.LinkStatusChange);
        Assert.Multiple(() =>
        {
            Assert.That(_h.Line.On, Is.True);
            Assert.That(_h.Line.Asserts, Is.EqualTo(2));
        });
        _h.W(E1000Reg.Imc, E1000Int.All);
        Assert.That(_h.Line.On, Is.False, "masking every pending cause deasserts");
    }

    [Test]
    public void Itr_spaces_interrupts_and_the_timer_sends_the_postponed_one()
    {
        _h.W(E1000Reg.Itr, 1000);     // 256 µs
        _h.W(E1000Reg.Ims, E1000Int.RxTimer);
        _h.W(E1000Reg.Ics, E1000Int.RxTimer);
        Assert.That(_h.Line.Asserts, Is.EqualTo(1));
        _h.R(E1000Reg.Icr);
        _h.Now += 100_000;
        _h.W(E1000Reg.Ics, E1000Int.RxTimer);
        Assert.Multiple(() =>
        {
            Assert.That(_h.Line.Asserts, Is.EqualTo(1), "too soon after the last one");
            Assert.That(_h.TimerArmedFor, Is.EqualTo(256_000 - 100_000));
            Assert.That(_h.Nic.Counters.InterruptsThrottled, Is.EqualTo(1));
        });
        _h.Now += 156_000;
        _h.Nic.OnTimer();
        Assert.That(_h.Line.Asserts, Is.EqualTo(2));
    }

    [Test]
    public void Received_frames_are_written_back_with_dd_eop_length_and_raise_rxt0()
    {
        _h.SetupRx(8);
        _h.W(E1000Reg.Ims, E1000Int.RxTimer);
        var f = NicHarness.Frame(100);
        _h.Nic.DeliverToGuest(f);
        _h.Nic.FlushRx();
        var d = _h.RxDesc(0);
        Assert.Multiple(() =>
        {
            Assert.That(d.Status & (E1000RxDescriptor.StatusDone | E1000RxDescriptor.StatusEndOfPacket), Is.EqualTo(E1000RxDescriptor.StatusDone | E1000RxDescriptor.StatusEndOfPacket));
            Assert.That(d.Length, Is.EqualTo(100));
            Assert.That(d.Errors, Is.Zero);
            Assert.That(_h.Ram(0x100000, 100).ToArray(), Is.EqualTo(f));
            Assert.That(_h.R(E1000Reg.Rdh), Is.EqualTo(1));
            Assert.That(_h.Line.On, Is.True);
            Assert.That(_h.R(E1000Reg.Icr) & E1000Int.RxTimer, Is.Not.Zero);
            Assert.That(_h.R(E1000Reg.Gprc), Is.EqualTo(1));
            Assert.That(_h.R(E1000Reg.Gprc), Is.Zero, "statistics clear on read");
            Assert.That(_h.R(E1000Reg.Gorcl), Is.EqualTo(104), "octets include the FCS");
            Assert.That(_h.R(E1000Reg.Gorch), Is.Zero);
            Assert.That(_h.R(E1000Reg.Gorcl), Is.Zero, "reading the high half cleared the pair");
        });
    }

    [Test]
    public void A_frame_larger_than_one_buffer_spans_descriptors_with_eop_on_the_last()
    {
        _h.SetupRx(8, bufSize: 256);
        var f = NicHarness.Frame(600);
        _h.Nic.DeliverToGuest(f);
        Assert.Multiple(() =>
        {
            Assert.That(_h.RxDesc(0).Length, Is.EqualTo(256));
            Assert.That(_h.RxDesc(0).Status & E1000RxDescriptor.StatusEndOfPacket, Is.Zero);
            Assert.That(_h.RxDesc(1).Status & E1000RxDescriptor.StatusEndOfPacket, Is.Zero);
            Assert.That(_h.RxDesc(2).Length, Is.EqualTo(88));
            Assert.That(_h.RxDesc(2).Status & E1000RxDescriptor.StatusEndOfPacket, Is.Not.Zero);
            Assert.That(_h.Ram(0x100000, 600).ToArray(), Is.EqualTo(f), "buffers are contiguous here");
            Assert.That(_h.R(E1000Reg.Rdh), Is.EqualTo(3));
        });
    }

    [Test]
    public void The_rx_ring_wraps_as_the_driver_returns_descriptors()
    {
        _h.SetupRx(8);
        for (int i = 0; i < 30; i++)
        {
            _h.Nic.DeliverToGuest(NicHarness.Frame(64, (byte)i));
            int slot = i % 8;
            Assert.That(_h.RxDesc(slot).Status & E1000RxDescriptor.StatusDone, Is.Not.Zero, $"frame {i}");
            Assert.That(_h.Ram(0x100000 + (ulong)slot * 2048 + 14, 1)[0], Is.EqualTo((byte)(i + 14)));
            // The driver takes it and gives the slot back (RDT follows one behind).
            _h.At<E1000RxDescriptor>(0x20000 + (ulong)slot * 16).Status = 0;
            _h.W(E1000Reg.Rdt, (uint)slot);
        }
        Assert.That(_h.Nic.Counters.RxFrames, Is.EqualTo(30));
        Assert.That(_h.Nic.Counters.RxNoDescriptors, Is.Zero);
    }

    [Test]
    public void No_free_descriptor_counts_a_missed_packet_and_raises_rxo()
    {
        _h.SetupRx(8);
        _h.W(E1000Reg.Ims, E1000Int.RxOverrun);
        for (int i = 0; i < 9; i++)
            _h.Nic.DeliverToGuest(NicHarness.Frame(64));
        Assert.Multiple(() =>
        {
            Assert.That(_h.Nic.Counters.RxFrames, Is.EqualTo(7), "RDT = 7: seven descriptors owned by the card");
            Assert.That(_h.Nic.Counters.RxNoDescriptors, Is.EqualTo(2));
            Assert.That(_h.R(E1000Reg.Mpc), Is.EqualTo(2));
            Assert.That(_h.R(E1000Reg.Icr) & E1000Int.RxOverrun, Is.Not.Zero);
        });
    }

    [Test]
    public void The_receive_filter_follows_ral_rah_bam_mta_and_the_promiscuous_bits()
    {
        _h.SetupRx(16, rctlExtra: 0);
        byte[] other = [0x00, 0x16, 0x3e, 0x09, 0x09, 0x09];
        byte[] bcast = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        byte[] mcast = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
        _h.Nic.DeliverToGuest(NicHarness.Frame(64, dst: other));
        _h.Nic.DeliverToGuest(NicHarness.Frame(64, dst: bcast));
        _h.Nic.DeliverToGuest(NicHarness.Frame(64, dst: mcast));
        Assert.That(_h.Nic.Counters.RxFiltered, Is.EqualTo(3));
        _h.Nic.DeliverToGuest(NicHarness.Frame(64));
        Assert.That(_h.Nic.Counters.RxFrames, Is.EqualTo(1), "our own address passes");
        uint hash = EmulatedNic.MulticastHash(mcast, 0);
        _h.W(E1000Reg.Mta + (hash >> 5) * 4, 1u << (int)(hash & 31));
        _h.W(E1000Reg.Rctl, _h.R(E1000Reg.Rctl) | E1000Rctl.BroadcastAccept);
        _h.Nic.DeliverToGuest(NicHarness.Frame(64, dst: bcast));
        _h.Nic.DeliverToGuest(NicHarness.Frame(64, dst: mcast));
        Assert.That(_h.Nic.Counters.RxFrames, Is.EqualTo(3));
        _h.W(E1000Reg.Rctl, _h.R(E1000Reg.Rctl) | E1000Rctl.UnicastPromiscuous);
        _h.Nic.DeliverToGuest(NicHarness.Frame(64, dst: other));
        Assert.That(_h.Nic.Counters.RxFrames, Is.EqualTo(4));
        Assert.That(_h.R(E1000Reg.Bprc), Is.EqualTo(1));
        Assert.That(_h.R(E1000Reg.Mprc), Is.EqualTo(1));
    }

    [Test]
    public void Disabling_the_receiver_drops_and_counts()
    {
        _h.SetupRx(8);
        _h.W(E1000Reg.Rctl, _h.R(E1000Reg.Rctl) & ~E1000Rctl.Enable);
        _h.Nic.DeliverToGuest(NicHarness.Frame(64));
        Assert.That(_h.Nic.Counters.RxWhileDisabled, Is.EqualTo(1));
        Assert.That(_h.RxDesc(0).Status, Is.Zero);
    }

    [Test]
    public void Oversize_frames_need_lpe()
    {
        _h.SetupRx(16);
        _h.Nic.DeliverToGuest(NicHarness.Frame(1600));
        Assert.That(_h.Nic.Counters.RxOversize, Is.EqualTo(1));
        Assert.That(_h.R(E1000Reg.Roc), Is.EqualTo(1));
        _h.W(E1000Reg.Rctl, _h.R(E1000Reg.Rctl) | E1000Rctl.LongPackets);
        _h.Nic.DeliverToGuest(NicHarness.Frame(1600));
        Assert.That(_h.Nic.Counters.RxFrames, Is.EqualTo(1));
    }

    private ulong PutBuffer(ulong at, byte[] data)
    {
        data.CopyTo(_h.Ram(at, data.Length));
        return at;
    }

    [Test]
    public void Transmitted_packets_leave_byte_exact_and_dd_is_written_back_when_rs_asks()
    {
        _h.SetupTx(8);
        _h.W(E1000Reg.Ims, E1000Int.TxDescWritten);
        var f = NicHarness.Frame(200, 7);
        // One packet in two descriptors, RS on the last only; a second packet without RS.
        _h.PutTx(0, E1000TxDescriptor.Legacy(PutBuffer(0x200000, f[..50]), 50, E1000TxDescriptor.CmdInsertFcs));
        _h.PutTx(1, E1000TxDescriptor.Legacy(PutBuffer(0x201000, f[50..]), 150, E1000TxDescriptor.CmdEndOfPacket | E1000TxDescriptor.CmdInsertFcs | E1000TxDescriptor.CmdReportStatus));
        _h.PutTx(2, E1000TxDescriptor.Legacy(0x200000, 60, E1000TxDescriptor.CmdEndOfPacket));
        _h.W(E1000Reg.Tdt, 3);
        Assert.Multiple(() =>
        {
            Assert.That(_h.Wire.Frames, Has.Count.EqualTo(2));
            Assert.That(_h.Wire.Frames[0], Is.EqualTo(f));
            Assert.That(_h.TxDesc(0).Upper & 1, Is.Zero, "no RS: no write-back");
            Assert.That(_h.TxDesc(1).Upper & E1000TxDescriptor.StatusDone, Is.Not.Zero);
            Assert.That(_h.TxDesc(2).Upper & 1, Is.Zero);
            Assert.That(_h.R(E1000Reg.Tdh), Is.EqualTo(3));
            Assert.That(_h.Line.On, Is.True, "TXDW");
            Assert.That(_h.R(E1000Reg.Icr) & (E1000Int.TxDescWritten | E1000Int.TxQueueEmpty), Is.EqualTo(E1000Int.TxDescWritten | E1000Int.TxQueueEmpty));
            Assert.That(_h.R(E1000Reg.Gptc), Is.EqualTo(2));
            Assert.That(_h.R(E1000Reg.Gotcl), Is.EqualTo(200 + 4 + 60 + 4));
        });
    }

    [Test]
    public void The_tx_ring_wraps()
    {
        _h.SetupTx(8);
        int sent = 0;
        for (int round = 0; round < 5; round++)
        {
            uint tdt = _h.R(E1000Reg.Tdt);
            for (int i = 0; i < 5; i++)
            {
                var f = NicHarness.Frame(64, (byte)sent++);
                _h.PutTx((int)((tdt + i) % 8), E1000TxDescriptor.Legacy(PutBuffer(0x200000 + (ulong)((tdt + i) % 8) * 2048, f), 64, E1000TxDescriptor.CmdEndOfPacket | E1000TxDescriptor.CmdReportStatus));
            }
            _h.W(E1000Reg.Tdt, (tdt + 5) % 8);
        }
        Assert.That(_h.Wire.Frames, Has.Count.EqualTo(25));
        for (int i = 0; i < 25; i++)
            Assert.That(_h.Wire.Frames[i][14], Is.EqualTo((byte)(i + 14)), $"frame {i} in order");
        Assert.That(_h.R(E1000Reg.Tdh), Is.EqualTo(25 % 8));
    }

    [Test]
    public void Checksum_offload_fills_ip_and_udp_checksums_from_a_context_descriptor()
    {
        _h.SetupTx(8);
        // Ethernet + IPv4 (20) + UDP (8) + 32 bytes payload.
        var p = new byte[14 + 20 + 8 + 32];
        NicHarness.MacBytes.CopyTo(p, 0);
        p[12] = 0x08; p[13] = 0x00;
        p[14] = 0x45; BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(16), 60); p[22] = 64; p[23] = 17;
        byte[] src = [10, 0, 0, 1], dst = [10, 0, 0, 2];
        src.CopyTo(p, 26); dst.CopyTo(p, 30);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(34), 1234);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), 5678);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(38), 40);
        for (int i = 42; i < p.Length; i++) p[i] = (byte)i;
        // The driver seeds the UDP checksum with the pseudo-header sum, as Linux does.
        uint pseudo = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 40;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(40), (ushort)pseudo);
        ulong context = 14 | (14 + 10UL) << 8 | (14 + 19UL) << 16 | (34UL << 32) | (40UL << 40) | (0UL << 48);
        _h.PutTx(0, new E1000TxDescriptor { Address = context, Lower = (uint)E1000TxDescriptor.CmdExtension << 24 | E1000TxDescriptor.TypeContext << 20 | (uint)E1000TxDescriptor.ContextIp << 24 });
        _h.PutTx(1, new E1000TxDescriptor
        {
            Address = PutBuffer(0x200000, p),
            Lower = (uint)p.Length | E1000TxDescriptor.TypeData << 20 | (uint)(E1000TxDescriptor.CmdExtension | E1000TxDescriptor.CmdEndOfPacket | E1000TxDescriptor.CmdReportStatus) << 24,
            Upper = (uint)(E1000TxDescriptor.OptionIpChecksum | E1000TxDescriptor.OptionL4Checksum) << 8,
        });
        _h.W(E1000Reg.Tdt, 2);
        Assert.That(_h.Wire.Frames, Has.Count.EqualTo(1));
        var o = _h.Wire.Frames[0];
        Assert.Multiple(() =>
        {
            Assert.That(OnesComplement(o.AsSpan(14, 20)), Is.EqualTo(0xFFFF), "IP header sums to all ones");
            var pseudoAndUdp = new byte[12 + 40];
            src.CopyTo(pseudoAndUdp, 0); dst.CopyTo(pseudoAndUdp, 4); pseudoAndUdp[9] = 17; pseudoAndUdp[11] = 40;
            o.AsSpan(34, 40).CopyTo(pseudoAndUdp.AsSpan(12));
            Assert.That(OnesComplement(pseudoAndUdp), Is.EqualTo(0xFFFF), "UDP checksum with the pseudo-header is valid");
        });
    }

    [Test]
    public void A_legacy_descriptor_inserts_one_checksum_from_css_at_cso()
    {
        _h.SetupTx(8);
        var p = NicHarness.Frame(60);
        p[20] = p[21] = 0;
        _h.PutTx(0, E1000TxDescriptor.Legacy(PutBuffer(0x200000, p), p.Length, E1000TxDescriptor.CmdEndOfPacket | E1000TxDescriptor.CmdInsertChecksum, checksumStart: 14, checksumOffset: 20));
        _h.W(E1000Reg.Tdt, 1);
        Assert.That(OnesComplement(_h.Wire.Frames[0].AsSpan(14)), Is.EqualTo(0xFFFF));
    }

    private static int OnesComplement(ReadOnlySpan<byte> b)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < b.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(b[i..]);
        if (i < b.Length) sum += (uint)b[i] << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (int)sum;
    }
}
