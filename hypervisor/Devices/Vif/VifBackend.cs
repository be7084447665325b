// One connected vif: the frontend's two ring pages claimed in place, its event channel connected
// to domain 0 and a Netback running on them. Connecting checks each guest-supplied value (ring
// grants, port) and undoes what it did if a later one fails, so a bad frontend leaves nothing
// pinned or bound behind; Dispose lets everything go in the reverse order.
using ParaKit.Hypervisor.Events;
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Net;
using ParaKit.Protocols.Grants;

namespace ParaKit.Hypervisor.Devices.Vif;

/// <summary>Why a vif could not connect.</summary>
public enum VifConnectResult
{
    Ok = 0,
    /// <summary>tx-ring-ref is not a writable page granted to domain 0.</summary>
    BadTxRing = 1,
    /// <summary>rx-ring-ref is not a writable page granted to domain 0.</summary>
    BadRxRing = 2,
    /// <summary>event-channel is not a port the guest left unbound for domain 0.</summary>
    BadEventChannel = 3,
}

public sealed unsafe class VifBackend : IDisposable
{
    private readonly GrantTable _grants;
    private readonly EventChannels _events;
    private readonly VifFrontendKeys _keys;
    private bool _disposed;

    private VifBackend(GrantTable grants, EventChannels events, VifFrontendKeys keys, Netback netback)
    {
        _grants = grants;
        _events = events;
        _keys = keys;
        Netback = netback;
    }

    public Netback Netback { get; }

    public VifFrontendKeys Keys => _keys;

    /// <summary>Claims the rings, connects the event channel (<paramref name="onKick"/> runs on the
    /// guest's vCPU thread at each send: hand the work to the network worker) and starts a netback
    /// whose frames go to <paramref name="sink"/>; <paramref name="index"/> is the vif's device
    /// number in its domain (its trace records carry it).</summary>
    public static VifConnectResult TryConnect(GrantTable grants, EventChannels events, VifFrontendKeys keys,
        IFrameSink sink, Action onKick, int mtu, out VifBackend? vif, int index = 0)
    {
        vif = null;
        if (grants.TryClaimForBackend(keys.TxRingRef, out _, out byte* txPage) != GrantStatus.Okay)
            return VifConnectResult.BadTxRing;
        if (keys.RxRingRef == keys.TxRingRef || grants.TryClaimForBackend(keys.RxRingRef, out _, out byte* rxPage) != GrantStatus.Okay)
        {
            grants.ReleaseFromBackend(keys.TxRingRef);
            return VifConnectResult.BadRxRing;
        }
        if (events.ConnectDomain0(keys.EventChannel, onKick) != 0)
        {
            grants.ReleaseFromBackend(keys.RxRingRef);
            grants.ReleaseFromBackend(keys.TxRingRef);
            return VifConnectResult.BadEventChannel;
        }
        uint port = keys.EventChannel;
        var netback = new Netback(txPage, rxPage, new GrantTableAccess(grants), sink, () => events.NotifyFromDomain0(port), mtu, rxNotify: keys.RxNotify,
            rxGso: keys.RxGso, rxChecksumOffload: !keys.NoChecksumOffload)
        {
            TraceDomain = grants.DomId,
            TraceVif = index,
        };
        vif = new VifBackend(grants, events, keys, netback);
        return VifConnectResult.Ok;
    }

    /// <summary>Stops the netback, closes domain 0's end of the channel and releases the ring pages.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Netback.Close();
        _events.CloseDomain0(_keys.EventChannel);
        _grants.ReleaseFromBackend(_keys.RxRingRef);
        _grants.ReleaseFromBackend(_keys.TxRingRef);
    }
}
