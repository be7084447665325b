// `parakit create FILE...`: one hypervisor process hosting a domain per xl.cfg-style file.
// Console lines are prefixed with the domain name; on_crash decides what happens to a crashed
// domain; Ctrl-C (SIGINT) or --timeout destroys every domain cleanly; a table of domains with
// their state, run time and exit counts is printed at the end.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ParaKit.Hypervisor.Config;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Domains;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Hypervisor.Cli;

public static class CreateCommand
{
    private const string Help = """
        usage: parakit create [--timeout S] [--stats] FILE...

        Boots one domain per configuration file in this hypervisor process and waits until they
        have all ended; Ctrl-C destroys them. Each file holds `key = value` lines:
          name = "web"              domain name (default: the file name)
          kernel = "web.elf"        guest image; relative paths resolve against the file's folder
          memory = 64               MiB of RAM (4..3072, default 64)
          extra = "args"            guest command line
          on_crash = "destroy"      destroy | preserve | restart
          vcpus = 1                 only 1 is supported
        Strings are quoted, numbers bare, '#' starts a comment.

        options:
          --timeout S   destroy every domain still running after S seconds (exit status 124)
          --stats       print each domain's exits by reason and hypercall counts at the end

        exit status: 0 when every domain shut down by itself, 70 if one crashed, 124 on timeout,
        130 after Ctrl-C, 1 for a bad file or image.
        """;

    private const int MaxRestarts = 5;

    /// <summary>One configured domain and the instances it went through (restarts).</summary>
    private sealed class Slot(DomainConfig config, ElfImage image)
    {
        public DomainConfig Config { get; } = config;
        public ElfImage Image { get; } = image;
        public Domain? Current { get; set; }
        public int Restarts { get; set; }
        public bool Done { get; set; }
    }

    public static int Execute(string[] args)
    {
        var files = new List<string>();
        double? timeout = null;
        bool stats = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                    System.Console.WriteLine(Help);
                    return ExitCodes.Ok;
                case "--stats":
                    stats = true;
                    break;
                case "--timeout":
                    timeout = CommandLine.Seconds(args[i], CommandLine.OptionValue(args, ref i));
                    break;
                default:
                    if (args[i].StartsWith('-'))
                        throw new UsageException($"create: unknown option '{args[i]}' (try parakit create --help)");
                    files.Add(args[i]);
                    break;
            }
        }
        if (files.Count == 0)
            throw new UsageException("create: at least one configuration FILE is needed (try parakit create --help)");

        // Validate everything before touching KVM, so a typo in the tenth file starts nothing.
        var slots = new List<Slot>();
        foreach (string f in files)
        {
            var cfg = XlConfig.Load(f);
            if (slots.Any(s => s.Config.Name == cfg.Name))
                throw new ConfigException($"{f}: a domain named '{cfg.Name}' is already defined by another file");
            slots.Add(new Slot(cfg, ElfImage.Load(cfg.Kernel)));
        }

        using var hv = Domains.Hypervisor.Open();
        // Domain 0's store socket, so `parakit xenstore ...` in another shell reaches these domains.
        using var storeSocket = Store.StoreSocketServer.TryStart(hv.Store.Store, Store.StoreSocketPath.Default(), out string? socketProblem);
        if (socketProblem is not null)
            System.Console.Error.WriteLine($"parakit: xenstore socket not available: {socketProblem}");
        var changed = new AutoResetEvent(false);
        int width = slots.Max(s => s.Config.Name.Length);
        var stdout = new FdConsoleSink(1);
        var finished = new List<Domain>();
        bool interrupted = false;
        void OnSignal(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            Volatile.Write(ref interrupted, true);
            changed.Set();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        void Boot(Slot slot)
        {
            var sink = new PrefixedConsoleSink(slot.Config.Name.PadRight(width) + " | ", stdout);
            var d = hv.CreateDomain(slot.Config, slot.Image, sink);
            d.Stopped += _ => changed.Set();
            slot.Current = d;
            d.Start();
        }

        int code = ExitCodes.Ok;
        try
        {
            foreach (var slot in slots)
                Boot(slot);
            long deadline = timeout is { } t ? Environment.TickCount64 + (long)(t * 1000) : long.MaxValue;
            while (true)
            {
                if (Volatile.Read(ref interrupted))
                {
                    System.Console.Error.WriteLine("parakit: interrupted, destroying every domain");
                    foreach (var s in slots.Where(s => !s.Done))
                        s.Current?.Shutdown("interrupted");
                    code = ExitCodes.Interrupted;
                    break;
                }
                if (Environment.TickCount64 >= deadline)
                {
                    System.Console.Error.WriteLine($"parakit: timed out after {timeout!.Value.ToString(CultureInfo.InvariantCulture)} s, destroying every domain");
                    foreach (var s in slots.Where(s => !s.Done))
                        s.Current?.Shutdown("timed out");
                    code = ExitCodes.Timeout;
                    break;
                }
                foreach (var slot in slots)
                {
                    if (slot.Done || slot.Current is not { Exit: { } exit } d)
                        continue;
                    if (exit.State == DomainState.Crashed)
                    {
                        System.Console.Error.WriteLine($"parakit: domain {d.Name} (id {d.Id}) crashed: {exit.Message}");
                        if (slot.Config.OnCrash == CrashAction.Restart && slot.Restarts < MaxRestarts)
                        {
                            slot.Restarts++;
                            finished.Add(d);
                            hv.DestroyDomain(d);
                            System.Console.Error.WriteLine($"parakit: restarting {d.Name} (restart {slot.Restarts} of {MaxRestarts})");
                            Boot(slot);
                            continue;
                        }
                        if (slot.Config.OnCrash != CrashAction.Preserve)
                            hv.DestroyDomain(d);
                    }
                    else
                    {
                        hv.DestroyDomain(d);
                    }
                    slot.Done = true;
                }
                if (slots.All(s => s.Done))
                    break;
                long wait = Math.Min(deadline - Environment.TickCount64, 1000);
                changed.WaitOne(TimeSpan.FromMilliseconds(Math.Max(wait, 1)));
            }
        }
        finally
        {
            foreach (var s in slots)
            {
                if (s.Current is { } d)
                {
                    d.WaitForExit(TimeSpan.FromSeconds(5));
                    hv.DestroyDomain(d);
                }
            }
        }

        var all = finished.Concat(slots.Where(s => s.Current is not null).Select(s => s.Current!)).OrderBy(d => d.Id).ToList();
        System.Console.Out.Write(Table(all, stats));
        System.Console.Out.Flush();
        if (code == ExitCodes.Ok && all.Any(d => d.Exit?.State == DomainState.Crashed))
            code = ExitCodes.Crash;
        return code;
    }

    /// <summary>The final `xl list`-like table.</summary>
    internal static string Table(IReadOnlyList<Domain> domains, bool stats)
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
}
