// The domain side of the gdb stub. The guest's #BP and #DB handlers call debug_stop
// (ParaKitHypercall.DebugStop) with the frame their trap stub saved; on the vCPU thread,
// OnDebugStop records the stop, tells the server, and parks the vCPU until gdb resumes it (or
// the domain ends). Meanwhile the server's thread reads and writes the stopped guest through
// IDebugTarget: registers come from the saved frame (general registers, rip, rflags, rsp) and the
// fxsave64 image (x87, SSE), memory is guest RAM through the guest's identity mapping and page
// policy (MemoryLayout.AccessOf). Resuming sets or clears RFLAGS.TF in the frame: the handler's
// iretq then runs one instruction and traps to #DB again, or runs on.
using System.Buffers.Binary;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Kvm;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Traps;

namespace ParaKit.Hypervisor.Debugging;

public sealed class DomainDebugger : IDebugTarget
{
    private readonly Domain _domain;
    private readonly object _lock = new(); // Monitor: the vCPU waits on it while stopped
    private Stop? _stop;
    private bool _resume, _step, _breakRequested;
    private long _stops;

    /// <summary>One stop: where the guest saved its registers, and the selectors KVM reported.</summary>
    private sealed record Stop(long Id, ulong Frame, ulong Fxsave, DebugStopKind Kind, ushort Ds, ushort Es, ushort Fs, ushort Gs);

    /// <summary>Called (on the vCPU thread) at every stop; the server posts it to its own thread.</summary>
    public Action? Stopped { get; set; }

    public DomainDebugger(Domain domain) => _domain = domain;

    /// <summary>True once the guest has stopped at least once (the stop before Main).</summary>
    public bool HasStopped => Interlocked.Read(ref _stops) > 0;

    /// <summary>The current stop's number and kind, or null while the guest runs.</summary>
    public (long Id, DebugStopKind Kind)? CurrentStop
    {
        get
        {
            lock (_lock)
                return _stop is { } s ? (s.Id, s.Kind) : null;
        }
    }

    /// <summary>debug_stop(frame, fxsave), on the vCPU thread: validates both pointers, then
    /// parks the vCPU until <see cref="Resume"/> or the domain's end. Returns 0 (resume) or
    /// -EFAULT for pointers outside the guest's writable memory.</summary>
    public long OnDebugStop(ulong frame, ulong fxsave)
    {
        var memory = _domain.Memory;
        if (!memory.TryGetWritable(frame, GuestTrapFrame.Size, out _)
            || fxsave % FxsaveArea.Alignment != 0 || !memory.TryGetWritable(fxsave, FxsaveArea.Size, out _)
            || !memory.TryRead(frame, out GuestTrapFrame saved))
            return Errno.EFAULT;
        KvmSregs s = default;
        try
        {
            s = _domain.Vcpu.Kvm.GetSregs();
        }
        catch (KvmException)
        {
            // The selectors then read as 0; registers that matter come from the frame.
        }
        lock (_lock)
        {
            var kind = saved.Vector == TrapVector.Breakpoint ? DebugStopKind.Breakpoint
                : _breakRequested && !_step ? DebugStopKind.Interrupt : DebugStopKind.Step;
            _breakRequested = false;
            _stop = new Stop(++_stops, frame, fxsave, kind, s.Ds.Selector, s.Es.Selector, s.Fs.Selector, s.Gs.Selector);
            _resume = false;
        }
        _domain.Vcpu.CancelDebugBreak();
        Stopped?.Invoke();
        lock (_lock)
        {
            while (!_resume && !_domain.ExitRequested)
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(200));
            _stop = null;
        }
        return 0;
    }

    /// <summary>Lets the stopped vCPU go: one instruction (<paramref name="step"/>) or on.</summary>
    public void Resume(bool step)
    {
        lock (_lock)
        {
            if (_stop is not { } s)
                return;
            var memory = _domain.Memory;
            ref ulong flags = ref memory.RefAt<ulong>(s.Frame + GuestTrapFrame.RflagsOffset);
            flags = step ? flags | GuestTrapFrame.TrapFlag : flags & ~GuestTrapFrame.TrapFlag;
            _step = step;
            _resume = true;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Ctrl-C from gdb: stop the running guest after its next instruction.</summary>
    public void RequestBreak()
    {
        lock (_lock)
        {
            if (_stop is not null)
                return;
            _breakRequested = true;
            _step = false;
        }
        _domain.Vcpu.RequestDebugBreak();
    }

    public bool ReadRegister(int number, Span<byte> value)
    {
        lock (_lock)
        {
            if (_stop is not { } s)
                return false;
            var memory = _domain.Memory;
            if (FrameOffset(number) is int offset)
            {
                ulong v = memory.RefAt<ulong>(s.Frame + (ulong)offset);
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, v);
                bytes[..value.Length].CopyTo(value);
                return true;
            }
            if (number is >= GdbRegisters.Ds and <= GdbRegisters.Gs)
            {
                ushort selector = number switch { GdbRegisters.Ds => s.Ds, GdbRegisters.Es => s.Es, GdbRegisters.Fs => s.Fs, _ => s.Gs };
                BinaryPrimitives.WriteUInt32LittleEndian(value, selector);
                return true;
            }
            var fx = memory.Slice(s.Fxsave, FxsaveArea.Size);
            return X87.Read(fx, number, value);
        }
    }

    public bool WriteRegister(int number, ReadOnlySpan<byte> value)
    {
        lock (_lock)
        {
            if (_stop is not { } s)
                return false;
            var memory = _domain.Memory;
            if (number is GdbRegisters.Cs or GdbRegisters.Ss or (>= GdbRegisters.Ds and <= GdbRegisters.Gs))
                return false; // selectors stay what domain 0 set at boot
            if (FrameOffset(number) is int offset)
            {
                ref ulong slot = ref memory.RefAt<ulong>(s.Frame + (ulong)offset);
                slot = value.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(value)
                    : (slot & 0xFFFF_FFFF_0000_0000) | BinaryPrimitives.ReadUInt32LittleEndian(value);
                return true;
            }
            return X87.Write(memory.Slice(s.Fxsave, FxsaveArea.Size), number, value);
        }
    }

    // Memory is touched only while the vCPU is stopped (under the lock): the domain cannot be
    // destroyed then, because Destroy waits for the vCPU thread, which leaves its stop first.
    public bool ReadMemory(ulong address, Span<byte> buffer)
    {
        lock (_lock)
        {
            if (_stop is null || !Accessible(address, (ulong)buffer.Length, PageAccess.Read)
                || !_domain.Memory.TryGetReadable(address, (ulong)buffer.Length, out var span))
                return false;
            span.CopyTo(buffer);
            return true;
        }
    }

    public bool WriteMemory(ulong address, ReadOnlySpan<byte> data)
    {
        // Domain 0 writes through its own mapping: code pages too (that is where int3s go),
        // never the pages the guest may only read (start_info, GDT, IDT, page tables).
        lock (_lock)
        {
            if (_stop is null || !_domain.Memory.TryGetWritable(address, (ulong)data.Length, out var span))
                return false;
            data.CopyTo(span);
            return true;
        }
    }

    private bool Accessible(ulong address, ulong length, PageAccess need)
    {
        if (length == 0 || address + length < address)
            return length == 0;
        var layout = _domain.Layout;
        for (ulong page = address & ~0xFFFUL; page < address + length; page += 0x1000)
        {
            if (page >= layout.MemoryBytes || (layout.AccessOf(page) & need) == 0)
                return false;
        }
        return true;
    }

    /// <summary>Where a register lives in the trap frame; null for the selectors and x87/SSE.</summary>
    private static int? FrameOffset(int number) => number switch
    {
        GdbRegisters.Rax => GuestTrapFrame.RaxOffset,
        GdbRegisters.Rbx => GuestTrapFrame.RbxOffset,
        GdbRegisters.Rcx => GuestTrapFrame.RcxOffset,
        GdbRegisters.Rdx => GuestTrapFrame.RdxOffset,
        GdbRegisters.Rsi => GuestTrapFrame.RsiOffset,
        GdbRegisters.Rdi => GuestTrapFrame.RdiOffset,
        GdbRegisters.Rbp => GuestTrapFrame.RbpOffset,
        GdbRegisters.Rsp => GuestTrapFrame.RspOffset,
        8 => GuestTrapFrame.R8Offset,
        9 => GuestTrapFrame.R9Offset,
        10 => GuestTrapFrame.R10Offset,
        11 => GuestTrapFrame.R11Offset,
        12 => GuestTrapFrame.R12Offset,
        13 => GuestTrapFrame.R13Offset,
        14 => GuestTrapFrame.R14Offset,
        15 => GuestTrapFrame.R15Offset,
        GdbRegisters.Rip => GuestTrapFrame.RipOffset,
        GdbRegisters.Eflags => GuestTrapFrame.RflagsOffset,
        GdbRegisters.Cs => GuestTrapFrame.CsOffset,
        GdbRegisters.Ss => GuestTrapFrame.SsOffset,
        _ => null,
    };
}
