// `parakit run IMAGE`: one domain, console on stdout, the process exits with the guest's status.
using System.Globalization;
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Hypervisor.Cli;

public static class RunCommand
{
    private const string Help = """
        usage: parakit run IMAGE [--memory MiB] [--timeout S] [--name NAME] [--stats] [--trace FILE [--trace-events LIST]] [--gdb PORT] [--no-seccomp] [-- CMDLINE...]

        Boots IMAGE (a static x86-64 ELF linked at 0x100000) as one domain with its console on
        stdout, and exits with the guest's status. IMAGE may be a guest's name: `parakit run
        hello` boots out/guests/hello.elf.
          poweroff -> the status the guest gave (0 for a plain SCHEDOP_shutdown poweroff)
          reboot -> 0, crash or fault -> 70 (report on stderr), --timeout expired -> 124

        options:
          --memory MiB   guest RAM (default 64, 4..3072)
          --timeout S    destroy the domain after S seconds (fractions allowed); without it,
                         the environment variable PARAKIT_TIMEOUT=S sets the limit (graders,
                         CI: a guest that never ends fails with 124 instead of hanging)
          --name NAME    domain name (default: the image file name)
          --stats        print exits by reason and hypercall counts on stderr at the end
          --trace FILE   record the run's trace points into FILE (`parakit trace analyze FILE`)
          --trace-events LIST
                         only these classes (comma-separated): exits, hypercalls, events, sched,
                         rings, grants, drops, lifecycle, device (default all)
          --trace-records N
                         records each thread may buffer (default 1048576); more are lost, counted
          --gdb PORT     serve gdb's remote protocol on 127.0.0.1:PORT (0: any free port, printed
                         on stderr); the guest stops before Main and waits for gdb:
                           gdb -ex 'target remote :PORT' out/guests/NAME.elf
                         (build with `make guest APP=NAME DEBUG=1` for file:line and locals; see
                         "Debugging with gdb" in guestkernel/README.md)
          --no-seccomp   run without the system-call allowlist domain 0 puts itself under
                         once the domain is built (for debugging; see hypervisor/README.md)
          -- CMDLINE     everything after -- becomes the guest command line (Main's args)
        """;

    internal const string HelpText = Help;

    /// <summary>Words after IMAGE without `--`: most likely meant for the guest.</summary>
    public static string StrayArguments(IReadOnlyList<string> images)
    {
        var extra = new List<string>();
        for (int i = 1; i < images.Count; i++)
            extra.Add(images[i]);
        string rest = string.Join(' ', extra);
        return $"run: one image only, but got more words after '{images[0]}': '{rest}'. Arguments for the guest go after --, "
            + $"as in: parakit run {images[0]} -- {rest} (for several domains use `parakit create`)";
    }

    /// <summary>PARAKIT_TIMEOUT as the --timeout default (null when unset or empty).</summary>
    public static string? DefaultTimeout(string? environmentValue)
    {
        if (string.IsNullOrWhiteSpace(environmentValue))
            return null;
        try
        {
            CommandLine.Seconds("PARAKIT_TIMEOUT", environmentValue);
        }
        catch (UsageException e)
        {
            throw new UsageException(e.Message + " (from the environment variable PARAKIT_TIMEOUT)");
        }
        return environmentValue;
    }

    /// <summary>Runs the domain; the values arrive as strings from either reader of RunArguments
    /// and are checked here, so every mistake gets the same sentence it always had.</summary>
    internal static int Execute(RunArguments a, IReadOnlyList<string> guestWords)
    {
        var images = a.Images;
        if (images.Count == 0)
            throw new UsageException("run: missing IMAGE (try parakit run --help)");
        if (images.Count > 1)
            throw new UsageException(StrayArguments(images));
        string? timeoutText = a.Timeout ?? DefaultTimeout(Environment.GetEnvironmentVariable("PARAKIT_TIMEOUT"));
        int memory = a.Memory is null ? DomainConfig.DefaultMemoryMiB
            : CommandLine.PositiveInt("--memory", a.Memory, DomainBuilder.MaxMemoryMiB, (int)(MemoryLayout.MinMemoryBytes >> 20));
        double? timeout = timeoutText is null ? null : CommandLine.Seconds("--timeout", timeoutText);
        string cmdline = CommandLine.Join(guestWords);
        int traceRecords = TraceCommand.RecordsPerThread(a.Trace, a.TraceRecords);
        var traceClasses = TraceCommand.Classes(a.Trace, a.TraceEvents);
        int? gdbPort = a.Gdb is null ? null : CommandLine.PositiveInt("--gdb", a.Gdb, 65535, 0);
        // Options are checked first (their sentences do not depend on the image existing).
        string image = GuestImagePath.Resolve(images[0], Directory.GetCurrentDirectory, () => AppContext.BaseDirectory, File.Exists, out string missing)
            ?? throw new UsageException(missing);
        var config = new DomainConfig
        {
            Name = a.Name ?? Path.GetFileNameWithoutExtension(image),
            Kernel = image,
            MemoryMiB = memory,
            CommandLine = cmdline,
        };
        var elf = ElfImage.Load(image);
        using var recording = a.Trace is null ? null : TraceRecording.Start(a.Trace, traceRecords, traceClasses);
        using var hv = Domains.Hypervisor.Open();
        hv.SharesBootPages = false;
        hv.PreparesVcpuThreads = false;   // the main thread runs the vCPU (RunHere below)
        var domain = hv.CreateDomain(config, elf, new FdConsoleSink(1));
        var gdb = gdbPort is { } port ? Debugging.GdbServer.Start(domain, port, System.Console.Error) : null;
        if (gdb is not null)
            System.Console.Error.WriteLine($"parakit: gdb stub for domain {config.Name} on 127.0.0.1:{gdb.Port}; it stops before Main. Connect with: gdb -ex 'target remote :{gdb.Port}' {image}");
        // Set-up is done: from here on domain 0 needs only its allowlist of system calls.
        if (!a.NoSeccomp)
            Native.Seccomp.Apply();
        int code;
        using (var watch = RunWatch.Start(domain, timeout))
        {
            domain.RunHere();
            var exit = domain.Exit!.Value;
            if (watch.TimedOut)
            {
                System.Console.Error.WriteLine($"parakit: domain {config.Name}: timed out after {timeout!.Value.ToString(CultureInfo.InvariantCulture)} s, destroyed");
                code = ExitCodes.Timeout;
            }
            else if (watch.Interrupted && exit.State == DomainState.Destroyed)
            {
                System.Console.Error.WriteLine($"parakit: domain {config.Name}: {exit.Message}");
                code = ExitCodes.Interrupted;
            }
            else
            {
                if (exit.State == DomainState.Crashed)
                    System.Console.Error.WriteLine($"parakit: domain {config.Name} (id {domain.Id}) crashed: {exit.Message}");
                else if (exit.State == DomainState.Shutdown && exit.Reason != Protocols.Hypercalls.ShutdownReason.Poweroff)
                    System.Console.Error.WriteLine($"parakit: domain {config.Name} asked for {exit.Message}; `parakit run` ends here (status 0)");
                code = exit.ExitCode;
            }
        }
        if (a.Stats)
            System.Console.Error.WriteLine($"parakit: stats for domain {config.Name}:{Environment.NewLine}{domain.Stats.Format()}");
        gdb?.Dispose(); // before the domain's memory goes
        hv.DestroyDomain(domain);
        if (recording is not null)
            TraceCommand.Finish(recording, [new TraceDomainName(domain.Id, domain.Name)]);
        return code;
    }
}
