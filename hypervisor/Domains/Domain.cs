// A guest domain: its KVM VM, memory, vCPU, console and lifecycle (create, start, pause,
// unpause, shutdown, destroy). The lifecycle is driven from two sides: the guest ends itself
// through sched_op (poweroff, reboot, crash) or by faulting; domain 0 pauses, destroys or times
// it out. Either way the vCPU thread leaves its loop, the end is recorded once in Exit, and
// Destroy frees every file descriptor, mapping and thread.
using System.Text;
using ParaKit.Hypervisor.Consoles;
using ParaKit.Hypervisor.Events;
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Hypercalls;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Hypervisor.Memory;
using ParaKit.Hypervisor.Time;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Events;

namespace ParaKit.Hypervisor.Domains;

public sealed unsafe class Domain : IDisposable
{
    private readonly KvmVm _vm;
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _ended = new(false);
    private DomainExit? _pendingExit;
    private DomainState _state = DomainState.Created;
    private bool _destroyed;

    public uint Id { get; }
    public string Name => Config.Name;
    public DomainConfig Config { get; }
    public ElfImage Image { get; }
    public MemoryLayout Layout { get; }
    public GuestMemory Memory { get; }
    public Vcpu Vcpu { get; }
    /// <summary>This domain's event-channel ports (hypervisor/Events); domain 0's backends bind through it.</summary>
    public EventChannels Events { get; }
    /// <summary>This domain's grant table (hypervisor/Grants); backends copy from and to its grants through it.</summary>
    public GrantTable Grants { get; }
    public IConsoleSink Console { get; }
    public DomainStats Stats { get; } = new();
    /// <summary>Guest-physical ranges owned by emulated devices (Devices/Bus); the vCPU loop sends them every MMIO exit but the doorbell's.</summary>
    public Devices.Bus.MmioBus Bus { get; }
    /// <summary>Device interrupt lines: an asserted one wakes the vCPU from SCHEDOP_block.</summary>
    public Devices.Bus.DomainInterrupts Interrupts { get; }
    internal HypercallDispatcher Hypercalls { get; }
    /// <summary>The gdb stub's view of this domain (`parakit run --gdb`); null when no debugger
    /// serves it, and debug_stop then fails so #BP/#DB stay fatal.</summary>
    public Debugging.DomainDebugger? Debugger { get; internal set; }
    /// <summary>The KVM VM (device interrupts route through it when it has an irqchip).</summary>
    internal KvmVm Vm => _vm;

    /// <summary>Raised once by Destroy, before the memory goes: services that read the guest's
    /// pages (the store's ring) let go of them here.</summary>
    internal event Action<Domain>? Destroying;

    /// <summary>Raised once, on the vCPU thread, when the domain stops running for any reason.</summary>
    public event Action<Domain>? Stopped;

    internal Domain(uint id, DomainConfig config, ElfImage image, MemoryLayout layout, KvmVm vm, GuestMemory memory, KvmVcpu vcpu, IConsoleSink console, HypercallDispatcher hypercalls)
    {
        Id = id;
        Config = config;
        Image = image;
        Layout = layout;
        _vm = vm;
        Memory = memory;
        Console = console;
        Hypercalls = hypercalls;
        Vcpu = new Vcpu(this, vcpu);
        Bus = new Devices.Bus.MmioBus(id);
        Interrupts = new Devices.Bus.DomainInterrupts(Vcpu.Wake);
        Events = new EventChannels((ushort)id, (SharedInfo*)((byte*)memory.HostAddress + GuestLayout.SharedInfoAddress), Vcpu.Wake);
        Vcpu.TimerFired = static d => d.Events.RaiseVirq(Virq.Timer);
        Grants = new GrantTable((ushort)id, memory);
        Stats.Events = Events;
        Stats.Grants = Grants;
    }

    public DomainState State
    {
        get { lock (_lock) return _state; }
    }

    /// <summary>How the domain ended; null while it runs.</summary>
    public DomainExit? Exit
    {
        get { lock (_lock) return _ended.IsSet ? _pendingExit : null; }
    }

    private volatile bool _exitRequested;

    /// <summary>Set once the domain's end is decided; the vCPU loop polls it on every exit, so it is a plain volatile read.</summary>
    internal bool ExitRequested => _exitRequested;

    public ref SharedInfo SharedInfo => ref Memory.RefAt<SharedInfo>(GuestLayout.SharedInfoAddress);
    public ref StartInfo StartInfo => ref Memory.RefAt<StartInfo>(GuestLayout.StartInfoAddress);

    internal void SetState(DomainState s)
    {
        lock (_lock)
        {
            if (_state is DomainState.Running or DomainState.Paused or DomainState.Created)
                _state = s;
        }
    }

    /// <summary>Starts the vCPU (unpaused).</summary>
    public void Start()
    {
        BeginRunning();
        Vcpu.Start();
    }

    /// <summary>Starts the domain and runs its vCPU on the calling thread until it ends (a
    /// hypervisor of one domain: Vcpu.RunHere). Other threads may still pause, shut down or
    /// destroy it; a destroy from another thread waits for this to return.</summary>
    public void RunHere()
    {
        BeginRunning();
        Vcpu.RunHere();
    }

    private void BeginRunning()
    {
        lock (_lock)
        {
            if (_state != DomainState.Created || _destroyed)
                throw new InvalidOperationException($"domain {Name} cannot start in state {_state}");
            _state = DomainState.Running;
        }
        RefreshTime();
        if (HypervisorEvents.Log.IsEnabled())
            HypervisorEvents.Log.DomainStarted(Id, Name);
    }

    public void Pause() => Vcpu.RequestPause(true);
    public void Unpause() => Vcpu.RequestPause(false);

    /// <summary>Domain 0 ends a running domain (timeout, Ctrl-C, xl destroy); it keeps its memory until Destroy.</summary>
    public void Shutdown(string why)
    {
        RecordExit(DomainExit.Destroyed(why));
        Vcpu.RequestStop();
        if (!Vcpu.IsRunning)
            _ended.Set();
    }

    /// <summary>Waits until the domain has stopped. False on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout) => _ended.Wait(timeout);
    public WaitHandle ExitHandle => _ended.WaitHandle;

    /// <summary>Guest-initiated end (sched_op shutdown or exit): the vCPU loop stops after this hypercall.</summary>
    internal void RequestExit(DomainExit exit) => RecordExit(exit);

    /// <summary>The domain crashed: record a report with its registers and symbolized RIP.</summary>
    internal void RequestCrash(string why)
    {
        RecordExit(DomainExit.Crash(why + Environment.NewLine + CrashReport()));
    }

    /// <summary>The guest reported its own crash (crash_report): its cause and backtrace
    /// replace the register dump, which would only show the hypercall stub.</summary>
    internal void RequestGuestCrash(in ParaKit.Protocols.Traps.GuestCrashInfo info)
    {
        string report;
        try
        {
            report = GuestCrashReport.Format(info, Image, Memory, Layout);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            report = "  (no backtrace: " + e.Message + ")";
        }
        RecordExit(DomainExit.Crash(GuestCrashReport.Headline(info) + Environment.NewLine + report));
    }

    private void RecordExit(DomainExit exit)
    {
        lock (_lock)
        {
            if (_pendingExit is not null)
                return;
            _pendingExit = exit;
            _exitRequested = true;
        }
    }

    internal void OnVcpuStopped()
    {
        Console.Flush();
        lock (_lock)
        {
            _pendingExit ??= DomainExit.Destroyed("stopped");
            _state = _pendingExit.Value.State;
        }
        if (HypervisorEvents.Log.IsEnabled())
        {
            var exit = _pendingExit.Value;
            HypervisorEvents.Log.DomainStopped(Id, Name, exit.State.ToString(), exit.ExitCode, exit.Message);
        }
        _ended.Set();
        try
        {
            Stopped?.Invoke(this);
        }
        catch (Exception e)
        {
            // A subscriber's bug must not take the hypervisor down from a vCPU thread.
            System.Console.Error.WriteLine($"parakit: domain {Name}: Stopped handler failed: {e.Message}");
            if (HypervisorEvents.Log.IsEnabled())
                HypervisorEvents.Log.Error(Id, "toolstack", "Stopped handler failed: " + e.Message);
        }
    }

    /// <summary>Registers, RIP with its symbol, and control registers, for a crash message.</summary>
    public string CrashReport()
    {
        var sb = new StringBuilder();
        KvmRegs r = Vcpu.Kvm.Run->SyncRegs;
        sb.Append($"  rip 0x{r.Rip:x16} <{Describe(r.Rip)}>").AppendLine();
        sb.Append($"  rsp 0x{r.Rsp:x16} rbp 0x{r.Rbp:x16} rflags 0x{r.Rflags:x}").AppendLine();
        sb.Append($"  rax 0x{r.Rax:x16} rbx 0x{r.Rbx:x16} rcx 0x{r.Rcx:x16} rdx 0x{r.Rdx:x16}").AppendLine();
        sb.Append($"  rsi 0x{r.Rsi:x16} rdi 0x{r.Rdi:x16} r8  0x{r.R8:x16} r9  0x{r.R9:x16}").AppendLine();
        sb.Append($"  r10 0x{r.R10:x16} r11 0x{r.R11:x16} r12 0x{r.R12:x16} r13 0x{r.R13:x16}").AppendLine();
        sb.Append($"  r14 0x{r.R14:x16} r15 0x{r.R15:x16}");
        try
        {
            KvmSregs s = Vcpu.Kvm.GetSregs();
            sb.AppendLine().Append($"  cr0 0x{s.Cr0:x} cr2 0x{s.Cr2:x} cr3 0x{s.Cr3:x} cr4 0x{s.Cr4:x} efer 0x{s.Efer:x} cs 0x{s.Cs.Selector:x}");
        }
        catch (KvmException)
        {
        }
        // Return address at the top of the stack: often the caller of the faulting function.
        if (Memory.TryRead(r.Rsp, out ulong ret) && Image.Symbolize(ret) is { } caller)
            sb.AppendLine().Append($"  [rsp] 0x{ret:x} <{caller}>");
        return sb.ToString();
    }

    /// <summary>Names a guest code address: an image symbol, or the hypercall stub it lies in
    /// (a guest that panics stops inside its shutdown hypercall).</summary>
    private string Describe(ulong address)
    {
        if (Image.Symbolize(address) is { } symbol)
            return symbol;
        ulong page = ParaKit.Protocols.Boot.GuestLayout.HypercallPageAddress;
        if (address >= page && address < page + ParaKit.Protocols.Boot.GuestLayout.PageSize)
        {
            int nr = (int)((address - page) / ParaKit.Protocols.Boot.GuestLayout.HypercallStubSize);
            return $"hypercall_page+0x{address - page:x}: {DomainStats.HypercallName(nr)} stub";
        }
        return "?";
    }

    /// <summary>Rewrites vcpu_time_info (version odd while updating, as Xen does) so the guest's
    /// pvclock matches domain 0's system time.</summary>
    public void RefreshTime()
    {
        ulong tsc = Native.NativeCode.Rdtsc();
        ulong now = SystemClock.At(tsc);
        var scale = SystemClock.Scale;
        ref VcpuTimeInfo t = ref SharedInfo.Vcpu0.Time;
        uint v = t.Version;
        Volatile.Write(ref t.Version, v + 1 | 1);
        Interlocked.MemoryBarrier();
        t.TscTimestamp = tsc + Vcpu.GuestTscOffset;
        t.SystemTime = now;
        t.TscToSystemMul = scale.Multiplier;
        t.TscShift = scale.Shift;
        t.Flags = 1; // PVCLOCK_TSC_STABLE_BIT: one vCPU, host TSC is invariant
        Interlocked.MemoryBarrier();
        Volatile.Write(ref t.Version, (v + 1 | 1) + 1);
    }

    /// <summary>Stops the domain if needed and frees its vCPU, VM and memory. Idempotent.</summary>
    public void Destroy()
    {
        lock (_lock)
        {
            if (_destroyed)
                return;
            _destroyed = true;
        }
        Destroying?.Invoke(this);
        // Peers must stop writing into our shared_info before the memory goes.
        Events.Detach();
        Grants.Detach();
        RecordExit(DomainExit.Destroyed("destroyed"));
        Vcpu.RequestStop();
        while (!Vcpu.Join(TimeSpan.FromSeconds(1)))
            Vcpu.RequestStop();
        Vcpu.Dispose();
        _vm.Dispose();
        Memory.Dispose();
        lock (_lock)
        {
            if (_state is DomainState.Created or DomainState.Running or DomainState.Paused)
                _state = DomainState.Destroyed;
        }
        _ended.Set();
    }

    public void Dispose() => Destroy();
}
