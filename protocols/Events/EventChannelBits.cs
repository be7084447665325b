// The 2-level event-channel delivery rules over a shared_info page (Xen's event_2l.c semantics):
// the hypervisor sets ports pending, the guest masks, unmasks and scans them. Both sides run
// concurrently on the same words, so every read-modify-write is an atomic compare-exchange.
using System.Threading;

namespace ParaKit.Protocols.Events;

/// <summary>Pending/mask operations on <see cref="SharedInfo"/>. Ports at or above
/// <see cref="SharedInfo.EventChannelCount"/> are ignored (false/no effect), never trusted.</summary>
public static unsafe class EventChannelBits
{
    private static ulong* PendingWords(SharedInfo* s) => s->EvtchnPending;
    private static ulong* MaskWords(SharedInfo* s) => s->EvtchnMask;
    private static VcpuInfo* Vcpu(SharedInfo* s, int vcpu) => (VcpuInfo*)s + vcpu;

    private static bool ValidPort(uint port) => port < SharedInfo.EventChannelCount;
    private static bool ValidVcpu(int vcpu) => vcpu >= 0 && vcpu < SharedInfo.MaxVcpus;

    /// <summary>Atomically sets <paramref name="bit"/>; returns whether it was already set.</summary>
    internal static bool TestAndSet(ulong* word, ulong bit)
    {
        while (true)
        {
            ulong old = Volatile.Read(ref *word);
            if ((old & bit) != 0)
            {
                return true;
            }
            if (Interlocked.CompareExchange(ref *word, old | bit, old) == old)
            {
                return false;
            }
        }
    }

    /// <summary>Atomically clears <paramref name="bit"/>; returns whether it was set.</summary>
    internal static bool TestAndClear(ulong* word, ulong bit)
    {
        while (true)
        {
            ulong old = Volatile.Read(ref *word);
            if ((old & bit) == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref *word, old & ~bit, old) == old)
            {
                return true;
            }
        }
    }

    /// <summary>Index of the lowest set bit of a non-zero word (no BCL intrinsics in guests).</summary>
    internal static int LowestBit(ulong x)
    {
        int n = 0;
        if ((x & 0xFFFF_FFFFul) == 0) { n += 32; x >>= 32; }
        if ((x & 0xFFFFul) == 0) { n += 16; x >>= 16; }
        if ((x & 0xFFul) == 0) { n += 8; x >>= 8; }
        if ((x & 0xFul) == 0) { n += 4; x >>= 4; }
        if ((x & 0x3ul) == 0) { n += 2; x >>= 2; }
        if ((x & 0x1ul) == 0) { n += 1; }
        return n;
    }

    /// <summary>Marks word <paramref name="word"/> selected and the vCPU's upcall pending.</summary>
    private static void RaiseUpcall(SharedInfo* s, int vcpu, int word)
    {
        VcpuInfo* v = Vcpu(s, vcpu);
        TestAndSet(&v->PendingSel, 1ul << word);
        Volatile.Write(ref v->UpcallPending, 1);
    }

    /// <summary>Hypervisor: raise an event on <paramref name="port"/> for <paramref name="vcpu"/>.
    /// Only a 0-to-1 edge of the pending bit on an unmasked port selects the word in pending_sel and
    /// sets upcall_pending; true then means a wake-up is due (kick the vCPU if it is blocked). An event
    /// on a port that is already pending merges with it; on a masked port it stays latent until unmask.</summary>
    public static bool SetPending(SharedInfo* s, uint port, int vcpu = 0)
    {
        if (!ValidPort(port) || !ValidVcpu(vcpu))
        {
            return false;
        }
        int word = (int)(port >> 6);
        ulong bit = 1ul << (int)(port & 63);
        if (TestAndSet(PendingWords(s) + word, bit))
        {
            return false;
        }
        if ((Volatile.Read(ref MaskWords(s)[word]) & bit) != 0)
        {
            return false;
        }
        RaiseUpcall(s, vcpu, word);
        return true;
    }

    /// <summary>Clears the pending bit; returns whether it was set.</summary>
    public static bool ClearPending(SharedInfo* s, uint port)
    {
        if (!ValidPort(port))
        {
            return false;
        }
        return TestAndClear(PendingWords(s) + (port >> 6), 1ul << (int)(port & 63));
    }

    public static bool IsPending(SharedInfo* s, uint port)
        => ValidPort(port) && (Volatile.Read(ref PendingWords(s)[port >> 6]) & (1ul << (int)(port & 63))) != 0;

    public static bool IsMasked(SharedInfo* s, uint port)
        => ValidPort(port) && (Volatile.Read(ref MaskWords(s)[port >> 6]) & (1ul << (int)(port & 63))) != 0;

    /// <summary>Masks the port; returns whether it was already masked.</summary>
    public static bool Mask(SharedInfo* s, uint port)
    {
        if (!ValidPort(port))
        {
            return false;
        }
        return TestAndSet(MaskWords(s) + (port >> 6), 1ul << (int)(port & 63));
    }

    /// <summary>EVTCHNOP_unmask semantics: clears the mask; if the port was masked and is pending,
    /// the event it held back is raised now (pending_sel and upcall_pending) and true says a
    /// wake-up is due.</summary>
    public static bool Unmask(SharedInfo* s, uint port, int vcpu = 0)
    {
        if (!ValidPort(port) || !ValidVcpu(vcpu))
        {
            return false;
        }
        int word = (int)(port >> 6);
        ulong bit = 1ul << (int)(port & 63);
        if (!TestAndClear(MaskWords(s) + word, bit))
        {
            return false;
        }
        if ((Volatile.Read(ref PendingWords(s)[word]) & bit) == 0)
        {
            return false;
        }
        RaiseUpcall(s, vcpu, word);
        return true;
    }

    /// <summary>Read-only look for a pending, unmasked port at or after <paramref name="from"/>,
    /// ignoring pending_sel (the hypervisor's "is an event deliverable?" before blocking a vCPU).</summary>
    public static bool FindPendingUnmasked(SharedInfo* s, uint from, out uint port)
    {
        for (uint w = from >> 6; w < SharedInfo.EventChannelWords; w++)
        {
            ulong bits = Volatile.Read(ref PendingWords(s)[w]) & ~Volatile.Read(ref MaskWords(s)[w]);
            if (w == from >> 6)
            {
                bits &= ~0ul << (int)(from & 63);
            }
            if (bits != 0)
            {
                port = (w << 6) + (uint)LowestBit(bits);
                return true;
            }
        }
        port = 0;
        return false;
    }

    /// <summary>Begins a guest-side demultiplexing pass for a vCPU; see <see cref="PendingPortScan"/>.</summary>
    public static PendingPortScan BeginScan(SharedInfo* s, int vcpu = 0) => PendingPortScan.Begin(s, vcpu);
}

/// <summary>The guest's event demultiplexer loop (as Linux's 2-level upcall handler): clear
/// upcall_pending, take pending_sel with one exchange, then for each selected word hand out its
/// pending unmasked ports one at a time, clearing each pending bit as it is handed out so a new
/// event on the same port during handling is not lost. Masked ports stay pending for unmask.</summary>
public unsafe struct PendingPortScan
{
    private SharedInfo* _info;
    private ulong _selection;
    private int _word;
    private ulong _bits;

    /// <summary>Starts a pass. Clearing upcall_pending before taking pending_sel is what makes an
    /// event that arrives during the pass raise the upcall again rather than be lost.</summary>
    public static PendingPortScan Begin(SharedInfo* s, int vcpu = 0)
    {
        PendingPortScan scan;
        scan._info = s;
        scan._word = 0;
        scan._bits = 0;
        scan._selection = 0;
        if (vcpu >= 0 && vcpu < SharedInfo.MaxVcpus)
        {
            VcpuInfo* v = (VcpuInfo*)s + vcpu;
            Volatile.Write(ref v->UpcallPending, 0);
            Interlocked.MemoryBarrier();
            scan._selection = Interlocked.Exchange(ref v->PendingSel, 0);
        }
        return scan;
    }

    /// <summary>The next pending unmasked port of this pass (its pending bit is now clear); false when done.</summary>
    public bool TryNext(out uint port)
    {
        while (true)
        {
            if (_bits == 0)
            {
                if (_selection == 0)
                {
                    port = 0;
                    return false;
                }
                _word = EventChannelBits.LowestBit(_selection);
                _selection &= _selection - 1;
                _bits = Volatile.Read(ref _info->EvtchnPending[_word]) & ~Volatile.Read(ref _info->EvtchnMask[_word]);
                continue;
            }
            int b = EventChannelBits.LowestBit(_bits);
            _bits &= _bits - 1;
            if (EventChannelBits.TestAndClear(_info->EvtchnPending + _word, 1ul << b))
            {
                port = (uint)(_word * 64 + b);
                return true;
            }
        }
    }
}
