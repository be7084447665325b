// A guest's XenStore connection over its ring page (xenstore_domain_interface at
// GuestLayout.StoreRingAddress): requests are reassembled from the req byte ring however the
// guest splits them, replies and watch events are copied into the rsp ring as space allows
// (a message may go out in several pieces), and the guest is notified through the event
// channel the notifier stands for. A guest that corrupts the ring indices or sends an
// oversized message is disconnected (error written to the page); the store carries on.
using ParaKit.Protocols.Rings;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

/// <summary>How a connection tells its peer that the page changed (an event-channel send to the
/// guest in the hypervisor, a counter in tests).</summary>
public interface IStoreNotifier
{
    void Notify();
}

/// <summary>A notifier from a delegate.</summary>
public sealed class ActionNotifier(Action notify) : IStoreNotifier
{
    public void Notify() => notify();
}

public sealed unsafe class RingConnection : StoreConnection
{
    /// <summary>Requests handled per Service call before other connections get their turn.</summary>
    public const int MaxRequestsPerService = 64;

    private readonly XenStore _store;
    private readonly XenstoreDomainInterface* _page;
    private readonly IStoreNotifier _notifier;
    /// <summary>The request being reassembled; allocated when the guest first sends one (4 KiB a
    /// domain that never talks to the store, as a blocked one, does without).</summary>
    private byte[]? _request;
    private int _have;
    /// <summary>Bytes of the head outbox message already in the rsp ring.</summary>
    private int _sentOfHead;

    public long RequestsHandled { get; private set; }
    public long Notifications { get; private set; }

    /// <summary>The page must stay mapped while the connection lives (the domain's memory).</summary>
    public RingConnection(XenStore store, uint domId, string name, XenstoreDomainInterface* page, IStoreNotifier notifier)
        : base(domId, name)
    {
        _store = store;
        _page = page;
        _notifier = notifier;
    }

    /// <summary>Called by domain 0 at domain creation, before the guest runs.</summary>
    public static void InitPage(XenstoreDomainInterface* page, uint port)
    {
        *page = default;
        page->ServerFeatures = XenstoreRingConstants.ServerFeatureError;
        page->Connection = XenstoreRingConstants.Connected;
        page->EvtchnPort = port;
    }

    /// <summary>Reads and handles waiting requests, then sends what fits. Returns true if it made
    /// progress (and may have more to do). Only one thread may service a connection at a time.</summary>
    public bool Service()
    {
        if (IsClosed)
            return false;
        bool notify = false;
        bool progress = false;
        for (int i = 0; i < MaxRequestsPerService; i++)
        {
            // Leave requests in the ring while replies cannot drain: back-pressure on the guest.
            if (!_store.MayRead(this))
                break;
            if (_request is null)
            {
                if (XenstoreRing.RequestAvailable(_page, out int available) == ByteRingStatus.Ok && available == 0)
                    break;
                _request = new byte[XsLimits.MessageMax];
            }
            XsDecodeStatus st = XenstoreMessageReader.ReadRequest(_page, _request, ref _have, out var header, out int length);
            if (st == XsDecodeStatus.Truncated)
                break;
            if (st != XsDecodeStatus.Ok)
            {
                Fail(st == XsDecodeStatus.RingCorrupt ? XenstoreRingConstants.ErrorRingIdx : XenstoreRingConstants.ErrorProto);
                return false;
            }
            _have = 0;
            notify = true; // the guest may be waiting for ring space
            progress = true;
            RequestsHandled++;
            _store.Process(this, header, _request.AsSpan(XsdSockMsg.Size, length - XsdSockMsg.Size));
        }
        if (Flush(ref notify))
            progress = true;
        if (notify)
        {
            Notifications++;
            _notifier.Notify();
        }
        return progress;
    }

    /// <summary>Copies queued messages into the rsp ring; true if any byte moved.</summary>
    private bool Flush(ref bool notify)
    {
        bool moved = false;
        while (PeekOutput() is { } msg)
        {
            var rest = msg.AsSpan(_sentOfHead);
            if (XenstoreRing.WriteResponse(_page, rest, out int written) != Protocols.Rings.ByteRingStatus.Ok)
            {
                Fail(XenstoreRingConstants.ErrorRingIdx);
                return moved;
            }
            if (written > 0)
            {
                moved = true;
                notify = true;
            }
            _sentOfHead += written;
            if (_sentOfHead < msg.Length)
                break; // ring full: the guest's next notify brings us back
            TakeOutput();
            _sentOfHead = 0;
        }
        return moved;
    }

    private void Fail(uint error)
    {
        _page->Error = error;
        _store.Close(this);
        // Tell the guest: it sees the error field when it next looks at the page.
        _notifier.Notify();
    }
}
