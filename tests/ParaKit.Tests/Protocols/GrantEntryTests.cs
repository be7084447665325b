// Publishing and revoking grant entries, and the hypervisor's claim on an entry during a copy:
// a revoke must fail while the page is in use, and a claim must respect domain and read-only.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Protocols.Grants;

namespace ParaKit.Tests.Protocols;

public unsafe class GrantEntryTests
{
    [Test]
    public void Publish_writes_the_v1_entry_bytes()
    {
        using var page = new TestPage();
        GrantEntryV1* table = page.As<GrantEntryV1>();
        GrantEntries.Publish(table + 9, domId: 0, frame: 0x12345, readOnly: true);
        Assert.That(new ReadOnlySpan<byte>(page.Pointer + 72, 8).ToArray(),
            Is.EqualTo(new byte[] { 5, 0, 0, 0, 0x45, 0x23, 0x01, 0 }), "flags=permit|readonly, domid 0, frame LE");
        Assert.That(GrantEntries.IsActive(table + 9), Is.True);
    }

    [Test]
    public void Revoke_fails_while_the_hypervisor_reads_and_succeeds_after_release()
    {
        using var page = new TestPage();
        GrantEntryV1* e = page.As<GrantEntryV1>() + 8;
        GrantEntries.Publish(e, 0, 77, readOnly: false);
        Assert.That(GrantEntries.TryAcquire(e, 0, write: false, out uint frame), Is.EqualTo(GrantStatus.Okay));
        Assert.That(frame, Is.EqualTo(77u));
        Assert.That(GrantEntries.TryRevoke(e), Is.False, "in use");
        Assert.That(GrantEntries.IsActive(e), Is.True);
        GrantEntries.Release(e, write: false);
        Assert.That(GrantEntries.TryRevoke(e), Is.True);
        Assert.That(e->Flags, Is.EqualTo((ushort)0));
        Assert.That(GrantEntries.TryAcquire(e, 0, write: false, out _), Is.EqualTo(GrantStatus.GeneralError), "revoked entry");
    }

    [Test]
    public void Claims_check_domain_and_read_only()
    {
        using var page = new TestPage();
        GrantEntryV1* e = page.As<GrantEntryV1>() + 8;
        GrantEntries.Publish(e, 3, 1, readOnly: true);
        Assert.Multiple(() =>
        {
            Assert.That(GrantEntries.TryAcquire(e, 4, write: false, out _), Is.EqualTo(GrantStatus.PermissionDenied), "wrong domain");
            Assert.That(GrantEntries.TryAcquire(e, 3, write: true, out _), Is.EqualTo(GrantStatus.PermissionDenied), "read-only");
            Assert.That(e->Flags & (GrantFlags.Reading | GrantFlags.Writing), Is.EqualTo(0), "failed claims leave no mark");
        });
    }

    internal enum GrantOp { Publish, PublishReadOnly, Revoke, AcquireRead, AcquireWrite, ReleaseRead, ReleaseWrite }

    [FsCheck.NUnit.Property(MaxTest = 1000)]
    public Property Grant_entry_follows_the_model() =>
        Prop.ForAll(Gen.ListOf(Gen.Elements(Enum.GetValues<GrantOp>())).ToArbitrary(), ops =>
        {
            using var page = new TestPage();
            GrantEntryV1* e = page.As<GrantEntryV1>() + 8;
            bool active = false, readOnly = false;
            int readers = 0, writers = 0;
            uint frame = 0;
            foreach (var op in ops)
            {
                switch (op)
                {
                    case GrantOp.Publish or GrantOp.PublishReadOnly when !active && readers == 0 && writers == 0:
                        frame++;
                        readOnly = op == GrantOp.PublishReadOnly;
                        GrantEntries.Publish(e, 2, frame, readOnly);
                        active = true;
                        break;
                    case GrantOp.Revoke:
                        bool revoked = GrantEntries.TryRevoke(e);
                        Assert.That(revoked, Is.EqualTo(readers == 0 && writers == 0), "revoke only when idle");
                        if (revoked)
                        {
                            active = false;
                        }
                        break;
                    case GrantOp.AcquireRead when readers == 0:
                    case GrantOp.AcquireWrite when writers == 0:
                        bool write = op == GrantOp.AcquireWrite;
                        short st = GrantEntries.TryAcquire(e, 2, write, out uint f);
                        short expected = !active ? GrantStatus.GeneralError : write && readOnly ? GrantStatus.PermissionDenied : GrantStatus.Okay;
                        Assert.That(st, Is.EqualTo(expected));
                        if (st == GrantStatus.Okay)
                        {
                            Assert.That(f, Is.EqualTo(frame));
                            if (write) writers++; else readers++;
                        }
                        break;
                    case GrantOp.ReleaseRead when readers > 0:
                        GrantEntries.Release(e, false);
                        readers--;
                        break;
                    case GrantOp.ReleaseWrite when writers > 0:
                        GrantEntries.Release(e, true);
                        writers--;
                        break;
                }
                Assert.That(GrantEntries.IsActive(e), Is.EqualTo(active));
                Assert.That((e->Flags & GrantFlags.Reading) != 0, Is.EqualTo(readers > 0));
                Assert.That((e->Flags & GrantFlags.Writing) != 0, Is.EqualTo(writers > 0));
                if (active)
                {
                    Assert.That((e->DomId, e->Frame), Is.EqualTo(((ushort)2, frame)));
                }
            }
        });

    [Test]
    public void Racing_revoke_and_claims_never_leave_a_claim_on_a_revoked_entry()
    {
        using var page = new TestPage();
        GrantEntryV1* e = page.As<GrantEntryV1>() + 8;
        const int Rounds = 100_000;
        int violations = 0, claims = 0;
        for (int round = 0; round < 4; round++)
        {
            GrantEntries.Publish(e, 1, 42, readOnly: false);
            bool stop = false;
            var hypervisor = new Thread(() =>
            {
                while (!Volatile.Read(ref stop))
                {
                    if (GrantEntries.TryAcquire(e, 1, write: true, out uint f) == GrantStatus.Okay)
                    {
                        claims++;
                        if (f != 42) violations++;
                        GrantEntries.Release(e, write: true);
                    }
                }
            });
            hypervisor.Start();
            for (int i = 0; i < Rounds; i++)
            {
                if (GrantEntries.TryRevoke(e))
                {
                    // Revoked: no claim may be in force now, and none may start until we publish again.
                    if ((Volatile.Read(ref e->Flags) & (GrantFlags.Reading | GrantFlags.Writing)) != 0) violations++;
                    GrantEntries.Publish(e, 1, 42, readOnly: false);
                }
            }
            Volatile.Write(ref stop, true);
            hypervisor.Join();
        }
        Assert.That(violations, Is.EqualTo(0));
        Assert.That(claims, Is.GreaterThan(0), "the race was actually exercised");
    }
}
