// Domain 0's local door into the store, like xenstored's Unix socket: the same wire format
// (xsd_sockmsg header + payload) over a stream socket, one StoreConnection per client with
// domain 0's privileges. `parakit create` opens it so `parakit xenstore ...` in another shell
// reaches the running hypervisor. The socket file is only created if the directory is ours.
using System.Net.Sockets;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

public static class StoreSocketPath
{
    public const string EnvironmentVariable = "PARAKIT_XENSTORE_SOCKET";

    /// <summary>$PARAKIT_XENSTORE_SOCKET, else $XDG_RUNTIME_DIR/parakit/xenstored.sock, else
    /// /run/parakit/xenstored.sock.</summary>
    public static string Default()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } p)
            return p;
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } xdg)
            return Path.Combine(xdg, "parakit", "xenstored.sock");
        return "/run/parakit/xenstored.sock";
    }
}

public sealed class StoreSocketServer : IDisposable
{
    private readonly XenStore _store;
    private readonly Socket _listener;
    private readonly Thread _accept;
    private readonly List<Socket> _clients = [];
    private readonly Lock _lock = new();
    private volatile bool _stop;

    public string Path { get; }

    private StoreSocketServer(XenStore store, string path, Socket listener)
    {
        _store = store;
        Path = path;
        _listener = listener;
        _accept = new Thread(AcceptLoop) { IsBackground = true, Name = "xenstored-socket" };
        _accept.Start();
    }

    /// <summary>Listens on <paramref name="path"/>; replaces a stale socket file, but not one a
    /// running hypervisor still answers on. Throws IOException with a sentence on failure.</summary>
    public static StoreSocketServer Start(XenStore store, string path)
    {
        string? dir = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        if (File.Exists(path))
        {
            if (IsLive(path))
                throw new IOException($"another hypervisor already serves the store at {path}");
            File.Delete(path);
        }
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            s.Bind(new UnixDomainSocketEndPoint(path));
            // Domain 0's store: only the user who runs the hypervisor may connect.
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            s.Listen(16);
        }
        catch (SocketException e)
        {
            s.Dispose();
            throw new IOException($"cannot listen on {path}: {e.Message}");
        }
        return new StoreSocketServer(store, path, s);
    }

    /// <summary>Like <see cref="Start"/>, but a failure is returned as a sentence: the domains
    /// still run without the socket (another hypervisor may hold it).</summary>
    public static StoreSocketServer? TryStart(XenStore store, string path, out string? problem)
    {
        problem = null;
        try
        {
            return Start(store, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return null;
        }
    }

    private static bool IsLive(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void AcceptLoop()
    {
        while (!_stop)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception) when (_stop)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            lock (_lock)
                _clients.Add(client);
            new Thread(() => Serve(client)) { IsBackground = true, Name = "xenstored-client" }.Start();
        }
    }

    private void Serve(Socket socket)
    {
        var conn = new StoreConnection(0, "socket");
        var wake = new SemaphoreSlim(0);
        var drained = new SemaphoreSlim(0);
        conn.OutputQueued += _ => wake.Release();
        _store.Attach(conn);
        // Replies and watch events go out on their own thread, so a store caller never waits on a socket.
        var writer = new Thread(() =>
        {
            try
            {
                while (!conn.IsClosed)
                {
                    wake.Wait(200);
                    while (conn.TakeOutput() is { } msg)
                    {
                        socket.Send(msg);
                        if (drained.CurrentCount == 0)
                            drained.Release();
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }) { IsBackground = true, Name = "xenstored-client-out" };
        writer.Start();
        var buf = new byte[XsLimits.MessageMax];
        try
        {
            while (!_stop)
            {
                // A client that does not read its replies is not read either (cxenstored's
                // quota-outstanding): its requests wait in the socket, not in our memory.
                while (!_store.MayRead(conn) && !_stop && !conn.IsClosed)
                    drained.Wait(200);
                if (!ReadExactly(socket, buf.AsSpan(0, XsdSockMsg.Size)))
                    break;
                // A length beyond the limit is a broken client: drop it (the store keeps going).
                if (XsCodec.TryReadHeader(buf, out var h) != XsDecodeStatus.Ok)
                    break;
                if (!ReadExactly(socket, buf.AsSpan(XsdSockMsg.Size, (int)h.Len)))
                    break;
                _store.Process(conn, h, buf.AsSpan(XsdSockMsg.Size, (int)h.Len));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _store.Close(conn);
        wake.Release();
        writer.Join(TimeSpan.FromSeconds(1));
        lock (_lock)
            _clients.Remove(socket);
        socket.Dispose();
    }

    internal static bool ReadExactly(Socket s, Span<byte> into)
    {
        while (into.Length > 0)
        {
            int n = s.Receive(into);
            if (n <= 0)
                return false;
            into = into[n..];
        }
        return true;
    }

    public void Dispose()
    {
        _stop = true;
        _listener.Dispose();
        lock (_lock)
        {
            foreach (var c in _clients)
            {
                try
                {
                    c.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                }
            }
        }
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A domain-0 client of a running hypervisor's store socket (the `parakit xenstore` verb).</summary>
public sealed class StoreSocketClient : IDisposable
{
    private readonly Socket _socket;
    private uint _reqId;

    private StoreSocketClient(Socket s) => _socket = s;

    /// <summary>Connects; a missing or dead socket is an IOException that says no hypervisor runs.</summary>
    public static StoreSocketClient Connect(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            s.Dispose();
            throw new IOException($"no running hypervisor: nothing answers on {path} (start one with `parakit create FILE`, or set {StoreSocketPath.EnvironmentVariable})");
        }
        return new StoreSocketClient(s);
    }

    /// <summary>The next message from the store, whatever it is (a reply or a WATCH_EVENT).</summary>
    public (XsdSockMsg Header, byte[] Payload) ReadMessage()
    {
        var header = new byte[XsdSockMsg.Size];
        if (!StoreSocketServer.ReadExactly(_socket, header) || XsCodec.TryReadHeader(header, out var h) != XsDecodeStatus.Ok)
            throw new IOException("the hypervisor closed the store connection");
        var body = new byte[h.Len];
        if (!StoreSocketServer.ReadExactly(_socket, body))
            throw new IOException("the hypervisor closed the store connection");
        return (h, body);
    }

    /// <summary>Sends one request and returns its reply (watch events in between are skipped).</summary>
    public (XsdSockMsgType Type, byte[] Payload) Request(XsdSockMsgType type, ReadOnlySpan<byte> payload, uint tx = 0)
    {
        uint id = ++_reqId;
        var msg = new byte[XsdSockMsg.Size + payload.Length];
        if (!XsCodec.TryEncode(msg, type, id, tx, payload, out _))
            throw new ArgumentException($"request payload of {payload.Length} bytes exceeds {XsLimits.PayloadMax}");
        _socket.Send(msg);
        while (true)
        {
            var (h, body) = ReadMessage();
            if (h.Type == (uint)XsdSockMsgType.WatchEvent || h.ReqId != id)
                continue;
            return ((XsdSockMsgType)h.Type, body);
        }
    }

    public void Dispose() => _socket.Dispose();
}
