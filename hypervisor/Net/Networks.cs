// The in-process switches of one hypervisor, by name (xl.cfg's `bridge=NAME`): each is created
// on first use with its own network worker thread, so separate networks never share a lock or a
// thread; an optional pcap capture per switch. Disposed after every domain is gone.
namespace ParaKit.Hypervisor.Net;

public sealed class Networks : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NetworkWorker> _workers = new(StringComparer.Ordinal);
    private readonly string? _pcapDirectory;
    private readonly List<Pcap.PcapWriter> _captures = [];

    /// <param name="pcapDirectory">When set, each switch writes every frame it forwards to DIR/NAME.pcap.</param>
    public Networks(string? pcapDirectory = null) => _pcapDirectory = pcapDirectory;

    /// <summary>The switch named <paramref name="name"/>, created and started on first use.</summary>
    public NetworkWorker Get(string name)
    {
        lock (_lock)
        {
            if (_workers.TryGetValue(name, out var w))
                return w;
            w = new NetworkWorker(name);
            if (_pcapDirectory is not null)
            {
                var capture = Pcap.PcapWriter.Create(Path.Combine(_pcapDirectory, name + ".pcap"));
                _captures.Add(capture);
                w.Switch.Capture = capture;
            }
            w.Start();
            _workers[name] = w;
            return w;
        }
    }

    /// <summary>The capture files written so far (path and frame count).</summary>
    public IReadOnlyList<Pcap.PcapWriter> Captures
    {
        get { lock (_lock) return [.. _captures]; }
    }

    public IReadOnlyList<NetworkWorker> All
    {
        get { lock (_lock) return [.. _workers.Values]; }
    }

    /// <summary>Stops every worker and closes the captures; the switches and their counters stay
    /// readable for the final report. A second call does nothing.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var w in _workers.Values)
                w.Dispose();
            foreach (var c in _captures)
                c.Dispose();
        }
    }
}
