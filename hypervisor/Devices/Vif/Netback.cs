// The backend half of one vif (Linux's xen-netback, copy mode): it consumes the guest's TX ring,
// gathers each packet by grant copy and hands it to a sink, and delivers frames to the guest by
// grant-copying them into the buffers posted on the RX ring. Pure: shared pages, grant copies and
// the event-channel send are passed in, so the whole state machine runs in tests without KVM.
// The frontend is not trusted: every request is copied out once, checked, then acted on; a
// frontend that breaks the ring or netif rules loses its vif, domain 0 never throws.
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;

namespace ParaKit.Hypervisor.Devices.Vif;

/// <summary>One vif's backend. Not thread-safe: one thread (the vif's worker) drives it.</summary>
public sealed unsafe class Netback
{
    private const int PageSize = 4096;
    /// <summary>Ethernet header (14) plus one 802.1Q tag (4) on top of the MTU.</summary>
    public const int FrameOverhead = 18;

    private BackRing<NetifTxRequest, NetifTxResponse> _tx;
    private BackRing<NetifRxRequest, NetifRxResponse> _rx;
    private readonly INetbackGrants _grants;
    private readonly IFrameSink _sink;
    private readonly Action _notify;
    private readonly int _maxDataSlots;
    // TX slots copied out of the ring but not yet a whole packet (copy-once: never re-read).
    private readonly NetifTxRequest[] _txStage = new NetifTxRequest[NetifLimits.TxRingSize];
    private int _staged;
    // One packet's bytes, gathered before the sink sees them; sized for the largest TX packet.
    private readonly byte[] _frame = new byte[NetifLimits.MaxTxSize];
    // feature-rx-notify: frames waiting for RX buffers, a ring of MaxFrame-sized slots (empty
    // when the frontend did not ask for it: then a frame without buffers is dropped at once).
    private readonly byte[] _rxQueue;
    private readonly int[] _rxQueueLength;
    private int _rxQueueHead, _rxQueued;

    /// <summary>Bytes of waiting frames one vif may hold (feature-rx-notify).</summary>
    public const int RxQueueBytes = 1 << 20;

    /// <summary>Largest frame accepted either way (MTU + <see cref="FrameOverhead"/>).</summary>
    public int MaxFrame { get; }

    public NetbackCounters Counters { get; } = new();

    /// <summary>The frontend's domain, for trace records (0 in tests that do not set it).</summary>
    public uint TraceDomain { get; init; }
    /// <summary>The vif's device number in its domain, for trace records (0 in tests that do not set it).</summary>
    public int TraceVif { get; init; }
    private readonly NetbackTraceMarks _trace;

    /// <summary>None while connected; otherwise why the vif stopped.</summary>
    public NetbackDisconnect Disconnected { get; private set; }

    public bool IsConnected => Disconnected == NetbackDisconnect.None;

    /// <param name="txPage">The TX shared ring page (initialised by the frontend).</param>
    /// <param name="rxPage">The RX shared ring page.</param>
    /// <param name="grants">Copies to and from the frontend's granted pages.</param>
    /// <param name="sink">Receives the guest's TX frames.</param>
    /// <param name="notify">Sends on the vif's event channel.</param>
    /// <param name="mtu">The MTU written in the backend directory.</param>
    /// <param name="maxDataSlots">Data slots accepted per TX packet (at least 18, as netif requires).</param>
    /// <param name="rxNotify">The frontend wrote feature-rx-notify=1: it notifies when it posts RX
    /// buffers, so frames may wait for them (up to <see cref="RxQueueBytes"/>).</param>
    public Netback(void* txPage, void* rxPage, INetbackGrants grants, IFrameSink sink, Action notify,
        int mtu = NetifLimits.DefaultMtu, int maxDataSlots = NetifLimits.SlotsMin, bool rxNotify = false)
    {
        _tx = BackRing<NetifTxRequest, NetifTxResponse>.Attach(txPage);
        _rx = BackRing<NetifRxRequest, NetifRxResponse>.Attach(rxPage);
        _grants = grants;
        _sink = sink;
        _notify = notify;
        _maxDataSlots = Math.Max(maxDataSlots, NetifLimits.SlotsMin);
        MaxFrame = Math.Clamp(mtu + FrameOverhead, 64, NetifLimits.MaxTxSize);
        int queued = rxNotify ? Math.Min((int)NetifLimits.RxRingSize, RxQueueBytes / MaxFrame) : 0;
        _rxQueue = new byte[queued * MaxFrame];
        _rxQueueLength = new int[queued];
        _trace = new NetbackTraceMarks(_rx.ReqCons);
    }

    /// <summary>Stops the vif (toolstack close). Later calls do nothing; RX frames are counted as not connected.</summary>
    public void Close()
    {
        if (!IsConnected)
            return;
        // Packets the guest published that will now never be sent: the ones copied into the
        // stage behind a held frame, and the ones still on the ring (read once more, bounded by
        // the ring size; the frontend is not trusted to have left whole packets there).
        long waiting = CountPackets(_txStage.AsSpan(0, _staged));
        if (!_tx.RequestsOverflowed())
        {
            Span<NetifTxRequest> rest = stackalloc NetifTxRequest[(int)NetifLimits.TxRingSize];
            int n = _tx.TakeRequests(rest);
            waiting += CountPackets(rest[..n]);
        }
        Counters.TxUndelivered += waiting;
        _staged = 0;
        Disconnect(NetbackDisconnect.Closed);
    }

    /// <summary>Packets among TX slots: each ends at a data slot without more_data; an extra_info
    /// slot (after a slot flagged extra_info) is not data.</summary>
    private static long CountPackets(ReadOnlySpan<NetifTxRequest> slots)
    {
        long packets = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            ushort flags = slots[i].Flags;
            if ((flags & NetTxFlags.ExtraInfo) != 0)
                i++;   // the next slot is the extra
            if ((flags & NetTxFlags.MoreData) == 0)
                packets++;
        }
        return packets;
    }

    private void Disconnect(NetbackDisconnect why)
    {
        if (Disconnected != NetbackDisconnect.None)
            return;
        Disconnected = why;
        _grants.EndBatch();
        // Frames still waiting for buffers will never get them: count them, do not lose them.
        Counters.RxNotConnected += _rxQueued;
        _rxQueued = 0;
        if (_txHeld > 0)
        {
            Counters.TxUndelivered++;
            _txHeld = 0;
        }
        if (TracePoint.On)
            _trace.Drops(TraceDomain, TraceVif, Counters);
    }

    /// <summary>Consumes every TX packet the frontend has published, answers them, notifies if asked,
    /// and arms req_event before returning (the final check), so the next publish notifies us.
    /// When the sink has no room (a receiving guest whose RX queue is full) the packet is held and
    /// the rest stays in the ring: <see cref="TxBlocked"/> is set and a later call (the worker's,
    /// once the receiver drains) goes on; a receiver full for longer than <see cref="RxStallMs"/>
    /// takes (and drops, counted) what it is sent, so a guest that stopped reading costs its own
    /// frames, not its senders' link. Returns the number of packets handed to the sink.</summary>
    public int ProcessTx()
    {
        if (!TracePoint.On)
        {
            int taken = TakeTxPackets();
            _grants.EndBatch();
            return taken;
        }
        uint consumed = _tx.ReqCons;
        long notifies = Counters.Notifications;
        int sent = TakeTxPackets();
        _grants.EndBatch();
        TracePoint.RingBatch(TraceDomain, TraceVif, rx: false, _tx.ReqCons - consumed, sent, Counters.Notifications != notifies);
        _trace.Drops(TraceDomain, TraceVif, Counters);
        return sent;
    }

    private int TakeTxPackets()
    {
        int sent = 0;
        if (_txHeld > 0)
        {
            if (!TryReleaseHeld())
                return 0;
            sent++;
        }
        do
        {
            if (!IsConnected)
                return sent;
            if (_tx.RequestsOverflowed())
            {
                Disconnect(NetbackDisconnect.TxRingOverflow);
                return sent;
            }
            _staged += _tx.TakeRequests(_txStage.AsSpan(_staged));
            int head = 0;
            while (_staged - head > 0 && IsConnected && _txHeld == 0)
            {
                var pending = _txStage.AsSpan(head, _staged - head);
                NetifTxCheck check = NetifTxPacket.Check(pending, _maxDataSlots,
                    out int slotsUsed, out int dataSlots, out int firstSize, out _);
                if (check == NetifTxCheck.Incomplete)
                {
                    // Wait for the rest, unless the ring cannot hold more of this packet anyway.
                    if (_staged - head == _txStage.Length)
                    {
                        Counters.TxMalformed++;
                        Disconnect(NetbackDisconnect.MalformedTx);
                    }
                    break;
                }
                if (check != NetifTxCheck.Ok)
                {
                    // Like Linux's xenvif_fatal_tx_err: slots we cannot delimit mean we cannot
                    // answer them safely, so the packet is counted and the vif goes.
                    Counters.TxMalformed++;
                    Disconnect(NetbackDisconnect.MalformedTx);
                    break;
                }
                if (TransmitOne(pending, slotsUsed, dataSlots, firstSize))
                    sent++;
                head += slotsUsed;
            }
            // Slots of an incomplete packet (or behind a held one) move to the front once per batch.
            if (head > 0)
            {
                _txStage.AsSpan(head, _staged - head).CopyTo(_txStage);
                _staged -= head;
            }
            if (_tx.PushResponsesAndCheckNotify())
                Notify();
            if (_txHeld > 0)
                return sent;
        }
        while (IsConnected && _tx.FinalCheckForRequests());
        return sent;
    }

    /// <summary>How long a receiver's queue may stay full before it counts as stalled: senders
    /// are no longer held for it, their frames are offered and dropped (rx_no_buffer) until it
    /// reads again, so a guest that stopped reading costs its own frames, not its senders' link.</summary>
    public const int RxStallMs = 200;
    private long _rxFullSince;

    /// <summary>A gathered TX frame waits for room at its destination (backpressure); the rest of
    /// the TX ring waits behind it.</summary>
    public bool TxBlocked => _txHeld > 0;

    private int _txHeld;

    private bool TryReleaseHeld()
    {
        var frame = _frame.AsSpan(0, _txHeld);
        if (!_sink.HasRoomFor(frame))
            return false;
        _txHeld = 0;
        Counters.TxFrames++;
        Counters.TxBytes += frame.Length;
        _sink.Deliver(frame);
        return true;
    }

    /// <summary>Gathers, answers and delivers (or holds, if its destination has no room) the packet
    /// in the first <paramref name="slotsUsed"/> of <paramref name="stage"/>.</summary>
    private bool TransmitOne(Span<NetifTxRequest> stage, int slotsUsed, int dataSlots, int firstSize)
    {
        NetifTxRequest first = stage[0];
        int extras = slotsUsed - dataSlots;
        short status = NetifStatus.Okay;
        int size = first.Size;
        if (size > MaxFrame)
        {
            Counters.TxOversize++;
            status = NetifStatus.Error;
        }
        else
        {
            int at = 0;
            short st = _grants.TryCopyFromGuest(first.Gref, first.Offset, _frame.AsSpan(0, firstSize));
            at += firstSize;
            for (int i = 1 + extras; i < slotsUsed && st == GrantStatus.Okay; i++)
            {
                NetifTxRequest frag = stage[i];
                st = _grants.TryCopyFromGuest(frag.Gref, frag.Offset, _frame.AsSpan(at, frag.Size));
                at += frag.Size;
            }
            if (st != GrantStatus.Okay)
            {
                Counters.TxBadGrant++;
                status = NetifStatus.Error;
            }
        }
        // Every slot gets its answer: data slots the packet's status, extra_info slots NULL.
        for (int i = 0; i < slotsUsed; i++)
        {
            bool isExtra = i >= 1 && i <= extras;
            _tx.TryPushResponse(new NetifTxResponse { Id = isExtra ? (ushort)0 : stage[i].Id, Status = isExtra ? NetifStatus.Null : status });
        }
        if (status != NetifStatus.Okay)
            return false;
        // The guest's slots are answered either way: the bytes are ours now.
        var frame = _frame.AsSpan(0, size);
        if (!_sink.HasRoomFor(frame))
        {
            _txHeld = size;
            Counters.TxHeld++;
            return false;
        }
        Counters.TxFrames++;
        Counters.TxBytes += size;
        _sink.Deliver(frame);
        return true;
    }

    /// <summary>Offers one frame to the guest: it is copied into posted RX buffers (one page per
    /// slot, offset 0) and answered; call <see cref="FlushRx"/> after a batch to publish and notify.
    /// With feature-rx-notify a frame that finds too few buffers waits in a bounded queue, in
    /// order, until the guest posts more (it notifies us, the worker calls <see cref="DrainRx"/>).
    /// Returns false, with the reason counted, if the frame was dropped.</summary>
    public bool DeliverToGuest(ReadOnlySpan<byte> frame)
    {
        if (!IsConnected)
        {
            Counters.RxNotConnected++;
            return false;
        }
        if (_rx.RequestsOverflowed())
        {
            Counters.RxNotConnected++;
            Disconnect(NetbackDisconnect.RxRingOverflow);
            return false;
        }
        if (frame.Length == 0 || frame.Length > MaxFrame)
        {
            Counters.RxOversize++;
            return false;
        }
        if (_rxQueued > 0)
            DrainRx();
        if (_rxQueued == 0)
        {
            var placed = TryPlace(frame);
            if (placed != RxPlacement.NoBuffer)
                return placed == RxPlacement.Placed;
        }
        if (_rxQueueLength.Length == 0 || _rxQueued == _rxQueueLength.Length)
        {
            Counters.RxNoBuffer++;
            return false;
        }
        int slot = (_rxQueueHead + _rxQueued) % _rxQueueLength.Length;
        frame.CopyTo(_rxQueue.AsSpan(slot * MaxFrame, MaxFrame));
        _rxQueueLength[slot] = frame.Length;
        _rxQueued++;
        Counters.RxDeferred++;
        if (_rxQueued == 1 && ArmRx(frame.Length))
            DrainRx();
        return true;
    }

    /// <summary>Frames waiting for RX buffers (feature-rx-notify).</summary>
    public int RxQueued => _rxQueued;

    /// <summary>Would a frame be taken now rather than dropped for want of buffers? Only a
    /// frontend with feature-rx-notify (it tells us when it posts buffers, so a held sender is
    /// resumed) can say no; otherwise frames are offered and dropped as before.</summary>
    public bool HasRoomFor(int length)
    {
        if (!IsConnected || _rxQueueLength.Length == 0)
            return true;
        if (_rxQueued < _rxQueueLength.Length)
        {
            _rxFullSince = 0;
            return true;   // it waits in the queue if the buffers are short
        }
        long now = Environment.TickCount64;
        if (_rxFullSince == 0)
            _rxFullSince = now;
        return now - _rxFullSince >= RxStallMs;
    }

    /// <summary>Places waiting frames, oldest first, while the guest has buffers for them; arms
    /// req_event for the next one otherwise. Returns how many left the queue.</summary>
    public int DrainRx()
    {
        int moved = 0;
        while (_rxQueued > 0 && IsConnected)
        {
            int len = _rxQueueLength[_rxQueueHead];
            var placed = TryPlace(_rxQueue.AsSpan(_rxQueueHead * MaxFrame, len));
            if (placed == RxPlacement.NoBuffer)
            {
                if (ArmRx(len))
                    continue;
                break;
            }
            _rxQueueHead = (_rxQueueHead + 1) % _rxQueueLength.Length;
            _rxQueued--;
            moved++;
        }
        return moved;
    }

    /// <summary>Asks the frontend to notify once enough buffers for a frame of <paramref name="length"/>
    /// bytes are posted; true if they already are (look again).</summary>
    private bool ArmRx(int length)
    {
        uint needed = (uint)((length + PageSize - 1) / PageSize);
        Volatile.Write(ref _rx.Shared->ReqEvent, _rx.ReqCons + needed);
        Interlocked.MemoryBarrier();
        return _rx.UnconsumedRequests >= needed;
    }

    private enum RxPlacement { Placed, NoBuffer, Dropped }

    private RxPlacement TryPlace(ReadOnlySpan<byte> frame)
    {
        uint needed = (uint)((frame.Length + PageSize - 1) / PageSize);
        if (_rx.UnconsumedRequests < needed)
            return RxPlacement.NoBuffer;
        // All buffers first (each copied out once), then the copies, so a bad grant in any of them
        // fails the frame as a whole and every consumed buffer is still answered.
        Span<NetifRxRequest> bufs = stackalloc NetifRxRequest[(int)needed];
        _rx.TakeRequests(bufs);
        short st = GrantStatus.Okay;
        for (int i = 0; i < bufs.Length && st == GrantStatus.Okay; i++)
        {
            int off = i * PageSize;
            st = _grants.TryCopyToGuest(bufs[i].Gref, 0, frame.Slice(off, Math.Min(PageSize, frame.Length - off)));
        }
        for (int i = 0; i < bufs.Length; i++)
        {
            int off = i * PageSize;
            short len = (short)Math.Min(PageSize, frame.Length - off);
            _rx.TryPushResponse(new NetifRxResponse
            {
                Id = bufs[i].Id,
                Offset = 0,
                Flags = i + 1 < bufs.Length ? NetRxFlags.MoreData : (ushort)0,
                Status = st == GrantStatus.Okay ? len : NetifStatus.Error,
            });
        }
        if (st != GrantStatus.Okay)
        {
            Counters.RxBadGrant++;
            return RxPlacement.Dropped;
        }
        Counters.RxFrames++;
        Counters.RxBytes += frame.Length;
        return RxPlacement.Placed;
    }

    /// <summary>Publishes the RX responses written since the last flush and notifies the guest if it asked.</summary>
    public void FlushRx()
    {
        bool notify = _rx.PushResponsesAndCheckNotify();
        if (notify)
            Notify();
        _grants.EndBatch();
        if (TracePoint.On)
            _trace.RxFlush(TraceDomain, TraceVif, _rx.ReqCons, Counters, notify);
    }

    /// <summary>Both rings' indices (shared and private), what Linux netback's debugfs io_ring_q0 shows.</summary>
    public NetbackRingState RingState => new(Indices(_tx.Shared, _tx.ReqCons, _tx.RspProdPvt), Indices(_rx.Shared, _rx.ReqCons, _rx.RspProdPvt));

    private static RingIndices Indices(SharedRingHeader* s, uint reqCons, uint rspProdPvt) => new(
        Volatile.Read(ref s->ReqProd), reqCons, Volatile.Read(ref s->ReqEvent),
        Volatile.Read(ref s->RspProd), rspProdPvt, Volatile.Read(ref s->RspEvent));

    /// <summary>RX buffers the guest has posted and netback has not used yet (0 if the ring is broken).</summary>
    public uint PostedRxBuffers => _rx.UnconsumedRequests;

    private void Notify()
    {
        Counters.Notifications++;
        _notify();
    }
}
