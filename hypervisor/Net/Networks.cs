// The in-process switches of one hypervisor, by name (xl.cfg's `bridge=NAME`): each is created
// on first use with its own network worker thread, so separate networks never share a lock or a
// thread; an optional pcap capture per switch. A switch can have TAP uplinks (`--uplink sw0=TAP`),
// which these networks own. A vif on a Linux bridge gets a private worker of its own here (its
// switch joins the vif and its TAP); its vif stops it when it detaches. Disposed after every
// domain is gone.
using ParaKit.Hypervisor.Net.Tap;

namespace ParaKit.Hypervisor.Net;

public sealed class Networks : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NetworkWorker> _workers = new(StringComparer.Ordinal);
    private readonly string? _pcapDirectory;
    private readonly List<Pcap.PcapWriter> _captures = [];
    private readonly List<NetworkWorker> _private = [];
    private readonly List<TapDevice> _uplinks = [];
    private readonly Dictionary<string, Switch.SwitchLoss> _loss = new(StringComparer.Ordinal);

    /// <param name="pcapDirectory">When set, each switch writes every frame it forwards to DIR/NAME.pcap.</param>
    public Networks(string? pcapDirectory = null) => _pcapDirectory = pcapDirectory;

    /// <summary>The switch named <paramref name="name"/>, created and started on first use.</summary>
    public NetworkWorker Get(string name)
    {
        lock (_lock)
        {
            if (_workers.TryGetValue(name, out var w))
                return w;
            w = StartWorker(new NetworkWorker(name), name);
            _workers[name] = w;
            return w;
        }
    }

    /// <summary>A new private worker for vif <paramref name="vifName"/> on Linux bridge
    /// <paramref name="bridge"/> (captured to DIR/VIFNAME.pcap with --pcap).</summary>
    public NetworkWorker ForHostBridge(string vifName, string bridge)
    {
        lock (_lock)
        {
            var w = StartWorker(new NetworkWorker(vifName) { HostBridge = bridge }, bridge);
            _private.Add(w);
            return w;
        }
    }

    /// <summary>Gives switch <paramref name="switchName"/> a TAP uplink: TAP <paramref name="tapName"/>
    /// is created (or, if a persistent TAP of that name exists, attached to) and brought up.</summary>
    public TapPort AddUplink(string switchName, string tapName)
    {
        var tap = TapDevice.Open(tapName, mustBeNew: false);
        try
        {
            tap.SetUp();
            var port = Get(switchName).AddTap(tap);
            lock (_lock)
                _uplinks.Add(tap);
            return port;
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    /// <summary>Injects loss into switch <paramref name="name"/> (`--switch-loss`): the in-process
    /// switch of that name, or, for a Linux bridge, the private switch of each vif on it. Set it
    /// before domains start: a switch already carrying traffic gets it from its next frame.</summary>
    public void SetLoss(string name, Switch.SwitchLoss loss)
    {
        lock (_lock)
        {
            _loss[name] = loss;
            if (_workers.TryGetValue(name, out var w))
                w.Switch.Loss = loss.Copy();
            foreach (var p in _private)
            {
                if (p.HostBridge == name)
                    p.Switch.Loss = loss.Copy();
            }
        }
    }

    private NetworkWorker StartWorker(NetworkWorker w, string lossKey)
    {
        if (_loss.TryGetValue(lossKey, out var loss))
            w.Switch.Loss = loss.Copy();   // each switch its own generator: workers run in parallel
        if (_pcapDirectory is not null)
        {
            var capture = Pcap.PcapWriter.Create(Path.Combine(_pcapDirectory, w.Name + ".pcap"));
            _captures.Add(capture);
            w.Switch.Capture = capture;
        }
        w.Start();
        return w;
    }

    /// <summary>The capture files written so far (path and frame count).</summary>
    public IReadOnlyList<Pcap.PcapWriter> Captures
    {
        get { lock (_lock) return [.. _captures]; }
    }

    /// <summary>The in-process switches, then the private workers of vifs on Linux bridges.</summary>
    public IReadOnlyList<NetworkWorker> All
    {
        get { lock (_lock) return [.. _workers.Values, .. _private]; }
    }

    /// <summary>Stops every worker and closes the captures; the switches and their counters stay
    /// readable for the final report. A second call does nothing.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var w in _workers.Values)
                w.Dispose();
            foreach (var w in _private)
                w.Dispose();
            // Uplink TAPs go after their readers stopped: a TAP made here disappears, a persistent one stays.
            foreach (var t in _uplinks)
                t.Dispose();
            foreach (var c in _captures)
                c.Dispose();
        }
    }
}
