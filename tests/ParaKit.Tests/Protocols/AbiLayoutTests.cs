// Every ABI struct against the sizes and offsets measured from Xen's public headers (ABI.md),
// and ParaKit's own start_info page. A wrong offset here silently corrupts the peer's memory.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Consoles;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Protocols;

public unsafe class AbiLayoutTests
{
    private static void AssertLayout<T>(int size, params (string Field, int Offset)[] fields) where T : unmanaged
    {
        Assert.Multiple(() =>
        {
            Assert.That(sizeof(T), Is.EqualTo(size), $"sizeof({typeof(T).Name})");
            Assert.That(Marshal.SizeOf<T>(), Is.EqualTo(size), $"Marshal.SizeOf({typeof(T).Name})");
            foreach (var (field, offset) in fields)
            {
                Assert.That((int)Marshal.OffsetOf<T>(field), Is.EqualTo(offset), $"{typeof(T).Name}.{field}");
            }
        });
    }

    [Test]
    public void SharedRingHeader_matches_io_ring_h() =>
        AssertLayout<SharedRingHeader>(64, ("ReqProd", 0), ("ReqEvent", 4), ("RspProd", 8), ("RspEvent", 12), ("Pvt", 16), ("Pad", 20));

    [Test]
    public void Netif_structs_match_io_netif_h()
    {
        AssertLayout<NetifTxRequest>(12, ("Gref", 0), ("Offset", 4), ("Flags", 6), ("Id", 8), ("Size", 10));
        AssertLayout<NetifTxResponse>(4, ("Id", 0), ("Status", 2));
        AssertLayout<NetifRxRequest>(8, ("Id", 0), ("Pad", 2), ("Gref", 4));
        AssertLayout<NetifRxResponse>(8, ("Id", 0), ("Offset", 2), ("Flags", 4), ("Status", 6));
        AssertLayout<NetifExtraInfo>(8, ("Type", 0), ("Flags", 1), ("GsoSize", 2), ("GsoType", 4), ("GsoPad", 5), ("GsoFeatures", 6), ("Union", 2));
        AssertLayout<NetifCtrlRequest>(16, ("Id", 0), ("Type", 2), ("Data", 4));
        AssertLayout<NetifCtrlResponse>(12, ("Id", 0), ("Type", 2), ("Status", 4), ("Data", 8));
    }

    [Test]
    public void Ring_sizes_are_computed_as_xen_does()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RingSize.For<NetifTxRequest, NetifTxResponse>(), Is.EqualTo(256u).And.EqualTo(NetifLimits.TxRingSize));
            Assert.That(RingSize.For<NetifRxRequest, NetifRxResponse>(), Is.EqualTo(256u).And.EqualTo(NetifLimits.RxRingSize));
            Assert.That(RingSize.For<NetifCtrlRequest, NetifCtrlResponse>(), Is.EqualTo(128u).And.EqualTo(NetifLimits.CtrlRingSize));
            Assert.That(RingSize.EntrySize<NetifTxRequest, NetifTxResponse>(), Is.EqualTo(12));
            Assert.That(RingSize.For(64), Is.EqualTo(32u), "4032/64 = 63 -> 32");
            Assert.That(RingSize.For(4032), Is.EqualTo(1u));
            Assert.That(RingSize.For(4033), Is.EqualTo(0u), "an entry larger than the page has no ring");
            Assert.That(RingSize.For(1), Is.EqualTo(2048u), "4032 -> 2048");
            Assert.That(RingSize.For(0), Is.EqualTo(0u));
        });
    }

    [Test]
    public void Ring_slots_of_a_256_entry_tx_ring_fill_the_page_exactly_up_to_the_last_slot()
    {
        using var page = new TestPage();
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(page.Pointer);
        byte* first = (byte*)Unsafe.AsPointer(ref front.RequestSlot(0));
        byte* last = (byte*)Unsafe.AsPointer(ref front.RequestSlot(255));
        Assert.Multiple(() =>
        {
            Assert.That(first - page.Pointer, Is.EqualTo(64));
            Assert.That(last - page.Pointer, Is.EqualTo(64 + 255 * 12));
            Assert.That(last + 12 - page.Pointer, Is.LessThanOrEqualTo(4096));
            Assert.That((byte*)Unsafe.AsPointer(ref front.RequestSlot(256)) - page.Pointer, Is.EqualTo(64), "index 256 wraps to slot 0");
        });
    }

    [Test]
    public void Grant_structs_match_grant_table_h()
    {
        AssertLayout<GrantEntryV1>(8, ("Flags", 0), ("DomId", 2), ("Frame", 4));
        AssertLayout<GnttabCopyPtr>(16, ("Ref", 0), ("Gmfn", 0), ("DomId", 8), ("Offset", 10));
        AssertLayout<GnttabCopy>(40, ("Source", 0), ("Dest", 16), ("Len", 32), ("Flags", 34), ("Status", 36));
        AssertLayout<GnttabMapGrantRef>(32, ("HostAddr", 0), ("Flags", 8), ("Ref", 12), ("Dom", 16), ("Status", 18), ("Handle", 20), ("DevBusAddr", 24));
        AssertLayout<GnttabUnmapGrantRef>(24, ("HostAddr", 0), ("DevBusAddr", 8), ("Handle", 16), ("Status", 20));
        AssertLayout<GnttabSetupTable>(24, ("Dom", 0), ("NrFrames", 4), ("Status", 8), ("FrameList", 16));
        AssertLayout<GnttabQuerySize>(16, ("Dom", 0), ("NrFrames", 4), ("MaxNrFrames", 8), ("Status", 12));
        Assert.That(GrantRefs.EntriesPerFrame * (uint)sizeof(GrantEntryV1), Is.EqualTo(4096u));
    }

    [Test]
    public void Event_channel_structs_match_event_channel_h()
    {
        AssertLayout<EvtchnAllocUnbound>(8, ("Dom", 0), ("RemoteDom", 2), ("Port", 4));
        AssertLayout<EvtchnBindInterdomain>(12, ("RemoteDom", 0), ("RemotePort", 4), ("LocalPort", 8));
        AssertLayout<EvtchnBindVirq>(12, ("Virq", 0), ("Vcpu", 4), ("Port", 8));
        AssertLayout<EvtchnBindIpi>(8, ("Vcpu", 0), ("Port", 4));
        AssertLayout<EvtchnBindVcpu>(8, ("Port", 0), ("Vcpu", 4));
        AssertLayout<EvtchnSend>(4, ("Port", 0));
        AssertLayout<EvtchnClose>(4, ("Port", 0));
        AssertLayout<EvtchnUnmask>(4, ("Port", 0));
        AssertLayout<EvtchnReset>(2, ("Dom", 0));
        AssertLayout<EvtchnStatus>(24, ("Dom", 0), ("Port", 4), ("Status", 8), ("Vcpu", 12), ("RemoteDom", 16), ("RemotePort", 20), ("PirqOrVirq", 16));
    }

    [Test]
    public void Shared_info_matches_xen_h()
    {
        AssertLayout<VcpuTimeInfo>(32, ("Version", 0), ("TscTimestamp", 8), ("SystemTime", 16), ("TscToSystemMul", 24), ("TscShift", 28), ("Flags", 29));
        AssertLayout<VcpuInfo>(64, ("UpcallPending", 0), ("UpcallMask", 1), ("PendingSel", 8), ("ArchCr2", 16), ("Time", 32));
        AssertLayout<SharedInfo>(3136, ("Vcpu0", 0), ("EvtchnPending", 2048), ("EvtchnMask", 2560), ("WcVersion", 3072), ("ArchMaxPfn", 3088));
        Assert.That(SharedInfo.EventChannelCount, Is.EqualTo(4096));
    }

    [Test]
    public void Sched_structs_match_sched_h()
    {
        AssertLayout<SchedShutdown>(4, ("Reason", 0));
        AssertLayout<SchedPoll>(24, ("Ports", 0), ("NrPorts", 8), ("Timeout", 16));
    }

    [Test]
    public void Xenstore_structs_match_xs_wire_h()
    {
        AssertLayout<XsdSockMsg>(16, ("Type", 0), ("ReqId", 4), ("TxId", 8), ("Len", 12));
        AssertLayout<XenstoreDomainInterface>(2080, ("Req", 0), ("Rsp", 1024), ("ReqCons", 2048), ("ReqProd", 2052),
            ("RspCons", 2056), ("RspProd", 2060), ("ServerFeatures", 2064), ("Connection", 2068), ("Error", 2072), ("EvtchnPort", 2076));
    }

    [Test]
    public void Console_page_matches_io_console_h() =>
        AssertLayout<XenconsInterface>(3092, ("In", 0), ("Out", 1024), ("InCons", 3072), ("InProd", 3076), ("OutCons", 3080),
            ("OutProd", 3084), ("Connection", 3088));

    [Test]
    public void Start_info_is_parakits_documented_page()
    {
        AssertLayout<StartInfo>(2048, ("Magic", 0), ("Version", 8), ("DomId", 12), ("MemoryBytes", 16), ("SharedInfoAddress", 24),
            ("HypercallPageAddress", 32), ("StoreRingAddress", 40), ("StoreEventChannel", 48), ("ConsoleEventChannel", 52),
            ("ConsoleRingAddress", 56), ("HeapStart", 64), ("HeapEnd", 72), ("StackTop", 80), ("StackBottom", 88),
            ("ImageStart", 96), ("ImageEnd", 104), ("Flags", 112), ("CmdLineLength", 116), ("TscKhz", 120), ("E1000Mask", 128), ("E1000Vector", 132), ("CmdLine", 1024));
        Assert.That(System.Text.Encoding.ASCII.GetBytes("PARAKIT\0"), Is.EqualTo(BitConverter.GetBytes(StartInfo.MagicValue)));
    }

    [Test]
    public void Numbers_match_the_headers()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new[] { EvtchnOp.BindInterdomain, EvtchnOp.BindVirq, EvtchnOp.BindPirq, EvtchnOp.Close, EvtchnOp.Send, EvtchnOp.Status,
                EvtchnOp.AllocUnbound, EvtchnOp.BindIpi, EvtchnOp.BindVcpu, EvtchnOp.Unmask, EvtchnOp.Reset }, Is.EqualTo(Enumerable.Range(0, 11)));
            Assert.That(new[] { GnttabOp.MapGrantRef, GnttabOp.UnmapGrantRef, GnttabOp.SetupTable, GnttabOp.DumpTable, GnttabOp.Transfer,
                GnttabOp.Copy, GnttabOp.QuerySize }, Is.EqualTo(Enumerable.Range(0, 7)));
            Assert.That(new short[] { GrantStatus.Okay, GrantStatus.GeneralError, GrantStatus.BadDomain, GrantStatus.BadGntref, GrantStatus.BadHandle,
                GrantStatus.BadVirtAddr, GrantStatus.BadDevAddr, GrantStatus.NoDeviceSpace, GrantStatus.PermissionDenied, GrantStatus.BadPage,
                GrantStatus.BadCopyArg, GrantStatus.AddressTooBig, GrantStatus.EAgain, GrantStatus.NoSpace },
                Is.EqualTo(Enumerable.Range(0, 14).Select(i => (short)-i)));
            Assert.That((GrantFlags.PermitAccess, GrantFlags.ReadOnly, GrantFlags.Reading, GrantFlags.Writing), Is.EqualTo(((ushort)1, (ushort)4, (ushort)8, (ushort)16)));
            Assert.That((NetTxFlags.CsumBlank, NetTxFlags.DataValidated, NetTxFlags.MoreData, NetTxFlags.ExtraInfo), Is.EqualTo(((ushort)1, (ushort)2, (ushort)4, (ushort)8)));
            Assert.That((NetRxFlags.DataValidated, NetRxFlags.CsumBlank, NetRxFlags.MoreData, NetRxFlags.ExtraInfo, NetRxFlags.GsoPrefix),
                Is.EqualTo(((ushort)1, (ushort)2, (ushort)4, (ushort)8, (ushort)16)));
            Assert.That((NetifStatus.Dropped, NetifStatus.Error, NetifStatus.Okay, NetifStatus.Null), Is.EqualTo(((short)-2, (short)-1, (short)0, (short)1)));
            Assert.That(NetifLimits.SlotsMin, Is.EqualTo(18));
            Assert.That((int)XsdSockMsgType.Write, Is.EqualTo(11));
            Assert.That((int)XsdSockMsgType.WatchEvent, Is.EqualTo(15));
            Assert.That((int)XsdSockMsgType.Error, Is.EqualTo(16));
            Assert.That((int)XsdSockMsgType.DirectoryPart, Is.EqualTo(22));
            Assert.That((int)XenbusState.Connected, Is.EqualTo(4));
            Assert.That((int)XenbusState.Reconfigured, Is.EqualTo(8));
            Assert.That(Virq.Timer, Is.EqualTo(0u));
            Assert.That(XsErrors.All.Length, Is.EqualTo(16));
        });
    }
}
