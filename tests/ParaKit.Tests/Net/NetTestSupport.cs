// Test doubles for netback: a fake grant table (pages by ref, with refs that fail on purpose),
// a frame sink that records, and a netfront-shaped driver of the two rings on real native pages.
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;
using ParaKit.Tests.Protocols;

namespace ParaKit.Tests.Net;

/// <summary>Granted pages by ref; a ref that was never granted (or was revoked) answers bad_gntref.</summary>
internal sealed class FakeGrants : INetbackGrants
{
    public readonly Dictionary<uint, byte[]> Pages = new();
    public uint NextRef = 8;   // refs 0-7 are reserved, as in Xen
    public int CopiesFrom, CopiesTo;

    public uint Grant(byte[] page)
    {
        uint r = NextRef++;
        Pages[r] = page;
        return r;
    }

    public short TryCopyFromGuest(uint gref, int offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > 4096)
            return GrantStatus.BadCopyArg;
        if (!Pages.TryGetValue(gref, out var page))
            return GrantStatus.BadGntref;
        CopiesFrom++;
        page.AsSpan(offset, destination.Length).CopyTo(destination);
        return GrantStatus.Okay;
    }

    public short TryCopyToGuest(uint gref, int offset, ReadOnlySpan<byte> source)
    {
        if (offset < 0 || offset + source.Length > 4096)
            return GrantStatus.BadCopyArg;
        if (!Pages.TryGetValue(gref, out var page))
            return GrantStatus.BadGntref;
        CopiesTo++;
        source.CopyTo(page.AsSpan(offset));
        return GrantStatus.Okay;
    }
}

internal sealed class RecordingSink : IFrameSink
{
    public readonly List<byte[]> Frames = new();

    public void Deliver(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
}

/// <summary>The guest's side of a vif, as netfront would drive it, plus the netback under test.</summary>
internal sealed unsafe class VifHarness : IDisposable
{
    public readonly TestPage TxPage = new(), RxPage = new();
    public FrontRing<NetifTxRequest, NetifTxResponse> Tx;
    public FrontRing<NetifRxRequest, NetifRxResponse> Rx;
    public readonly FakeGrants Grants = new();
    public readonly RecordingSink Sink = new();
    public readonly Netback Back;
    public int Notifications;
    /// <summary>Responses the guest has read back, in order.</summary>
    public readonly List<NetifTxResponse> TxResponses = new();
    /// <summary>Frames the guest has reassembled from RX responses, in order; RX responses with errors.</summary>
    public readonly List<byte[]> Received = new();
    public int RxErrors;
    private readonly Dictionary<ushort, uint> _rxBufs = new();
    private ushort _nextRxId, _nextTxId;
    private readonly List<byte> _partial = new();

    public VifHarness(uint txStart = 0, uint rxStart = 0, int mtu = NetifLimits.DefaultMtu, IFrameSink? sink = null, bool rxNotify = false,
        bool rxGso = false, bool rxChecksumOffload = false)
    {
        Tx = FrontRing<NetifTxRequest, NetifTxResponse>.InitAt(TxPage.Pointer, txStart);
        Rx = FrontRing<NetifRxRequest, NetifRxResponse>.InitAt(RxPage.Pointer, rxStart);
        Back = new Netback(TxPage.Pointer, RxPage.Pointer, Grants, sink ?? Sink, () => Notifications++, mtu, rxNotify: rxNotify,
            rxGso: rxGso, rxChecksumOffload: rxChecksumOffload);
    }

    /// <summary>Queues one packet split into fragments of the given sizes (each on its own granted
    /// page at a small offset); false if the ring has no room. Publishes (and says if the backend asked).</summary>
    public bool Send(byte[] frame, IReadOnlyList<int> fragSizes, ushort extraType = 0, ushort firstFlags = 0,
        ushort gsoSize = 1400, byte gsoType = NetifGsoType.TcpV4)
    {
        int slots = fragSizes.Count + (extraType != 0 ? 1 : 0);
        if (Tx.FreeRequests < slots)
            return false;
        int at = 0;
        for (int i = 0; i < fragSizes.Count; i++)
        {
            int len = fragSizes[i];
            var page = new byte[4096];
            int off = (i * 7) % (4096 - len + 1);
            frame.AsSpan(at, len).CopyTo(page.AsSpan(off));
            at += len;
            ushort flags = i + 1 < fragSizes.Count ? NetTxFlags.MoreData : (ushort)0;
            if (i == 0 && extraType != 0)
                flags |= NetTxFlags.ExtraInfo;
            if (i == 0)
                flags |= firstFlags;
            Tx.TryPushRequest(new NetifTxRequest
            {
                Gref = Grants.Grant(page), Offset = (ushort)off, Flags = flags, Id = _nextTxId++,
                Size = (ushort)(i == 0 ? frame.Length : len),
            });
            if (i == 0 && extraType != 0)
                Tx.TryPushRequestAs(new NetifExtraInfo { Type = (byte)extraType, GsoSize = gsoSize, GsoType = gsoType });
        }
        Tx.PushRequestsAndCheckNotify();
        return true;
    }

    /// <summary>Splits a frame into page-sized fragments (the first one shortest) and sends it.</summary>
    public bool Send(byte[] frame) => Send(frame, SplitForTx(frame.Length, 3));

    public static List<int> SplitForTx(int length, int pieces)
    {
        var sizes = new List<int>();
        int left = length;
        for (int i = 0; i < pieces - 1 && left > 0; i++)
        {
            int s = Math.Min(left, Math.Max(1, length / pieces));
            sizes.Add(s);
            left -= s;
        }
        if (left > 0 || sizes.Count == 0)
            sizes.Add(left);
        return sizes;
    }

    public void ReapTx()
    {
        while (Tx.TryTakeResponse(out var r))
            TxResponses.Add(r);
    }

    /// <summary>Posts up to <paramref name="n"/> fresh RX buffers.</summary>
    public int PostRx(int n)
    {
        int posted = 0;
        while (posted < n && Rx.FreeRequests > 0)
        {
            ushort id = _nextRxId++;
            uint gref = Grants.Grant(new byte[4096]);
            _rxBufs[id] = gref;
            Rx.TryPushRequest(new NetifRxRequest { Id = id, Gref = gref });
            posted++;
        }
        Rx.PushRequestsAndCheckNotify();
        return posted;
    }

    public void ReapRx()
    {
        while (Rx.TryTakeResponse(out var r))
        {
            uint gref = _rxBufs[r.Id];
            _rxBufs.Remove(r.Id);
            if (r.Status < 0)
            {
                RxErrors++;
                _partial.Clear();
                continue;
            }
            _partial.AddRange(Grants.Pages[gref].AsSpan(r.Offset, r.Status).ToArray());
            if ((r.Flags & NetRxFlags.MoreData) == 0)
            {
                Received.Add(_partial.ToArray());
                _partial.Clear();
            }
        }
    }

    public void Dispose()
    {
        TxPage.Dispose();
        RxPage.Dispose();
    }
}
