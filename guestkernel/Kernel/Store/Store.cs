// The guest's XenStore client: requests go into the req half of the store page
// (StartInfo.StoreRingAddress), the store event channel tells domain 0, and the caller blocks
// in SCHEDOP_poll on that port until the reply with its request id is back in the rsp half.
// WATCH_EVENTs that arrive meanwhile are queued and handed to their handlers by
// DispatchWatches (or the port's handler when an Events loop runs): never in the middle of
// another request, so a handler may itself use the store. One vCPU: no locking.
using System;
using System.Collections.Generic;
using ParaKit.Protocols.Store;

namespace ParaKit.Kernel;

public static unsafe class Store
{
    /// <summary>How long a request waits for its reply before giving up with EIO.</summary>
    public const ulong ReplyTimeoutNs = 10_000_000_000;

    private static XenstoreDomainInterface* s_page;
    private static uint s_port;
    private static uint s_nextReq;
    private static bool s_busy;
    private static bool s_dispatching;
    private static byte[]? s_out;
    private static byte[]? s_in;
    private static int s_have;
    private static List<string>? s_eventPaths;
    private static List<string>? s_eventTokens;
    private static List<string>? s_watchTokens;
    private static List<Action<string, string>>? s_watchHandlers;

    /// <summary>The error of the last failed call (None after a success).</summary>
    public static XsError LastError;
    /// <summary>Requests sent, replies received, event-channel sends, polls that blocked.</summary>
    public static ulong Requests, Notifies, Waits;

    public static bool IsAvailable => Kernel.StartInfo->StoreRingAddress != 0 && Kernel.StartInfo->StoreEventChannel != 0;
    public static uint Port => Kernel.StartInfo->StoreEventChannel;

    /// <summary>Connects to the store page from StartInfo; false if this domain has none.
    /// Called on first use; registers the port's handler for Events loops.</summary>
    public static bool Initialize()
    {
        if (s_page != null)
            return true;
        if (!IsAvailable)
            return false;
        s_page = (XenstoreDomainInterface*)Kernel.StartInfo->StoreRingAddress;
        s_port = Kernel.StartInfo->StoreEventChannel;
        s_out = new byte[XsLimits.MessageMax];
        s_in = new byte[XsLimits.MessageMax];
        s_eventPaths = new List<string>();
        s_eventTokens = new List<string>();
        s_watchTokens = new List<string>();
        s_watchHandlers = new List<Action<string, string>>();
        Events.Register(s_port, OnStoreEvent);
        return true;
    }

    // ---- the operations -------------------------------------------------------------------

    /// <summary>READ: the value, or null (see <see cref="LastError"/>).</summary>
    public static string? Read(string path, uint tx = 0)
    {
        byte[]? r = Call(XsdSockMsgType.Read, path, null, tx);
        return r is null ? null : Ascii(r, 0, r.Length);
    }

    /// <summary>WRITE: creates missing parents. Returns None or the store's error.</summary>
    public static XsError Write(string path, string value, uint tx = 0)
        => Call(XsdSockMsgType.Write, path, value, tx) is null ? LastError : XsError.None;

    public static XsError Mkdir(string path, uint tx = 0)
        => Call(XsdSockMsgType.Mkdir, path, null, tx) is null ? LastError : XsError.None;

    /// <summary>RM: the node and everything below it.</summary>
    public static XsError Remove(string path, uint tx = 0)
        => Call(XsdSockMsgType.Rm, path, null, tx) is null ? LastError : XsError.None;

    /// <summary>DIRECTORY: the children's names, or null. A list too long for one reply (E2BIG)
    /// is fetched in pieces with DIRECTORY_PART, starting over if the directory changes meanwhile.</summary>
    public static string[]? Directory(string path, uint tx = 0)
    {
        byte[]? r = Call(XsdSockMsgType.Directory, path, null, tx);
        if (r is null)
            return LastError == XsError.E2BIG ? DirectoryInParts(path, tx) : null;
        var names = new List<string>();
        AddNames(names, r, 0, r.Length);
        return names.ToArray();
    }

    private static string[]? DirectoryInParts(string path, uint tx)
    {
        for (int restart = 0; restart < 8; restart++)
        {
            var names = new List<string>();
            string? generation = null;
            uint offset = 0;
            while (true)
            {
                // Reply: "<generation>\0" then whole names from the offset, and one more nul at the end.
                byte[]? r = Call(XsdSockMsgType.DirectoryPart, path, offset.ToString(), tx, watch: true);
                if (r is null)
                    return null;
                int genEnd = 0;
                while (genEnd < r.Length && r[genEnd] != 0)
                    genEnd++;
                string gen = Ascii(r, 0, genEnd);
                if (generation != null && gen != generation)
                    break; // the directory changed between pieces: start over
                generation = gen;
                bool complete = r.Length >= 2 && r[r.Length - 1] == 0 && r[r.Length - 2] == 0;
                int end = complete ? r.Length - 1 : r.Length;
                int before = names.Count;
                offset += (uint)(end - (genEnd + 1));
                AddNames(names, r, genEnd + 1, end);
                if (complete)
                    return names.ToArray();
                if (names.Count == before)
                {
                    LastError = XsError.EIO; // no progress: a broken reply
                    return null;
                }
            }
        }
        LastError = XsError.EAGAIN;
        return null;
    }

    /// <summary>Adds the nul-terminated names in r[start..end).</summary>
    private static void AddNames(List<string> names, byte[] r, int start, int end)
    {
        int from = start;
        for (int i = start; i < end; i++)
        {
            if (r[i] == 0)
            {
                names.Add(Ascii(r, from, i - from));
                from = i + 1;
            }
        }
    }

    /// <summary>SET_PERMS: entries such as "n3" (owner 3, nobody else) then "r5" (domain 5 may
    /// read). Only the owner may change them, and only domain 0 may give a node away.</summary>
    public static XsError SetPermissions(string path, string[] perms, uint tx = 0)
    {
        if (perms.Length == 0)
            return LastError = XsError.EINVAL;
        return Call(XsdSockMsgType.SetPerms, path, string.Join("\0", perms), tx, watch: true) is null ? LastError : XsError.None;
    }

    /// <summary>GET_DOMAIN_PATH: "/local/domain/N".</summary>
    public static string? GetDomainPath(uint domid)
    {
        byte[]? r = Call(XsdSockMsgType.GetDomainPath, domid.ToString(), null, 0);
        return r is null ? null : Ascii(r, 0, r.Length > 0 && r[r.Length - 1] == 0 ? r.Length - 1 : r.Length);
    }

    /// <summary>TRANSACTION_START: the transaction id, or 0 (see <see cref="LastError"/>).</summary>
    public static uint TransactionStart()
    {
        byte[]? r = Call(XsdSockMsgType.TransactionStart, "", null, 0);
        if (r is null)
            return 0;
        if (!XsCodec.TryParseUInt(r, out uint id))
        {
            LastError = XsError.EIO;
            return 0;
        }
        return id;
    }

    /// <summary>TRANSACTION_END: commit (true) or abort. EAGAIN means another writer got there
    /// first: start again.</summary>
    public static XsError TransactionEnd(uint tx, bool commit)
        => Call(XsdSockMsgType.TransactionEnd, commit ? "T" : "F", null, tx) is null ? LastError : XsError.None;

    /// <summary>WATCH: <paramref name="handler"/>(path, token) runs for every event with this token,
    /// starting with one right away (as xenstored fires a new watch once).</summary>
    public static XsError Watch(string path, string token, Action<string, string> handler)
    {
        if (!Initialize())
            return LastError = XsError.ENOSYS;
        s_watchTokens!.Add(token);
        s_watchHandlers!.Add(handler);
        if (CallWatch(XsdSockMsgType.Watch, path, token) is null)
        {
            int i = s_watchTokens.Count - 1;
            s_watchTokens.RemoveAt(i);
            s_watchHandlers.RemoveAt(i);
            return LastError;
        }
        return XsError.None;
    }

    public static XsError Unwatch(string path, string token)
    {
        if (CallWatch(XsdSockMsgType.Unwatch, path, token) is null)
            return LastError;
        for (int i = 0; i < s_watchTokens!.Count; i++)
        {
            if (s_watchTokens[i] == token)
            {
                s_watchTokens.RemoveAt(i);
                s_watchHandlers!.RemoveAt(i);
                break;
            }
        }
        return XsError.None;
    }

    /// <summary>Watch events received and not yet handed to their handlers.</summary>
    public static int QueuedEvents => s_eventPaths is null ? 0 : s_eventPaths.Count;

    /// <summary>Hands queued watch events to their handlers; returns how many ran.</summary>
    public static int DispatchWatches()
    {
        if (s_dispatching || s_busy || s_eventPaths is null)
            return 0;
        s_dispatching = true;
        int n = 0;
        while (s_eventPaths.Count > 0)
        {
            string path = s_eventPaths[0];
            string token = s_eventTokens![0];
            s_eventPaths.RemoveAt(0);
            s_eventTokens.RemoveAt(0);
            for (int i = 0; i < s_watchTokens!.Count; i++)
            {
                if (s_watchTokens[i] == token)
                {
                    n++;
                    s_watchHandlers![i](path, token);
                    break;
                }
            }
        }
        s_dispatching = false;
        return n;
    }

    /// <summary>Blocks until at least one watch event is queued (then dispatches) or the absolute
    /// deadline passes. True if handlers ran.</summary>
    public static bool WaitForWatch(ulong deadlineNs)
    {
        if (!Initialize())
            return false;
        while (true)
        {
            Pump();
            if (QueuedEvents > 0)
            {
                DispatchWatches();
                return true;
            }
            if (Clock.NowNs() >= deadlineNs)
                return false;
            WaitForStoreEvent(deadlineNs);
        }
    }

    // ---- the machinery ---------------------------------------------------------------------

    private static byte[]? CallWatch(XsdSockMsgType type, string path, string token)
    {
        return Call(type, path, token, 0, watch: true);
    }

    /// <summary>Builds, sends and waits for one request. Payload: "path\0", then the value if any
    /// (WRITE: "path\0value"), then a nul for watches ("path\0token\0"). Single arguments travel
    /// as the path ("5\0" for GET_DOMAIN_PATH, "\0" for TRANSACTION_START, "T\0" to commit).</summary>
    private static byte[]? Call(XsdSockMsgType type, string path, string? value, uint tx, bool watch = false)
    {
        LastError = XsError.None;
        if (!Initialize())
        {
            LastError = XsError.ENOSYS;
            return null;
        }
        if (s_page->Error != XenstoreRingConstants.ErrorNone)
        {
            // Domain 0 closed this ring (it found it corrupt): nothing will ever answer.
            LastError = XsError.EIO;
            return null;
        }
        if (s_busy)
        {
            // A watch handler run from inside a request cannot make another one.
            LastError = XsError.EBUSY;
            return null;
        }
        byte[] msg = s_out!;
        int at = XsdSockMsg.Size;
        if (!Put(msg, ref at, path) || !PutNul(msg, ref at))
            return TooBig();
        if (value != null && !Put(msg, ref at, value))
            return TooBig();
        if (watch && !PutNul(msg, ref at))
            return TooBig();
        uint reqId = ++s_nextReq;
        XsdSockMsg h;
        h.Type = (uint)type;
        h.ReqId = reqId;
        h.TxId = tx;
        h.Len = (uint)(at - XsdSockMsg.Size);
        XsCodec.TryWriteHeader(msg, h);
        s_busy = true;
        byte[]? reply = SendAndWait(msg, at, reqId);
        s_busy = false;
        // Watch events that came with (or before) the reply are queued or still in the ring, and
        // their notification was consumed while we waited: mark the port pending again so an
        // Events loop runs our handler instead of sleeping on them.
        if (QueuedEvents > 0 || (XenstoreRing.ResponseAvailable(s_page, out int left) == Protocols.Rings.ByteRingStatus.Ok && left > 0))
            Protocols.Events.EventChannelBits.SetPending(Kernel.SharedInfo, s_port);
        return reply;
    }

    private static byte[]? TooBig()
    {
        LastError = XsError.E2BIG;
        return null;
    }

    private static byte[]? SendAndWait(byte[] msg, int length, uint reqId)
    {
        Requests++;
        ulong deadline = Clock.NowNs() + ReplyTimeoutNs;
        int sent = 0;
        while (sent < length)
        {
            if (XenstoreRing.WriteRequest(s_page, new ReadOnlySpan<byte>(msg, sent, length - sent), out int w) != Protocols.Rings.ByteRingStatus.Ok)
                return Broken();
            sent += w;
            Notify();
            if (sent < length)
            {
                // Ring full: wait for domain 0 to consume (its notify), queueing any events meanwhile.
                if (!Pump() && !WaitForStoreEvent(deadline))
                    return TimedOut();
            }
        }
        while (true)
        {
            byte[]? reply = ReadMessage(reqId, out bool broken, out bool found);
            if (broken)
                return Broken();
            if (found)
                return reply;
            if (!WaitForStoreEvent(deadline))
                return TimedOut();
        }
    }

    /// <summary>Reads whole messages until the reply to <paramref name="reqId"/> (queued watch
    /// events on the way). found=false when the ring ran dry first.</summary>
    private static byte[]? ReadMessage(uint reqId, out bool broken, out bool found)
    {
        broken = false;
        found = false;
        while (true)
        {
            int before = s_have;
            XsDecodeStatus st = XenstoreMessageReader.ReadResponse(s_page, s_in, ref s_have, out XsdSockMsg h, out int length);
            if (st == XsDecodeStatus.Truncated)
            {
                // A message larger than the ring: tell domain 0 there is room again.
                if (s_have > before)
                    Notify();
                return null;
            }
            if (st != XsDecodeStatus.Ok)
            {
                broken = true;
                return null;
            }
            s_have = 0;
            int plen = length - XsdSockMsg.Size;
            if (h.Type == (uint)XsdSockMsgType.WatchEvent)
            {
                QueueEvent(plen);
                continue;
            }
            if (h.ReqId != reqId)
                continue; // a stale reply (a request that timed out earlier)
            found = true;
            byte[] payload = new byte[plen];
            for (int i = 0; i < plen; i++)
                payload[i] = s_in![XsdSockMsg.Size + i];
            if (h.Type == (uint)XsdSockMsgType.Error)
            {
                LastError = XsCodec.TryParseError(payload, out XsError e) == XsDecodeStatus.Ok ? e : XsError.EIO;
                return null;
            }
            return payload;
        }
    }

    private static void QueueEvent(int plen)
    {
        var p = new ReadOnlySpan<byte>(s_in!, XsdSockMsg.Size, plen);
        if (XsCodec.TryParseWatch(p, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> token) != XsDecodeStatus.Ok)
            return;
        fixed (byte* pp = path)
        fixed (byte* tp = token)
        {
            s_eventPaths!.Add(string.FromAscii(pp, path.Length));
            s_eventTokens!.Add(string.FromAscii(tp, token.Length));
        }
    }

    /// <summary>Reads whatever is in the rsp ring outside a request (watch events only). True if
    /// something was read.</summary>
    private static bool Pump()
    {
        if (s_busy)
            return false;
        int before = QueuedEvents;
        ReadMessage(0, out _, out _);
        return QueuedEvents > before;
    }

    /// <summary>The port's handler in an Events loop: pick up watch events and run their handlers.</summary>
    private static void OnStoreEvent(uint port)
    {
        if (s_busy)
            return;
        Pump();
        DispatchWatches();
    }

    /// <summary>Blocks until the store port is pending (clearing it first, so no wake-up is lost
    /// between the caller's last look at the ring and the poll). False after the deadline.</summary>
    private static bool WaitForStoreEvent(ulong deadline)
    {
        if (Clock.NowNs() >= deadline)
            return false;
        uint* ports = stackalloc uint[1];
        ports[0] = s_port;
        Protocols.Events.EventChannelBits.ClearPending(Kernel.SharedInfo, s_port);
        // Something may have arrived before the bit was cleared: look once more before sleeping.
        if (XenstoreRing.ResponseAvailable(s_page, out int avail) == Protocols.Rings.ByteRingStatus.Ok && avail > 0)
            return true;
        Waits++;
        Scheduler.Poll(new ReadOnlySpan<uint>(ports, 1), deadline);
        return true;
    }

    private static void Notify()
    {
        Notifies++;
        Events.Send(s_port);
    }

    private static byte[]? Broken()
    {
        LastError = XsError.EIO;
        return null;
    }

    private static byte[]? TimedOut()
    {
        LastError = XsError.EIO;
        s_have = 0;
        return null;
    }

    private static bool Put(byte[] dest, ref int at, string s)
    {
        if (s.Length > dest.Length - at)
            return false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            dest[at++] = c < 128 ? (byte)c : (byte)'?';
        }
        return true;
    }

    private static bool PutNul(byte[] dest, ref int at)
    {
        if (at >= dest.Length)
            return false;
        dest[at++] = 0;
        return true;
    }

    private static string Ascii(byte[] b, int start, int length)
    {
        if (length == 0)
            return "";
        fixed (byte* p = b)
            return string.FromAscii(p + start, length);
    }
}
