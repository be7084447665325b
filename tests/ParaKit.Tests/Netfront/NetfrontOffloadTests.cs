// Netfront's offload through two real netbacks joined back to back: the handshake's feature
// keys, a TSO super-frame sent over several slots with its GSO extra and csum_blank arriving
// whole at a GSO frontend (extra_info slot consumed, checksum vouched for), the same packet
// reaching a frontend that wrote feature-no-csum-offload segmented and checksummed instead (a
// backend's bogus extras are in NetfrontHostileTests).
using ParaKit.Protocols.Net;
using ParaKit.Tests.Net;

namespace ParaKit.Tests.Netfront;

public unsafe class NetfrontOffloadTests
{
    private static List<(byte[] Frame, bool Validated)> PollAll(ParaKit.Drivers.Xen.Netfront nic)
    {
        var got = new List<(byte[], bool)>();
        while (nic.Poll(f => got.Add((f.ToArray(), nic.RxChecksumValidated)), 64) > 0)
        {
        }
        return got;
    }

    [Test]
    public void A_tso_super_frame_crosses_whole_to_a_gso_frontend()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, vb) = rig.Pair();
        rig.ConnectAll();
        Assert.That((va.Keys.RxGso, va.Keys.NoChecksumOffload), Is.EqualTo((true, false)), "netfront asks for GSO on RX");
        Assert.That((a.Nic.ChecksumOffload, a.Nic.MaxOffloadFrame), Is.EqualTo((true, NetifLimits.MaxTxSize)), "and uses the backend's TSO");
        byte[] super = OffloadTests.TcpFrame(40000);
        Assert.That(a.Nic.TrySendOffload(super, 1448), Is.True);
        a.Nic.Flush();
        rig.Pump();
        var got = PollAll(b.Nic);
        Assert.That(got, Has.Count.EqualTo(1));
        Assert.That(got[0].Validated, Is.True, "csum_blank + data_validated reach the handler");
        // Netback wrote the pseudo-header sum into the checksum field; every other byte is as sent.
        Assert.That(got[0].Frame.AsSpan(0, 50).SequenceEqual(super.AsSpan(0, 50)) && got[0].Frame.AsSpan(52).SequenceEqual(super.AsSpan(52)), Is.True);
        Assert.That((a.Nic.Counters.TxSuperFrames, b.Nic.Counters.RxSuperFrames, b.Nic.Counters.RxErrors), Is.EqualTo((1UL, 1UL, 0UL)));
        Assert.That((va.Netback!.Counters.TxGso, vb.Netback!.Counters.RxGso), Is.EqualTo((1L, 1L)));
        // A plain frame after it still comes through (the extra slot's buffer went back on the ring).
        Assert.That(a.Nic.TrySend(NetfrontDataPathTests.Frame(3, 200)), Is.True);
        a.Nic.Flush();
        rig.Pump();
        var next = PollAll(b.Nic);
        Assert.That((next.Single().Frame.Length, next.Single().Validated), Is.EqualTo((200, false)));
        Assert.That(vb.Netback.PostedRxBuffers, Is.EqualTo(256u));
    }

    [Test]
    public void A_frontend_without_checksum_offload_gets_segmented_checksummed_frames()
    {
        using var rig = new NetfrontRig();
        var (a, va, b, vb) = rig.Pair();
        // B writes feature-no-csum-offload before connecting: its netback must do the work.
        Assert.That(rig.Dom0.Write(vb.Paths.Frontend + "/feature-no-csum-offload", "1"), Is.EqualTo(ParaKit.Protocols.Store.XsError.None));
        rig.ConnectAll();
        Assert.That(vb.Keys.NoChecksumOffload, Is.True);
        byte[] super = OffloadTests.TcpFrame(10000);
        Assert.That(a.Nic.TrySendOffload(super, 1460), Is.True);
        a.Nic.Flush();
        rig.Pump();
        var got = PollAll(b.Nic);
        Assert.That(got, Has.Count.EqualTo(7));
        Assert.That(got.All(g => !g.Validated && g.Frame.Length <= 1514 && OffloadTests.ChecksumsValid(g.Frame)), Is.True);
        Assert.That(got.SelectMany(g => g.Frame.Skip(54)).ToArray(), Is.EqualTo(super.Skip(54).ToArray()));
        Assert.That(vb.Netback!.Counters.RxSoftwareOffload, Is.EqualTo(1));
    }
}
