// `parakit run IMAGE`: one domain, console on stdout, the process exits with the guest's status.
using System.Globalization;
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Domains;

namespace ParaKit.Hypervisor.Cli;

public static class RunCommand
{
    private const string Help = """
        usage: parakit run IMAGE [--memory MiB] [--timeout S] [--name NAME] [--stats] [-- CMDLINE...]

        Boots IMAGE (a static x86-64 ELF linked at 0x100000) as one domain with its console on
        stdout, and exits with the guest's status:
          poweroff -> the status the guest gave (0 for a plain SCHEDOP_shutdown poweroff)
          reboot -> 0, crash or fault -> 70 (report on stderr), --timeout expired -> 124

        options:
          --memory MiB   guest RAM (default 64, 4..3072)
          --timeout S    destroy the domain after S seconds (fractions allowed)
          --name NAME    domain name (default: the image file name)
          --stats        print exits by reason and hypercall counts on stderr at the end
          -- CMDLINE     everything after -- becomes the guest command line
        """;

    public static int Execute(string[] args)
    {
        string? image = null, name = null;
        int memory = DomainConfig.DefaultMemoryMiB;
        double? timeout = null;
        bool stats = false;
        string cmdline = "";
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "--help" or "-h":
                    System.Console.WriteLine(Help);
                    return ExitCodes.Ok;
                case "--memory" or "-m":
                    memory = CommandLine.PositiveInt(a, CommandLine.OptionValue(args, ref i), DomainBuilder.MaxMemoryMiB, (int)(MemoryLayout.MinMemoryBytes >> 20));
                    break;
                case "--timeout":
                    timeout = CommandLine.Seconds(args[i], CommandLine.OptionValue(args, ref i));
                    break;
                case "--name":
                    name = CommandLine.OptionValue(args, ref i);
                    break;
                case "--stats":
                    stats = true;
                    break;
                case "--":
                    cmdline = CommandLine.Join(args[(i + 1)..]);
                    i = args.Length;
                    break;
                default:
                    if (a.StartsWith('-'))
                        throw new UsageException($"run: unknown option '{a}' (try parakit run --help)");
                    if (image is not null)
                        throw new UsageException($"run: one image only (got '{image}' and '{a}'); use `parakit create` for several domains");
                    image = a;
                    break;
            }
        }
        if (image is null)
            throw new UsageException("run: missing IMAGE (try parakit run --help)");

        var config = new DomainConfig
        {
            Name = name ?? Path.GetFileNameWithoutExtension(image),
            Kernel = image,
            MemoryMiB = memory,
            CommandLine = cmdline,
        };
        var elf = ElfImage.Load(image);
        using var hv = Domains.Hypervisor.Open();
        var domain = hv.CreateDomain(config, elf, new FdConsoleSink(1));
        bool interrupted = false;
        void OnSignal(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            interrupted = true;
            domain.Shutdown($"interrupted ({ctx.Signal})");
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        domain.Start();
        bool ended = domain.WaitForExit(timeout is { } t2 ? TimeSpan.FromSeconds(t2) : Timeout.InfiniteTimeSpan);
        int code;
        if (!ended)
        {
            domain.Shutdown($"timed out after {timeout!.Value.ToString(CultureInfo.InvariantCulture)} s");
            domain.WaitForExit(TimeSpan.FromSeconds(5));
            System.Console.Error.WriteLine($"parakit: domain {config.Name}: timed out after {timeout!.Value.ToString(CultureInfo.InvariantCulture)} s, destroyed");
            code = ExitCodes.Timeout;
        }
        else
        {
            var exit = domain.Exit!.Value;
            if (interrupted && exit.State == DomainState.Destroyed)
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
        if (stats)
            System.Console.Error.WriteLine($"parakit: stats for domain {config.Name}:{Environment.NewLine}{domain.Stats.Format()}");
        hv.DestroyDomain(domain);
        return code;
    }
}
