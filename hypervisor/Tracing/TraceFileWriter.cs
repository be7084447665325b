// Writes a capture as one trace file: header, thread, domain and register tables, then every record of
// every thread merged in TSC order. The merge only ever takes the head of a thread's sequence,
// so each thread's records keep the order it wrote them in even where TSCs of different cores
// disagree by a few cycles; ties go to the lower thread index, so the output is deterministic.
using System.Runtime.InteropServices;

namespace ParaKit.Hypervisor.Tracing;

public static class TraceFileWriter
{
    private const int ChunkRecords = 8192;

    /// <summary>Writes <paramref name="capture"/> to <paramref name="output"/>; <paramref name="domains"/>
    /// name the domains records refer to. Returns the number of records written.</summary>
    public static long Write(Stream output, TraceCapture capture, IEnumerable<TraceDomainName> domains)
    {
        var domainList = domains.GroupBy(d => d.Id).Select(g => g.Last()).OrderBy(d => d.Id).ToList();
        var registers = new List<TraceRegisterEntry>();
        foreach (var d in capture.Devices)
        {
            var e = new TraceRegisterEntry { Device = d.Id, Kind = TraceRegisterEntry.KindDevice };
            e.SetName(d.Name);
            registers.Add(e);
            foreach (var r in d.Registers)
            {
                var re = new TraceRegisterEntry { Device = d.Id, Kind = TraceRegisterEntry.KindRegister, Offset = r.Offset };
                re.SetName(r.Name);
                registers.Add(re);
            }
        }
        var header = new TraceFileHeader
        {
            Magic = TraceFileHeader.MagicValue,
            Version = TraceFileHeader.CurrentVersion,
            HeaderSize = TraceFileHeader.Size,
            RecordSize = TraceRecord.Size,
            ThreadEntrySize = TraceThreadEntry.Size,
            DomainEntrySize = TraceDomainEntry.Size,
            RegisterEntrySize = TraceRegisterEntry.Size,
            RegisterCount = (uint)registers.Count,
            RecordsPerThread = (uint)capture.RecordsPerThread,
            TscHz = capture.TscHz,
            BaseTsc = capture.Started.Tsc,
            BaseRealtimeNs = capture.Started.RealtimeNs,
            BaseMonotonicNs = capture.Started.MonotonicNs,
            EndTsc = capture.EndTsc,
            RecordCount = (ulong)capture.Records,
            LostRecords = (ulong)capture.Lost,
            ThreadCount = (uint)capture.Threads.Count,
            DomainCount = (uint)domainList.Count,
            EventClasses = (uint)capture.Classes,
        };
        output.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<TraceFileHeader>(ref header)));
        foreach (var t in capture.Threads)
        {
            var e = new TraceThreadEntry { Index = t.Index, Records = (ulong)t.Count, Lost = (ulong)t.Lost };
            e.SetName(t.Name);
            output.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<TraceThreadEntry>(ref e)));
        }
        foreach (var d in domainList)
        {
            var e = new TraceDomainEntry { Id = (ushort)d.Id };
            e.SetName(d.Name);
            output.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<TraceDomainEntry>(ref e)));
        }
        output.Write(MemoryMarshal.AsBytes(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(registers)));
        long written = WriteMerged(output, capture.Threads);
        output.Flush();
        return written;
    }

    private static long WriteMerged(Stream output, IReadOnlyList<TraceThreadCapture> threads)
    {
        var chunk = new TraceRecord[ChunkRecords];
        var next = new int[threads.Count];
        int filled = 0;
        long written = 0;
        while (true)
        {
            int pick = -1;
            ulong best = 0;
            for (int t = 0; t < threads.Count; t++)
            {
                var records = threads[t].Records;
                if (next[t] < records.Length && (pick < 0 || records[next[t]].Tsc < best))
                {
                    pick = t;
                    best = records[next[t]].Tsc;
                }
            }
            if (pick < 0)
                break;
            chunk[filled++] = threads[pick].Records[next[pick]++];
            if (filled == chunk.Length)
            {
                output.Write(MemoryMarshal.AsBytes(chunk.AsSpan()));
                written += filled;
                filled = 0;
            }
        }
        output.Write(MemoryMarshal.AsBytes(chunk.AsSpan(0, filled)));
        return written + filled;
    }
}
