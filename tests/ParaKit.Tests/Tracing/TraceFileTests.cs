// The trace file without KVM: the fixed layouts, records written by real trace points and read
// back (fields, per-thread order, TSC merge, names, time base), lost-record accounting when a
// buffer fills, and every kind of bad file rejected with a sentence that says what is wrong.
using System.Runtime.CompilerServices;
using System.Text;
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class TraceFileTests : TraceScratch
{
    internal static TraceCapture Capture(params (string Name, TraceRecord[] Records, long Lost)[] threads) =>
        new(new TraceTimeBase(1000, 1_700_000_000_000_000_000, 5_000_000), 1_000_000, 1_000_000_000, 64,
            threads.Select((t, i) => new TraceThreadCapture((ushort)i, t.Name, t.Records, t.Records.Length, t.Lost)).ToList());

    internal static string WriteFile(string dir, TraceCapture capture, params TraceDomainName[] domains)
    {
        string path = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".trace");
        using (var f = File.Create(path))
            TraceFileWriter.Write(f, capture, domains);
        return path;
    }

    private static List<TraceRecord> ReadAll(string path)
    {
        using var reader = TraceFileReader.Open(path);
        return reader.Records().ToList();
    }

    [Test]
    public void Layouts_have_the_documented_sizes_and_magic()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<TraceRecord>(), Is.EqualTo(32));
            Assert.That(Unsafe.SizeOf<TraceFileHeader>(), Is.EqualTo(96));
            Assert.That(Unsafe.SizeOf<TraceThreadEntry>(), Is.EqualTo(48));
            Assert.That(Unsafe.SizeOf<TraceDomainEntry>(), Is.EqualTo(64));
            Assert.That(BitConverter.GetBytes(TraceFileHeader.MagicValue), Is.EqualTo("PKTRACE\0"u8.ToArray()));
        });
    }

    [Test]
    public void Records_from_trace_points_on_two_threads_round_trip_through_a_file()
    {
        TraceCapture capture;
        using (var session = TraceSession.Start(1000))
        {
            var other = new Thread(() =>
            {
                for (int i = 0; i < 100; i++)
                    TracePoint.GrantCopyBatch(2, toGuest: i % 2 == 0, 1 + i, 100 + i, (ulong)i);
            }) { Name = "backend" };
            other.Start();
            for (int i = 0; i < 100; i++)
                TracePoint.EventSend(1, (uint)i);
            TracePoint.Exit(1, 6, 0);
            other.Join();
            capture = session.Stop();
        }
        Assert.That(TracePoint.On, Is.False, "Stop switches the points off");
        Assert.That(capture.Records, Is.EqualTo(201));
        Assert.That(capture.Lost, Is.Zero);
        string path = WriteFile(Dir, capture, new TraceDomainName(1, "sender"), new TraceDomainName(2, "granter"));
        using var reader = TraceFileReader.Open(path);
        var records = reader.Records().ToList();
        var h = reader.Header;
        Assert.Multiple(() =>
        {
            Assert.That(h.Version, Is.EqualTo(3));
            Assert.That(h.RecordCount, Is.EqualTo(201));
            Assert.That(h.LostRecords, Is.Zero);
            Assert.That(h.RecordsPerThread, Is.EqualTo(1000));
            Assert.That(h.TscHz, Is.GreaterThan(100_000_000UL), "a real TSC frequency");
            Assert.That(h.BaseTsc, Is.LessThanOrEqualTo(records.Min(r => r.Tsc)), "the time base is read before any record");
            Assert.That(h.EndTsc, Is.GreaterThanOrEqualTo(records.Max(r => r.Tsc)));
            Assert.That(Math.Abs(h.BaseRealtimeNs / 1_000_000_000 - DateTimeOffset.UtcNow.ToUnixTimeSeconds()), Is.LessThan(60), "wall clock in ns since 1970");
            Assert.That(reader.Threads.Select(t => t.Records), Is.EquivalentTo(new ulong[] { 100, 101 }));
            Assert.That(reader.Threads.Select(t => t.Name), Does.Contain("backend"));
            Assert.That(reader.Domains, Is.EqualTo(new[] { new TraceDomainName(1, "sender"), new TraceDomainName(2, "granter") }));
            Assert.That(records, Has.Count.EqualTo(201));
            for (int i = 1; i < records.Count; i++)
                Assert.That(records[i].Tsc, Is.GreaterThanOrEqualTo(records[i - 1].Tsc), $"merged in TSC order at {i}");
            var sends = records.Where(r => r.Event == TraceEvent.EventSend).ToList();
            Assert.That(sends.Select(r => r.A0), Is.EqualTo(Enumerable.Range(0, 100).Select(i => (ulong)i)), "one thread's records keep their order");
            Assert.That(sends.All(r => r.Domain == 1), Is.True);
            var copies = records.Where(r => r.Event == TraceEvent.GrantCopyBatch).ToList();
            Assert.That(copies.Select(r => (r.A0, r.A1, r.Flags)), Is.EqualTo(Enumerable.Range(0, 100).Select(i => ((ulong)(uint)(1 + i) | ((ulong)(uint)(100 + i) << 32), (ulong)i, (ushort)(i % 2 == 0 ? 1 : 0)))));
            Assert.That(copies.Select(r => r.Thread).Distinct().Single(), Is.Not.EqualTo(sends[0].Thread), "each thread has its own index");
            Assert.That(reader.Threads[copies[0].Thread].Name, Is.EqualTo("backend"));
            var exit = records.Single(r => r.Event == TraceEvent.VcpuExit);
            Assert.That((exit.A0, exit.A1), Is.EqualTo((6UL, 0UL)), "an exit with no entry TSC has no time in KVM_RUN");
        });
    }

    [Test]
    public void The_merge_keeps_each_threads_order_and_breaks_ties_by_thread()
    {
        static TraceRecord R(ulong tsc, ushort thread, ulong a0) => new(tsc, TraceEvent.EventSend, 1, thread, 0, a0, 0);
        // Thread 1's clock steps back (another core's TSC): its records still come out in its own order.
        var capture = Capture(
            ("a", [R(10, 0, 0), R(20, 0, 1), R(30, 0, 2)], 0),
            ("b", [R(20, 1, 10), R(15, 1, 11), R(40, 1, 12)], 0));
        var records = ReadAll(WriteFile(Dir, capture));
        Assert.That(records.Select(r => r.A0), Is.EqualTo(new ulong[] { 0, 1, 10, 11, 2, 12 }));
    }

    [Test]
    public void A_full_buffer_drops_records_and_counts_them_everywhere()
    {
        TraceCapture capture;
        using (var session = TraceSession.Start(10))
        {
            for (int i = 0; i < 25; i++)
                TracePoint.EventSend(1, (uint)i);
            capture = session.Stop();
        }
        Assert.That((capture.Records, capture.Lost), Is.EqualTo((10L, 15L)));
        string path = WriteFile(Dir, capture, new TraceDomainName(1, "busy"));
        using (var reader = TraceFileReader.Open(path))
        {
            Assert.That(reader.Header.LostRecords, Is.EqualTo(15));
            Assert.That(reader.Threads.Single().Lost, Is.EqualTo(15));
            Assert.That(reader.Records().Select(r => r.A0), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (ulong)i)), "the first records are kept, later ones lost");
        }
        var analysis = TraceAnalysis.Of(path);
        string text = TraceReport.Format(analysis);
        Assert.Multiple(() =>
        {
            Assert.That(analysis.Lost, Is.EqualTo(15));
            Assert.That(text, Does.Contain("records lost: 15 (buffers of 10 records per thread filled up"));
            Assert.That(text.Split('\n')[1], Does.StartWith("records lost: 15"), "lost records come right after the summary line");
        });
    }

    [Test]
    public void Records_after_stop_go_nowhere_and_a_new_session_starts_empty()
    {
        using (var s = TraceSession.Start(100))
        {
            TracePoint.EventSend(1, 1);
            s.Stop();
            TracePoint.EventSend(1, 2);   // a straggler that passed the On check before Stop
            Assert.That(s.Stop().Records, Is.EqualTo(1), "Stop again returns the same capture");
        }
        using var s2 = TraceSession.Start(100);
        TracePoint.EventSend(1, 3);
        var c = s2.Stop();
        Assert.That(c.Threads.Single().Records.ToArray().Select(r => r.A0), Is.EqualTo(new ulong[] { 3 }));
    }

    [Test]
    public void Only_one_session_records_at_a_time()
    {
        using var s = TraceSession.Start(10);
        Assert.Throws<InvalidOperationException>(() => TraceSession.Start(10));
    }

    [Test]
    public void A_missing_file_is_named()
    {
        string path = Path.Combine(Dir, "nope.trace");
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Is.EqualTo(path + ": no such file"));
    }

    [Test]
    public void A_directory_is_not_a_trace()
    {
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(Dir));
        Assert.That(e!.Message, Does.Contain("is a directory"));
    }

    [TestCase(0)]
    [TestCase(5)]
    public void A_file_too_short_for_the_magic_is_not_a_trace(int length)
    {
        string path = Path.Combine(Dir, "short");
        File.WriteAllBytes(path, new byte[length]);
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Is.EqualTo($"{path} is not a ParaKit trace: {length} bytes, too short to hold the header"));
    }

    [Test]
    public void A_text_file_is_not_a_trace()
    {
        string path = Path.Combine(Dir, "notes.txt");
        File.WriteAllText(path, "name = \"sink\"\nkernel = \"sink.elf\"\nmemory = 32\n".PadRight(400, '#'));
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Is.EqualTo($"{path} is not a ParaKit trace (it does not start with \"PKTRACE\")"));
    }

    private string ValidFile(int records = 3)
    {
        var recs = Enumerable.Range(0, records).Select(i => new TraceRecord((ulong)(100 + i), TraceEvent.EventSend, 1, 0, 0, (ulong)i, 0)).ToArray();
        return WriteFile(Dir, Capture(("t", recs, 0)), new TraceDomainName(1, "d"));
    }

    [Test]
    public void A_file_cut_inside_the_header_is_truncated()
    {
        string path = ValidFile();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..40]);
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Is.EqualTo($"{path} is truncated: it ends at byte 40, inside the 96-byte header"));
    }

    [Test]
    public void A_file_cut_inside_its_tables_is_truncated()
    {
        string path = ValidFile();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..120]);
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Does.StartWith($"{path} is truncated: it ends at byte 120, inside its thread and domain tables"));
    }

    [Test]
    public void A_file_cut_inside_its_records_says_how_many_are_there()
    {
        string path = ValidFile(3);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^40]);   // the last record and 8 bytes of the one before
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Is.EqualTo($"{path} is truncated: the header promises 3 records, the file holds 1 and 24 bytes of the next"));
        // The analyzer's entry point says the same.
        Assert.That(Assert.Throws<TraceFileException>(() => TraceAnalysis.Of(path))!.Message, Is.EqualTo(e.Message));
    }

    [Test]
    public void Bytes_after_the_last_record_mean_a_damaged_file()
    {
        string path = ValidFile(2);
        File.AppendAllText(path, "junk");
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Is.EqualTo($"{path} is damaged: 4 bytes follow the 2 records its header promises"));
    }

    [Test]
    public void Another_format_version_is_refused_by_number()
    {
        string path = ValidFile();
        var bytes = File.ReadAllBytes(path);
        bytes[8] = 7;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Is.EqualTo($"{path} is a ParaKit trace of format version 7; this parakit reads versions 1 to 3"));
    }

    [Test]
    public void A_header_whose_counts_disagree_with_its_threads_is_damaged()
    {
        string path = ValidFile(3);
        var bytes = File.ReadAllBytes(path);
        bytes[72] = 9;   // lost records in the header
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<TraceFileException>(() => TraceFileReader.Open(path));
        Assert.That(e!.Message, Is.EqualTo($"{path} is damaged: its threads hold 3 records (0 lost), its header says 3 (9 lost)"));
    }

    [Test]
    public void Long_names_are_cut_at_a_character_boundary()
    {
        string name = new string('é', 40);   // 80 bytes of UTF-8
        string path = WriteFile(Dir, Capture((new string('x', 30), [], 0)), new TraceDomainName(3, name));
        using var reader = TraceFileReader.Open(path);
        Assert.Multiple(() =>
        {
            Assert.That(reader.Domains.Single().Name, Is.EqualTo(new string('é', 28)));
            Assert.That(reader.Threads.Single().Name, Is.EqualTo(new string('x', 24)));
            Assert.That(Encoding.UTF8.GetByteCount(reader.Domains.Single().Name), Is.LessThanOrEqualTo(TraceDomainEntry.NameBytes));
        });
    }
}
