// The hypervisor's grant tables without KVM: real memfd guest memory with the usual layout,
// grant_table_op run through its dispatcher as a guest would call it, and domain 0's copy API.
// Covers Xen's copy checks (lengths, domains, read-only, grant lifetimes) and hostile inputs.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Grants;
using ParaKit.Protocols.Hypercalls;

namespace ParaKit.Tests.Grants;

/// <summary>A fake domain: 4 MiB of guest memory with the standard layout and its grant table.</summary>
internal sealed unsafe class FakeGrantDomain : IDisposable
{
    public const ulong Scratch = 0x200000;  // heap pages the tests use for arguments and data
    public GuestMemory Memory { get; }
    public GrantTable Grants { get; }

    public FakeGrantDomain(ushort id, GrantTableDirectory? directory = null)
    {
        var layout = MemoryLayout.Plan(4 << 20, 0x100000, 0x110000);
        Memory = GuestMemory.Allocate(layout.MemoryBytes, "grant-test-" + id);
        Memory.SetWritableRanges(layout.WritableRanges());
        Grants = new GrantTable(id, Memory);
        directory?.Add(Grants);
    }

    public GrantEntryV1* Entry(uint gref) => (GrantEntryV1*)Unsafe.AsPointer(ref Memory.RefAt<GrantEntryV1>(GrantTable.FrameAddress + gref * 8));

    public void Grant(uint gref, ushort to, ulong frame, bool readOnly = false) => GrantEntries.Publish(Entry(gref), to, (uint)frame, readOnly);

    public Span<byte> Page(ulong frame) => Memory.Slice(frame * 4096, 4096);

    /// <summary>Runs GNTTABOP_copy on <paramref name="ops"/> placed in this domain's memory; returns the statuses.</summary>
    public short[] Copy(params GnttabCopy[] ops)
    {
        var bytes = MemoryMarshal.AsBytes(ops.AsSpan());
        bytes.CopyTo(Memory.Slice(Scratch, bytes.Length));
        long rc = GrantTableHypercalls.Dispatch(Grants, GnttabOp.Copy, Scratch, (ulong)ops.Length);
        Assert.That(rc, Is.EqualTo(0));
        var back = MemoryMarshal.Cast<byte, GnttabCopy>(Memory.Slice(Scratch, bytes.Length));
        return back.ToArray().Select(o => o.Status).ToArray();
    }

    public void Dispose()
    {
        Grants.Detach();
        Memory.Dispose();
    }
}

public unsafe class GrantTableTests
{
    private const ulong DataFrame = 0x300; // 0x300000: heap of a 4 MiB domain

    private static GnttabCopy FromGrant(ushort granter, uint gref, ulong localFrame, ushort len, ushort srcOff = 0, ushort dstOff = 0) => new()
    {
        Source = new GnttabCopyPtr { Ref = gref, DomId = granter, Offset = srcOff },
        Dest = new GnttabCopyPtr { Gmfn = localFrame, DomId = DomId.Self, Offset = dstOff },
        Len = len,
        Flags = GnttabCopyFlags.SourceGref,
    };

    private static GnttabCopy ToGrant(ushort granter, uint gref, ulong localFrame, ushort len) => new()
    {
        Source = new GnttabCopyPtr { Gmfn = localFrame, DomId = DomId.Self },
        Dest = new GnttabCopyPtr { Ref = gref, DomId = granter },
        Len = len,
        Flags = GnttabCopyFlags.DestGref,
    };

    [Test]
    public void A_table_that_is_never_used_allocates_no_active_entries()
    {
        using var warm = new FakeGrantDomain(1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var idle = new GrantTable(2, warm.Memory);
        Assert.That(idle.IsPinned(0), Is.False);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1024), "an unused grant table allocated its active entries (8 KiB per domain)");
    }

    [Test]
    public void Copy_from_and_to_a_granted_page_moves_the_bytes_and_leaves_no_flags()
    {
        var dir = new GrantTableDirectory();
        using var a = new FakeGrantDomain(1, dir);
        using var b = new FakeGrantDomain(2, dir);
        new Random(1).NextBytes(a.Page(DataFrame));
        a.Grant(8, to: 2, DataFrame);
        Assert.That(b.Copy(FromGrant(1, 8, DataFrame + 1, 4096)), Is.EqualTo(new short[] { GrantStatus.Okay }));
        Assert.That(b.Page(DataFrame + 1).ToArray(), Is.EqualTo(a.Page(DataFrame).ToArray()));
        Assert.That(a.Entry(8)->Flags, Is.EqualTo(GrantFlags.PermitAccess), "reading cleared after the copy");

        b.Page(DataFrame + 2).Fill(0x5A);
        Assert.That(b.Copy(ToGrant(1, 8, DataFrame + 2, 100)), Is.EqualTo(new short[] { GrantStatus.Okay }));
        Assert.That(a.Page(DataFrame)[..100].ToArray(), Is.All.EqualTo(0x5A));
        Assert.That(a.Entry(8)->Flags, Is.EqualTo(GrantFlags.PermitAccess));
        Assert.That((b.Grants.Copies, b.Grants.CopyBytes), Is.EqualTo((2L, 4196L)));
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Copies_that_cross_a_page_are_bad_copy_arg_and_others_succeed() =>
        Prop.ForAll(Gen.Choose(0, 4200).ToArbitrary(), Gen.Choose(0, 4200).ToArbitrary(), Gen.Choose(0, 4200).ToArbitrary(), (srcOff, dstOff, len) =>
        {
            var dir = new GrantTableDirectory();
            using var a = new FakeGrantDomain(1, dir);
            using var b = new FakeGrantDomain(2, dir);
            a.Grant(9, to: 2, DataFrame);
            short st = b.Copy(FromGrant(1, 9, DataFrame, (ushort)len, (ushort)srcOff, (ushort)dstOff))[0];
            bool crosses = srcOff + len > 4096 || dstOff + len > 4096;
            Assert.That(st, Is.EqualTo(crosses ? GrantStatus.BadCopyArg : GrantStatus.Okay));
            Assert.That(a.Entry(9)->Flags, Is.EqualTo(GrantFlags.PermitAccess));
        });

    [Test]
    public void Checks_give_xen_statuses_per_element()
    {
        var dir = new GrantTableDirectory();
        using var a = new FakeGrantDomain(1, dir);
        using var b = new FakeGrantDomain(2, dir);
        using var c = new FakeGrantDomain(3, dir);
        a.Grant(8, to: 2, DataFrame);
        a.Grant(9, to: 2, DataFrame, readOnly: true);
        a.Grant(10, to: 2, 0x9);           // a page-table page: the granter may not write it itself
        a.Grant(11, to: 2, 0x100000);      // beyond 4 MiB of RAM
        a.Grant(12, to: 2, 0);             // page 0
        var statuses = b.Copy(
            FromGrant(1, 8, DataFrame, 16),                 // fine
            FromGrant(1, 8, DataFrame, 16) with { Source = new GnttabCopyPtr { Ref = 8, DomId = 7 } }, // no domain 7
            FromGrant(1, GrantTable.EntryCount, DataFrame, 16),   // beyond the table
            FromGrant(1, 13, DataFrame, 16),                // never granted
            ToGrant(1, 9, DataFrame, 16),                   // read-only grant as destination
            ToGrant(1, 10, DataFrame, 16),                  // writes into a page table
            FromGrant(1, 11, DataFrame, 16),                // frame outside RAM
            FromGrant(1, 12, DataFrame, 16),                // page 0
            FromGrant(1, 8, 0x1, 16),                       // into our start_info (read-only)
            FromGrant(1, 8, 0x6, 16),                       // into our own grant table
            FromGrant(1, 8, ulong.MaxValue, 16),            // absurd frame
            FromGrant(1, 8, DataFrame, 16) with { Dest = new GnttabCopyPtr { Gmfn = DataFrame, DomId = 1 } }, // a's frame by number
            FromGrant(1, 8, DataFrame, 16) with { Flags = 0x80 });  // unknown flag
        Assert.That(statuses, Is.EqualTo(new short[]
        {
            GrantStatus.Okay, GrantStatus.BadDomain, GrantStatus.BadGntref, GrantStatus.GeneralError,
            GrantStatus.PermissionDenied, GrantStatus.BadPage, GrantStatus.BadPage, GrantStatus.BadPage,
            GrantStatus.BadPage, GrantStatus.BadPage, GrantStatus.BadPage, GrantStatus.PermissionDenied,
            GrantStatus.GeneralError,
        }));
        Assert.That(c.Copy(FromGrant(1, 8, DataFrame, 16)), Is.EqualTo(new short[] { GrantStatus.PermissionDenied }), "granted to 2, not 3");
        for (uint g = 8; g <= 12; g++)
            Assert.That(a.Entry(g)->Flags & (GrantFlags.Reading | GrantFlags.Writing), Is.EqualTo(0), $"gref {g} released");
    }

    [Test]
    public void Bad_arrays_and_counts_are_errnos()
    {
        using var a = new FakeGrantDomain(1);
        Assert.Multiple(() =>
        {
            Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.Copy, 0x1000, 1), Is.EqualTo(Errno.EFAULT), "start_info is read-only");
            Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.Copy, 0x3FFFF0, 1), Is.EqualTo(Errno.EFAULT), "runs off the end of RAM");
            Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.Copy, FakeGrantDomain.Scratch, GrantTableHypercalls.MaxCopyBatch + 1), Is.EqualTo(Errno.EINVAL));
            Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.Copy, FakeGrantDomain.Scratch, ulong.MaxValue), Is.EqualTo(Errno.EINVAL));
            Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.Copy, 0, 0), Is.EqualTo(0), "nothing to do");
            Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.QuerySize, FakeGrantDomain.Scratch, 2), Is.EqualTo(Errno.EINVAL));
            Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.MapGrantRef, FakeGrantDomain.Scratch, 1), Is.EqualTo(Errno.ENOSYS));
            Assert.That(GrantTableHypercalls.Dispatch(a.Grants, 99, FakeGrantDomain.Scratch, 1), Is.EqualTo(Errno.ENOSYS));
        });
    }

    [Test]
    public void Setup_table_and_query_size_report_the_reserved_frames()
    {
        using var a = new FakeGrantDomain(1);
        const ulong Op = FakeGrantDomain.Scratch, List = Op + 64;
        a.Memory.RefAt<GnttabSetupTable>(Op) = new GnttabSetupTable { Dom = DomId.Self, NrFrames = 2, FrameList = List };
        Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.SetupTable, Op, 1), Is.EqualTo(0));
        Assert.That(a.Memory.RefAt<GnttabSetupTable>(Op).Status, Is.EqualTo(GrantStatus.Okay));
        Assert.That((a.Memory.RefAt<ulong>(List), a.Memory.RefAt<ulong>(List + 8)), Is.EqualTo((6ul, 7ul)));

        a.Memory.RefAt<GnttabSetupTable>(Op) = new GnttabSetupTable { Dom = DomId.Self, NrFrames = 3, FrameList = List };
        GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.SetupTable, Op, 1);
        Assert.That(a.Memory.RefAt<GnttabSetupTable>(Op).Status, Is.EqualTo(GrantStatus.GeneralError), "more than the maximum");
        a.Memory.RefAt<GnttabSetupTable>(Op) = new GnttabSetupTable { Dom = 5, NrFrames = 1, FrameList = List };
        GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.SetupTable, Op, 1);
        Assert.That(a.Memory.RefAt<GnttabSetupTable>(Op).Status, Is.EqualTo(GrantStatus.PermissionDenied), "another domain's table");
        a.Memory.RefAt<GnttabSetupTable>(Op) = new GnttabSetupTable { Dom = DomId.Self, NrFrames = 1, FrameList = 0x3000 };
        GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.SetupTable, Op, 1);
        Assert.That(a.Memory.RefAt<GnttabSetupTable>(Op).Status, Is.EqualTo(GrantStatus.BadVirtAddr), "frame list in the hypercall page");

        a.Memory.RefAt<GnttabQuerySize>(Op) = new GnttabQuerySize { Dom = DomId.Self };
        Assert.That(GrantTableHypercalls.Dispatch(a.Grants, GnttabOp.QuerySize, Op, 1), Is.EqualTo(0));
        var q = a.Memory.RefAt<GnttabQuerySize>(Op);
        Assert.That((q.NrFrames, q.MaxNrFrames, q.Status), Is.EqualTo((2u, 2u, GrantStatus.Okay)));
    }

    [Test]
    public void Domain0_copies_from_and_to_a_guest_grant()
    {
        using var g = new FakeGrantDomain(1);
        g.Page(DataFrame).Fill(7);
        g.Grant(20, to: 0, DataFrame);
        var buf = new byte[64];
        Assert.That(g.Grants.TryCopyFromGuest(20, 4000, buf.AsSpan(0, 96 - 64 + 32)), Is.EqualTo(GrantStatus.Okay));
        Assert.That(g.Grants.TryCopyFromGuest(20, 4090, buf), Is.EqualTo(GrantStatus.BadCopyArg));
        Assert.That(g.Grants.TryCopyFromGuest(20, -1, buf), Is.EqualTo(GrantStatus.BadCopyArg));
        Assert.That(g.Grants.TryCopyToGuest(20, 0, "hello"u8), Is.EqualTo(GrantStatus.Okay));
        Assert.That(g.Page(DataFrame)[..6].ToArray(), Is.EqualTo("hello\x07"u8.ToArray()));
        g.Grant(21, to: 3, DataFrame);
        Assert.That(g.Grants.TryCopyFromGuest(21, 0, buf), Is.EqualTo(GrantStatus.PermissionDenied), "granted to domain 3");
        g.Grant(22, to: 0, DataFrame, readOnly: true);
        Assert.That(g.Grants.TryCopyToGuest(22, 0, buf), Is.EqualTo(GrantStatus.PermissionDenied));
        Assert.That(g.Grants.TryCopyFromGuest(GrantTable.EntryCount, 0, buf), Is.EqualTo(GrantStatus.BadGntref));
        g.Grants.Detach();
        Assert.That(g.Grants.TryCopyFromGuest(20, 0, buf), Is.EqualTo(GrantStatus.BadDomain), "domain gone");
    }

    internal enum PinOp { Publish, PublishReadOnly, Revoke, PinRead, PinWrite, UnpinRead, UnpinWrite }

    /// <summary>Overlapping claims through the table (pin counts) against a model: the granter's
    /// revoke succeeds exactly when no claim is held, reading/writing flags mirror the pins.</summary>
    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property A_revoke_never_succeeds_while_a_copy_holds_the_entry() =>
        Prop.ForAll(Gen.ListOf(Gen.Elements(Enum.GetValues<PinOp>())).ToArbitrary(), ops =>
        {
            using var g = new FakeGrantDomain(1);
            GrantEntryV1* e = g.Entry(30);
            bool active = false, readOnly = false;
            int readers = 0, writers = 0;
            foreach (var op in ops)
            {
                switch (op)
                {
                    case PinOp.Publish or PinOp.PublishReadOnly when !active && readers + writers == 0:
                        readOnly = op == PinOp.PublishReadOnly;
                        g.Grant(30, to: 2, DataFrame, readOnly);
                        active = true;
                        break;
                    case PinOp.Revoke:
                        bool revoked = GrantEntries.TryRevoke(e);
                        Assert.That(revoked, Is.EqualTo(readers + writers == 0));
                        if (revoked)
                            active = false;
                        break;
                    case PinOp.PinRead or PinOp.PinWrite:
                        bool write = op == PinOp.PinWrite;
                        short st = g.Grants.Acquire(30, 2, write, out var page);
                        short want = !active ? GrantStatus.GeneralError : write && readOnly ? GrantStatus.PermissionDenied : GrantStatus.Okay;
                        Assert.That(st, Is.EqualTo(want));
                        if (st == GrantStatus.Okay)
                        {
                            Assert.That(page.Length, Is.EqualTo(4096));
                            if (write) writers++; else readers++;
                        }
                        break;
                    case PinOp.UnpinRead when readers > 0:
                        g.Grants.Release(30, false);
                        readers--;
                        break;
                    case PinOp.UnpinWrite when writers > 0:
                        g.Grants.Release(30, true);
                        writers--;
                        break;
                }
                Assert.That((e->Flags & GrantFlags.Reading) != 0, Is.EqualTo(readers > 0));
                Assert.That((e->Flags & GrantFlags.Writing) != 0, Is.EqualTo(writers > 0));
                Assert.That(g.Grants.IsPinned(30), Is.EqualTo(readers + writers > 0));
            }
        });

    [Test]
    public void Concurrent_backend_copies_and_a_revoking_granter_never_overlap()
    {
        using var g = new FakeGrantDomain(1);
        g.Page(DataFrame).Fill(1);
        g.Grant(40, to: 0, DataFrame);
        int stop = 0, copies = 0, revokedWhilePinned = 0;
        var workers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            var buf = new byte[4096];
            while (Volatile.Read(ref stop) == 0)
            {
                if (g.Grants.TryCopyFromGuest(40, 0, buf) == GrantStatus.Okay)
                    Interlocked.Increment(ref copies);
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        var deadline = DateTime.UtcNow.AddMilliseconds(300);
        while (DateTime.UtcNow < deadline)
        {
            if (GrantEntries.TryRevoke(g.Entry(40)))
            {
                // Revoked: no claim may be in force, and none may begin until we publish again.
                if (g.Grants.IsPinned(40) || (g.Entry(40)->Flags & (GrantFlags.Reading | GrantFlags.Writing)) != 0)
                    revokedWhilePinned++;
                g.Grant(40, to: 0, DataFrame);
            }
        }
        Volatile.Write(ref stop, 1);
        workers.ForEach(t => t.Join());
        Assert.That(revokedWhilePinned, Is.EqualTo(0));
        Assert.That(copies, Is.GreaterThan(0));
        Assert.That(g.Entry(40)->Flags, Is.EqualTo(GrantFlags.PermitAccess), "every claim released");
    }
}
