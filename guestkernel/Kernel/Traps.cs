// The guest's trap handlers. At boot, one set_trap_table hypercall points every CPU exception
// vector at its entry stub (Runtime/Native/traps.S); drivers add device interrupts on vectors
// 32-255 with RegisterInterrupt. The stubs call ParaKitTrap with the interrupted registers:
// #BP and #DB are offered to domain 0's debugger (debug_stop) first;
// an interrupt runs its handler and resumes the interrupted code; an exception is classified
// by the runtime (HardwareFaults) and either becomes a .NET exception or ends the domain with a
// crash report that domain 0 symbolizes.
using System.Runtime.InteropServices;
using Internal.Runtime;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Traps;

namespace ParaKit.Kernel;

public static unsafe class Traps
{
    /// <summary>256 handler slots (only 32-255 are used), raw memory so no collector or
    /// allocation is involved while a trap runs.</summary>
    private static delegate*<TrapFrame*, void>* s_interrupts;

    /// <summary>Interrupts delivered to a registered handler, and to none.</summary>
    public static ulong Interrupts, SpuriousInterrupts;

    /// <summary>Registers the exception stubs (vectors 0-21 except the reserved 15). A failure
    /// here is a kernel bug or a hypervisor without traps: panic, saying which.</summary>
    internal static void Initialize(ParaKit.Protocols.Boot.StartInfo* startInfo)
    {
        s_interrupts = (delegate*<TrapFrame*, void>*)Allocator.AllocateRaw(256 * (ulong)sizeof(nint));
        for (int i = 0; i < 256; i++)
            s_interrupts[i] = null;
        HardwareFaults.Configure(startInfo->StackBottom, startInfo->HypercallPageAddress);
        // Page faults with the interrupted rsp in the lowest 4 KiB of the stack stay on the trap
        // stack: there is no room left to handle them where they happened.
        TrapStubs.SetStackLimit(startInfo->StackBottom + 4096);
        TrapInfo* table = stackalloc TrapInfo[TrapVector.FirstInterrupt + 1];
        int n = 0;
        for (byte v = 0; v < TrapVector.FirstInterrupt; v++)
        {
            if (!TrapFlags.IsReserved(v))
                table[n++] = Entry(v);
        }
        table[n] = default;
        long rc = Hypervisor.Call(Hypercall.SetTrapTable, (ulong)table);
        if (rc != 0)
            Panic.Fail("set_trap_table failed (" + rc.ToString() + "): CPU exceptions would end the domain as a triple fault");
    }

    private static TrapInfo Entry(byte vector) => new()
    {
        Vector = vector,
        Flags = 0,
        Cs = TrapFlags.GuestCodeSelector,
        Address = TrapStubs.EntryOf(vector),
    };

    /// <summary>Sends interrupt <paramref name="vector"/> (32-255, e.g. an MSI a device raises)
    /// to <paramref name="handler"/>. The handler runs inside the trap with every register
    /// saved: keep it tiny (set a flag, count), do not allocate, throw or take locks (ring 3
    /// cannot mask interrupts; the interrupted code may be anywhere). Returns 0 or a negative
    /// errno from set_trap_table; -EINVAL for a vector below 32.</summary>
    public static long RegisterInterrupt(int vector, delegate*<TrapFrame*, void> handler)
    {
        if (vector < TrapVector.FirstInterrupt || vector > 255 || handler == null)
            return Errno.EINVAL;
        s_interrupts[vector] = handler;
        TrapInfo* table = stackalloc TrapInfo[2];
        table[0] = Entry((byte)vector);
        table[1] = default;
        long rc = Hypervisor.Call(Hypercall.SetTrapTable, (ulong)table);
        if (rc != 0)
            s_interrupts[vector] = null;
        return rc;
    }

    /// <summary>The CPU's fault address for the current page fault (CR2, through domain 0).</summary>
    public static ulong FaultAddress()
    {
        Hypervisor.Call(ParaKitHypercall.FaultInfo);
        return System.Threading.Volatile.Read(ref Kernel.SharedInfo->Vcpu0.ArchCr2);
    }

    [UnmanagedCallersOnly(EntryPoint = "ParaKitTrap")]
    private static void OnTrap(TrapFrame* frame, byte* fxsave)
    {
        ulong vector = frame->Vector;
        // #BP and #DB go to the debugger first (debug_stop): under `parakit run --gdb` the vCPU
        // stops inside the call while gdb reads and rewrites the frame, and resumes where the
        // frame then says. Without a debugger the call fails at once and the trap is fatal.
        if ((vector == TrapVector.Breakpoint || vector == TrapVector.Debug)
            && Hypervisor.DebugStop(frame, fxsave) == 0)
            return;
        if (vector >= TrapVector.FirstInterrupt)
        {
            var handler = s_interrupts == null ? null : s_interrupts[vector];
            if (handler == null)
            {
                SpuriousInterrupts++;
                return;
            }
            Interrupts++;
            handler(frame);
            return;
        }
        ulong faultAddress = vector == TrapVector.PageFault ? FaultAddress() : 0;
        uint cause = HardwareFaults.Classify(frame, faultAddress);
        if (!HardwareFaults.TryThrow(frame, cause))
            HardwareFaults.Fatal(frame, cause, faultAddress);
    }

    /// <summary>RuntimeHost.ReportCrash: crash_report to domain 0, which ends the domain.</summary>
    internal static void ReportCrash(FaultRecord* record)
    {
        Console.Flush();
        Hypervisor.Call(ParaKitHypercall.CrashReport, (ulong)record);
        Scheduler.Crash(); // only if domain 0 refused the record
    }
}
