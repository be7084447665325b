// Domain 0 asks a PV guest to shut down by writing "poweroff", "reboot", "suspend", "crash" or
// "halt" to the guest's control/shutdown node (what `xl shutdown` does); the guest watches the
// node, acknowledges by clearing it in a transaction (as Linux's xen/manage.c does) and acts.
using System;
using ParaKit.Protocols.Store;

namespace ParaKit.Kernel;

public static class Control
{
    private static Action<string>? s_handler;

    /// <summary>Advertises control/feature-poweroff and -reboot and runs <paramref name="handler"/>
    /// with each request (after clearing the node). Handlers run where watches run (see Store).</summary>
    public static XsError OnShutdownRequest(Action<string> handler)
    {
        s_handler = handler;
        Store.Write("control/feature-poweroff", "1");
        Store.Write("control/feature-reboot", "1");
        return Store.Watch("control/shutdown", "control-shutdown", static (path, token) => Check());
    }

    private static void Check()
    {
        for (int attempt = 0; attempt < 8; attempt++)
        {
            uint tx = Store.TransactionStart();
            if (tx == 0)
                return;
            string? request = Store.Read("control/shutdown", tx);
            if (request is null || request.Length == 0)
            {
                Store.TransactionEnd(tx, false);
                return;
            }
            Store.Write("control/shutdown", "", tx);
            XsError e = Store.TransactionEnd(tx, true);
            if (e == XsError.EAGAIN)
                continue;
            if (e == XsError.None)
                s_handler?.Invoke(request);
            return;
        }
    }
}
