// `parakit run --gdb PORT`: a GDB remote stub for one domain, listening on 127.0.0.1 only (the
// stub can rewrite the guest: it is not for the network). One thread accepts gdb and runs the
// session; a reader thread per connection turns socket bytes into events; the vCPU thread
// posts a "stopped" event when the guest enters debug_stop. Everything the session does
// happens on the one server thread, so GdbSession needs no locks. The guest stops before Main
// (StartInfoFlags.Debugger) and waits there for gdb; a gdb that connects while the guest runs
// interrupts it first (as gdb expects a stopped target), and a gdb that goes away takes its
// breakpoints out and lets the guest run on.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ParaKit.Hypervisor.Domains;
using ParaKit.Protocols.Boot;

namespace ParaKit.Hypervisor.Debugging;

public sealed class GdbServer : IDisposable
{
    private enum EventKind { Bytes, Disconnected, Stopped, Exited }

    private readonly record struct ServerEvent(EventKind Kind, int Connection = 0, byte[]? Data = null, int Status = 0);

    private readonly Domain _domain;
    private readonly DomainDebugger _debugger;
    private readonly Socket _listener;
    private readonly TextWriter _log;
    private readonly BlockingCollection<ServerEvent> _events = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Thread _thread;
    private Socket? _client;
    private volatile bool _connected;
    private int _connections;
    private long _handledStop;

    public int Port { get; }

    /// <summary>Packets gdb sent with a bad checksum (answered '-', gdb resends).</summary>
    public long CorruptPackets { get; private set; }

    private GdbServer(Domain domain, Socket listener, TextWriter log)
    {
        _domain = domain;
        _listener = listener;
        _log = log;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _debugger = new DomainDebugger(domain) { Stopped = OnGuestStopped };
        domain.Debugger = _debugger;
        domain.StartInfo.Flags |= StartInfoFlags.Debugger;
        domain.Stopped += d => Post(new ServerEvent(EventKind.Exited, Status: d.Exit?.ExitCode ?? 0));
        _thread = new Thread(AcceptLoop) { Name = $"gdb {domain.Name}", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0: any free port, see <see cref="Port"/>)
    /// for <paramref name="domain"/>, which must not have started yet (it stops before Main).</summary>
    public static GdbServer Start(Domain domain, int port, TextWriter log)
    {
        if (domain.State != DomainState.Created)
            throw new InvalidOperationException("the gdb stub attaches before the domain starts");
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(1);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new Cli.UsageException($"--gdb {port}: cannot listen on 127.0.0.1:{port}: {e.Message} (pick another port, or 0 for any free one)");
        }
        return new GdbServer(domain, listener, log);
    }

    private void Post(ServerEvent e)
    {
        try
        {
            _events.Add(e);
        }
        catch (InvalidOperationException)
        {
            // Disposed: nobody listens any more.
        }
    }

    private void OnGuestStopped()
    {
        if (!_connected)
            _log.WriteLine($"parakit: domain {_domain.Name} stopped; waiting for gdb on 127.0.0.1:{Port}");
        Post(new ServerEvent(EventKind.Stopped));
    }

    private void AcceptLoop()
    {
        while (!_closing.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            int connection = ++_connections;
            _client = client;
            _connected = true;
            bool domainEnded;
            try
            {
                domainEnded = Serve(client, connection);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                domainEnded = false;
            }
            finally
            {
                _connected = false;
                client.Dispose();
            }
            if (domainEnded || _closing.IsCancellationRequested)
                return;
        }
    }

    private void ReadLoop(Socket client, int connection)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = client.Receive(buffer);
                if (n <= 0)
                    break;
                Post(new ServerEvent(EventKind.Bytes, connection, buffer.AsSpan(0, n).ToArray()));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        Post(new ServerEvent(EventKind.Disconnected, connection));
    }

    /// <summary>Runs one gdb connection; true when the domain has ended (no more connections).</summary>
    private bool Serve(Socket client, int connection)
    {
        client.NoDelay = true;
        new Thread(() => ReadLoop(client, connection)) { Name = "gdb reader", IsBackground = true }.Start();
        var session = new GdbSession(_debugger);
        var reader = new GdbPacketReader();
        var inputs = new List<GdbInput>();
        var stash = new Queue<byte[]>();
        byte[]? lastSent = null;
        bool running, replyOnStop = false;
        if (_debugger.CurrentStop is { } stop)
        {
            _handledStop = stop.Id;
            session.OnStop(stop.Kind);
            running = false;
        }
        else
        {
            // gdb expects a stopped target when it connects: before the stop before Main the
            // guest is on its way there; later, interrupt it.
            if (_debugger.HasStopped)
                _debugger.RequestBreak();
            running = true;
        }

        void Send(byte[] wire)
        {
            client.Send(wire);
        }
        void SendPacket(string payload)
        {
            lastSent = GdbPackets.Encode(payload);
            Send(lastSent);
        }
        // Handles one packet from gdb; false when the connection ends.
        bool Dispatch(byte[] packet)
        {
            var action = session.Handle(packet);
            switch (action.Kind)
            {
                case GdbActionKind.Reply:
                    SendPacket(action.Reply);
                    return true;
                case GdbActionKind.Resume:
                    running = true;
                    replyOnStop = true;
                    _debugger.Resume(action.Step);
                    return true;
                case GdbActionKind.Detach:
                    SendPacket(action.Reply);
                    LetGo(session);
                    CloseGently(client, connection);
                    return false;
                default: // Kill
                    if (action.Reply.Length > 0)
                        SendPacket(action.Reply);
                    _log.WriteLine($"parakit: domain {_domain.Name}: killed by gdb");
                    _domain.Shutdown("killed by gdb");
                    CloseGently(client, connection);
                    return false;
            }
        }

        while (true)
        {
            var e = _events.Take(_closing.Token);
            switch (e.Kind)
            {
                case EventKind.Bytes when e.Connection == connection:
                    inputs.Clear();
                    reader.Feed(e.Data, inputs);
                    foreach (var input in inputs)
                    {
                        switch (input.Kind)
                        {
                            case GdbInputKind.Packet:
                                Send([GdbPackets.Ack]);
                                if (running)
                                    stash.Enqueue(input.Payload!);
                                else if (!Dispatch(input.Payload!))
                                    return false;
                                break;
                            case GdbInputKind.Corrupt:
                                CorruptPackets++;
                                Send([GdbPackets.Nack]);
                                break;
                            case GdbInputKind.Nack when lastSent is not null:
                                Send(lastSent);
                                break;
                            case GdbInputKind.Interrupt when running:
                                _debugger.RequestBreak();
                                break;
                        }
                    }
                    break;
                case EventKind.Disconnected when e.Connection == connection:
                    LetGo(session);
                    return false;
                case EventKind.Stopped:
                    if (_debugger.CurrentStop is not { } s || s.Id == _handledStop)
                        break;
                    _handledStop = s.Id;
                    string reply = session.OnStop(s.Kind);
                    running = false;
                    if (replyOnStop)
                        SendPacket(reply);
                    replyOnStop = false;
                    while (!running && stash.TryDequeue(out var packet))
                    {
                        if (!Dispatch(packet))
                            return false;
                    }
                    break;
                case EventKind.Exited:
                    SendPacket(GdbSession.Exited(e.Status));
                    CloseGently(client, connection);
                    return true;
            }
        }
    }

    /// <summary>Our last word is sent: let gdb read it, ack it and close first (up to a second).
    /// Closing with its ack unread would reset the connection before gdb saw the reply.</summary>
    private void CloseGently(Socket client, int connection)
    {
        client.Shutdown(SocketShutdown.Send);
        var deadline = DateTime.UtcNow.AddSeconds(1);
        while (deadline - DateTime.UtcNow is var left && left > TimeSpan.Zero && _events.TryTake(out var e, left)
            && !(e.Kind == EventKind.Disconnected && e.Connection == connection))
        {
        }
    }

    /// <summary>gdb left: take its breakpoints out and let a stopped guest run on.</summary>
    private void LetGo(GdbSession session)
    {
        int failed = session.RemoveAllBreakpoints();
        if (failed > 0)
            _log.WriteLine($"parakit: domain {_domain.Name}: {failed} breakpoint(s) could not be removed when gdb left");
        _debugger.Resume(step: false);
    }

    public void Dispose()
    {
        // A connected gdb is told how the domain ended (the Exited event, posted by the vCPU
        // thread just after the domain's end is signalled): give the server thread the moment.
        if (_connected && _domain.Exit is not null)
            _thread.Join(TimeSpan.FromSeconds(2));
        _closing.Cancel();
        _listener.Dispose();
        try
        {
            _client?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _client?.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
        _events.CompleteAdding();
        _closing.Dispose();
    }
}
