// Giving the vCPU back: yield, block until an event or the timer, sleep, and shutting down.
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Kernel;

public static unsafe class Scheduler
{
    /// <summary>SCHEDOP_yield: let other domains run; returns at once if none want to.</summary>
    public static long Yield() => Hypervisor.SchedOp(SchedOp.Yield, 0);

    /// <summary>SCHEDOP_block: sleep until an unmasked event channel is pending or the timer fires.</summary>
    public static long Block()
    {
        // A device interrupt handler ran since the event loop last looked (it masked its device
        // and left the work to the next poll): do not sleep, go round the loop (as a kernel runs
        // pending softirqs before it halts). An interrupt after this check also marks the upcall
        // pending, which SCHEDOP_block checks in domain 0, so it cannot be slept through either.
        if (s_interruptWork)
        {
            s_interruptWork = false;
            return 0;
        }
        return Hypervisor.SchedOp(SchedOp.Block, 0);
    }

    private static volatile bool s_interruptWork;

    /// <summary>Called by an interrupt handler that left work for the event loop: the next Block
    /// returns at once, and so does one already on its way into domain 0.</summary>
    public static void InterruptWork()
    {
        s_interruptWork = true;
        System.Threading.Volatile.Write(ref Kernel.SharedInfo->Vcpu0.UpcallPending, (byte)1);
    }

    /// <summary>SCHEDOP_poll: blocks until one of <paramref name="ports"/> is pending or the absolute
    /// system time <paramref name="timeoutNs"/> passes (0 = no timeout). Returns the hypercall result.</summary>
    public static long Poll(System.ReadOnlySpan<uint> ports, ulong timeoutNs)
    {
        fixed (uint* p = ports)
        {
            SchedPoll request;
            request.Ports = (ulong)p;
            request.NrPorts = (uint)ports.Length;
            request.Timeout = timeoutNs;
            return Hypervisor.SchedOp(SchedOp.Poll, (ulong)&request);
        }
    }

    private static ulong s_armedAt;

    /// <summary>Arms the one-shot timer at an absolute system time in ns (0 cancels).</summary>
    public static long SetTimer(ulong deadlineNs)
    {
        s_armedAt = deadlineNs;
        return Hypervisor.SetTimer(deadlineNs);
    }

    /// <summary>The deadline the one-shot timer was last armed for (0: cancelled). Once that time
    /// has passed it has fired: a timer only fires once.</summary>
    public static ulong ArmedTimer => s_armedAt;

    /// <summary>Blocks for at least <paramref name="ns"/> nanoseconds (timer + block; wakes early
    /// for events are absorbed by re-blocking until the deadline).</summary>
    public static void Sleep(ulong ns)
    {
        ulong deadline = Clock.NowNs() + ns;
        while (true)
        {
            ulong now = Clock.NowNs();
            if (now >= deadline)
                break;
            SetTimer(deadline);
            Block();
        }
    }

    /// <summary>Powers the domain off with an exit status (what `parakit run` exits with).</summary>
    public static void Exit(int status)
    {
        Console.Flush();
        Hypervisor.SchedOp(ParaKitSchedOp.Exit, (ulong)(uint)status);
        Crash();
    }

    /// <summary>SCHEDOP_shutdown with a Xen reason (poweroff, reboot, crash...).</summary>
    public static void Shutdown(ShutdownReason reason)
    {
        Console.Flush();
        SchedShutdown request;
        request.Reason = (uint)reason;
        Hypervisor.SchedOp(SchedOp.Shutdown, (ulong)&request);
    }

    /// <summary>Ends the domain as crashed (reason crash); never returns.</summary>
    public static void Crash()
    {
        Shutdown(ShutdownReason.Crash);
        // The hypervisor did not stop us: fault on purpose (page 0 is unmapped).
        *(int*)0 = 0;
        while (true) { }
    }
}
