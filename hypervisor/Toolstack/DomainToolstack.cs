// The toolstack (what libxl is to xl): creates domains from their configurations, attaches their
// devices, supervises them (on_crash: destroy, preserve or restart), and destroys them in the
// right order (devices detach before the domain's memory goes, switches after every domain).
// The CLI parses arguments and prints; everything else about running a set of domains is here.
// Device state changes and supervision run on one control thread: the caller of Run.
using System.Collections.Concurrent;
using System.Text;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Devices;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Toolstack;

/// <summary>How a supervised run ended.</summary>
public enum RunOutcome
{
    /// <summary>Every domain ended by itself.</summary>
    Ended,
    TimedOut,
    Interrupted,
}

public sealed class DomainToolstack : IDisposable
{
    public const int MaxRestarts = 5;

    private readonly ParaKit.Hypervisor.Domains.Hypervisor _hv;
    private readonly Func<DomainConfig, IConsoleSink> _consoleFor;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly AutoResetEvent _changed = new(false);
    private readonly LocalStoreClient _store;
    private readonly DeviceContext _devices;
    private readonly List<ConfiguredDomain> _domains = [];
    private volatile bool _interrupted;

    /// <param name="hv">The hypervisor the domains run in (the caller disposes it after this).</param>
    /// <param name="consoleFor">Where each domain's console goes.</param>
    /// <param name="pcapDirectory">When set, each switch captures its traffic to DIR/NAME.pcap.</param>
    public DomainToolstack(ParaKit.Hypervisor.Domains.Hypervisor hv, Func<DomainConfig, IConsoleSink> consoleFor, string? pcapDirectory = null)
    {
        _hv = hv;
        _consoleFor = consoleFor;
        Networks = new Networks(pcapDirectory);
        _store = hv.Store.OpenClient("toolstack");
        _devices = new DeviceContext(_store, Post);
    }

    /// <summary>The in-process switches (bridge=NAME), created as vifs name them.</summary>
    public Networks Networks { get; }

    public IReadOnlyList<ConfiguredDomain> Configured => _domains;

    /// <summary>Queues work for the control thread (device state machines post here).</summary>
    public void Post(Action work)
    {
        _posted.Enqueue(work);
        _changed.Set();
    }

    /// <summary>Asks <see cref="Run"/> to destroy every domain and return (safe from a signal handler).</summary>
    public void Interrupt()
    {
        _interrupted = true;
        _changed.Set();
    }

    /// <summary>Adds a configuration; it boots when <see cref="Run"/> starts.</summary>
    public ConfiguredDomain Add(DomainConfig config, ElfImage image)
    {
        if (_domains.Any(d => d.Config.Name == config.Name))
            throw new Config.ConfigException($"a domain named '{config.Name}' is already defined");
        var d = new ConfiguredDomain(config, image);
        _domains.Add(d);
        return d;
    }

    /// <summary>Builds the domain, attaches its devices, then starts its vCPU.</summary>
    private void Boot(ConfiguredDomain slot)
    {
        var d = _hv.CreateDomain(slot.Config, slot.Image, _consoleFor(slot.Config));
        try
        {
            foreach (var vif in slot.Config.Vifs)
            {
                slot.Devices.Add(vif.Model == NicModel.E1000
                    ? Devices.E1000.E1000Device.Attach(d, vif, Networks)
                    : VifDevice.Attach(d, vif, _devices, Networks));
            }
        }
        catch
        {
            _hv.DestroyDomain(d);
            throw;
        }
        d.Stopped += _ => _changed.Set();
        slot.Current = d;
        d.Start();
    }

    /// <summary>Boots every added domain and supervises them until all have ended, the timeout
    /// passes or <see cref="Interrupt"/> is called; then destroys what still runs.</summary>
    public RunOutcome Run(TimeSpan? timeout = null, Action<string>? log = null)
    {
        log ??= _ => { };
        RunOutcome outcome = RunOutcome.Ended;
        try
        {
            foreach (var slot in _domains)
                Boot(slot);
            // What building them left behind (configs, store paths, page-table scratch) is
            // garbage once every domain runs: collect it and give its pages back, so an idle
            // domain 0 holds only what its domains need (bench/density.sh measures that).
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            long deadline = timeout is { } t ? Environment.TickCount64 + (long)t.TotalMilliseconds : long.MaxValue;
            while (true)
            {
                RunPosted();
                if (_interrupted)
                {
                    log("interrupted, destroying every domain");
                    ShutdownAll("interrupted");
                    outcome = RunOutcome.Interrupted;
                    break;
                }
                if (Environment.TickCount64 >= deadline)
                {
                    log($"timed out after {timeout!.Value.TotalSeconds:0.###} s, destroying every domain");
                    ShutdownAll("timed out");
                    outcome = RunOutcome.TimedOut;
                    break;
                }
                foreach (var slot in _domains)
                    Supervise(slot, log);
                if (_domains.All(s => s.Done))
                    break;
                long wait = Math.Min(deadline - Environment.TickCount64, 1000);
                _changed.WaitOne(TimeSpan.FromMilliseconds(Math.Max(wait, 1)));
            }
        }
        finally
        {
            foreach (var s in _domains)
            {
                if (s.Current is { } d)
                {
                    d.WaitForExit(TimeSpan.FromSeconds(5));
                    // Where a guest was when domain 0 stopped it: a hung guest's loop, by name.
                    if (outcome != RunOutcome.Ended && !s.Done && d.Exit?.State == DomainState.Destroyed)
                        log($"domain {d.Name} was stopped at:{Environment.NewLine}{d.CrashReport()}");
                    _hv.DestroyDomain(d);
                }
            }
            RunPosted();
        }
        return outcome;
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out var work))
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                // A device's bug costs that device's step, not the toolstack and every other domain.
                System.Console.Error.WriteLine($"parakit: device event failed: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private void ShutdownAll(string why)
    {
        foreach (var s in _domains.Where(s => !s.Done))
            s.Current?.Shutdown(why);
    }

    private void Supervise(ConfiguredDomain slot, Action<string> log)
    {
        if (slot.Done || slot.Current is not { Exit: { } exit } d)
            return;
        if (exit.State == DomainState.Crashed)
        {
            log($"domain {d.Name} (id {d.Id}) crashed: {exit.Message}");
            if (slot.Config.OnCrash == CrashAction.Restart && slot.Restarts < MaxRestarts)
            {
                slot.Restarts++;
                slot.Previous.Add(d);
                _hv.DestroyDomain(d);
                log($"restarting {d.Name} (restart {slot.Restarts} of {MaxRestarts})");
                Boot(slot);
                return;
            }
            if (slot.Config.OnCrash != CrashAction.Preserve)
                _hv.DestroyDomain(d);
        }
        else
        {
            _hv.DestroyDomain(d);
        }
        slot.Done = true;
    }

    /// <summary>Answers a control-socket request ("list", "vif", "vif NAME") on the control
    /// thread, so it sees the state between two device events, never in the middle of one.</summary>
    public string Answer(string request)
    {
        string reply = "";
        using var done = new ManualResetEventSlim(false);
        Post(() =>
        {
            reply = AnswerNow(request);
            done.Set();
        });
        return done.Wait(TimeSpan.FromSeconds(3)) ? reply : "error: the toolstack did not answer (it is shutting down)\n";
    }

    private string AnswerNow(string request)
    {
        string[] words = request.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var vifs = _domains.SelectMany(s => s.Devices).OfType<VifDevice>().ToList();
        switch (words)
        {
            case ["list"]:
                return DomainTable(_domains.Where(s => s.Current is not null).Select(s => s.Current!).ToList(), stats: false)
                    + string.Concat(_domains.Where(s => s.Current is not null).SelectMany(s => s.Devices).Select(d => "  " + d.Summary + "\n"));
            case ["vif"]:
                return vifs.Count == 0 ? "no vifs\n" : NetworkReport.Format(vifs, Networks.All, Networks.Captures);
            case ["vif", string name]:
                var vif = vifs.LastOrDefault(v => v.Name == name);
                return vif is null
                    ? $"error: no vif named '{name}' (vifs: {(vifs.Count == 0 ? "none" : string.Join(", ", vifs.Select(v => v.Name).Distinct()))})\n"
                    : NetworkReport.Detail(vif);
            default:
                return $"error: unknown request '{request}' (list, vif [NAME])\n";
        }
    }

    /// <summary>Every instance that ran, by domain id.</summary>
    public IReadOnlyList<Domain> AllInstances =>
        _domains.SelectMany(s => s.Previous.Concat(s.Current is null ? [] : [s.Current])).OrderBy(d => d.Id).ToList();

    /// <summary>The final `xl list`-like table, then the vifs and switches if there are any.</summary>
    public string Table(bool stats)
    {
        var sb = new StringBuilder(DomainTable(AllInstances, stats));
        var vifs = _domains.SelectMany(s => s.Devices).OfType<VifDevice>().ToList();
        if (vifs.Count > 0)
            sb.Append(NetworkReport.Format(vifs, Networks.All, Networks.Captures));
        var nics = _domains.SelectMany(s => s.Devices).OfType<Devices.E1000.E1000Device>().ToList();
        if (nics.Count > 0)
        {
            sb.AppendLine().AppendLine("Emulated e1000s (register accesses are exits; busiest registers first)");
            foreach (var n in nics)
            {
                sb.Append("  ").AppendLine(n.Summary);
                sb.Append("    ").AppendLine(string.Join(' ', n.Registers.Busiest().Take(8).Select(r => $"{Devices.E1000.E1000RegisterNames.Name((uint)r.Offset)}={r.Accesses}")));
            }
        }
        return sb.ToString();
    }

    internal static string DomainTable(IReadOnlyList<Domain> domains, bool stats)
    {
        var sb = new StringBuilder();
        int w = Math.Max(4, domains.Count == 0 ? 4 : domains.Max(d => d.Name.Length));
        sb.AppendLine($"{"Name".PadRight(w)}  {"ID",4}  {"Mem",5}  {"State",-20}  {"Time(s)",8}  {"Exits",8}  {"Hcalls",8}  Exits by reason / hypercalls");
        foreach (var d in domains)
        {
            var s = d.Stats;
            string state = d.Exit is { } e ? e.State switch
            {
                DomainState.Shutdown when e.Reason == ShutdownReason.Poweroff => $"poweroff({e.Status})",
                DomainState.Shutdown => e.Reason.ToString().ToLowerInvariant(),
                DomainState.Crashed => "crashed",
                _ => "destroyed",
            } : d.State.ToString().ToLowerInvariant();
            var reasons = new List<string>();
            for (int i = 0; i < s.ExitsByReason.Length; i++)
            {
                if (s.ExitsByReason[i] != 0)
                    reasons.Add($"{DomainStats.ExitName(i)}={s.ExitsByReason[i]}");
            }
            for (int i = 0; i < s.HypercallsByNumber.Length; i++)
            {
                if (s.HypercallsByNumber[i] != 0)
                    reasons.Add($"{DomainStats.HypercallName(i)}={s.HypercallsByNumber[i]}");
            }
            sb.AppendLine($"{d.Name.PadRight(w)}  {d.Id,4}  {d.Config.MemoryMiB,5}  {state,-20}  {s.RunTime.TotalSeconds,8:F3}  {s.TotalExits,8}  {s.TotalHypercalls,8}  {string.Join(' ', reasons)}");
            if (stats)
                sb.AppendLine(s.Format("    "));
        }
        return sb.ToString();
    }

    public void Dispose()
    {
        foreach (var s in _domains)
        {
            if (s.Current is { } d)
                _hv.DestroyDomain(d);
        }
        RunPosted();
        Networks.Dispose();
        _store.Dispose();
        _changed.Dispose();
    }
}
