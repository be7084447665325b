// The toolstack's door for `parakit list` and `parakit vif` in another shell (what xl asks libxl
// and Linux netback's debugfs shows): a Unix socket next to the store's, one line of request
// ("list", "vif NAME") and a text reply, then the connection closes. Requests are answered on
// the toolstack's control thread, so they see a consistent state; only the owner may connect.
using System.Net.Sockets;
using System.Text;

namespace ParaKit.Hypervisor.Toolstack;

public static class ControlSocketPath
{
    public const string EnvironmentVariable = "PARAKIT_CONTROL_SOCKET";

    /// <summary>$PARAKIT_CONTROL_SOCKET, else control.sock beside the store's socket.</summary>
    public static string Default() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } p
            ? p
            : Path.Combine(Path.GetDirectoryName(Store.StoreSocketPath.Default()) ?? "/run/parakit", "control.sock");
}

public sealed class ControlSocketServer : IDisposable
{
    private const int MaxRequest = 256;
    private readonly Socket _listener;
    private readonly Thread _accept;
    private readonly Func<string, string> _answer;
    private volatile bool _stop;

    public string Path { get; }

    private ControlSocketServer(string path, Socket listener, Func<string, string> answer)
    {
        Path = path;
        _listener = listener;
        _answer = answer;
        _accept = new Thread(AcceptLoop) { IsBackground = true, Name = "parakit-control" };
        _accept.Start();
    }

    /// <summary>Listens on <paramref name="path"/> (replacing a stale socket file); null with the
    /// reason when it cannot, for the domains run without it.</summary>
    public static ControlSocketServer? TryStart(string path, Func<string, string> answer, out string? problem)
    {
        problem = null;
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            string? dir = System.IO.Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(dir))
                Directory.CreateDirectory(dir);
            if (File.Exists(path))
            {
                if (ControlSocketClient.TryAsk(path, "ping", out _))
                    throw new IOException($"another hypervisor already answers at {path}");
                File.Delete(path);
            }
            s.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            s.Listen(8);
            return new ControlSocketServer(path, s, answer);
        }
        catch (Exception e) when (e is IOException or SocketException or UnauthorizedAccessException)
        {
            s.Dispose();
            problem = $"control socket {path}: {e.Message}";
            return null;
        }
    }

    private void AcceptLoop()
    {
        while (!_stop)
        {
            Socket c;
            try
            {
                c = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            using (c)
            {
                try
                {
                    c.ReceiveTimeout = 2000;
                    var buf = new byte[MaxRequest];
                    int n = 0;
                    while (n < buf.Length)
                    {
                        int r = c.Receive(buf, n, buf.Length - n, SocketFlags.None);
                        if (r <= 0)
                            break;
                        n += r;
                        if (Array.IndexOf(buf, (byte)'\n', 0, n) >= 0)
                            break;
                    }
                    string request = Encoding.UTF8.GetString(buf, 0, n).Split('\n')[0].Trim();
                    string reply = request == "ping" ? "pong\n" : _answer(request);
                    c.Send(Encoding.UTF8.GetBytes(reply));
                    c.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                    // A client that went away costs only its own request.
                }
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _listener.Dispose();
        _accept.Join(TimeSpan.FromSeconds(2));
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}

public static class ControlSocketClient
{
    /// <summary>Sends one request and reads the whole reply; false if nobody answers at <paramref name="path"/>.</summary>
    public static bool TryAsk(string path, string request, out string reply)
    {
        reply = "";
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(path));
            s.Send(Encoding.UTF8.GetBytes(request + "\n"));
            s.ReceiveTimeout = 5000;
            var ms = new MemoryStream();
            var buf = new byte[4096];
            int r;
            while ((r = s.Receive(buf)) > 0)
                ms.Write(buf, 0, r);
            reply = Encoding.UTF8.GetString(ms.ToArray());
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
