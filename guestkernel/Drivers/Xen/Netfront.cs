// The guest half of a vif (Linux's xen-netfront, copy mode only): the xenbus handshake as a
// non-blocking state machine driven by a watch on the backend's state, and the data path over
// the netif TX and RX rings (io/netif.h). Pure: grants, event channels and the store come in
// through the Platform interfaces, so host tests run it against domain 0's real Netback and the
// real XenStore, and the guest runs it over the kernel's static clients (KernelPlatform.cs).
// The backend is not trusted: every response and store value is copied once and checked; bad
// input is counted or fails the connection with a reason, never throws (a throw is a panic in
// a guest). TrySend, Flush and Poll allocate nothing.
using System;
using ParaKit.Drivers.Platform;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Protocols.Store;

namespace ParaKit.Drivers.Xen;

/// <summary>One vif's frontend. Single-threaded: the app's event loop drives it (the store watch
/// handler, the event handler and the app's TrySend/Flush/Poll never run concurrently).</summary>
public sealed unsafe class Netfront : IEthernetDevice
{
    private const int PageSize = 4096;
    private const int EthernetHeader = 14;
    /// <summary>The smallest MTU an IPv4 host must accept (RFC 791).</summary>
    public const int MinMtu = 68;
    /// <summary>A TX packet's size travels in a u16 (netif_tx_request.size).</summary>
    public const int MaxMtu = NetifLimits.MaxTxSize - EthernetHeader;
    private const int TxSlots = (int)NetifLimits.TxRingSize;
    private const int RxSlots = (int)NetifLimits.RxRingSize;
    /// <summary>Domain ids from DOMID_FIRST_RESERVED (0x7FF0) up are not domains.</summary>
    private const uint MaxDomId = 0x7FEF;
    private const int TransactionAttempts = 16;
    /// <summary>Connections in a row that may end before they ever come up; then we stay Closed,
    /// or two sides that disagree for good (a bad mtu, refused keys) would reconnect forever.</summary>
    public const int MaxAttemptsWithoutUp = 3;

    private readonly IGrantClient _grants;
    private readonly IEventClient _events;
    private readonly IStoreClient _store;
    private readonly uint _ringStart;
    private readonly string _stateNode;
    private readonly string _watchToken;
    // Made once: registering them on every (re)connect must not allocate a new delegate each time.
    private readonly Action<uint> _onEvent;
    private readonly Action<string, string> _onBackendChanged;

    private readonly byte[] _mac = new byte[6];
    private int _mtu = NetifLimits.DefaultMtu;
    private string _backendStateNode = "";
    private bool _started, _watching, _closeRequested;
    private int _attemptsWithoutUp;

    // ---- one connection: rings, port, buffer grants ---------------------------------------------
    private FrontRing<NetifTxRequest, NetifTxResponse> _tx;
    private FrontRing<NetifRxRequest, NetifRxResponse> _rx;
    private nint _txRingPage, _rxRingPage;
    private int _txRingRef = -1, _rxRingRef = -1;
    private uint _port;
    private bool _havePort;
    /// <summary>Keys written and RX ring filled: the rings are live until teardown.</summary>
    private bool _connected;
    /// <summary>The backend broke the ring protocol: the data path stops until teardown.</summary>
    private bool _broken;
    private bool _up;
    private bool _polling;

    // TX: one persistent page per slot id, granted read-only once per connection.
    private readonly nint[] _txPages = new nint[TxSlots];
    private readonly int[] _txRefs = new int[TxSlots];
    private readonly ushort[] _txFree = new ushort[TxSlots];
    private int _txFreeCount;
    private readonly bool[] _txInFlight = new bool[TxSlots];
    /// <summary>The slot is a packet's first request (its response's status is the packet's).</summary>
    private readonly bool[] _txHead = new bool[TxSlots];

    // RX: one page per buffer id, granted writable once per connection and reposted in place.
    private readonly nint[] _rxPages = new nint[RxSlots];
    private readonly int[] _rxRefs = new int[RxSlots];
    private readonly bool[] _rxPosted = new bool[RxSlots];
    /// <summary>Reassembly of a more_data chain (frames that span several buffers).</summary>
    private byte[] _rxFrame = new byte[NetifLimits.MaxTxSize];
    private int _rxLen, _rxChainSlots;
    private bool _rxInChain, _rxChainBad;
    // The chain being assembled: more data slots / extra_info slots still to come, a GSO extra
    // seen (so it may exceed the MTU), checksum vouched for by the backend.
    private bool _rxMoreData, _rxExtraPending, _rxChainGso, _rxChainValidated;
    // What the handler may ask about the frame it is given (RxChecksumValidated).
    private bool _rxValidated;
    // The buffer id posted at each RX ring position: an extra_info response has no id of its own,
    // its buffer is the one posted at its position (as Linux's netfront finds it).
    private readonly ushort[] _rxIdAt = new ushort[RxSlots];
    // Backend features: feature-gso-tcpv4 + feature-sg (TSO on our TX).
    private bool _backendGso;

    // Pages whose grant the backend still held when we tore down: never reused while it may
    // write them. Each (re)connect retries their EndAccess and recycles the ones it frees.
    private nint[] _stuckPages = new nint[8];
    private int[] _stuckRefs = new int[8];
    private int _stuckCount;
    private nint[] _sparePages = new nint[8];
    private int _spareCount;

    /// <param name="grants">Shares our pages with the backend domain.</param>
    /// <param name="events">The event channel to the backend.</param>
    /// <param name="store">The XenStore (paths relative to the domain's home or absolute).</param>
    /// <param name="deviceDir">The frontend directory the toolstack made, e.g. "device/vif/0".</param>
    /// <param name="ringIndexStart">Where the free-running ring indices start (0 as in Xen; tests
    /// start near 2^32 to cross the wrap).</param>
    public Netfront(IGrantClient grants, IEventClient events, IStoreClient store, string deviceDir, uint ringIndexStart = 0)
    {
        _grants = grants;
        _events = events;
        _store = store;
        _ringStart = ringIndexStart;
        DeviceDir = deviceDir;
        _stateNode = deviceDir + "/state";
        _watchToken = "netfront:" + deviceDir;
        _onEvent = OnEvent;
        _onBackendChanged = OnBackendChanged;
        for (int i = 0; i < TxSlots; i++)
            _txRefs[i] = -1;
        for (int i = 0; i < RxSlots; i++)
            _rxRefs[i] = -1;
    }

    // ---- what the app and the tests see -----------------------------------------------------------

    public string DeviceDir { get; }
    /// <summary>The backend's directory (from our "backend" key; empty before <see cref="Start"/>).</summary>
    public string BackendPath { get; private set; } = "";
    public ushort BackendId { get; private set; }
    /// <summary>Our xenbus state as we last wrote it.</summary>
    public XenbusState FrontendState { get; private set; } = XenbusState.Initialising;
    /// <summary>The backend's state as we last read it (Closed once its node is gone).</summary>
    public XenbusState BackendState { get; private set; } = XenbusState.Unknown;
    /// <summary>Why the last start, connection attempt or connection failed; null after a good connect.</summary>
    public string? Failure { get; private set; }
    /// <summary>Connections made (a backend that closes and comes back makes another).</summary>
    public int Connections { get; private set; }
    /// <summary>Pages still granted to a backend that would not let go of them (not reused).</summary>
    public int PagesKeptAside => _stuckCount;

    public ReadOnlySpan<byte> Mac => _mac;
    public int Mtu => _mtu;
    public bool IsUp => _up && _connected && !_broken;
    public NetDeviceCounters Counters { get; } = new();

    // ---- the xenbus handshake ------------------------------------------------------------------------

    /// <summary>Reads where the backend is and our MAC, and starts watching the backend's state;
    /// the handshake then runs from the watch (the app's event loop, or a test's pump). False,
    /// with <see cref="Failure"/> saying why, if the device directory is unusable.</summary>
    public bool Start()
    {
        if (_started)
            return true;
        string? backend = _store.Read(DeviceDir + "/backend");
        string? backendId = _store.Read(DeviceDir + "/backend-id");
        if (backend is null || backendId is null)
            return StartFailed(DeviceDir + " has no backend/backend-id (is there such a vif?)");
        if (backend.Length < 2 || backend.Length > 1024 || backend[0] != '/')
            return StartFailed(DeviceDir + "/backend is not an absolute path");
        if (!TryParseDecimal(backendId, MaxDomId, out uint id))
            return StartFailed(DeviceDir + "/backend-id is not a domain id: '" + Printable(backendId) + "'");
        // libxl writes mac in both directories; Linux netfront reads its own.
        string? mac = _store.Read(DeviceDir + "/mac") ?? _store.Read(backend + "/mac");
        if (mac is null)
            return StartFailed("no mac in " + DeviceDir + " or the backend directory");
        if (!TryParseMac(mac, _mac))
            return StartFailed("mac '" + Printable(mac) + "' is not a unicast aa:bb:cc:dd:ee:ff address");
        BackendPath = backend;
        BackendId = (ushort)id;
        _backendStateNode = backend + "/state";
        _started = true;
        Failure = null;
        // A previous driver instance may have left our node elsewhere: start from the beginning.
        if (ReadState(_stateNode, out bool _) != XenbusState.Initialising)
            SwitchState(XenbusState.Initialising);
        XsError e = _store.Watch(_backendStateNode, _watchToken, _onBackendChanged);
        if (e != XsError.None)
        {
            _started = false;
            return StartFailed("could not watch " + _backendStateNode + ": " + ErrorName(e));
        }
        _watching = true;
        return true;
    }

    private bool StartFailed(string why)
    {
        Failure = why;
        return false;
    }

    /// <summary>Frontend-initiated close (Linux's xennet_remove): we go Closing, and Closed once the
    /// backend is Closing or Closed; the watch then stops and the device stays down.</summary>
    public void Close()
    {
        if (!_started || _closeRequested)
            return;
        _closeRequested = true;
        _up = false;
        if (FrontendState == XenbusState.Closed)
        {
            // Already let go (we gave up, or the backend closed): just stop listening.
            Teardown();
            StopWatching();
            return;
        }
        SwitchState(XenbusState.Closing);
        // The backend may already be there: its watch would not fire again.
        OnBackendChanged(_backendStateNode, _watchToken);
    }

    private void OnBackendChanged(string path, string token)
    {
        if (!_started)
            return;
        XenbusState back = ReadState(_backendStateNode, out bool gone);
        // A backend whose node vanished (its directory was removed) is as good as Closed.
        BackendState = gone ? XenbusState.Closed : back;
        switch (BackendState)
        {
            case XenbusState.InitWait:
                if (_closeRequested || GaveUp)
                    break;
                // It came back after a close we saw only half of (we are still Closed): start over.
                if (FrontendState == XenbusState.Closed)
                    SwitchState(XenbusState.Initialising);
                // Like Linux: only an Initialising frontend connects (a second event for the same
                // InitWait, e.g. the watch's first firing, must not connect twice).
                if (FrontendState == XenbusState.Initialising)
                    Connect();
                break;
            case XenbusState.Connected:
                if (FrontendState == XenbusState.Connected && _connected && !_broken)
                {
                    _up = true;
                    _attemptsWithoutUp = 0;
                }
                break;
            case XenbusState.Closing:
                // Go Closed and wait: a backend that reads our state late must see Closed before
                // Initialising, or it would miss that we let go of the old rings.
                Teardown();
                if (FrontendState != XenbusState.Closed)
                    SwitchState(XenbusState.Closed);
                if (_closeRequested)
                    StopWatching();
                break;
            case XenbusState.Closed:
                if (FrontendState == XenbusState.Initialising && !_connected && !_closeRequested)
                    break; // nothing to let go of: wait for InitWait
                Teardown();
                if (FrontendState != XenbusState.Closed)
                    SwitchState(XenbusState.Closed);
                if (_closeRequested)
                    StopWatching();
                else if (!GaveUp)
                    SwitchState(XenbusState.Initialising); // ready for a backend that comes back
                else if (Failure is null || !Failure.EndsWith(GaveUpNote))
                    Failure = (Failure ?? "the backend closed the connection") + GaveUpNote;
                break;
            default:
                // Initialising, Initialised, Reconfiguring, Reconfigured, Unknown (garbled): wait.
                break;
        }
    }

    private bool GaveUp => _attemptsWithoutUp >= MaxAttemptsWithoutUp;

    private const string GaveUpNote = "; gave up after 3 connections that never came up";

    private void StopWatching()
    {
        if (_watching)
        {
            _store.Unwatch(_backendStateNode, _watchToken);
            _watching = false;
        }
        if (_closeRequested)
            ReturnPages();
    }

    /// <summary>Closed for good: every page whose grant has ended goes back to the grant client
    /// (pages a backend may still write stay aside, never reused).</summary>
    private void ReturnPages()
    {
        Return(ref _txRingPage);
        Return(ref _rxRingPage);
        for (int i = 0; i < TxSlots; i++)
            Return(ref _txPages[i]);
        for (int i = 0; i < RxSlots; i++)
            Return(ref _rxPages[i]);
        while (_spareCount > 0)
            _grants.FreePage((byte*)_sparePages[--_spareCount]);
    }

    private void Return(ref nint page)
    {
        if (page != 0)
            _grants.FreePage((byte*)page);
        page = 0;
    }

    /// <summary>Backend InitWait (Linux's talk_to_netback + xennet_connect): rings, grants and port,
    /// the keys in one transaction, the RX ring filled, then Connected.</summary>
    private void Connect()
    {
        _attemptsWithoutUp++;
        if (!ReadBackendDetails(out string why) || !SetUp(out why) || !WriteKeys(out why))
        {
            ConnectFailed(why);
            return;
        }
        FillRx();
        _connected = true;
        XsError e = SwitchState(XenbusState.Connected);
        if (e != XsError.None)
        {
            ConnectFailed("could not write " + _stateNode + ": " + ErrorName(e));
            return;
        }
        Connections++;
        Failure = null;
    }

    /// <summary>Like xenbus_dev_fatal: let go of what we set up and go Closing; once the backend
    /// has closed too we go Closed and Initialising, and try again when it is back in InitWait.</summary>
    private void ConnectFailed(string why)
    {
        Teardown();
        Failure = why;
        SwitchState(XenbusState.Closing);
    }

    private bool ReadBackendDetails(out string why)
    {
        why = "";
        // We only speak copy mode (no page flipping): the backend must copy into our buffers.
        string? copy = _store.Read(BackendPath + "/feature-rx-copy");
        if (copy != "1")
        {
            why = "the backend does not offer feature-rx-copy";
            return false;
        }
        string? mtu = _store.Read(BackendPath + "/mtu");
        if (mtu is null)
        {
            _mtu = NetifLimits.DefaultMtu;
        }
        else if (!TryParseDecimal(mtu, MaxMtu, out uint m) || m < MinMtu)
        {
            why = "the backend's mtu '" + Printable(mtu) + "' is not in " + MinMtu.ToString() + ".." + MaxMtu.ToString();
            return false;
        }
        else
        {
            _mtu = (int)m;
        }
        if (_rxFrame.Length < _mtu + EthernetHeader)
            _rxFrame = new byte[_mtu + EthernetHeader];
        _backendGso = _store.Read(BackendPath + "/feature-gso-tcpv4") == "1" && _store.Read(BackendPath + "/feature-sg") == "1";
        return true;
    }

    /// <summary>Pages (kept from earlier connections when their grants ended cleanly), fresh rings,
    /// grants for the backend domain and an unbound port for it.</summary>
    private bool SetUp(out string why)
    {
        why = "";
        RetryStuck();
        if (!EnsurePage(ref _txRingPage) || !EnsurePage(ref _rxRingPage))
            return NoPages(out why);
        for (int i = 0; i < TxSlots; i++)
        {
            if (!EnsurePage(ref _txPages[i]))
                return NoPages(out why);
        }
        for (int i = 0; i < RxSlots; i++)
        {
            if (!EnsurePage(ref _rxPages[i]))
                return NoPages(out why);
        }
        // SHARED_RING_INIT before the page is shared: the backend attaches to what we wrote.
        _tx = FrontRing<NetifTxRequest, NetifTxResponse>.InitAt((void*)_txRingPage, _ringStart);
        _rx = FrontRing<NetifRxRequest, NetifRxResponse>.InitAt((void*)_rxRingPage, _ringStart);
        ushort dom = BackendId;
        if ((_txRingRef = _grants.GrantAccess(dom, (void*)_txRingPage, false)) < 0
            || (_rxRingRef = _grants.GrantAccess(dom, (void*)_rxRingPage, false)) < 0)
            return TableFull(out why);
        // The backend only reads what we send, and only writes what we receive.
        for (int i = 0; i < TxSlots; i++)
        {
            if ((_txRefs[i] = _grants.GrantAccess(dom, (void*)_txPages[i], true)) < 0)
                return TableFull(out why);
        }
        for (int i = 0; i < RxSlots; i++)
        {
            if ((_rxRefs[i] = _grants.GrantAccess(dom, (void*)_rxPages[i], false)) < 0)
                return TableFull(out why);
        }
        long port = _events.AllocUnbound(dom);
        if (port < 0)
        {
            why = "alloc_unbound for domain " + dom.ToString() + " failed: errno " + (-port).ToString();
            return false;
        }
        _port = (uint)port;
        _havePort = true;
        _events.Register(_port, _onEvent);
        _txFreeCount = 0;
        for (int id = TxSlots - 1; id >= 0; id--)
        {
            _txInFlight[id] = false;
            _txFree[_txFreeCount++] = (ushort)id; // id 0 is handed out first
        }
        _rxInChain = false;
        _rxChainBad = false;
        _rxMoreData = _rxExtraPending = false;
        _rxLen = 0;
        _rxChainSlots = 0;
        return true;
    }

    private static bool NoPages(out string why)
    {
        why = "no memory for the ring and buffer pages";
        return false;
    }

    private static bool TableFull(out string why)
    {
        why = "the grant table is full";
        return false;
    }

    /// <summary>tx-ring-ref, rx-ring-ref, event-channel, request-rx-copy, feature-rx-notify and the
    /// offload features we take on RX (feature-sg, feature-gso-tcpv4: super-frames; csum_blank is
    /// taken unless feature-no-csum-offload is written, so it is not), in one
    /// transaction so the backend never sees half of them; started again when another writer wins.</summary>
    private bool WriteKeys(out string why)
    {
        for (int attempt = 0; attempt < TransactionAttempts; attempt++)
        {
            uint t = _store.TransactionStart();
            if (t == 0)
            {
                why = "could not start a store transaction";
                return false;
            }
            XsError e = _store.Write(DeviceDir + "/tx-ring-ref", ((uint)_txRingRef).ToString(), t);
            if (e == XsError.None)
                e = _store.Write(DeviceDir + "/rx-ring-ref", ((uint)_rxRingRef).ToString(), t);
            if (e == XsError.None)
                e = _store.Write(DeviceDir + "/event-channel", _port.ToString(), t);
            if (e == XsError.None)
                e = _store.Write(DeviceDir + "/request-rx-copy", "1", t);
            if (e == XsError.None)
                e = _store.Write(DeviceDir + "/feature-rx-notify", "1", t);
            if (e == XsError.None)
                e = _store.Write(DeviceDir + "/feature-sg", "1", t);
            if (e == XsError.None)
                e = _store.Write(DeviceDir + "/feature-gso-tcpv4", "1", t);
            if (e != XsError.None)
            {
                _store.TransactionEnd(t, false);
                why = "could not write the ring keys: " + ErrorName(e);
                return false;
            }
            e = _store.TransactionEnd(t, true);
            if (e == XsError.None)
            {
                why = "";
                return true;
            }
            if (e != XsError.EAGAIN)
            {
                why = "could not commit the ring keys: " + ErrorName(e);
                return false;
            }
        }
        why = "the ring keys' transaction conflicted " + TransactionAttempts.ToString() + " times";
        return false;
    }

    /// <summary>Posts every RX buffer (id = slot index). No notify: the backend is not connected yet.</summary>
    private void FillRx()
    {
        for (int id = 0; id < RxSlots; id++)
            Post((ushort)id);
        _rx.PushRequests();
    }

    /// <summary>Lets go of the connection (Linux's xennet_disconnect_backend): the port closed, every
    /// grant ended (a page the backend still holds is kept aside, never reused), ring state forgotten.
    /// Safe on a half-made connection and when there is none.</summary>
    private void Teardown()
    {
        _up = false;
        if (_connected)
        {
            // Frames the backend never answered are gone with the ring: count them, do not lose them silently.
            for (int id = 0; id < TxSlots; id++)
            {
                if (_txInFlight[id] && _txHead[id])
                    Counters.TxErrors++;
                _txInFlight[id] = false;
            }
            if (_rxInChain)
                Counters.RxErrors++;
        }
        _rxInChain = false;
        _connected = false;
        _broken = false;
        if (_havePort)
        {
            _events.Close(_port);
            _havePort = false;
        }
        EndGrant(ref _txRingRef, ref _txRingPage);
        EndGrant(ref _rxRingRef, ref _rxRingPage);
        for (int i = 0; i < TxSlots; i++)
            EndGrant(ref _txRefs[i], ref _txPages[i]);
        for (int i = 0; i < RxSlots; i++)
        {
            EndGrant(ref _rxRefs[i], ref _rxPages[i]);
            _rxPosted[i] = false;
        }
        _tx = default;
        _rx = default;
        _txFreeCount = 0;
    }

    private void EndGrant(ref int gref, ref nint page)
    {
        if (gref < 0)
            return;
        if (!_grants.EndAccess(gref))
        {
            // Still in use by the backend: it may write the page later, so it is not ours to reuse.
            Grow(ref _stuckPages, ref _stuckRefs, _stuckCount);
            _stuckPages[_stuckCount] = page;
            _stuckRefs[_stuckCount] = gref;
            _stuckCount++;
            page = 0;
        }
        gref = -1;
    }

    private void RetryStuck()
    {
        int kept = 0;
        for (int i = 0; i < _stuckCount; i++)
        {
            if (_grants.EndAccess(_stuckRefs[i]))
            {
                if (_spareCount == _sparePages.Length)
                {
                    var more = new nint[_sparePages.Length * 2];
                    Array.Copy(_sparePages, more, _spareCount);
                    _sparePages = more;
                }
                _sparePages[_spareCount++] = _stuckPages[i];
            }
            else
            {
                _stuckPages[kept] = _stuckPages[i];
                _stuckRefs[kept] = _stuckRefs[i];
                kept++;
            }
        }
        _stuckCount = kept;
    }

    private static void Grow(ref nint[] pages, ref int[] refs, int count)
    {
        if (count < pages.Length)
            return;
        var p = new nint[pages.Length * 2];
        var r = new int[pages.Length * 2];
        Array.Copy(pages, p, count);
        Array.Copy(refs, r, count);
        pages = p;
        refs = r;
    }

    private bool EnsurePage(ref nint page)
    {
        if (page != 0)
            return true;
        page = _spareCount > 0 ? _sparePages[--_spareCount] : (nint)_grants.AllocatePage();
        return page != 0;
    }

    private XsError SwitchState(XenbusState s)
    {
        XsError e = _store.Write(_stateNode, ((uint)s).ToString());
        if (e == XsError.None)
            FrontendState = s;
        return e;
    }

    private XenbusState ReadState(string node, out bool gone)
    {
        string? v = _store.Read(node);
        gone = v is null;
        return v is not null && TryParseDecimal(v, (uint)XenbusState.Reconfigured, out uint n) ? (XenbusState)n : XenbusState.Unknown;
    }

    /// <summary>The port's handler: only note that the backend kicked us; the work happens in Poll.</summary>
    private void OnEvent(uint port) => Counters.NotifiesReceived++;

    /// <summary>The backend broke the ring protocol: stop using the rings and ask to be closed.
    /// Teardown (and a new connection) follows when the backend closes.</summary>
    private void Break(string why)
    {
        if (_broken)
            return;
        _broken = true;
        _up = false;
        Failure = why;
        SwitchState(XenbusState.Closing);
    }

    // ---- the data path -----------------------------------------------------------------------------------

    public bool TrySend(ReadOnlySpan<byte> frame) => Queue(frame, 0, false);

    /// <summary>Every netif backend fills in csum_blank checksums on TX.</summary>
    public bool ChecksumOffload => IsUp;

    /// <summary>A backend with feature-gso-tcpv4 and feature-sg takes 64 KiB TCP super-frames.</summary>
    public int MaxOffloadFrame => IsUp && _backendGso ? NetifLimits.MaxTxSize : 0;

    public bool RxChecksumValidated => _rxValidated;

    public bool TrySendOffload(ReadOnlySpan<byte> frame, int gsoSize)
    {
        if (gsoSize < 0 || gsoSize > ushort.MaxValue || (gsoSize > 0 && IsUp && !_backendGso))
        {
            Counters.TxDroppedSize++;
            return false;
        }
        return Queue(frame, gsoSize, true);
    }

    /// <summary>Copies the frame into free TX slot pages (one per 4 KiB, more_data on all but the last;
    /// the first request's size is the whole frame, and carries csum_blank + data_validated when the
    /// backend is to fill the checksum in; a GSO netif_extra_info follows it in the next slot for a
    /// super-frame) and writes the requests without publishing them.</summary>
    private bool Queue(ReadOnlySpan<byte> frame, int gsoSize, bool checksumBlank)
    {
        if (!IsUp)
        {
            Counters.TxDroppedDown++;
            return false;
        }
        int length = frame.Length;
        if (length < EthernetHeader || length > (gsoSize > 0 ? NetifLimits.MaxTxSize : _mtu + EthernetHeader))
        {
            Counters.TxDroppedSize++;
            return false;
        }
        int pages = (length + PageSize - 1) / PageSize;
        int slots = pages + (gsoSize > 0 ? 1 : 0);
        if (_txFreeCount < pages || _tx.FreeRequests < (uint)slots)
        {
            ReapTx();
            if (!IsUp)
            {
                Counters.TxDroppedDown++;
                return false;
            }
            if ((_txFreeCount < pages || _tx.FreeRequests < (uint)slots) && _tx.FinalCheckForResponses())
                ReapTx();   // answers came in while we armed the event
            if (_txFreeCount < pages || _tx.FreeRequests < (uint)slots)
            {
                // rsp_event is armed now: the next completion wakes an app that waits for room.
                Counters.TxDroppedFull++;
                return false;
            }
        }
        ushort firstFlags = (ushort)((checksumBlank ? NetTxFlags.CsumBlank | NetTxFlags.DataValidated : 0)
            | (gsoSize > 0 ? NetTxFlags.ExtraInfo : 0));
        int at = 0;
        for (int s = 0; s < pages; s++)
        {
            ushort id = _txFree[--_txFreeCount];
            int chunk = Math.Min(PageSize, length - at);
            frame.Slice(at, chunk).CopyTo(new Span<byte>((void*)_txPages[id], chunk));
            NetifTxRequest req;
            req.Gref = (uint)_txRefs[id];
            req.Offset = 0;
            req.Flags = (ushort)((s + 1 < pages ? NetTxFlags.MoreData : 0) | (s == 0 ? firstFlags : 0));
            req.Id = id;
            req.Size = (ushort)(s == 0 ? length : chunk);
            _tx.TryPushRequest(in req);
            _txInFlight[id] = true;
            _txHead[id] = s == 0;
            at += chunk;
            if (s == 0 && gsoSize > 0)
            {
                NetifExtraInfo gso = default;
                gso.Type = NetifExtraType.Gso;
                gso.GsoSize = (ushort)gsoSize;
                gso.GsoType = NetifGsoType.TcpV4;
                _tx.TryPushRequestAs(in gso);
            }
        }
        Counters.TxFrames++;
        Counters.TxBytes += (ulong)length;
        if (gsoSize > 0)
            Counters.TxSuperFrames++;
        return true;
    }

    /// <summary>Publishes the queued requests; one notification if the backend asked for one (its
    /// req_event lies among them): a busy backend that has not re-armed is not disturbed.</summary>
    public void Flush()
    {
        if (!_connected || _broken || _tx.UnpublishedRequests == 0)
            return;
        if (_tx.PushRequestsAndCheckNotify())
            Notify();
    }

    private void Notify()
    {
        if (_events.Send(_port) >= 0)
            Counters.NotifiesSent++;
    }

    /// <summary>Takes TX responses and frees their slots. A response for an id not in flight is counted
    /// and ignored; NULL answers belong to extra_info slots (we send none) and free nothing.</summary>
    private void ReapTx()
    {
        if (!_connected || _broken)
            return;
        if (_tx.ResponsesOverflowed())
        {
            Counters.TxErrors++;
            Break("the backend published TX responses to requests we never made");
            return;
        }
        while (_tx.TryTakeResponse(out NetifTxResponse rsp))
        {
            if (rsp.Status == NetifStatus.Null)
                continue;
            ushort id = rsp.Id;
            if (id >= TxSlots || !_txInFlight[id])
            {
                Counters.TxErrors++;
                continue;
            }
            _txInFlight[id] = false;
            // netback answers every slot of a packet with the packet's status: count it once.
            if (rsp.Status != NetifStatus.Okay && _txHead[id])
                Counters.TxErrors++;
            _txFree[_txFreeCount++] = id;
        }
    }

    /// <summary>Hands up to <paramref name="budget"/> received frames to the handler (a frame in one
    /// buffer straight from its page, a more_data chain reassembled), reposts each buffer at once,
    /// reaps TX completions, and, when it runs out of work before the budget, arms both rings'
    /// events so the backend's next response notifies us. The handler must not call Poll.</summary>
    public int Poll(FrameHandler handler, int budget)
    {
        if (!_connected || _broken || _polling)
            return 0;
        _polling = true;
        int frames = 0;
        while (true)
        {
            ReapTx();
            if (_broken)
                break;
            frames += Receive(handler, budget - frames);
            if (!_connected || _broken || frames >= budget)
                break; // at the budget: more may wait, the caller polls again before sleeping
            bool moreRx = _rx.FinalCheckForResponses();
            // TX completions only matter when slots run short (Linux's xennet_tx_buf_gc: be woken
            // when half of what is in flight is answered); an idle sender is not woken for each
            // one, so a ping costs one wake-up (its reply), not two.
            uint inFlight = _tx.ReqProdPvt - _tx.RspCons;
            bool moreTx = inFlight > TxSlots / 2 && _tx.FinalCheckForResponses(inFlight / 2 + 1);
            if (!moreRx && !moreTx)
                break;
        }
        _polling = false;
        return frames;
    }

    public bool TxIdle => _tx.ReqProdPvt == _tx.RspCons;

    private int Receive(FrameHandler handler, int max)
    {
        if (_rx.ResponsesOverflowed())
        {
            Counters.RxErrors++;
            Break("the backend published RX responses to buffers we never posted");
            return 0;
        }
        int frames = 0;
        bool reposted = false;
        while (frames < max)
        {
            uint position = _rx.RspCons;
            if (!_rx.TryTakeResponse(out NetifRxResponse rsp))
                break;
            ushort id;
            bool known;
            if (_rxExtraPending)
            {
                // A netif_extra_info in a response slot: its buffer is the one posted at this position.
                NetifExtraInfo extra = *(NetifExtraInfo*)&rsp;
                id = _rxIdAt[position & (RxSlots - 1)];
                known = _rxPosted[id];
                if (known)
                    _rxPosted[id] = false;
                _rxChainSlots++;
                bool gso = extra.Type == NetifExtraType.Gso;
                if (!known || extra.Type == NetifExtraType.None || extra.Type > NetifExtraType.Hash || _rxChainSlots > RxChainLimit
                    || (gso && (extra.GsoType != NetifGsoType.TcpV4 || extra.GsoSize == 0)))
                    _rxChainBad = true;
                else if (gso)
                    _rxChainGso = true;
                _rxExtraPending = (extra.Flags & NetifExtraFlags.More) != 0;
            }
            else
            {
                bool more = (rsp.Flags & NetRxFlags.MoreData) != 0;
                bool extraFollows = (rsp.Flags & NetRxFlags.ExtraInfo) != 0;
                if (!_rxInChain)
                {
                    _rxInChain = true;
                    _rxChainBad = false;
                    _rxChainGso = false;
                    _rxChainValidated = (rsp.Flags & (NetRxFlags.DataValidated | NetRxFlags.CsumBlank)) != 0;
                    _rxLen = 0;
                    _rxChainSlots = 0;
                }
                _rxChainSlots++;
                id = rsp.Id;
                known = id < RxSlots && _rxPosted[id];
                int size = rsp.Status;
                // Extras (GSO) come only after a chain's first slot.
                bool bad = !known || size < 0 || rsp.Offset + size > PageSize || (extraFollows && _rxChainSlots != 1)
                    || _rxChainSlots > RxChainLimit;
                if (known)
                    _rxPosted[id] = false; // the backend is done with it, whatever it says
                if (bad)
                {
                    _rxChainBad = true;
                }
                else if (!_rxChainBad)
                {
                    byte* data = (byte*)_rxPages[id] + rsp.Offset;
                    if (!more && !extraFollows && _rxLen == 0)
                    {
                        // The common case, one buffer: no copy, the handler reads the page itself.
                        _rxInChain = false;
                        if (Deliver(handler, new ReadOnlySpan<byte>(data, size), _rxChainValidated, false))
                            frames++;
                    }
                    else if (_rxLen + size <= _rxFrame.Length)
                    {
                        new ReadOnlySpan<byte>(data, size).CopyTo(new Span<byte>(_rxFrame, _rxLen, size));
                        _rxLen += size;
                    }
                    else
                    {
                        _rxChainBad = true;
                    }
                }
                _rxMoreData = more;
                _rxExtraPending = extraFollows;
            }
            if (!_rxMoreData && !_rxExtraPending && _rxInChain)
            {
                _rxInChain = false;
                if (_rxChainBad)
                    Counters.RxErrors++;
                else if (Deliver(handler, new ReadOnlySpan<byte>(_rxFrame, 0, _rxLen), _rxChainValidated, _rxChainGso))
                    frames++;
            }
            // The handler may have closed the device: the ring is gone then.
            if (!_connected || _broken)
                return frames;
            if (known)
            {
                Post(id);
                reposted = true;
            }
        }
        // feature-rx-notify: a backend that ran out of buffers waits for this kick.
        if (reposted && _rx.PushRequestsAndCheckNotify())
            Notify();
        return frames;
    }

    /// <summary>The longest chain: a 64 KiB super-frame's pages and its GSO extra, never below netif's 18.</summary>
    private int RxChainLimit => Math.Max(NetifLimits.SlotsMin + 1, (_mtu + EthernetHeader + PageSize - 1) / PageSize);

    /// <summary>Hands a whole frame to the handler; only a GSO super-frame may exceed the MTU.</summary>
    private bool Deliver(FrameHandler handler, ReadOnlySpan<byte> frame, bool validated, bool gso)
    {
        if (frame.Length < EthernetHeader || frame.Length > (gso ? NetifLimits.MaxTxSize : _mtu + EthernetHeader))
        {
            Counters.RxErrors++;
            return false;
        }
        Counters.RxFrames++;
        Counters.RxBytes += (ulong)frame.Length;
        if (gso)
            Counters.RxSuperFrames++;
        _rxValidated = validated;
        handler(frame);
        _rxValidated = false;
        return true;
    }

    private void Post(ushort id)
    {
        NetifRxRequest req;
        req.Id = id;
        req.Pad = 0;
        req.Gref = (uint)_rxRefs[id];
        uint position = _rx.ReqProdPvt;
        if (_rx.TryPushRequest(in req))
        {
            _rxPosted[id] = true;
            _rxIdAt[position & (RxSlots - 1)] = id;
        }
    }

    // ---- parsing what the store holds (peer- or toolstack-written: never trusted) -------------------

    /// <summary>A plain decimal (digits only, no sign or spaces) not above <paramref name="max"/>.</summary>
    public static bool TryParseDecimal(string s, uint max, out uint value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 10)
            return false;
        ulong v = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c < '0' || c > '9')
                return false;
            v = v * 10 + (ulong)(c - '0');
        }
        if (v > max)
            return false;
        value = (uint)v;
        return true;
    }

    /// <summary>"aa:bb:cc:dd:ee:ff" (either case) into 6 bytes; a multicast address is refused
    /// (frames from it would be dropped by any switch).</summary>
    public static bool TryParseMac(string s, Span<byte> mac)
    {
        if (s.Length != 17 || mac.Length < 6)
            return false;
        for (int i = 0; i < 6; i++)
        {
            int hi = HexDigit(s[i * 3]);
            int lo = HexDigit(s[i * 3 + 1]);
            if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
                return false;
            mac[i] = (byte)(hi * 16 + lo);
        }
        return (mac[0] & 1) == 0;
    }

    private static int HexDigit(char c)
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }

    /// <summary>A store value quoted in a message: at most 32 printable ASCII characters.</summary>
    private static string Printable(string s)
    {
        int n = Math.Min(s.Length, 32);
        char[] chars = new char[n];
        for (int i = 0; i < n; i++)
            chars[i] = s[i] >= ' ' && s[i] <= '~' ? s[i] : '?';
        return new string(chars) + (s.Length > n ? "..." : "");
    }

    /// <summary>The name of a xenbus state (enum names are not in guest images).</summary>
    public static string StateName(XenbusState s) => s switch
    {
        XenbusState.Unknown => "Unknown",
        XenbusState.Initialising => "Initialising",
        XenbusState.InitWait => "InitWait",
        XenbusState.Initialised => "Initialised",
        XenbusState.Connected => "Connected",
        XenbusState.Closing => "Closing",
        XenbusState.Closed => "Closed",
        XenbusState.Reconfiguring => "Reconfiguring",
        XenbusState.Reconfigured => "Reconfigured",
        _ => "state " + ((uint)s).ToString(),
    };

    private static string ErrorName(XsError e) => e switch
    {
        XsError.ENOENT => "ENOENT",
        XsError.EACCES => "EACCES",
        XsError.EAGAIN => "EAGAIN",
        XsError.EINVAL => "EINVAL",
        XsError.EIO => "EIO",
        XsError.E2BIG => "E2BIG",
        XsError.ENOSPC => "ENOSPC",
        XsError.EBUSY => "EBUSY",
        XsError.EPERM => "EPERM",
        XsError.ENOSYS => "ENOSYS",
        XsError.EEXIST => "EEXIST",
        _ => "store error " + ((int)e).ToString(),
    };
}
