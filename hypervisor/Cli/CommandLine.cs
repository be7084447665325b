// `parakit` command dispatch in the style of Xen's `xl`: one verb, its options, `--help`
// everywhere. Exit statuses: 0 ok (or the guest's own status for `run`), 1 environment errors,
// 2 usage errors, 70 guest crash, 124 timeout.
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Kvm;

namespace ParaKit.Hypervisor.Cli;

public static class ExitCodes
{
    public const int Ok = 0, Environment = 1, Usage = 2, Crash = DomainExit.CrashExitCode, Interrupted = 130, Timeout = 124;
}

/// <summary>A command-line mistake: printed with the usage hint, exit status 2.</summary>
public sealed class UsageException(string message) : Exception(message);

public static class CommandLine
{
    public const string Version = "0.1.0";

    /// <summary>Joins the words after `--` into one guest command line, quoting words that hold
    /// spaces (or are empty) so the guest's splitter, where double quotes group words, gives
    /// back the words the user typed.</summary>
    public static string Join(IEnumerable<string> words) =>
        string.Join(' ', words.Select(w => w.Length == 0 || w.Contains(' ') ? $"\"{w}\"" : w));

    internal const string MainHelp = """
        usage: parakit <command> [options]

        ParaKit domain 0: runs unikernel guests on KVM with Xen-style hypercalls.

        commands:
          run IMAGE [--memory MiB] [--timeout S] [--stats] [--gdb PORT] [-- CMDLINE]
                              boot one domain with its console attached
          create FILE...      boot domains from xl.cfg-style files in one hypervisor
          xenstore ls|read|write|mkdir|rm|perms|watch [PATH] [VALUE]
                              read and change the store of a running `parakit create`
          list                the domains of a running `parakit create`
          vif [NAME]          its vifs and switches: rings, counters, drops by reason
          trace record -o FILE [--events LIST] -- create FILE...
                              run `create` (or `run`) with its trace points recording into FILE
          trace analyze FILE  summarize a trace written by `trace record` or `create|run --trace FILE`
          trace compare A B   two traces side by side per packet: exits, notifications, copies, cycles
          trace export --chrome FILE OUT.json
                              the trace as Chrome trace JSON (Perfetto): a track per vCPU and worker
          demo ring [N]       run the shared-ring demo
          seccomp [--try NAME]
                              the system calls domain 0 allows itself after set-up
          --version           print the version

        `parakit <command> --help` describes a command.
        environment: PARAKIT_KVM_DEVICE overrides the KVM device path (default /dev/kvm).
        """;

    public static int Run(string[] args)
    {
        try
        {
            return ParakitCommands.Invoke(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("parakit: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (KvmUnavailableException e)
        {
            Console.Error.WriteLine("parakit: " + e.Message);
            return ExitCodes.Environment;
        }
        catch (Exception e) when (e is GuestImageException or DomainConfigException or Config.ConfigException or KvmException or InsufficientMemoryException or IOException or Native.SeccompException)
        {
            Console.Error.WriteLine("parakit: " + e.Message);
            return ExitCodes.Environment;
        }
    }

    internal static int PrintVersion()
    {
        Console.WriteLine($"parakit {Version} (Xen ABI {Hypercalls.CoreHypercalls.VersionMajor}.{Hypercalls.CoreHypercalls.VersionMinor}, .NET {Environment.Version})");
        return ExitCodes.Ok;
    }

    /// <summary>A positive number of seconds (fractions allowed), e.g. for --timeout.</summary>
    internal static double Seconds(string option, string value)
    {
        if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double t) || !(t > 0) || t > 1e6)
            throw new UsageException($"{option} expects a positive number of seconds, got '{value}'");
        return t;
    }

    internal static int PositiveInt(string option, string value, int max, int min = 1)
    {
        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new UsageException($"{option} expects a whole number between {min} and {max}, got '{value}'");
        return v;
    }
}
