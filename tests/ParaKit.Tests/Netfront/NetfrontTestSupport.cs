// Test doubles for the guest's netfront, wired to domain 0's real pieces in one process: a grant
// client on aligned native pages that is also netback's INetbackGrants (so a real Netback copies
// from and to the pages netfront granted), an event-channel fake, a store client over the real
// XenStore that queues watch events until pumped (as the guest's Store does), a scripted
// domain-0 vif (the VifXenbus handshake + a Netback on the granted ring pages), and a rig that
// pumps everything until nothing moves.
using System.Runtime.InteropServices;
using ParaKit.Drivers.Platform;
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Store;
using NetfrontDevice = ParaKit.Drivers.Xen.Netfront;

namespace ParaKit.Tests.Netfront;

/// <summary>One guest's grant table: pages it allocated and the grants it made, checked the way
/// Xen checks them when domain 0 copies (granted to domain 0, writable for a copy into it).</summary>
internal sealed unsafe class FakeGrantClient : IGrantClient, INetbackGrants, IDisposable
{
    private sealed record Entry(nint Page, ushort DomId, bool ReadOnly);

    /// <summary>Entries a guest may hand out: 1024 in the table minus the 8 reserved.</summary>
    public int Capacity = 1016;
    private readonly Dictionary<int, Entry> _active = new();
    private readonly Stack<int> _free = new();
    private int _next = (int)GrantRefs.ReservedCount;
    private readonly List<nint> _pages = new();
    private readonly HashSet<int> _claimed = new();

    /// <summary>Every copy fails (a guest that revoked everything under domain 0's feet).</summary>
    public bool FailAllCopies;
    public int PagesAllocated => _pages.Count;
    public int ActiveGrants => _active.Count;
    public int CopiesFrom, CopiesTo;

    public byte* AllocatePage()
    {
        var p = (byte*)NativeMemory.AlignedAlloc(4096, 4096);
        NativeMemory.Clear(p, 4096);
        _pages.Add((nint)p);
        return p;
    }

    /// <summary>Pages given back with FreePage (still allocated: the fake never reuses them).</summary>
    public readonly HashSet<nint> Freed = new();

    public void FreePage(byte* page)
    {
        Assert.That(_pages.Contains((nint)page), Is.True, "FreePage of a page this client never allocated");
        Assert.That(_active.Values.Any(a => a.Page == (nint)page), Is.False, "FreePage of a page still granted");
        Assert.That(Freed.Add((nint)page), Is.True, "a page freed twice");
    }

    public int GrantAccess(ushort domId, void* page, bool readOnly)
    {
        if (((nint)page & 4095) != 0 || _active.Count >= Capacity)
            return -1;
        int r = _free.Count > 0 ? _free.Pop() : _next++;
        _active[r] = new Entry((nint)page, domId, readOnly);
        return r;
    }

    public bool EndAccess(int gref)
    {
        // A page domain 0 has claimed (a mapped ring) cannot be revoked, as GrantTable refuses.
        if (!_active.ContainsKey(gref) || _claimed.Contains(gref))
            return false;
        _active.Remove(gref);
        _free.Push(gref);
        return true;
    }

    public bool IsGranted(uint gref, out nint page, out ushort domId, out bool readOnly)
    {
        page = 0;
        domId = 0;
        readOnly = false;
        if (!_active.TryGetValue((int)gref, out var e))
            return false;
        (page, domId, readOnly) = (e.Page, e.DomId, e.ReadOnly);
        return true;
    }

    /// <summary>Domain 0 takes a ring page in place (GrantTable.TryClaimForBackend): it must be
    /// granted to domain 0 and writable; it stays pinned until released.</summary>
    public byte* Claim(uint gref)
    {
        if (!_active.TryGetValue((int)gref, out var e) || e.DomId != 0 || e.ReadOnly || !_claimed.Add((int)gref))
            return null;
        return (byte*)e.Page;
    }

    public void Release(uint gref) => _claimed.Remove((int)gref);

    private short Check(uint gref, int offset, int length, bool write, out Entry? e)
    {
        e = null;
        if (offset < 0 || offset + length > 4096)
            return GrantStatus.BadCopyArg;
        if (FailAllCopies || !_active.TryGetValue((int)gref, out e))
            return GrantStatus.BadGntref;
        if (e.DomId != 0 || (write && e.ReadOnly))
            return GrantStatus.PermissionDenied;
        return GrantStatus.Okay;
    }

    public short TryCopyFromGuest(uint gref, int offset, Span<byte> destination)
    {
        short st = Check(gref, offset, destination.Length, false, out var e);
        if (st != GrantStatus.Okay)
            return st;
        CopiesFrom++;
        new ReadOnlySpan<byte>((byte*)e!.Page + offset, destination.Length).CopyTo(destination);
        return st;
    }

    public short TryCopyToGuest(uint gref, int offset, ReadOnlySpan<byte> source)
    {
        short st = Check(gref, offset, source.Length, true, out var e);
        if (st != GrantStatus.Okay)
            return st;
        CopiesTo++;
        source.CopyTo(new Span<byte>((byte*)e!.Page + offset, source.Length));
        return st;
    }

    public void Dispose()
    {
        foreach (var p in _pages)
            NativeMemory.AlignedFree((void*)p);
        _pages.Clear();
    }
}

/// <summary>One guest's event channels: ports it allocated for a remote domain, the handlers it
/// registered, and pending bits that the rig dispatches (as Events.Dispatch does in a guest).</summary>
internal sealed class FakeEventClient : IEventClient
{
    private sealed class Port
    {
        public ushort Remote;
        public bool Closed;
        public bool Pending;
        public Action<uint>? Handler;
    }

    private readonly Dictionary<uint, Port> _ports = new();
    private uint _next = 3;
    /// <summary>What a send on a port does on the other side (kick the backend).</summary>
    public Action<uint>? OnSend;
    public int Sends;
    /// <summary>Set to make AllocUnbound fail (-ENOSPC: no free port).</summary>
    public bool RefuseAlloc;

    public long AllocUnbound(ushort remoteDom)
    {
        if (RefuseAlloc)
            return -28;
        uint p = _next++;
        _ports[p] = new Port { Remote = remoteDom };
        return p;
    }

    public long Send(uint port)
    {
        if (!_ports.TryGetValue(port, out var p) || p.Closed)
            return -22;
        Sends++;
        OnSend?.Invoke(port);
        return 0;
    }

    public long Close(uint port)
    {
        if (!_ports.TryGetValue(port, out var p) || p.Closed)
            return -22;
        p.Closed = true;
        p.Handler = null;
        p.Pending = false;
        return 0;
    }

    public void Register(uint port, Action<uint> handler)
    {
        if (_ports.TryGetValue(port, out var p) && !p.Closed)
            p.Handler = handler;
    }

    /// <summary>True if <paramref name="port"/> is open and was allocated for <paramref name="remote"/>.</summary>
    public bool IsOpenFor(uint port, ushort remote) => _ports.TryGetValue(port, out var p) && !p.Closed && p.Remote == remote;

    public int OpenPorts => _ports.Values.Count(p => !p.Closed);

    /// <summary>The backend's send on its end: the guest's port becomes pending.</summary>
    public void Raise(uint port)
    {
        if (_ports.TryGetValue(port, out var p) && !p.Closed)
            p.Pending = true;
    }

    public int Dispatch()
    {
        int n = 0;
        foreach (var (port, p) in _ports.ToList())
        {
            if (!p.Pending)
                continue;
            p.Pending = false;
            n++;
            p.Handler?.Invoke(port);
        }
        return n;
    }
}

/// <summary>A guest's store client over the real XenStore: relative paths live under the guest's
/// home, and watch events wait in a queue until <see cref="DispatchWatches"/> (the guest's Store
/// runs handlers from its event loop, never inside another request).</summary>
internal sealed class GuestStoreClient : IStoreClient, IDisposable
{
    private readonly LocalStoreClient _xs;
    private readonly string _home;
    private readonly Queue<(string Path, string Token)> _events = new();
    private readonly Dictionary<string, Action<string, string>> _handlers = new();
    /// <summary>Runs between a transaction's writes and its commit (to make another writer win).</summary>
    public Action<uint>? BeforeCommit;
    public int Commits, Conflicts;

    public GuestStoreClient(XenStore store, uint domid)
    {
        _xs = new LocalStoreClient(store, domid, "guest" + domid);
        _home = XenStore.DomainPath(domid);
    }

    private string Abs(string path) => path.StartsWith('/') ? path : _home + "/" + path;

    public string? Read(string path, uint tx = 0) => _xs.Read(Abs(path), tx);

    public XsError Write(string path, string value, uint tx = 0) => _xs.Write(Abs(path), value, tx);

    public XsError Remove(string path, uint tx = 0) => _xs.Remove(Abs(path), tx);

    public uint TransactionStart()
    {
        var (e, id) = _xs.TransactionStart();
        return e == XsError.None ? id : 0;
    }

    public XsError TransactionEnd(uint tx, bool commit)
    {
        if (commit)
            BeforeCommit?.Invoke(tx);
        XsError e = _xs.TransactionEnd(tx, commit);
        if (commit)
        {
            if (e == XsError.None)
                Commits++;
            else if (e == XsError.EAGAIN)
                Conflicts++;
        }
        return e;
    }

    public XsError Watch(string path, string token, Action<string, string> handler)
    {
        _handlers[token] = handler;
        XsError e = _xs.Watch(Abs(path), token, (p, t) => _events.Enqueue((p, t)));
        if (e != XsError.None)
            _handlers.Remove(token);
        return e;
    }

    public XsError Unwatch(string path, string token)
    {
        _handlers.Remove(token);
        return _xs.Unwatch(Abs(path), token);
    }

    public int Watches => _handlers.Count;

    public int DispatchWatches()
    {
        int n = 0;
        while (_events.TryDequeue(out var ev))
        {
            if (_handlers.TryGetValue(ev.Token, out var h))
            {
                n++;
                h(ev.Path, ev.Token);
            }
        }
        return n;
    }

    public void Dispose() => _xs.Dispose();
}

/// <summary>One guest domain with one vif: its grant table, event channels, store client and netfront.</summary>
internal sealed class Guest : IDisposable
{
    public readonly uint DomId;
    public readonly FakeGrantClient Grants = new();
    public readonly FakeEventClient Events = new();
    public readonly GuestStoreClient Store;
    public readonly NetfrontDevice Nic;

    public Guest(XenStore store, uint domid, uint ringStart = 0)
    {
        DomId = domid;
        Store = new GuestStoreClient(store, domid);
        Nic = new NetfrontDevice(Grants, Events, Store, "device/vif/0", ringStart);
    }

    public void Dispose()
    {
        Store.Dispose();
        Grants.Dispose();
    }
}

/// <summary>Domain 0's side of one vif, scripted the way hypervisor/Devices' vif and Linux netback
/// behave: directories + features + InitWait; on frontend Connected read and check its keys,
/// claim the ring pages and start a Netback; on frontend Closing/Closed let go and follow; after a
/// close, a frontend back in Initialising finds InitWait again.</summary>
internal sealed unsafe class Dom0Vif
{
    private readonly LocalStoreClient _xs;
    private readonly Guest _guest;
    private readonly int _mtu;
    private readonly Queue<string> _events = new();
    private uint _txRef, _rxRef;
    public readonly XenbusDevicePaths Paths;
    public IFrameSink Sink;
    public Netback? Netback;
    public VifFrontendKeys Keys;
    public XenbusState State = XenbusState.Initialising;
    public bool Kicked;
    public int Connects, Refused;
    public string LastProblem = "";
    /// <summary>When false, the scripted backend only moves when a test calls it (no reaction to the frontend).</summary>
    public bool Reactive = true;
    /// <summary>When set, the ring claims are kept across a close (a backend slow to let go).</summary>
    public bool KeepClaimsOnClose;
    /// <summary>Counters of every netback this vif has had.</summary>
    public readonly NetbackCounters Past = new();

    public Dom0Vif(LocalStoreClient xs, Guest guest, string mac, int? mtu)
    {
        _xs = xs;
        _guest = guest;
        _mtu = mtu ?? NetifLimits.DefaultMtu;
        Paths = XenbusDevices.PathsOf(guest.DomId, 0, "vif", 0);
        Sink = new ListSink();
        var back = new Dictionary<string, string> { ["mac"] = mac, ["handle"] = "0" };
        if (mtu is { } m)
            back["mtu"] = m.ToString();
        Assert.That(XenbusDevices.Add(xs, guest.DomId, 0, "vif", 0, new Dictionary<string, string> { ["mac"] = mac, ["handle"] = "0" }, back), Is.EqualTo(XsError.None));
        guest.Events.OnSend = _ => Kicked = true;
    }

    public void Advertise()
    {
        Assert.That(VifXenbus.AdvertiseFeatures(_xs, Paths.Backend), Is.EqualTo(XsError.None));
        State = XenbusState.InitWait;
    }

    public void WatchFrontend() =>
        Assert.That(_xs.Watch(Paths.Frontend + "/state", "dom0-vif-" + _guest.DomId, (p, _) => _events.Enqueue(p)), Is.EqualTo(XsError.None));

    public void SetState(XenbusState s)
    {
        State = s;
        Assert.That(VifXenbus.SetState(_xs, Paths.Backend, s), Is.EqualTo(XsError.None));
    }

    /// <summary>Runs queued frontend-state events; returns how many.</summary>
    public int PumpStore()
    {
        int n = 0;
        while (_events.TryDequeue(out _))
        {
            n++;
            if (Reactive)
                OnFrontendChanged();
        }
        return n;
    }

    private void OnFrontendChanged()
    {
        switch (VifXenbus.ReadState(_xs, Paths.Frontend))
        {
            case XenbusState.Initialising when State == XenbusState.Closed:
                Advertise();
                break;
            case XenbusState.Connected when Netback is null && State == XenbusState.InitWait:
                Connect();
                break;
            case XenbusState.Closing:
                Disconnect();
                if (State != XenbusState.Closed)
                    SetState(XenbusState.Closing);
                break;
            case XenbusState.Closed:
            case XenbusState.Unknown:
                Disconnect();
                SetState(XenbusState.Closed);
                break;
        }
    }

    /// <summary>Reads the frontend's keys as guest data and starts a netback on its ring pages.</summary>
    public bool Connect()
    {
        var check = VifXenbus.ReadFrontend(_xs, Paths.Frontend, out Keys);
        if (check != VifFrontendCheck.Ok)
            return Refuse("keys: " + check);
        if (!_guest.Events.IsOpenFor(Keys.EventChannel, 0))
            return Refuse("event-channel is not a port unbound for domain 0");
        ReleaseClaims();
        byte* tx = _guest.Grants.Claim(Keys.TxRingRef);
        if (tx == null)
            return Refuse("tx-ring-ref is not a writable page granted to domain 0");
        _txRef = Keys.TxRingRef;
        byte* rx = _guest.Grants.Claim(Keys.RxRingRef);
        if (rx == null)
            return Refuse("rx-ring-ref is not a writable page granted to domain 0");
        _rxRef = Keys.RxRingRef;
        uint port = Keys.EventChannel;
        Netback = new Netback(tx, rx, _guest.Grants, Sink, () => _guest.Events.Raise(port), _mtu,
            rxGso: Keys.RxGso, rxChecksumOffload: !Keys.NoChecksumOffload);
        Connects++;
        SetState(XenbusState.Connected);
        Kicked = true; // frames published before we connected wait in the ring
        return true;
    }

    private bool Refuse(string why)
    {
        Refused++;
        LastProblem = why;
        ReleaseClaims();
        SetState(XenbusState.Closing);
        return false;
    }

    private void ReleaseClaims()
    {
        if (_txRef != 0)
            _guest.Grants.Release(_txRef);
        if (_rxRef != 0)
            _guest.Grants.Release(_rxRef);
        _txRef = _rxRef = 0;
    }

    public void Disconnect()
    {
        if (Netback is { } nb)
        {
            nb.Close();
            Past.Add(nb.Counters);
            Netback = null;
        }
        if (!KeepClaimsOnClose)
            ReleaseClaims();
    }

    /// <summary>Backend-initiated close (the toolstack or a netback that lost its frontend).</summary>
    public void CloseFromBackend()
    {
        Disconnect();
        SetState(XenbusState.Closing);
    }

    /// <summary>Counters over every netback so far, the current one included.</summary>
    public NetbackCounters Counters
    {
        get
        {
            var c = new NetbackCounters();
            c.Add(Past);
            if (Netback is { } nb)
                c.Add(nb.Counters);
            return c;
        }
    }

    public int Process()
    {
        if (!Kicked)
            return 0;
        Kicked = false;
        Netback?.ProcessTx();
        return 1;
    }
}

internal sealed class ListSink : IFrameSink
{
    public readonly List<byte[]> Frames = new();

    public void Deliver(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
}

/// <summary>Netback A's sink: the frame goes straight into netback B's RX ring (a two-port wire).</summary>
internal sealed class WireSink(Func<Netback?> target) : IFrameSink
{
    public long Unconnected;

    public void Deliver(ReadOnlySpan<byte> frame)
    {
        var nb = target();
        if (nb is null)
        {
            Unconnected++;
            return;
        }
        nb.DeliverToGuest(frame);
        nb.FlushRx();
    }

    /// <summary>A frame with offload (a TSO packet): whole to a GSO frontend, else segmented by B's netback.</summary>
    public void Deliver(ReadOnlySpan<byte> frame, in ParaKit.Hypervisor.Net.Offload.FrameOffload offload)
    {
        var nb = target();
        if (nb is null)
        {
            Unconnected++;
            return;
        }
        nb.DeliverToGuest(frame, offload);
        nb.FlushRx();
    }
}

/// <summary>The whole in-process world: a XenStore, domain 0's client, guests with a vif each.</summary>
internal sealed class NetfrontRig : IDisposable
{
    public readonly XenStore Store = new();
    public readonly LocalStoreClient Dom0;
    public readonly List<Guest> Guests = new();
    public readonly List<Dom0Vif> Vifs = new();

    public NetfrontRig() => Dom0 = new LocalStoreClient(Store);

    public static string MacOf(uint domid) => $"00:16:3e:00:00:{domid:x2}";

    /// <summary>A guest with vif 0 whose domain-0 side is reactive and already in InitWait.</summary>
    public (Guest Guest, Dom0Vif Vif) Add(uint domid, int? mtu = null, uint ringStart = 0, bool advertise = true)
    {
        Store.IntroduceDomain(domid, "guest" + domid, 65536);
        var g = new Guest(Store, domid, ringStart);
        var v = new Dom0Vif(Dom0, g, MacOf(domid), mtu);
        if (advertise)
            v.Advertise();
        v.WatchFrontend();
        Guests.Add(g);
        Vifs.Add(v);
        return (g, v);
    }

    /// <summary>Two guests whose vifs are joined back to back: what one sends, the other receives.</summary>
    public (Guest A, Dom0Vif VA, Guest B, Dom0Vif VB) Pair(int? mtu = null, uint ringStart = 0)
    {
        var (a, va) = Add(1, mtu, ringStart);
        var (b, vb) = Add(2, mtu, ringStart);
        va.Sink = new WireSink(() => vb.Netback);
        vb.Sink = new WireSink(() => va.Netback);
        return (a, va, b, vb);
    }

    /// <summary>Runs store watches, event handlers and kicked backends until nothing moves.</summary>
    public void Pump(int maxRounds = 1000)
    {
        for (int round = 0; round < maxRounds; round++)
        {
            int n = 0;
            foreach (var g in Guests)
                n += g.Store.DispatchWatches() + g.Events.Dispatch();
            foreach (var v in Vifs)
                n += v.PumpStore() + v.Process();
            if (n == 0)
                return;
        }
        Assert.Fail("the rig did not settle");
    }

    /// <summary>Starts every netfront and pumps until each is up.</summary>
    public void ConnectAll()
    {
        foreach (var g in Guests)
            Assert.That(g.Nic.Start(), Is.True, () => g.Nic.Failure ?? "");
        Pump();
        foreach (var g in Guests)
            Assert.That(g.Nic.IsUp, Is.True, () => $"dom{g.DomId}: frontend {g.Nic.FrontendState} backend {g.Nic.BackendState} failure {g.Nic.Failure}");
    }

    public void Dispose()
    {
        foreach (var g in Guests)
            g.Dispose();
        Dom0.Dispose();
    }
}
