// A hostile and a well-behaved guest in one: pokes event_channel_op and grant_table_op with bad
// ports, domains, grant references, frames and pointers and checks Xen's errnos and statuses,
// then checks the good paths inside one domain (loopback channel, masking, VIRQ_TIMER through
// the demultiplexer, self-grants and copies). Exit status = number of failed checks.
// With `rogue A B` it instead attacks two other running domains (e.g. the pingpong pair): for a
// while it tries to bind their ports, copy from and into their grants and act in their names,
// and checks that nothing ever succeeds.
using ParaKit.Kernel;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;

public static unsafe class EvtCheck
{
    private const long EPERM = -1, ENOENT = -2, ESRCH = -3, EFAULT = -14, EEXIST = -17, EINVAL = -22, ENOSYS = -38;
    private static int s_checks, s_failed;
    private static int s_hits;

    private static void Check(bool ok, string what)
    {
        s_checks++;
        if (!ok)
        {
            s_failed++;
            Console.WriteLine("evtcheck: FAILED: " + what);
        }
    }

    private static void Expect(long got, long want, string what) =>
        Check(got == want, what + ": got " + got.ToString() + ", want " + want.ToString());

    private static long RawEvtchn(int cmd, void* arg) => Hypervisor.Call(Hypercall.EventChannelOp, (ulong)cmd, (ulong)arg);

    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "rogue")
            return Rogue(args);
        HostileEvents();
        GoodEvents();
        HostileGrants();
        GoodGrants();
        Console.WriteLine($"evtcheck: {s_checks} checks, {s_failed} failed");
        return s_failed;
    }

    private static int Rogue(string[] args)
    {
        ulong.TryParse(args[1], out ulong a);
        ulong.TryParse(args[2], out ulong b);
        Grants.Initialize();
        byte* page = Grants.AllocatePage();
        for (int i = 0; i < 4096; i++)
            page[i] = 0xEE;
        ulong end = Clock.NowNs() + 300_000_000;
        int probes = 0, denied = 0;
        while (Clock.NowNs() < end)
        {
            foreach (ulong victim in new[] { a, b })
            {
                for (uint p = 1; p <= 16; p++)
                {
                    long rc = Events.BindInterdomain((ushort)victim, p);
                    Check(rc < 0, "bound to domain " + victim.ToString() + " port " + p.ToString());
                    if (rc >= 0)
                        Events.Close((uint)rc);
                    probes++;
                }
                for (uint g = 0; g < 16; g++)
                {
                    long from = Grants.CopyFrom((ushort)victim, g, 0, page, 64);
                    long to = Grants.CopyTo((ushort)victim, g, 0, page, 64);
                    Check(from != 0 && to != 0, "copied through domain " + victim.ToString() + " grant " + g.ToString());
                    if (from == GrantStatus.PermissionDenied || to == GrantStatus.PermissionDenied)
                        denied++;
                    probes += 2;
                }
                EvtchnAllocUnbound au;
                au.Dom = (ushort)victim;
                au.RemoteDom = (ushort)Kernel.DomId;
                au.Port = 0;
                Expect(RawEvtchn(EvtchnOp.AllocUnbound, &au), EPERM, "alloc_unbound in the victim's name");
                probes++;
            }
            Scheduler.Sleep(1_000_000);
        }
        Console.WriteLine($"evtcheck: rogue made {probes} probes at domains {a} and {b} ({denied} grant copies refused with permission_denied), {s_failed} succeeded");
        return s_failed;
    }

    private static void HostileEvents()
    {
        Expect(Events.Send(0), EINVAL, "send on port 0");
        Expect(Events.Send(4096), EINVAL, "send beyond the table");
        Expect(Events.Send(uint.MaxValue), EINVAL, "send on port 2^32-1");
        Expect(Events.Send(7), EINVAL, "send on a free port");
        Expect(Events.Close(7), EINVAL, "close a free port");
        Expect(Events.Unmask(4096), EINVAL, "unmask beyond the table");
        Expect(Events.BindInterdomain(9, 1), ESRCH, "bind to a domain that does not exist");
        Expect(Events.BindInterdomain(DomId.Self, 1), EINVAL, "bind to our own closed port");
        Expect(Events.BindVirq(Virq.Count), EINVAL, "bind an unknown VIRQ");
        EvtchnBindVirq bv;
        bv.Virq = Virq.Timer;
        bv.Vcpu = 1;
        bv.Port = 0;
        Expect(RawEvtchn(EvtchnOp.BindVirq, &bv), ENOENT, "bind a VIRQ on vCPU 1");
        EvtchnAllocUnbound au;
        au.Dom = 5;
        au.RemoteDom = 0;
        au.Port = 0;
        Expect(RawEvtchn(EvtchnOp.AllocUnbound, &au), EPERM, "alloc_unbound in another domain");
        EvtchnStatus st = default;
        st.Dom = 5;
        st.Port = 1;
        Expect(RawEvtchn(EvtchnOp.Status, &st), EPERM, "status of another domain's port");
        Expect(RawEvtchn(EvtchnOp.Send, null), EFAULT, "null argument");
        long firstFree = Events.AllocUnbound(DomId.Self);
        Check(firstFree > 0, "alloc_unbound");
        Expect(Events.Close((uint)firstFree), 0, "close");
        // start_info is readable but not writable; its unused middle is zeros, i.e. a valid
        // bind_virq(VIRQ_TIMER, vCPU 0). The OUT port cannot be written back, so the bind must
        // be undone rather than leave a port (and the VIRQ) bound behind our back.
        Expect(RawEvtchn(EvtchnOp.BindVirq, (void*)0x1200), EFAULT, "OUT struct in read-only start_info");
        Expect(RawEvtchn(EvtchnOp.Reset, &st), ENOSYS, "EVTCHNOP_reset");
        Expect(Events.AllocUnbound(DomId.Self), firstFree, "no port leaked by the failed bind");
        Expect(Events.Close((uint)firstFree), 0, "close it again");
    }

    private static void OnHit(uint port) => s_hits++;

    private static void GoodEvents()
    {
        long a = Events.AllocUnbound(DomId.Self);
        long b = Events.BindInterdomain(DomId.Self, (uint)a);
        Check(a > 0 && b > 0 && a != b, "loopback channel: ports " + a.ToString() + " and " + b.ToString());
        uint pa = (uint)a, pb = (uint)b;
        Events.Register(pa, OnHit);
        Events.Register(pb, OnHit);
        Expect(Events.Dispatch(), 1, "the bind set our new port pending once");
        Expect(Events.Send(pb), 0, "send on the loopback");
        Expect(Events.Send(pb), 0, "second send merges with the pending one");
        s_hits = 0;
        Expect(Events.Dispatch(), 1, "one pending event after two sends");
        Expect(s_hits, 1, "handler ran once");

        Events.Mask(pa);
        Expect(Events.Send(pb), 0, "send to a masked port");
        Check(EventChannelBits.IsPending(Kernel.SharedInfo, pa), "masked port is pending");
        Expect(Events.Dispatch(), 0, "masked port is not dispatched");
        Expect(Events.Unmask(pa), 0, "unmask");
        Check(Events.AnyPending(), "unmask raised the held-back event");
        Expect(Events.Dispatch(), 1, "dispatched after unmask");

        Expect(Events.Status(pb, out EvtchnStatus st), 0, "status");
        Check(st.Status == (uint)EvtchnState.Interdomain && st.RemotePort == pa, "status says interdomain to the other end");
        Expect(Events.Close(pa), 0, "close one end");
        Expect(Events.Status(pb, out st), 0, "status after close");
        Check(st.Status == (uint)EvtchnState.Unbound, "survivor is unbound");
        Expect(Events.Send(pb), 0, "send on an unbound port is dropped");
        Expect(Events.Dispatch(), 0, "nothing delivered");
        Expect(Events.Close(pb), 0, "close the survivor");

        long ipi = Events.BindIpi();
        Check(ipi > 0, "bind_ipi");
        Events.Register((uint)ipi, OnHit);
        s_hits = 0;
        Expect(Events.Send((uint)ipi), 0, "send to ourselves");
        Expect(Events.Dispatch(), 1, "the IPI came back");
        Expect(Events.Close((uint)ipi), 0, "close the IPI port");

        long t = Events.BindVirq(Virq.Timer);
        Check(t > 0, "bind VIRQ_TIMER");
        Expect(Events.BindVirq(Virq.Timer), EEXIST, "bind VIRQ_TIMER twice");
        Events.Register((uint)t, OnHit);
        s_hits = 0;
        Scheduler.SetTimer(Clock.NowNs() + 2_000_000);
        ulong t0 = Clock.NowNs();
        while (s_hits == 0 && Clock.NowNs() - t0 < 1_000_000_000)
            Events.WaitAndDispatch();
        Expect(s_hits, 1, "VIRQ_TIMER delivered through the demultiplexer");
        Expect(Events.Close((uint)t), 0, "close the VIRQ port");
    }

    private static short CopyOne(GnttabCopy op)
    {
        long rc = Grants.Copy(&op, 1);
        return rc < 0 ? (short)rc : op.Status;
    }

    private static GnttabCopy FromRef(ushort dom, uint gref, byte* dest, ushort len)
    {
        GnttabCopy op = default;
        op.Source.Ref = gref;
        op.Source.DomId = dom;
        op.Dest.Gmfn = (ulong)dest >> 12;
        op.Dest.DomId = DomId.Self;
        op.Dest.Offset = (ushort)((ulong)dest & 4095);
        op.Len = len;
        op.Flags = GnttabCopyFlags.SourceGref;
        return op;
    }

    private static GnttabCopy ToRef(ushort dom, uint gref, byte* src, ushort len)
    {
        GnttabCopy op = default;
        op.Source.Gmfn = (ulong)src >> 12;
        op.Source.DomId = DomId.Self;
        op.Dest.Ref = gref;
        op.Dest.DomId = dom;
        op.Len = len;
        op.Flags = GnttabCopyFlags.DestGref;
        return op;
    }

    private static void HostileGrants()
    {
        Expect(Grants.Initialize(), 0, "grant table setup");
        Expect(Grants.EntryCount, 1024, "1024 entries");
        byte* page = Grants.AllocatePage();
        Expect(CopyOne(FromRef(DomId.Self, 5000, page, 8)), GrantStatus.BadGntref, "gref beyond the table");
        Expect(CopyOne(FromRef(9, 8, page, 8)), GrantStatus.BadDomain, "granter does not exist");
        Expect(CopyOne(FromRef(DomId.Self, 300, page, 8)), GrantStatus.GeneralError, "gref never granted");
        GnttabCopy op = FromRef(DomId.Self, 8, page, 8);
        op.Flags = 0;
        op.Source.Gmfn = (ulong)page >> 12;
        op.Dest.DomId = 3;
        Expect(CopyOne(op), GrantStatus.PermissionDenied, "a frame of another domain by number");
        op = FromRef(DomId.Self, 8, (byte*)0x3000, 8);
        op.Source.Ref = 0;
        op.Flags = 0;
        op.Source.Gmfn = (ulong)page >> 12;
        Expect(CopyOne(op), GrantStatus.BadPage, "copy into our hypercall page");
        op.Dest.Gmfn = 0x6;
        Expect(CopyOne(op), GrantStatus.BadPage, "copy into our grant table");
        op.Dest.Gmfn = 1UL << 40;
        Expect(CopyOne(op), GrantStatus.BadPage, "copy to a frame far beyond RAM");
        op.Dest.Gmfn = (ulong)page >> 12;
        op.Dest.Offset = 4000;
        op.Len = 200;
        Expect(CopyOne(op), GrantStatus.BadCopyArg, "copy crossing the end of a page");
        Expect(Grants.Copy((GnttabCopy*)0x1000, 1), EFAULT, "ops array in read-only start_info");
        Expect(Grants.Copy((GnttabCopy*)page, 5000), EINVAL, "too many ops in one call");
        Expect(Hypervisor.Call(Hypercall.GrantTableOp, GnttabOp.MapGrantRef, (ulong)page, 1), ENOSYS, "map_grant_ref");
        GnttabSetupTable s = default;
        s.Dom = 4;
        s.NrFrames = 1;
        s.FrameList = (ulong)page;
        Expect(Hypervisor.Call(Hypercall.GrantTableOp, GnttabOp.SetupTable, (ulong)&s, 1), 0, "setup_table of another domain: hypercall ok");
        Expect(s.Status, GrantStatus.PermissionDenied, "setup_table of another domain: status");
        Check(!Grants.EndAccess(300), "end access of a reference never handed out");
        Check(!Grants.EndAccess(3), "end access of a reserved reference");
    }

    private static void GoodGrants()
    {
        byte* mine = Grants.AllocatePage();
        byte* other = Grants.AllocatePage();
        for (int i = 0; i < 4096; i++)
            mine[i] = (byte)(i * 3);
        int g = Grants.GrantAccess((ushort)Kernel.DomId, mine, readOnly: false);
        Expect(g, 8, "first grant reference");
        Expect(Grants.CopyFrom(DomId.Self, (uint)g, 100, other + 10, 500), 0, "copy from our own grant");
        bool same = true;
        for (int i = 0; i < 500; i++)
            same &= other[10 + i] == mine[100 + i];
        Check(same, "bytes arrived");
        Check(Grants.Entry(g)->Flags == GrantFlags.PermitAccess, "reading flag cleared after the copy");
        Expect(Grants.CopyTo(DomId.Self, (uint)g, 0, other + 10, 16), 0, "copy into our own grant");
        Check(mine[0] == other[10], "written through the grant");
        Check(Grants.EndAccess(g), "revoke when idle");
        Expect(Grants.CopyFrom(DomId.Self, (uint)g, 0, other, 8), GrantStatus.GeneralError, "copy after revoke");
        int ro = Grants.GrantAccess((ushort)Kernel.DomId, mine, readOnly: true);
        Expect(Grants.CopyTo(DomId.Self, (uint)ro, 0, other, 8), GrantStatus.PermissionDenied, "write through a read-only grant");
        int wrongDom = Grants.GrantAccess(42, mine, readOnly: false);
        Expect(Grants.CopyFrom(DomId.Self, (uint)wrongDom, 0, other, 8), GrantStatus.PermissionDenied, "grant meant for domain 42");
        int pt = Grants.GrantAccess((ushort)Kernel.DomId, (void*)0x9000, readOnly: false);
        Expect(Grants.CopyTo(DomId.Self, (uint)pt, 0, other, 8), GrantStatus.BadPage, "a grant of our own page tables is not writable");
        Check(Grants.EndAccess(ro) && Grants.EndAccess(wrongDom) && Grants.EndAccess(pt), "revoke the rest");
        Expect(Grants.InUse, 0, "no references held");
    }
}
