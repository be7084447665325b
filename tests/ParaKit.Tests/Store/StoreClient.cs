// A synchronous test client of the in-process XenStore: sends one request through
// XenStore.Process, takes its reply off the connection and keeps watch events aside.
using System.Text;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Tests.Store;

internal sealed class StoreClient
{
    private uint _reqId;
    public XenStore Store { get; }
    public StoreConnection Conn { get; }
    public List<(string Path, string Token)> Events { get; } = [];

    public StoreClient(XenStore store, uint domid)
    {
        Store = store;
        Conn = new StoreConnection(domid, "test" + domid);
        store.Attach(Conn);
    }

    public static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    /// <summary>Sends a request; returns (type, payload) of its reply.</summary>
    public (XsdSockMsgType Type, byte[] Payload) Raw(XsdSockMsgType type, byte[] payload, uint tx = 0)
    {
        uint id = ++_reqId;
        var h = new XsdSockMsg { Type = (uint)type, ReqId = id, TxId = tx, Len = (uint)payload.Length };
        Store.Process(Conn, h, payload);
        (XsdSockMsgType, byte[])? reply = null;
        while (Conn.TakeOutput() is { } msg)
        {
            Assert.That(XsCodec.TryDecode(msg, out var rh, out var p, out _), Is.EqualTo(XsDecodeStatus.Ok));
            if (rh.Type == (uint)XsdSockMsgType.WatchEvent)
            {
                Assert.That(XsCodec.TryParseWatch(p, out var wp, out var wt), Is.EqualTo(XsDecodeStatus.Ok));
                Events.Add((Encoding.ASCII.GetString(wp), Encoding.Latin1.GetString(wt)));
                continue;
            }
            Assert.That(reply, Is.Null, "exactly one reply per request");
            Assert.That(rh.ReqId, Is.EqualTo(id));
            reply = ((XsdSockMsgType)rh.Type, p.ToArray());
        }
        Assert.That(reply, Is.Not.Null, "a reply for every request");
        return reply!.Value;
    }

    /// <summary>Collects watch events queued by other clients' requests.</summary>
    public void Drain()
    {
        while (Conn.TakeOutput() is { } msg)
        {
            Assert.That(XsCodec.TryDecode(msg, out var rh, out var p, out _), Is.EqualTo(XsDecodeStatus.Ok));
            Assert.That(rh.Type, Is.EqualTo((uint)XsdSockMsgType.WatchEvent));
            XsCodec.TryParseWatch(p, out var wp, out var wt);
            Events.Add((Encoding.ASCII.GetString(wp), Encoding.Latin1.GetString(wt)));
        }
    }

    /// <summary>"OK", the value, or the error name.</summary>
    public string Call(XsdSockMsgType type, string payload, uint tx = 0)
    {
        var (t, p) = Raw(type, B(payload), tx);
        if (t == XsdSockMsgType.Error)
        {
            Assert.That(XsCodec.TryParseError(p, out var e), Is.EqualTo(XsDecodeStatus.Ok));
            return e.ToString();
        }
        Assert.That(t, Is.EqualTo(type));
        return Encoding.ASCII.GetString(p);
    }

    public string Read(string path, uint tx = 0) => Call(XsdSockMsgType.Read, path + "\0", tx);
    public string Write(string path, string value, uint tx = 0) => Call(XsdSockMsgType.Write, path + "\0" + value, tx);
    public string Mkdir(string path, uint tx = 0) => Call(XsdSockMsgType.Mkdir, path + "\0", tx);
    public string Rm(string path, uint tx = 0) => Call(XsdSockMsgType.Rm, path + "\0", tx);
    public string Dir(string path, uint tx = 0) => Call(XsdSockMsgType.Directory, path + "\0", tx);
    public string Watch(string path, string token) => Call(XsdSockMsgType.Watch, path + "\0" + token + "\0");
    public string Unwatch(string path, string token) => Call(XsdSockMsgType.Unwatch, path + "\0" + token + "\0");
    public string GetPerms(string path) => Call(XsdSockMsgType.GetPerms, path + "\0");
    public string SetPerms(string path, params string[] perms) => Call(XsdSockMsgType.SetPerms, path + "\0" + string.Concat(perms.Select(p => p + "\0")));

    public uint Start()
    {
        string r = Call(XsdSockMsgType.TransactionStart, "\0");
        Assert.That(uint.TryParse(r.TrimEnd('\0'), out uint id), Is.True, r);
        return id;
    }

    public string End(uint tx, bool commit) => Call(XsdSockMsgType.TransactionEnd, commit ? "T\0" : "F\0", tx);
}
