// One domain's grant table (v1) and the copies made through it (Xen's grant_table.c semantics
// for GNTTABOP_copy). The table lives in guest RAM: FrameCount pages at FrameAddress that the
// hypervisor reserves in every domain's layout and setup_table reports, as Xen hands a PV guest
// the frames to map. The granting guest writes entries with GrantEntries.Publish/TryRevoke; the
// hypervisor claims an entry for each access (reading/writing flags, so a revoke fails while a
// copy is in flight) and checks that the granted frame is one the granter itself may read or
// write, so a grant can never reach the granter's page tables or read-only pages.
//
// Overlapping accesses to one entry (two backend threads, or source and destination of one
// copy) are counted per entry, like Xen's active-grant pin counts: the first access sets the
// flag, the last one clears it, and the frame read at the first claim is the one every
// overlapping access uses.
using ParaKit.Hypervisor.Memory;
using ParaKit.Hypervisor.Native;
using ParaKit.Hypervisor.Tracing;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Grants;

namespace ParaKit.Hypervisor.Grants;

public sealed unsafe class GrantTable
{
    /// <summary>Guest-physical address of the first grant-table frame (a free page below the private region).</summary>
    public const ulong FrameAddress = 0x6000;
    /// <summary>Frames per domain: 1024 entries (Xen's default maximum is larger; netfront needs about 520).</summary>
    public const uint FrameCount = 2;
    public const uint EntryCount = FrameCount * GrantRefs.EntriesPerFrame;
    public const int PageSize = (int)GuestLayout.PageSize;

    /// <summary>Held for reading by every copy and for writing by Detach, so a copy never
    /// touches the memory of a domain that is being destroyed.</summary>
    internal static readonly ReaderWriterLockSlim LifetimeLock = new(LockRecursionPolicy.NoRecursion);

    private readonly Lock _activeLock = new();
    /// <summary>Xen's active entries: pins each way and the frame they hold. Allocated by the first
    /// Acquire (8 KiB; a domain that never grants, like most of a density run's, never needs it).</summary>
    private ActiveEntry[]? _active;
    private GuestMemory? _memory;

    public ushort DomId { get; }
    internal GrantTableDirectory? Directory { get; set; }

    /// <summary>Counters: copies this domain asked for, bytes they moved, ops that failed.</summary>
    public long Copies, CopyBytes, CopyErrors;
    /// <summary>Counters: successful domain-0 copies from and to this domain's grants, added once per
    /// backend batch (<see cref="EndCopyBatch"/>; backend threads: atomically).</summary>
    public long Domain0Copies, Domain0CopyBytes;

    public GrantTable(ushort domId, GuestMemory memory)
    {
        if (memory.Size < FrameAddress + FrameCount * GuestLayout.PageSize)
            throw new ArgumentException("guest memory too small for the grant table", nameof(memory));
        DomId = domId;
        _memory = memory;
    }

    internal GuestMemory? Memory => _memory;

    /// <summary>Frame numbers of the table (what setup_table returns).</summary>
    public static ulong FrameNumber(uint index) => FrameAddress / GuestLayout.PageSize + index;

    private GrantEntryV1* Entry(uint gref) => (GrantEntryV1*)((byte*)_memory!.HostAddress + FrameAddress) + gref;

    /// <summary>Claims entry <paramref name="gref"/> of this (granting) table for one access by
    /// <paramref name="grantee"/>; on success <paramref name="page"/> is the granted page.</summary>
    internal short Acquire(uint gref, ushort grantee, bool write, out Span<byte> page)
    {
        page = default;
        if (_memory is null)
            return GrantStatus.BadDomain;
        if (gref >= EntryCount)
            return GrantStatus.BadGntref;
        uint frame;
        lock (_activeLock)
        {
            ref ActiveEntry active = ref (_active ??= new ActiveEntry[EntryCount])[gref];
            ref ushort pins = ref write ? ref active.WritePins : ref active.ReadPins;
            ushort other = write ? active.ReadPins : active.WritePins;
            if (pins == 0)
            {
                short st = GrantEntries.TryAcquire(Entry(gref), grantee, write, out frame);
                if (st != GrantStatus.Okay)
                    return st;
                // The frame must be one the granter may access the same way itself.
                if (!FrameAccessible(_memory, frame, write))
                {
                    GrantEntries.Release(Entry(gref), write);
                    return GrantStatus.BadPage;
                }
                if (other > 0 && frame != active.Frame)
                {
                    // The granter republished while the entry was pinned the other way.
                    GrantEntries.Release(Entry(gref), write);
                    return GrantStatus.GeneralError;
                }
                active.Frame = frame;
            }
            else
            {
                // Already pinned this way: the flag is set, so the entry cannot have been
                // revoked; its domain is still the one that claimed it (Xen checks act->domid).
                if (Volatile.Read(ref Entry(gref)->DomId) != grantee)
                    return GrantStatus.PermissionDenied;
                frame = active.Frame;
            }
            if (pins == ushort.MaxValue)
                return GrantStatus.NoSpace;
            pins++;
        }
        page = _memory.Slice((ulong)frame * GuestLayout.PageSize, PageSize);
        return GrantStatus.Okay;
    }

    /// <summary>Ends an access begun by a successful <see cref="Acquire"/>.</summary>
    internal void Release(uint gref, bool write)
    {
        lock (_activeLock)
        {
            if (_active is null)
                return;
            ref ushort pins = ref write ? ref _active[gref].WritePins : ref _active[gref].ReadPins;
            if (pins == 0)
                return;
            if (--pins == 0 && _memory is not null)
                GrantEntries.Release(Entry(gref), write);
        }
    }

    /// <summary>True while a copy holds entry <paramref name="gref"/> (for tests and dumps).</summary>
    public bool IsPinned(uint gref) => gref < EntryCount && Volatile.Read(ref _active) is { } active
        && (Volatile.Read(ref active[gref].ReadPins) | Volatile.Read(ref active[gref].WritePins)) != 0;

    /// <summary>Granted and local frames must lie in RAM and follow the owner's own rights:
    /// writes only to pages the owner may write (never page tables, start_info, the hypercall
    /// page or the grant table itself), reads from any page but page 0.</summary>
    internal static bool FrameAccessible(GuestMemory memory, ulong frame, bool write)
    {
        if (frame >= memory.Size / GuestLayout.PageSize)
            return false;
        ulong address = frame * GuestLayout.PageSize;
        return write
            ? memory.TryGetWritable(address, GuestLayout.PageSize, out _)
            : memory.TryGetReadable(address, GuestLayout.PageSize, out _);
    }

    // ---- domain 0's side, for backends (grantee = domain 0) ----

    /// <summary>Domain 0's copy from a grant for a backend whose teardown runs before this table
    /// is detached (a vif disconnects in Domain.Destroying, before Detach): the domain's memory
    /// cannot go during the copy, so the process-wide <see cref="LifetimeLock"/> is not taken.
    /// Entry checks and pins are the same as <see cref="TryCopyFromGuest"/>. A successful copy is
    /// counted into <paramref name="tally"/>, the backend's batch; the backend hands it to
    /// <see cref="EndCopyBatch"/> at the end of the batch (the counters and the trace see it then).</summary>
    public short TryCopyFromGuestForBackend(uint gref, int offset, Span<byte> destination, ref GrantCopyTally tally)
    {
        if (offset < 0 || offset + destination.Length > PageSize)
            return GrantStatus.BadCopyArg;
        ulong t0 = TracePoint.On && TracePoint.GrantsOn && tally.TimeNext ? NativeCode.Rdtsc() : 0;
        short st = Acquire(gref, GrantCopier.Domain0, write: false, out var page);
        if (st != GrantStatus.Okay)
            return st;
        page.Slice(offset, destination.Length).CopyTo(destination);
        Release(gref, write: false);
        Count(ref tally, destination.Length, t0);
        return GrantStatus.Okay;
    }

    /// <summary>The write-side twin of <see cref="TryCopyFromGuestForBackend"/>.</summary>
    public short TryCopyToGuestForBackend(uint gref, int offset, ReadOnlySpan<byte> source, ref GrantCopyTally tally)
    {
        if (offset < 0 || offset + source.Length > PageSize)
            return GrantStatus.BadCopyArg;
        ulong t0 = TracePoint.On && TracePoint.GrantsOn && tally.TimeNext ? NativeCode.Rdtsc() : 0;
        short st = Acquire(gref, GrantCopier.Domain0, write: true, out var page);
        if (st != GrantStatus.Okay)
            return st;
        source.CopyTo(page.Slice(offset, source.Length));
        Release(gref, write: true);
        Count(ref tally, source.Length, t0);
        return GrantStatus.Okay;
    }

    private static void Count(ref GrantCopyTally tally, int bytes, ulong startTsc)
    {
        tally.Copies++;
        tally.Bytes += bytes;
        if (startTsc != 0)
        {
            tally.Cycles += NativeCode.Rdtsc() - startTsc;
            tally.TimedCopies++;
        }
    }

    /// <summary>Ends a backend's batch of copies in one direction (into the guest when
    /// <paramref name="toGuest"/>): adds them to <see cref="Domain0Copies"/> and
    /// <see cref="Domain0CopyBytes"/>, records one GrantCopyBatch while tracing grants, and
    /// empties <paramref name="tally"/>. Nothing happens for an empty tally.</summary>
    public void EndCopyBatch(ref GrantCopyTally tally, bool toGuest)
    {
        if (!tally.IsEmpty)
            TracePoint.GrantCopies(ref Domain0Copies, ref Domain0CopyBytes, DomId, toGuest, ref tally);
    }

    /// <summary>Domain 0: copies <paramref name="destination"/>.Length bytes from offset
    /// <paramref name="offset"/> of the page this guest granted to domain 0 as <paramref name="gref"/>.
    /// The entry is marked reading for the duration. Returns a GrantStatus.</summary>
    public short TryCopyFromGuest(uint gref, int offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > PageSize)
            return GrantStatus.BadCopyArg;
        LifetimeLock.EnterReadLock();
        try
        {
            var tally = new GrantCopyTally();
            short st = TryCopyFromGuestForBackend(gref, offset, destination, ref tally);
            EndCopyBatch(ref tally, toGuest: false);
            return st;
        }
        finally
        {
            LifetimeLock.ExitReadLock();
        }
    }

    /// <summary>Domain 0: copies <paramref name="source"/> into the page this guest granted to
    /// domain 0 as <paramref name="gref"/> (not read-only), at <paramref name="offset"/>.</summary>
    public short TryCopyToGuest(uint gref, int offset, ReadOnlySpan<byte> source)
    {
        if (offset < 0 || offset + source.Length > PageSize)
            return GrantStatus.BadCopyArg;
        LifetimeLock.EnterReadLock();
        try
        {
            var tally = new GrantCopyTally();
            short st = TryCopyToGuestForBackend(gref, offset, source, ref tally);
            EndCopyBatch(ref tally, toGuest: true);
            return st;
        }
        finally
        {
            LifetimeLock.ExitReadLock();
        }
    }

    /// <summary>Domain 0: claims the page granted as <paramref name="gref"/> (writable) for as long
    /// as a backend uses it in place, as a shared ring page (Xen's map_grant_ref; domain 0 already
    /// maps all guest RAM, so the claim validates the entry and pins it instead of adding a mapping).
    /// While pinned the guest cannot revoke the entry. On success <paramref name="page"/> points at
    /// the page and <paramref name="frame"/> is its guest frame. The pointer is valid until
    /// <see cref="ReleaseFromBackend"/>; the backend must release it before the domain is destroyed.</summary>
    public short TryClaimForBackend(uint gref, out ulong frame, out byte* page)
    {
        frame = 0;
        page = null;
        LifetimeLock.EnterReadLock();
        try
        {
            short st = Acquire(gref, GrantCopier.Domain0, write: true, out var span);
            if (st != GrantStatus.Okay)
                return st;
            frame = _active![gref].Frame;
            page = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span));
            return GrantStatus.Okay;
        }
        finally
        {
            LifetimeLock.ExitReadLock();
        }
    }

    /// <summary>Ends a claim made by <see cref="TryClaimForBackend"/> (the guest may revoke again).</summary>
    public void ReleaseFromBackend(uint gref)
    {
        if (gref < EntryCount)
            Release(gref, write: true);
    }

    /// <summary>The domain is going away: wait for copies in flight, then forget its memory.</summary>
    public void Detach()
    {
        LifetimeLock.EnterWriteLock();
        try
        {
            _memory = null;
            Directory?.Remove(this);
        }
        finally
        {
            LifetimeLock.ExitWriteLock();
        }
    }

    private struct ActiveEntry
    {
        public ushort ReadPins, WritePins;
        public uint Frame;
    }
}
