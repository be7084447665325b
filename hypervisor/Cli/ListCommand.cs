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

    internal const string ListHelpText = ListHelp;
    internal const string VifHelpText = VifHelp;

    public static int ExecuteList(string? socket) => Ask(socket, "list");

    public static int ExecuteVif(string? socket, string? name) => Ask(socket, name is null ? "vif" : "vif " + name);

    private static int Ask(string? socketOption, string request)
    {
        string socket = socketOption ?? ControlSocketPath.Default();
        if (!ControlSocketClient.TryAsk(socket, request, out string reply))
        {
            System.Console.Error.WriteLine($"parakit: no hypervisor answers at {socket} (is `parakit create` running? set {ControlSocketPath.EnvironmentVariable} if it uses another socket)");
            return ExitCodes.Environment;
        }
        System.Console.Out.Write(reply);
        return reply.StartsWith("error:", StringComparison.Ordinal) ? ExitCodes.Environment : ExitCodes.Ok;
    }
}
