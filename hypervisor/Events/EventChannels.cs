// One domain's event-channel port table (Xen's event_channel.c semantics, 2-level ABI): which
// ports are free, unbound (waiting for a named remote domain), interdomain (connected to a port
// of another domain, or to domain 0 itself), or bound to a VIRQ. Delivery sets the pending bit
// in the receiving domain's shared_info with EventChannelBits (the 0->1 edge rule) and wakes
// its vCPU. Every guest-supplied port and domain id is bounded here: a guest reaches another
// domain's ports only through a channel both sides agreed to.
//
// All channel state of the process is guarded by one lock (StateLock). Binds and closes change
// two domains at once; one lock makes their ordering trivially deadlock-free, and it also keeps
// a peer's shared_info alive while we write to it (Detach takes the lock before the memory goes).
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;
using DomIds = ParaKit.Protocols.Hypercalls.DomId;

namespace ParaKit.Hypervisor.Events;

public sealed unsafe class EventChannels
{
    /// <summary>Ports per domain (2-level ABI).</summary>
    public const uint PortCount = SharedInfo.EventChannelCount;
    /// <summary>The id under which domain 0 appears as a remote end.</summary>
    public const ushort Domain0 = 0;
    private const int BucketBits = 6;
    private const int BucketSize = 1 << BucketBits;

    /// <summary>Guards the channel state of every domain in the process (see the file header).</summary>
    internal static readonly Lock StateLock = new();

    private struct Channel
    {
        public EvtchnState State;
        /// <summary>Unbound: the domain allowed to bind. Interdomain: the peer (0 = domain 0).</summary>
        public ushort RemoteDom;
        /// <summary>Interdomain with a guest peer: the peer's port.</summary>
        public uint RemotePort;
        /// <summary>Virq: which VIRQ.</summary>
        public uint Virq;
    }

    // Buckets of 64 ports, allocated on first use: most domains use a handful of ports, and a
    // density run creates hundreds of domains.
    private readonly Channel[]?[] _buckets = new Channel[PortCount / BucketSize][];
    private readonly uint[] _virqPorts = new uint[Virq.Count];
    private readonly Dictionary<uint, Action> _domain0Handlers = [];
    private SharedInfo* _shared;
    private readonly Action _wake;
    private EventChannelDirectory? _directory;

    public ushort DomId { get; }

    /// <summary>Counters: sends made by this domain, events delivered to it, wake-ups it caused.</summary>
    public long Sends, Deliveries, Domain0Calls;

    /// <summary>A table for domain <paramref name="domId"/> whose shared_info is at
    /// <paramref name="sharedInfo"/> (host pointer); <paramref name="wake"/> wakes its vCPU.</summary>
    public EventChannels(ushort domId, SharedInfo* sharedInfo, Action wake)
    {
        DomId = domId;
        _shared = sharedInfo;
        _wake = wake;
    }

    internal EventChannelDirectory? Directory
    {
        get => _directory;
        set => _directory = value;
    }

    private ref Channel At(uint port)
    {
        var bucket = _buckets[port >> BucketBits] ??= new Channel[BucketSize];
        return ref bucket[port & (BucketSize - 1)];
    }

    private EvtchnState StateOf(uint port)
    {
        var bucket = _buckets[port >> BucketBits];
        return bucket is null ? EvtchnState.Closed : bucket[port & (BucketSize - 1)].State;
    }

    private static bool ValidPort(uint port) => port != 0 && port < PortCount;

    private ushort Resolve(ushort dom) => dom == DomIds.Self ? DomId : dom;

    /// <summary>Takes the lowest free port (never 0, as in Xen) as a fresh channel in
    /// <paramref name="state"/>; 0 when the table is full.</summary>
    private uint AllocatePort(EvtchnState state)
    {
        for (uint p = 1; p < PortCount; p++)
        {
            if (StateOf(p) == EvtchnState.Closed)
            {
                ref Channel c = ref At(p);
                c = default;
                c.State = state;
                return p;
            }
        }
        return 0;
    }

    /// <summary>EVTCHNOP_alloc_unbound: a port <paramref name="remoteDom"/> may bind to. Only
    /// DOMID_SELF (or our own id) may be named as <paramref name="dom"/>.</summary>
    public long AllocUnbound(ushort dom, ushort remoteDom, out uint port)
    {
        port = 0;
        if (Resolve(dom) != DomId)
            return Errno.EPERM;
        lock (StateLock)
        {
            if (_shared == null)
                return Errno.ESRCH;
            uint p = AllocatePort(EvtchnState.Unbound);
            if (p == 0)
                return Errno.ENOSPC;
            ref Channel c = ref At(p);
            c.RemoteDom = Resolve(remoteDom);
            port = p;
            return 0;
        }
    }

    /// <summary>EVTCHNOP_bind_interdomain: connect a new local port to <paramref name="remotePort"/>
    /// of <paramref name="remoteDom"/>, which must be unbound and reserved for us. The new local
    /// port is set pending, as Xen does.</summary>
    public long BindInterdomain(ushort remoteDom, uint remotePort, out uint localPort)
    {
        localPort = 0;
        ushort rdom = Resolve(remoteDom);
        lock (StateLock)
        {
            if (_shared == null)
                return Errno.ESRCH;
            EventChannels? remote = rdom == DomId ? this : _directory?.Find(rdom);
            if (remote is null || remote._shared == null)
                return Errno.ESRCH;
            if (!ValidPort(remotePort))
                return Errno.EINVAL;
            if (remote.StateOf(remotePort) != EvtchnState.Unbound)
                return Errno.EINVAL;
            ref Channel rc = ref remote.At(remotePort);
            if (rc.RemoteDom != DomId)
                return Errno.EINVAL;
            uint p = AllocatePort(EvtchnState.Interdomain);
            if (p == 0)
                return Errno.ENOSPC;
            ref Channel lc = ref At(p);
            lc.RemoteDom = rdom;
            lc.RemotePort = remotePort;
            rc.State = EvtchnState.Interdomain;
            rc.RemoteDom = DomId;
            rc.RemotePort = p;
            localPort = p;
            DeliverLocked(p);
            return 0;
        }
    }

    /// <summary>EVTCHNOP_bind_virq: VIRQs are per vCPU and only vCPU 0 exists.</summary>
    public long BindVirq(uint virq, uint vcpu, out uint port)
    {
        port = 0;
        if (virq >= Virq.Count)
            return Errno.EINVAL;
        if (vcpu != 0)
            return Errno.ENOENT;
        lock (StateLock)
        {
            if (_shared == null)
                return Errno.ESRCH;
            if (_virqPorts[virq] != 0)
                return Errno.EEXIST;
            uint p = AllocatePort(EvtchnState.Virq);
            if (p == 0)
                return Errno.ENOSPC;
            ref Channel c = ref At(p);
            c.Virq = virq;
            _virqPorts[virq] = p;
            port = p;
            return 0;
        }
    }

    /// <summary>EVTCHNOP_bind_ipi: a port a domain sends to itself (vCPU 0 only).</summary>
    public long BindIpi(uint vcpu, out uint port)
    {
        port = 0;
        if (vcpu != 0)
            return Errno.ENOENT;
        lock (StateLock)
        {
            if (_shared == null)
                return Errno.ESRCH;
            uint p = AllocatePort(EvtchnState.Ipi);
            if (p == 0)
                return Errno.ENOSPC;
            port = p;
            return 0;
        }
    }

    /// <summary>EVTCHNOP_close: frees the port and clears its pending bit; an interdomain peer's
    /// port becomes unbound (reserved for us again), as in Xen.</summary>
    public long Close(uint port)
    {
        if (!ValidPort(port))
            return Errno.EINVAL;
        lock (StateLock)
            return CloseLocked(port);
    }

    private long CloseLocked(uint port)
    {
        switch (StateOf(port))
        {
            case EvtchnState.Closed:
                return Errno.EINVAL;
            case EvtchnState.Virq:
                _virqPorts[At(port).Virq] = 0;
                break;
            case EvtchnState.Interdomain:
            {
                ref Channel c = ref At(port);
                if (c.RemoteDom == Domain0 && _domain0Handlers.Remove(port))
                    break;
                EventChannels? remote = c.RemoteDom == DomId ? this : _directory?.Find(c.RemoteDom);
                if (remote is not null && remote.StateOf(c.RemotePort) == EvtchnState.Interdomain)
                {
                    ref Channel rc = ref remote.At(c.RemotePort);
                    if (rc.RemoteDom == DomId && rc.RemotePort == port)
                    {
                        rc.State = EvtchnState.Unbound;
                        rc.RemotePort = 0;
                    }
                }
                break;
            }
        }
        At(port) = default;
        if (_shared != null)
            EventChannelBits.ClearPending(_shared, port);
        return 0;
    }

    /// <summary>EVTCHNOP_send. Unbound ports drop the event silently (Xen does); a port bound to
    /// domain 0 runs the backend's handler on this (the sender's vCPU) thread.</summary>
    public long Send(uint port)
    {
        if (!ValidPort(port))
            return Errno.EINVAL;
        Action? handler = null;
        lock (StateLock)
        {
            TracePoint.EventSend(ref Sends, DomId, port);
            switch (StateOf(port))
            {
                case EvtchnState.Unbound:
                    return 0;
                case EvtchnState.Interdomain:
                {
                    ref Channel c = ref At(port);
                    if (c.RemoteDom == Domain0)
                    {
                        if (!_domain0Handlers.TryGetValue(port, out handler))
                            return 0;
                        Domain0Calls++;
                        break;
                    }
                    EventChannels? remote = c.RemoteDom == DomId ? this : _directory?.Find(c.RemoteDom);
                    remote?.DeliverLocked(c.RemotePort);
                    return 0;
                }
                case EvtchnState.Ipi:
                    DeliverLocked(port);
                    return 0;
                default:
                    return Errno.EINVAL;
            }
        }
        handler();
        return 0;
    }

    /// <summary>EVTCHNOP_status for one of our own ports (an unprivileged domain may ask only about itself).</summary>
    public long Status(ref EvtchnStatus status)
    {
        if (Resolve(status.Dom) != DomId)
            return Errno.EPERM;
        if (status.Port >= PortCount)
            return Errno.EINVAL;
        lock (StateLock)
        {
            uint port = status.Port;
            var state = port == 0 ? EvtchnState.Closed : StateOf(port);
            status.Status = (uint)state;
            status.Vcpu = 0;
            status.RemoteDom = 0;
            status.RemotePort = 0;
            if (state == EvtchnState.Closed)
                return 0;
            Channel c = At(port);
            switch (state)
            {
                case EvtchnState.Unbound:
                    status.RemoteDom = c.RemoteDom;
                    break;
                case EvtchnState.Interdomain:
                    status.RemoteDom = c.RemoteDom;
                    status.RemotePort = c.RemoteDom == Domain0 ? port : c.RemotePort;
                    break;
                case EvtchnState.Virq:
                    status.PirqOrVirq = c.Virq;
                    break;
            }
            return 0;
        }
    }

    /// <summary>EVTCHNOP_unmask: clears the mask and raises a held-back event.</summary>
    public long Unmask(uint port)
    {
        if (port >= PortCount)
            return Errno.EINVAL;
        lock (StateLock)
        {
            if (_shared == null)
                return Errno.ESRCH;
            if (EventChannelBits.Unmask(_shared, port))
                _wake();
            return 0;
        }
    }

    /// <summary>EVTCHNOP_bind_vcpu: only vCPU 0 exists, so the only valid target is where the port already is.</summary>
    public long BindVcpu(uint port, uint vcpu)
    {
        if (vcpu != 0)
            return Errno.ENOENT; // Xen looks the vCPU up first
        if (!ValidPort(port))
            return Errno.EINVAL;
        lock (StateLock)
        {
            var state = StateOf(port);
            if (state is EvtchnState.Closed)
                return Errno.EINVAL;
            if (state is EvtchnState.Virq && At(port).Virq == Virq.Timer)
                return Errno.EINVAL; // per-vCPU VIRQs cannot move (Xen)
            return 0;
        }
    }

    /// <summary>Raises a VIRQ if the guest bound it; false if not bound.</summary>
    public bool RaiseVirq(uint virq)
    {
        if (virq >= Virq.Count)
            return false;
        lock (StateLock)
        {
            uint port = _virqPorts[virq];
            if (port == 0)
                return false;
            DeliverLocked(port);
            return true;
        }
    }

    // ---- the domain-0 side, for backends and the XenStore ----

    /// <summary>Domain 0: allocates a guest port already connected to domain 0 (as if domain 0 had
    /// bound to it). <paramref name="onGuestSend"/> runs on the guest's vCPU thread, inside its
    /// send hypercall, outside every lock: keep it short or hand the work to another thread.
    /// Returns the guest port, or 0 when the table is full or the domain is gone.</summary>
    public uint BindDomain0(Action onGuestSend)
    {
        ArgumentNullException.ThrowIfNull(onGuestSend);
        lock (StateLock)
        {
            if (_shared == null)
                return 0;
            uint p = AllocatePort(EvtchnState.Interdomain);
            if (p == 0)
                return 0;
            ref Channel c = ref At(p);
            c.RemoteDom = Domain0;
            _domain0Handlers[p] = onGuestSend;
            return p;
        }
    }

    /// <summary>Domain 0: binds to a guest port the guest allocated with alloc_unbound for remote
    /// domain 0 (the netfront/xenstore handshake: the guest writes the port number to the store,
    /// the backend connects). Returns 0 or a negative errno (-EINVAL if the port is not unbound
    /// for domain 0).</summary>
    public long ConnectDomain0(uint guestPort, Action onGuestSend)
    {
        ArgumentNullException.ThrowIfNull(onGuestSend);
        if (!ValidPort(guestPort))
            return Errno.EINVAL;
        lock (StateLock)
        {
            if (_shared == null)
                return Errno.ESRCH;
            if (StateOf(guestPort) != EvtchnState.Unbound || At(guestPort).RemoteDom != Domain0)
                return Errno.EINVAL;
            ref Channel c = ref At(guestPort);
            c.State = EvtchnState.Interdomain;
            c.RemotePort = 0;
            _domain0Handlers[guestPort] = onGuestSend;
            return 0;
        }
    }

    /// <summary>Domain 0: raises the event on a guest port connected to domain 0 and wakes the
    /// guest if it is blocked. False if the guest closed the port (or it was never domain 0's).</summary>
    public bool NotifyFromDomain0(uint port)
    {
        if (!ValidPort(port))
            return false;
        lock (StateLock)
        {
            if (!_domain0Handlers.ContainsKey(port))
                return false;
            DeliverLocked(port);
            return true;
        }
    }

    /// <summary>Domain 0: closes its end; the guest port becomes unbound for domain 0 again (as
    /// Xen leaves the survivor of a close). False if the port was not connected to domain 0.</summary>
    public bool CloseDomain0(uint port)
    {
        if (!ValidPort(port))
            return false;
        lock (StateLock)
        {
            if (!_domain0Handlers.Remove(port))
                return false;
            ref Channel c = ref At(port);
            c.State = EvtchnState.Unbound;
            c.RemoteDom = Domain0;
            c.RemotePort = 0;
            return true;
        }
    }

    /// <summary>The state of a port as domain 0 sees it (for tests and `xl`-style listings).</summary>
    public EvtchnState StateOfPort(uint port)
    {
        if (port >= PortCount)
            return EvtchnState.Closed;
        lock (StateLock)
            return StateOf(port);
    }

    /// <summary>The domain is going away: close every port (peers become unbound) and forget
    /// the shared_info page before its memory is unmapped.</summary>
    public void Detach()
    {
        lock (StateLock)
        {
            for (uint p = 1; p < PortCount; p++)
            {
                if (StateOf(p) != EvtchnState.Closed)
                    CloseLocked(p);
            }
            _domain0Handlers.Clear();
            _shared = null;
            _directory?.Remove(this);
        }
    }

    /// <summary>Sets the port pending in our shared_info (0->1 edge rule) and wakes the vCPU when
    /// the edge is new: an upcall became due, or a poller on a masked port may be waiting for it.</summary>
    private void DeliverLocked(uint port)
    {
        if (_shared == null)
            return;
        bool was = EventChannelBits.IsPending(_shared, port);
        bool upcall = EventChannelBits.SetPending(_shared, port);
        TracePoint.EventDeliver(ref Deliveries, DomId, port, upcall || !was);
        if (upcall || !was)
            _wake();
    }
}
