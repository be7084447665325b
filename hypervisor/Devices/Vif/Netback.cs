// The backend half of one vif (Linux's xen-netback, copy mode): it consumes the guest's TX ring,
// gathers each packet by grant copy and hands it to a sink, and delivers frames to the guest by
// grant-copying them into the buffers posted on the RX ring. Pure: shared pages, grant copies and
// the event-channel send are passed in, so the whole state machine runs in tests without KVM.
// The frontend is not trusted: every request is copied out once, checked, then acted on; a
// frontend that breaks the ring or netif rules loses its vif, domain 0 never throws.
// Offload as Xen's netif defines it: TX packets may carry csum_blank and a GSO extra_info
// (TCPv4 super-frames of up to 64 KiB over up to 18 slots), passed on as FrameOffload after a
// check; RX super-frames and partial checksums go whole to a frontend that asked for them
// (feature-gso-tcpv4 + feature-sg, no feature-no-csum-offload) and are segmented and checksummed
// here for one that did not.
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Net.Offload;
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
    private readonly FrameOffload[] _rxQueueOffload;
    private readonly int _rxQueueSlot;
    private int _rxQueueHead, _rxQueued;
    // What the frontend takes on RX: whole GSO super-frames, partial checksums (csum_blank).
    private readonly bool _rxGso, _rxChecksumOffload;
    private readonly IFrameSink _plain;
    private FrameOffload _txHeldOffload;
    // The held frame's answers, one per slot: pushed when it leaves (TryReleaseHeld).
    private readonly NetifTxResponse[] _txHeldAnswers = new NetifTxResponse[NetifLimits.TxRingSize];
    private int _txHeldSlots;

    /// <summary>Bytes of waiting frames one vif may hold (feature-rx-notify); 4 MiB with GSO.</summary>
    public const int RxQueueBytes = 1 << 20;

    /// <summary>Largest GSO super-frame either way (XEN_NETIF_MAX_TX_SIZE).</summary>
    public const int MaxGsoFrame = NetifLimits.MaxTxSize;

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
    /// <param name="rxGso">The frontend wrote feature-gso-tcpv4=1 and feature-sg=1: RX super-frames go whole.</param>
    /// <param name="rxChecksumOffload">The frontend takes csum_blank frames (it did not write
    /// feature-no-csum-offload=1); otherwise partial checksums are completed here.</param>
    public Netback(void* txPage, void* rxPage, INetbackGrants grants, IFrameSink sink, Action notify,
        int mtu = NetifLimits.DefaultMtu, int maxDataSlots = NetifLimits.SlotsMin, bool rxNotify = false,
        bool rxGso = false, bool rxChecksumOffload = false)
    {
        _tx = BackRing<NetifTxRequest, NetifTxResponse>.Attach(txPage);
        _rx = BackRing<NetifRxRequest, NetifRxResponse>.Attach(rxPage);
        _grants = grants;
        _sink = sink;
        _notify = notify;
        _maxDataSlots = Math.Max(maxDataSlots, NetifLimits.SlotsMin);
        MaxFrame = Math.Clamp(mtu + FrameOverhead, 64, NetifLimits.MaxTxSize);
        _rxChecksumOffload = rxChecksumOffload;
        _rxGso = rxGso && rxChecksumOffload;
        _rxQueueSlot = _rxGso ? MaxGsoFrame : MaxFrame;
        int queued = rxNotify ? Math.Min((int)NetifLimits.RxRingSize, (_rxGso ? 4 * RxQueueBytes : RxQueueBytes) / _rxQueueSlot) : 0;
        _rxQueue = new byte[queued * _rxQueueSlot];
        _rxQueueLength = new int[queued];
        _rxQueueOffload = new FrameOffload[queued];
        _plain = new PlainFrames(this);
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
            Counters.TxUndelivered++;   // unanswered: the ring goes with the vif
            _txHeld = 0;
            _txHeldSlots = 0;
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
        for (int i = 0; i < _txHeldSlots; i++)
            _tx.TryPushResponse(_txHeldAnswers[i]);
        _txHeldSlots = 0;
        Send(frame, _txHeldOffload);
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
        // A GSO extra (Linux's xenvif_set_skb_gso): TCPv4 only, size checked with the headers below.
        int gsoSize = 0;
        bool badGso = false;
        for (int i = 1; i <= extras; i++)
        {
            NetifTxRequest raw = stage[i];
            NetifExtraInfo extra = *(NetifExtraInfo*)&raw;
            if (extra.Type != NetifExtraType.Gso)
                continue;
            gsoSize = extra.GsoSize;
            badGso = extra.GsoType != NetifGsoType.TcpV4 || gsoSize == 0;
        }
        FrameOffload offload = default;
        if (badGso)
        {
            Counters.TxBadOffload++;
            status = NetifStatus.Error;
        }
        else if (size > (gsoSize != 0 ? MaxGsoFrame : MaxFrame))
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
            else if ((first.Flags & NetTxFlags.CsumBlank) != 0 || gsoSize != 0)
            {
                // The bytes are ours now: check the description against them (never the guest's word).
                if (FrameOffloads.Describe(_frame.AsSpan(0, size), (first.Flags & NetTxFlags.CsumBlank) != 0, gsoSize,
                        (first.Flags & NetTxFlags.DataValidated) != 0, MaxFrame, out offload) != OffloadCheck.Ok)
                {
                    Counters.TxBadOffload++;
                    status = NetifStatus.Error;
                }
            }
        }
        // Every slot gets its answer: data slots the packet's status, extra_info slots NULL. A
        // frame that must wait for room is answered when it leaves (TryReleaseHeld): until then
        // its sender sees it in flight, as it is (a domain that ended now would lose it), and
        // can wait for it before powering off (IEthernetDevice.TxIdle).
        var frame = _frame.AsSpan(0, size);
        bool hold = status == NetifStatus.Okay && !_sink.HasRoomFor(frame);
        for (int i = 0; i < slotsUsed; i++)
        {
            bool isExtra = i >= 1 && i <= extras;
            var answer = new NetifTxResponse { Id = isExtra ? (ushort)0 : stage[i].Id, Status = isExtra ? NetifStatus.Null : status };
            if (hold)
                _txHeldAnswers[i] = answer;
            else
                _tx.TryPushResponse(answer);
        }
        if (status != NetifStatus.Okay)
            return false;
        if (hold)
        {
            _txHeld = size;
            _txHeldSlots = slotsUsed;
            _txHeldOffload = offload;
            Counters.TxHeld++;
            return false;
        }
        Send(frame, offload);
        return true;
    }

    private void Send(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        Counters.TxFrames++;
        Counters.TxBytes += frame.Length;
        if (!offload.NeedsWork)
        {
            _sink.Deliver(frame);
            return;
        }
        if (offload.IsGso)
            Counters.TxGso++;
        _sink.Deliver(frame, offload);
    }

    /// <summary>Can the frontend take a frame with this offload as it is?</summary>
    public bool Accepts(in FrameOffload offload) =>
        offload.IsGso ? _rxGso : !offload.ChecksumPartial || _rxChecksumOffload;

    /// <summary>A frame with offload for the guest: whole if the frontend takes it, otherwise
    /// segmented / checksummed here (each resulting frame offered like any other).</summary>
    public bool DeliverToGuest(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        if (!offload.NeedsWork)
            return DeliverToGuest(frame);
        if (Accepts(offload))
            return Offer(frame, offload);
        Counters.RxSoftwareOffload++;
        if (FrameSegmenter.DeliverPlain(frame, offload, _plain) > 0)
            return true;
        Counters.RxBadOffload++;
        return false;
    }

    /// <summary>Plain frames made by the software offload, back into DeliverToGuest.</summary>
    private sealed class PlainFrames(Netback netback) : IFrameSink
    {
        public void Deliver(ReadOnlySpan<byte> frame) => netback.DeliverToGuest(frame);
    }

    /// <summary>Offers one frame to the guest: it is copied into posted RX buffers (one page per
    /// slot, offset 0) and answered; call <see cref="FlushRx"/> after a batch to publish and notify.
    /// With feature-rx-notify a frame that finds too few buffers waits in a bounded queue, in
    /// order, until the guest posts more (it notifies us, the worker calls <see cref="DrainRx"/>).
    /// Returns false, with the reason counted, if the frame was dropped.</summary>
    public bool DeliverToGuest(ReadOnlySpan<byte> frame) => Offer(frame, default);

    private bool Offer(ReadOnlySpan<byte> frame, in FrameOffload offload)
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
        if (frame.Length == 0 || frame.Length > (offload.IsGso ? MaxGsoFrame : MaxFrame))
        {
            Counters.RxOversize++;
            return false;
        }
        if (_rxQueued > 0)
            DrainRx();
        if (_rxQueued == 0)
        {
            var placed = TryPlace(frame, offload);
            if (placed != RxPlacement.NoBuffer)
                return placed == RxPlacement.Placed;
        }
        if (_rxQueueLength.Length == 0 || _rxQueued == _rxQueueLength.Length)
        {
            Counters.RxNoBuffer++;
            return false;
        }
        int slot = (_rxQueueHead + _rxQueued) % _rxQueueLength.Length;
        frame.CopyTo(_rxQueue.AsSpan(slot * _rxQueueSlot, _rxQueueSlot));
        _rxQueueLength[slot] = frame.Length;
        _rxQueueOffload[slot] = offload;
        _rxQueued++;
        Counters.RxDeferred++;
        if (_rxQueued == 1 && ArmRx(SlotsFor(frame.Length, offload)))
            DrainRx();
        return true;
    }

    /// <summary>RX slots a frame takes: one per 4 KiB page, plus one for a GSO extra_info.</summary>
    private static uint SlotsFor(int length, in FrameOffload offload) =>
        (uint)((length + PageSize - 1) / PageSize) + (offload.IsGso ? 1u : 0u);

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
            ref readonly FrameOffload offload = ref _rxQueueOffload[_rxQueueHead];
            var placed = TryPlace(_rxQueue.AsSpan(_rxQueueHead * _rxQueueSlot, len), offload);
            if (placed == RxPlacement.NoBuffer)
            {
                if (ArmRx(SlotsFor(len, offload)))
                    continue;
                break;
            }
            _rxQueueHead = (_rxQueueHead + 1) % _rxQueueLength.Length;
            _rxQueued--;
            moved++;
        }
        return moved;
    }

    /// <summary>Asks the frontend to notify once <paramref name="needed"/> buffers are posted; true
    /// if they already are (look again).</summary>
    private bool ArmRx(uint needed)
    {
        Volatile.Write(ref _rx.Shared->ReqEvent, _rx.ReqCons + needed);
        Interlocked.MemoryBarrier();
        return _rx.UnconsumedRequests >= needed;
    }

    private enum RxPlacement { Placed, NoBuffer, Dropped }

    /// <summary>Copies a frame into posted buffers, one page each, and answers them: the first
    /// response carries the checksum flags (csum_blank + data_validated for a partial checksum, as
    /// Linux netback sets them) and, for a super-frame, extra_info, with the GSO extra in the next
    /// slot (which consumes a request of its own); more_data chains the rest.</summary>
    private RxPlacement TryPlace(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        int pages = (frame.Length + PageSize - 1) / PageSize;
        int extra = offload.IsGso ? 1 : 0;
        uint needed = (uint)(pages + extra);
        if (_rx.UnconsumedRequests < needed)
            return RxPlacement.NoBuffer;
        // All buffers first (each copied out once), then the copies, so a bad grant in any of them
        // fails the frame as a whole and every consumed buffer is still answered.
        Span<NetifRxRequest> bufs = stackalloc NetifRxRequest[(int)needed];
        _rx.TakeRequests(bufs);
        short st = GrantStatus.Okay;
        for (int i = 0; i < pages && st == GrantStatus.Okay; i++)
        {
            int off = i * PageSize;
            st = _grants.TryCopyToGuest(bufs[i == 0 ? 0 : i + extra].Gref, 0, frame.Slice(off, Math.Min(PageSize, frame.Length - off)));
        }
        ushort firstFlags = offload.ChecksumPartial ? (ushort)(NetRxFlags.CsumBlank | NetRxFlags.DataValidated)
            : offload.DataValidated ? NetRxFlags.DataValidated : (ushort)0;
        if (extra != 0 && st == GrantStatus.Okay)
            firstFlags |= NetRxFlags.ExtraInfo;
        for (int i = 0; i < pages; i++)
        {
            int off = i * PageSize;
            short len = (short)Math.Min(PageSize, frame.Length - off);
            _rx.TryPushResponse(new NetifRxResponse
            {
                Id = bufs[i == 0 ? 0 : i + extra].Id,
                Offset = 0,
                Flags = (ushort)((i + 1 < pages ? NetRxFlags.MoreData : 0) | (i == 0 ? firstFlags : 0)),
                Status = st == GrantStatus.Okay ? len : NetifStatus.Error,
            });
            if (i == 0 && extra != 0)
            {
                // The GSO extra_info occupies the next response slot (a NULL-size one if the copy failed).
                NetifExtraInfo gso = default;
                gso.Type = st == GrantStatus.Okay ? NetifExtraType.Gso : NetifExtraType.None;
                gso.GsoSize = offload.GsoSize;
                gso.GsoType = NetifGsoType.TcpV4;
                if (st != GrantStatus.Okay)
                {
                    _rx.TryPushResponse(new NetifRxResponse { Id = bufs[1].Id, Status = NetifStatus.Error });
                    continue;
                }
                _rx.TryPushResponse(*(NetifRxResponse*)&gso);
            }
        }
        if (st != GrantStatus.Okay)
        {
            Counters.RxBadGrant++;
            return RxPlacement.Dropped;
        }
        if (extra != 0)
            Counters.RxGso++;
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
