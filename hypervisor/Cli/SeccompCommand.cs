// `parakit seccomp`: prints the system calls domain 0 allows itself once its domains are set up
// (hypervisor/Native/SyscallAllowlist.cs), and `--try NAME` puts this process under that filter
// and makes the call, so a user (or a test) sees what a domain-0 bug calling it would see.
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Cli;

public static class SeccompCommand
{
    internal const string HelpText = """
        usage: parakit seccomp [--try CALL]

        Lists the system calls domain 0 may make after set-up (`run` and `create` put themselves
        under this seccomp-BPF allowlist before the first guest runs; --no-seccomp turns it off).
        A call outside the list ends the process with status 159 and a line naming the call.

        options:
          --try CALL   apply the filter to this process, then make system call CALL (a name
                       or a number; all arguments 0) and say whether it was allowed
        """;

    public static int Execute(string? tryName)
    {
        if (tryName is null)
        {
            foreach (var (why, calls) in SyscallAllowlist.Groups)
            {
                System.Console.WriteLine(why + ":");
                System.Console.WriteLine("  " + string.Join(' ', calls.Select(SyscallNames.Of)));
            }
            System.Console.WriteLine($"{SyscallAllowlist.Numbers().Length} calls; anything else ends domain 0 with status {Seccomp.ForbiddenCallStatus}.");
            return ExitCodes.Ok;
        }
        // A number reaches calls without a name here too (unused or newer ones); from 2^30 on
        // are x32 numbers, which the filter kills without a report.
        int nr;
        if (int.TryParse(tryName, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
        {
            if ((uint)number >= Seccomp.X32Bit)
                throw new UsageException($"seccomp: {tryName} is an x32 system call number (from {Seccomp.X32Bit}); give a name or a number below it");
            nr = number;
            tryName = SyscallNames.Of(nr);
        }
        else
        {
            try
            {
                nr = SyscallNames.Number(tryName);
            }
            catch (ArgumentException)
            {
                throw new UsageException($"seccomp: '{tryName}' is not an x86-64 system call (give its name or number)");
            }
        }
        Seccomp.Apply();
        System.Console.Out.Flush();
        long rc = Libc.Syscall(nr, 0, 0, 0);
        // Still here: the filter let it through.
        System.Console.WriteLine($"{tryName} ({nr}) is allowed (returned {rc}{(rc < 0 ? ", " + Libc.StrError(Libc.LastErrno) : "")})");
        return ExitCodes.Ok;
    }
}
