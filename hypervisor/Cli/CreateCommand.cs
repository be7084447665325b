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
using ParaKit.Hypervisor.Toolstack;
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Hypervisor.Cli;

public static class CreateCommand
{
    private const string Help = """
        usage: parakit create [--timeout S] [--stats] [--pcap DIR] [--uplink SWITCH=TAP]... [--switch-loss SWITCH=PERCENT[,seed=N]]... [--trace FILE [--trace-events LIST] [--trace-records N]] [--no-seccomp] FILE...

        Boots one domain per configuration file in this hypervisor process and waits until they
        have all ended; Ctrl-C destroys them. Each file holds `key = value` lines:
          name = "web"              domain name (default: the file name)
          kernel = "web.elf"        guest image; relative paths resolve against the file's folder
          memory = 64               MiB of RAM (4..3072, default 64)
          extra = "args"            guest command line
          on_crash = "destroy"      destroy | preserve | restart
          vcpus = 1                 only 1 is supported
          vif = [ 'mac=00:16:3e:00:00:01,bridge=sw0', 'bridge=br0,ip=10.0.0.2/24,gateway=10.0.0.1' ]
                                    network devices (xl-network-configuration): mac (default
                                    00:16:3e:<domid>:<index>), bridge (default sw0), mtu, ip,
                                    gateway, vifname. When bridge names an existing Linux bridge,
                                    the vif appears on the host as TAP vif<domid>.<n> (or
                                    vifname) in that bridge, as with Xen's vif-bridge; otherwise
                                    it is an in-process switch, created on first use. ip and
                                    gateway reach the guest through the vif's backend directory.
        Strings are quoted, numbers bare, '#' starts a comment.

        options:
          --timeout S   destroy every domain still running after S seconds (exit status 124)
          --stats       print each domain's exits by reason and hypercall counts at the end
          --pcap DIR    capture every frame each switch forwards to DIR/SWITCH.pcap (tcpdump format);
                        a vif on a Linux bridge is captured to DIR/VIFNAME.pcap
          --uplink SWITCH=TAP
                        give in-process switch SWITCH a port on the host: TAP interface TAP,
                        created and brought up (a persistent TAP made beforehand with
                        `ip tuntap add TAP mode tap` is used as it is, addresses and bridge kept)
          --switch-loss SWITCH=PERCENT[,seed=N]
                        lose PERCENT (0-100, e.g. 5 or 0.5) of the frames entering switch SWITCH
                        (an in-process switch, or a Linux bridge: each of its vifs' private
                        switches), chosen by a generator seeded with N (default 1), so runs are
                        repeatable; counted as loss= on the ingress port (final table, parakit vif).
                        For testing transports where the kernel has no sch_netem
          --trace FILE  record exits, hypercalls, events, blocks and wakes, ring batches, grant
                        copies and drops into FILE (read it with `parakit trace analyze FILE`)
          --trace-events LIST
                        only these classes (comma-separated): exits, hypercalls, events, sched,
                        rings, grants, drops, lifecycle, device (default all)
          --trace-records N
                        records each thread may buffer (default 1048576); more are lost, counted
          --no-seccomp  run without the system-call allowlist domain 0 puts itself under once
                        its sockets and configs are set up (for debugging)

        exit status: 0 when every domain shut down by itself, 70 if one crashed, 124 on timeout,
        130 after Ctrl-C, 1 for a bad file or image.
        """;

    internal const string HelpText = Help;

    public static int Execute(IReadOnlyList<string> files, string? timeoutText, bool stats, string? pcap, string? trace = null, string? traceRecordsText = null,
        string? traceEventsText = null, IReadOnlyList<string>? uplinkTexts = null, bool noSeccomp = false, IReadOnlyList<string>? lossTexts = null)
    {
        var uplinks = (uplinkTexts ?? []).Select(ParseUplink).ToList();
        var losses = (lossTexts ?? []).Select(ParseLoss).ToList();
        double? timeout = timeoutText is null ? null : CommandLine.Seconds("--timeout", timeoutText);
        int traceRecords = TraceCommand.RecordsPerThread(trace, traceRecordsText);
        var traceClasses = TraceCommand.Classes(trace, traceEventsText);
        if (files.Count == 0)
            throw new UsageException("create: at least one configuration FILE is needed (try parakit create --help)");

        if (pcap is not null)
            CheckCaptureDirectory(pcap);

        // Validate everything before touching KVM, so a typo in the tenth file starts nothing.
        var configs = new List<(DomainConfig Config, ElfImage Image)>();
        foreach (string f in files)
        {
            var cfg = XlConfig.Load(f);
            if (configs.Any(c => c.Config.Name == cfg.Name))
                throw new ConfigException($"{f}: a domain named '{cfg.Name}' is already defined by another file");
            configs.Add((cfg, ElfImage.Load(cfg.Kernel)));
        }
        // A trace file that cannot be written is a mistake found before anything boots.
        using var recording = trace is null ? null : TraceRecording.Start(trace, traceRecords, traceClasses);

        using var hv = Domains.Hypervisor.Open();
        // Domain 0's store socket, so `parakit xenstore ...` in another shell reaches these domains.
        using var storeSocket = Store.StoreSocketServer.TryStart(hv.Store.Store, Store.StoreSocketPath.Default(), out string? socketProblem);
        if (socketProblem is not null)
            System.Console.Error.WriteLine($"parakit: xenstore socket not available: {socketProblem}");
        int width = configs.Max(c => c.Config.Name.Length);
        var stdout = new FdConsoleSink(1);
        using var toolstack = new DomainToolstack(hv, cfg => new PrefixedConsoleSink(cfg.Name.PadRight(width) + " | ", stdout), pcap);
        foreach (var (sw, loss) in losses)
            toolstack.Networks.SetLoss(sw, loss);
        foreach (var (cfg, image) in configs)
            toolstack.Add(cfg, image);
        foreach (var (sw, tap) in uplinks)
            toolstack.Networks.AddUplink(sw, tap);
        using var control = ControlSocketServer.TryStart(ControlSocketPath.Default(), toolstack.Answer, out string? controlProblem);
        if (controlProblem is not null)
            System.Console.Error.WriteLine($"parakit: {controlProblem} (parakit list/vif will not reach these domains)");
        void OnSignal(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            toolstack.Interrupt();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        // Set-up is done (store and control sockets listening, configs checked): from here on,
        // building, supervising and destroying domains needs only domain 0's allowlist.
        if (!noSeccomp)
            Native.Seccomp.Apply();
        var outcome = toolstack.Run(timeout is { } t ? TimeSpan.FromSeconds(t) : null, msg => System.Console.Error.WriteLine("parakit: " + msg));
        toolstack.Networks.Dispose();   // flush captures before the table reports them
        if (recording is not null)
            TraceCommand.Finish(recording, toolstack.AllInstances.Select(d => new TraceDomainName(d.Id, d.Name)));
        System.Console.Out.Write(toolstack.Table(stats));
        System.Console.Out.Flush();
        return outcome switch
        {
            RunOutcome.Interrupted => ExitCodes.Interrupted,
            RunOutcome.TimedOut => ExitCodes.Timeout,
            _ => toolstack.AllInstances.Any(d => d.Exit?.State == DomainState.Crashed) ? ExitCodes.Crash : ExitCodes.Ok,
        };
    }

    /// <summary>--switch-loss SWITCH=PERCENT[,seed=N].</summary>
    private static (string Switch, Net.Switch.SwitchLoss Loss) ParseLoss(string text)
    {
        const string Want = "create: --switch-loss wants SWITCH=PERCENT[,seed=N] (e.g. --switch-loss sw0=5 or sw0=0.5,seed=7)";
        int eq = text.IndexOf('=');
        if (eq is < 1 or > 15 || !text[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new UsageException($"{Want}, got '{text}'");
        if (!Net.Switch.SwitchLoss.TryParse(text[(eq + 1)..], out var loss, out string error))
            throw new UsageException($"{Want}: {error}");
        return (text[..eq], loss!);
    }

    /// <summary>--uplink SWITCH=TAP: both names like Linux interface names.</summary>
    private static (string Switch, string Tap) ParseUplink(string text)
    {
        int eq = text.IndexOf('=');
        static bool Name(string s) => s.Length is >= 1 and <= 15 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
        if (eq < 0 || !Name(text[..eq]) || !Name(text[(eq + 1)..]))
            throw new UsageException($"create: --uplink wants SWITCH=TAP (e.g. --uplink sw0=pk-up0; each 1-15 letters, digits, '-', '_' or '.'), got '{text}'");
        if (Net.Tap.TapDevice.IsLinuxBridge(text[..eq]))
            throw new UsageException($"create: --uplink {text}: {text[..eq]} is a Linux bridge here, so its vifs already reach the host through their own TAPs; give an in-process switch name");
        return (text[..eq], text[(eq + 1)..]);
    }

    /// <summary>--pcap DIR must be a folder we can create files in; found out before anything boots.</summary>
    private static void CheckCaptureDirectory(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".parakit-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new IOException($"--pcap {dir}: cannot write capture files there ({e.Message})");
        }
    }
}
