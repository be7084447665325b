// A domain's virtual CPU: its KVM vCPU, the thread that runs it, and the scheduling state the
// sched_op and set_timer_op hypercalls act on (block, poll, one-shot timer). The run loop
// decodes every exit: an MMIO write of 4 bytes to the doorbell is a hypercall, other MMIO goes
// to the domain's device bus (unclaimed: a crash report naming the address); everything else
// ends the domain with a crash report. Domain 0 interrupts a running vCPU by setting
// immediate_exit and sending it a signal (the "kick"), the usual KVM pattern.
using System.Diagnostics;
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Hypercalls;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Hypervisor.Native;
using ParaKit.Hypervisor.Time;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Events;

namespace ParaKit.Hypervisor.Domains;

public sealed unsafe class Vcpu : IDisposable
{
    private readonly Domain _domain;
    private readonly KvmVcpu _kvm;
    private readonly Waker _waker;
    private readonly Lock _threadLock = new();
    private readonly ManualResetEventSlim _threadEnded = new(false);
    private readonly ManualResetEventSlim _go = new(false);   // Start, or the end of a domain that never started
    private volatile bool _startRequested;
    private nuint _thread;          // from NativeThread.Start; 0 before Start and once joined or detached
    private nuint _caller;          // the thread RunHere runs on while it runs; 0 otherwise
    private GCHandle _self;         // keeps this vCPU reachable from its thread's entry point
    private volatile bool _alive;
    private nuint _pthread;
    private bool _inLoop;

    private volatile bool _pauseRequested;
    private volatile bool _stopRequested;
    private volatile bool _debugBreakRequested;
    private bool _entered;
    private ulong _timerDeadline; // system time in ns; 0 = no timer
    private bool _timerPending;

    /// <summary>Guest TSC minus host TSC (0 under kvm_pvm), added to host TSC values written into vcpu_time_info.</summary>
    internal ulong GuestTscOffset { get; set; }

    internal Vcpu(Domain domain, KvmVcpu kvm)
    {
        _domain = domain;
        _kvm = kvm;
        _waker = new Waker();
    }

    internal KvmVcpu Kvm => _kvm;
    public bool IsRunning => _alive;

    /// <summary>Called when the one-shot timer fires (VIRQ_TIMER delivery hooks in here).</summary>
    public Action<Domain>? TimerFired { get; set; }

    /// <summary>Creates the vCPU thread, which waits for <see cref="Start"/> (or for the domain's
    /// end) before it enters the guest: the thread's creation and its first steps in managed code
    /// (~0.1 ms) then happen while domain 0 finishes the set-up, not between Start and the guest's
    /// first instruction.</summary>
    internal void Prepare()
    {
        if (_thread != 0)
            return;
        PrepareRun();
        // A pthread, not a Thread: Thread.Start does not return before the new thread runs
        // managed code (it yields in a loop meanwhile, ~0.4 ms of every domain's start on a
        // loaded host); pthread_create returns at once and domain 0 goes on while the thread starts.
        _thread = NativeThread.Start(&ThreadEntry, this, out _self);
    }

    internal void Start()
    {
        Prepare();
        _alive = true;
        _startRequested = true;
        _go.Set();
    }

    /// <summary>What any thread running the loop needs: the kick's signal handler, and kvm_run
    /// set to hand back the registers on every exit.</summary>
    private void PrepareRun()
    {
        NativeCode.EnsureKickHandler();
        _kvm.Run->KvmValidRegs = KvmSync.Regs;
    }

    // SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGTSTP,
    // SIGTTIN, SIGTTOU, SIGWINCH.
    private static ReadOnlySpan<int> ProcessSignals => [1, 2, 3, 10, 12, 14, 15, 17, 18, 20, 21, 22, 28];

    /// <summary>Runs the vCPU on the calling thread until the domain ends, for a hypervisor of
    /// one domain (`parakit run`), as Solo5's hvt tender does: no thread to create and no sleeping
    /// CPU to wake between the set-up and the guest's first instruction (on these hosts a new
    /// thread began ~0.27 ms after its creation, and a wake-up took ~0.09 ms). The thread keeps
    /// its OS name; traces know it as "vcpu NAME".</summary>
    internal void RunHere()
    {
        lock (_threadLock)
        {
            if (_thread != 0 || _alive)
                throw new InvalidOperationException($"domain {_domain.Name}: its vCPU already has a thread");
            if (_stopRequested)
                return;             // destroyed first: Join has already let its memory go
            _caller = Libc.PthreadSelf();
        }
        // Signals for the process (Ctrl-C, SIGTERM, a child's end, a resized terminal) go to
        // domain 0's other threads meanwhile, as QEMU's vCPU threads block them: each would
        // knock the guest out of KVM_RUN for nothing. Only the kick is meant for this thread.
        var process = Libc.SigSet.Of(ProcessSignals);
        Libc.SigSet before;
        Libc.PthreadSigmask(Libc.SIG_BLOCK, &process, &before);
        try
        {
            PrepareRun();
            Thread.CurrentThread.Name ??= $"vcpu {_domain.Name}";
            _alive = true;
            _startRequested = true;
            ThreadMain();
        }
        finally
        {
            _alive = false;
            _threadEnded.Set();
            lock (_threadLock)
                _caller = 0;
            Libc.PthreadSigmask(Libc.SIG_SETMASK, &before, null);
        }
    }

    [UnmanagedCallersOnly]
    private static nint ThreadEntry(nint self)
    {
        var vcpu = (Vcpu)GCHandle.FromIntPtr(self).Target!;
        try
        {
            string name = $"vcpu {vcpu._domain.Name}";
            Thread.CurrentThread.Name = name;   // what traces call this thread
            SetOsThreadName(name);              // what top and /proc/PID/task/*/comm show
            vcpu._go.Wait();
            if (vcpu._startRequested)           // else the domain ended before it started
                vcpu.ThreadMain();
        }
        catch (Exception e)
        {
            // ThreadMain ends the domain on its own errors; this is the last line of defence
            // (an exception cannot leave an UnmanagedCallersOnly method).
            System.Console.Error.WriteLine($"parakit: vcpu thread of {vcpu._domain.Name} failed: {e.Message}");
        }
        finally
        {
            vcpu._alive = false;
            vcpu._threadEnded.Set();
        }
        return 0;
    }

    /// <summary>Wakes the vCPU if it is blocked (an event became pending).</summary>
    public void Wake() => _waker.Signal();

    internal void RequestPause(bool pause)
    {
        _pauseRequested = pause;
        if (pause)
            Kick();
        else
            _waker.Signal();
    }

    /// <summary>gdb's Ctrl-C (Debugging/DomainDebugger): the loop sets RFLAGS.TF before the next
    /// entry, so the guest traps to its #DB handler after one instruction and stops there. A
    /// blocked vCPU wakes up for it.</summary>
    internal void RequestDebugBreak()
    {
        _debugBreakRequested = true;
        Kick();
    }

    /// <summary>The guest stopped anyway (a breakpoint won the race): no TF is needed.</summary>
    internal void CancelDebugBreak() => _debugBreakRequested = false;

    internal void RequestStop()
    {
        _stopRequested = true;
        _go.Set();   // a prepared thread that never started ends
        Kick();
    }

    /// <summary>Waits for the vCPU thread to end. Called from the vCPU thread itself (a Stopped
    /// handler that destroys its domain) it returns at once: the thread is on its way out.</summary>
    internal bool Join(TimeSpan timeout)
    {
        lock (_threadLock)
        {
            if (_caller != 0)
            {
                // RunHere: nothing to join; the loop's own thread must not wait for itself.
                if (_caller == Libc.PthreadSelf())
                    return true;
            }
            else if (_thread == 0)
                return true;
            else if (_thread == Libc.PthreadSelf())
            {
                // Nobody will join this thread: it frees its own stack when it ends.
                NativeThread.Detach(_thread);
                ForgetThread();
                return true;
            }
        }
        if (!_threadEnded.Wait(timeout))
            return false;
        lock (_threadLock)
        {
            if (_thread != 0)
            {
                NativeThread.Join(_thread);   // it has left ThreadEntry: returns as it exits
                ForgetThread();
            }
        }
        return true;
    }

    /// <summary>PR_SET_NAME: at most 15 bytes and a nul.</summary>
    private static void SetOsThreadName(string name)
    {
        byte* comm = stackalloc byte[16];
        int n = System.Text.Encoding.UTF8.GetBytes(name.AsSpan(0, Math.Min(name.Length, 15)), new Span<byte>(comm, 15));
        comm[n] = 0;
        Libc.Prctl(Libc.PR_SET_NAME, (nuint)comm, 0, 0, 0);
    }

    private void ForgetThread()
    {
        _thread = 0;
        _self.Free();
    }

    /// <summary>Forces the vCPU thread out of KVM_RUN (or out of a block) so it looks at its requests.</summary>
    private void Kick()
    {
        _waker.Signal();
        lock (_threadLock)
        {
            if (!_inLoop)
                return;
            _kvm.Run->ImmediateExit = 1;
            Libc.PthreadKill(_pthread, NativeCode.KickSignal);
        }
    }

    private void ThreadMain()
    {
        lock (_threadLock)
        {
            _pthread = Libc.PthreadSelf();
            _inLoop = true;
        }
        // Linux lets a sleeping thread's timer fire up to 50 µs late by default; guest timers
        // (set_timer_op, sched_poll timeouts) want the wake-up on time.
        Libc.Prctl(Libc.PR_SET_TIMERSLACK, 1, 0, 0, 0);
        var stats = _domain.Stats;
        stats.StartTimestamp = Stopwatch.GetTimestamp();
        if (TracePoint.On)
            TracePoint.DomainStart(_domain.Id);
        try
        {
            RunLoop();
        }
        catch (Exception e)
        {
            // A bug in domain 0 must end this domain, not the whole hypervisor.
            _domain.RequestCrash("internal hypervisor error: " + e.Message);
        }
        finally
        {
            lock (_threadLock)
                _inLoop = false;
            stats.EndTimestamp = Stopwatch.GetTimestamp();
            if (TracePoint.On)
                TracePoint.DomainStop(_domain.Id);
            _domain.OnVcpuStopped();
        }
    }

    private void RunLoop()
    {
        KvmRun* run = _kvm.Run;
        var stats = _domain.Stats;
        var dispatcher = _domain.Hypercalls;
        while (true)
        {
            if (_stopRequested || _domain.ExitRequested)
                return;
            if (_pauseRequested && !WaitWhilePaused())
                return;
            // kvm_run's register copy is valid only once KVM_RUN has returned at least once.
            if (_debugBreakRequested && _entered)
            {
                _debugBreakRequested = false;
                run->SyncRegs.Rflags |= ParaKit.Protocols.Traps.GuestTrapFrame.TrapFlag;
                run->KvmDirtyRegs |= KvmSync.Regs;
            }

            ulong entered = TracePoint.On ? NativeCode.Rdtsc() : 0;
            int err = _kvm.Enter();
            _entered = true;
            if (err != 0)
            {
                if (err == Libc.EINTR || err == Libc.EAGAIN)
                {
                    run->ImmediateExit = 0;
                    TracePoint.Kick(ref stats.Kicks, _domain.Id, entered);
                    continue;
                }
                _domain.RequestCrash("KVM_RUN failed: " + Libc.StrError(err));
                return;
            }

            uint reason = run->ExitReason;
            TracePoint.Exit(ref stats.ExitsByReason[reason < 64 ? reason : 0], _domain.Id, reason, entered);
            var action = ExitDecoder.Decode(*run);
            if (action.Kind == ExitKind.Hypercall)
            {
                long t0 = Stopwatch.GetTimestamp();
                KvmRegs* r = &run->SyncRegs;
                var args = new HypercallArgs(r->Rdi, r->Rsi, r->Rdx, r->R10, r->R8);
                r->Rax = (ulong)dispatcher.Dispatch(_domain, action.Hypercall, args);
                run->KvmDirtyRegs = KvmSync.Regs;
                stats.HypercallTicks += Stopwatch.GetTimestamp() - t0 - _blockedTicks;
                _blockedTicks = 0;
            }
            else if (action.Kind == ExitKind.DeviceAccess)
            {
                stats.DeviceAccesses++;
                bool write = run->MmioIsWrite != 0;
                if (!_domain.Bus.Access(run->MmioPhysAddr, run->MmioLen, write, ref run->MmioData))
                {
                    _domain.RequestCrash(Devices.Bus.MmioBus.UnclaimedMessage(run->MmioPhysAddr, run->MmioLen, write));
                    return;
                }
            }
            else if (action.Kind == ExitKind.Crash)
            {
                _domain.RequestCrash(action.Message!);
                return;
            }
        }
    }

    private long _blockedTicks;

    /// <summary>Parks the vCPU thread while paused. Returns false when it should stop instead.</summary>
    private bool WaitWhilePaused()
    {
        _domain.SetState(DomainState.Paused);
        while (_pauseRequested && !_stopRequested)
            _waker.Wait(ulong.MaxValue);
        if (_stopRequested)
            return false;
        _domain.SetState(DomainState.Running);
        return true;
    }

    /// <summary>set_timer_op: a one-shot deadline in system time (0 cancels).</summary>
    internal void SetTimer(ulong deadline)
    {
        _timerDeadline = deadline;
        _timerPending = false;
    }

    /// <summary>True once the timer deadline has passed; fires it exactly once.</summary>
    private bool CheckTimer(ulong now)
    {
        if (_timerPending)
            return true;
        if (_timerDeadline != 0 && now >= _timerDeadline)
        {
            _timerDeadline = 0;
            _timerPending = true;
            _domain.Stats.TimerFires++;
            TimerFired?.Invoke(_domain);
            return true;
        }
        return false;
    }

    /// <summary>SCHEDOP_block: enables event delivery and sleeps until an unmasked event is
    /// pending, a device interrupt is asserted, or the timer fires (or domain 0 needs the thread).</summary>
    internal void Block()
    {
        ulong asleep = TracePoint.Block(ref _domain.Stats.Blocks, _domain.Id, BlockKind.Block);
        ref SharedInfo si = ref _domain.SharedInfo;
        Volatile.Write(ref si.Vcpu0.UpcallMask, 0);
        // An asserted device interrupt wakes it too, as an interrupt wakes a halted CPU.
        var why = WaitFor(() => EventsPending(ref _domain.SharedInfo) || _domain.Interrupts.AnyAsserted, 0);
        if (asleep != 0)
            TracePoint.Wake(_domain.Id, why, asleep);
        _timerPending = false;
    }

    /// <summary>SCHEDOP_poll: sleeps until one of <paramref name="ports"/> is pending, the
    /// timer fires, or the absolute <paramref name="timeout"/> passes.</summary>
    internal long Poll(uint[] ports, ulong timeout)
    {
        ulong asleep = TracePoint.On ? TracePoint.Block(_domain.Id, BlockKind.Poll) : 0;
        var why = WaitFor(() =>
        {
            ref SharedInfo si = ref _domain.SharedInfo;
            foreach (uint p in ports)
            {
                if ((Volatile.Read(ref si.EvtchnPending[(int)(p >> 6)]) & (1UL << (int)(p & 63))) != 0)
                    return true;
            }
            return false;
        }, timeout);
        if (asleep != 0)
            TracePoint.Wake(_domain.Id, why, asleep);
        _timerPending = false;
        return 0;
    }

    /// <summary>Sleeps until <paramref name="condition"/>, the timer or <paramref name="timeout"/>;
    /// says which ended the sleep (for the trace).</summary>
    private WakeReason WaitFor(Func<bool> condition, ulong timeout)
    {
        long t0 = Stopwatch.GetTimestamp();
        var why = WakeReason.Stop;
        while (!_stopRequested && !_domain.ExitRequested)
        {
            if (_pauseRequested)
            {
                if (!WaitWhilePaused())
                    break;
                continue;
            }
            if (condition() || _debugBreakRequested)
            {
                why = WakeReason.Event;
                break;
            }
            ulong now = SystemClock.Now();
            if (CheckTimer(now) || (timeout != 0 && now >= timeout))
            {
                why = _timerPending ? WakeReason.Timer : WakeReason.Timeout;
                break;
            }
            ulong deadline = _timerDeadline;
            if (timeout != 0 && (deadline == 0 || timeout < deadline))
                deadline = timeout;
            _waker.Wait(deadline == 0 ? ulong.MaxValue : deadline - now);
        }
        _domain.RefreshTime();
        _blockedTicks += Stopwatch.GetTimestamp() - t0;
        return why;
    }

    internal static bool EventsPending(ref SharedInfo si)
    {
        if (Volatile.Read(ref si.Vcpu0.UpcallPending) != 0)
            return true;
        for (int w = 0; w < SharedInfo.EventChannelWords; w++)
        {
            if ((Volatile.Read(ref si.EvtchnPending[w]) & ~Volatile.Read(ref si.EvtchnMask[w])) != 0)
                return true;
        }
        return false;
    }

    public void Dispose()
    {
        _kvm.Dispose();
        _waker.Dispose();
    }
}
