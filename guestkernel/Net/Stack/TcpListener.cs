// A listening port: completed connections wait in a bounded accept queue until the application
// takes them. Half-open ones (SYN received) are not here but in the stack-wide TcpSynQueue, so a
// SYN flood fills that table (evicting its oldest entries) and never this queue or a buffer.
namespace ParaKit.Net.Stack;

public sealed class TcpListener
{
    private readonly TcpEngine _engine;
    private readonly TcpConnection?[] _queue;
    private int _head, _count;

    internal TcpListener(TcpEngine engine, ushort port, int backlog)
    {
        _engine = engine;
        Port = port;
        _queue = new TcpConnection?[backlog];
    }

    public ushort Port { get; }
    public int Backlog => _queue.Length;
    /// <summary>Connections established and waiting for Accept.</summary>
    public int Pending => _count;
    public bool IsOpen { get; private set; } = true;
    internal bool IsFull => _count == _queue.Length;

    /// <summary>The oldest established connection not yet accepted, or null when none is waiting.</summary>
    public TcpSocket? Accept()
    {
        if (_count == 0)
            return null;
        TcpConnection c = _queue[_head]!;
        _queue[_head] = null;
        _head = (_head + 1) % _queue.Length;
        _count--;
        c.Listener = null;
        return new TcpSocket(c);
    }

    /// <summary>Stops listening; connections not yet accepted are reset.</summary>
    public void Close()
    {
        if (!IsOpen)
            return;
        IsOpen = false;
        while (_count > 0)
        {
            TcpConnection c = _queue[_head]!;
            _queue[_head] = null;
            _head = (_head + 1) % _queue.Length;
            _count--;
            c.Listener = null;
            c.Abort(TcpError.Aborted);
        }
        _engine.RemoveListener(this);
    }

    internal void Enqueue(TcpConnection c)
    {
        _queue[(_head + _count) % _queue.Length] = c;
        _count++;
        c.Listener = this;
    }

    /// <summary>A queued connection that failed before it was accepted leaves the queue.</summary>
    internal void Remove(TcpConnection c)
    {
        for (int i = 0; i < _count; i++)
        {
            int at = (_head + i) % _queue.Length;
            if (_queue[at] != c)
                continue;
            for (int j = i; j < _count - 1; j++)
                _queue[(_head + j) % _queue.Length] = _queue[(_head + j + 1) % _queue.Length];
            _count--;
            _queue[(_head + _count) % _queue.Length] = null;
            c.Listener = null;
            return;
        }
    }
}
