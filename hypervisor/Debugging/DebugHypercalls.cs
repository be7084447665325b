// debug_stop (ParaKitHypercall.DebugStop, 66): the debug doorbell the guest's #BP and #DB
// handlers ring. With a debugger (`parakit run --gdb`) the vCPU stops inside the call until gdb
// resumes it; without one it fails at once with -ENODEV and the guest treats the trap as fatal.
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Hypercalls;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Traps;

namespace ParaKit.Hypervisor.Debugging;

public static class DebugHypercalls
{
    public static void Register(HypercallDispatcher d) => d.Register(ParaKitHypercall.DebugStop, DebugStop);

    /// <summary>debug_stop(GuestTrapFrame* frame, fxsave64 image*).</summary>
    public static long DebugStop(Domain d, in HypercallArgs a) =>
        d.Debugger is { } debugger ? debugger.OnDebugStop(a.A1, a.A2) : Errno.ENODEV;
}
