// `parakit list` and `parakit vif [NAME]`: ask a running `parakit create` (its control socket)
// for its domains, or for its vifs' rings and counters, as `xl list` and `xl network-list` do.
using ParaKit.Hypervisor.Toolstack;

namespace ParaKit.Hypervisor.Cli;

public static class ListCommand
{
    private const string ListHelp = """
        usage: parakit list [--socket PATH]

        Lists the domains of a running hypervisor (`parakit create` in another shell): name, id,
        memory, state, run time, exits and hypercalls, then one line per device.
        The socket is $PARAKIT_CONTROL_SOCKET, else control.sock beside the XenStore socket.
        exit status: 0, or 1 when no hypervisor answers.
        """;

    private const string VifHelp = """
        usage: parakit vif [--socket PATH] [NAME]

        Without NAME: every vif (frames, bytes, drops by reason, connections) and every switch
        (ports, learned addresses, per-port counters, capture file). With NAME (e.g. vif1.0): that
        vif's xenbus paths, both rings' indices (req_prod, req_cons, req_event, rsp_prod,
        rsp_prod_pvt, rsp_event) and all its counters.
        exit status: 0, 1 when no hypervisor answers or there is no such vif.
        """;

    public static int ExecuteList(string[] args) => Ask(args, ListHelp, "list", allowName: false);

    public static int ExecuteVif(string[] args) => Ask(args, VifHelp, "vif", allowName: true);

    private static int Ask(string[] args, string help, string verb, bool allowName)
    {
        string socket = ControlSocketPath.Default();
        string? name = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                    System.Console.WriteLine(help);
                    return ExitCodes.Ok;
                case "--socket":
                    socket = CommandLine.OptionValue(args, ref i);
                    break;
                default:
                    if (args[i].StartsWith('-') || !allowName || name is not null)
                        throw new UsageException($"{verb}: unexpected argument '{args[i]}' (try parakit {verb} --help)");
                    name = args[i];
                    break;
            }
        }
        if (!ControlSocketClient.TryAsk(socket, name is null ? verb : $"{verb} {name}", out string reply))
        {
            System.Console.Error.WriteLine($"parakit: no hypervisor answers at {socket} (is `parakit create` running? set {ControlSocketPath.EnvironmentVariable} if it uses another socket)");
            return ExitCodes.Environment;
        }
        System.Console.Out.Write(reply);
        return reply.StartsWith("error:", StringComparison.Ordinal) ? ExitCodes.Environment : ExitCodes.Ok;
    }
}
