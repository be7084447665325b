// A trace of a whole run into a file, as `parakit create --trace FILE` takes it: the file is
// created before anything boots (a bad path is an error before any domain starts), the trace
// points record while the domains run, and Finish writes every thread's records into it.
namespace ParaKit.Hypervisor.Tracing;

/// <summary>What Finish wrote.</summary>
public readonly record struct TraceRecordingResult(string Path, long Records, long Lost, int Threads, long Bytes);

public sealed class TraceRecording : IDisposable
{
    private readonly FileStream _file;
    private readonly TraceSession _session;
    private bool _finished;

    public string Path { get; }

    private TraceRecording(string path, FileStream file, TraceSession session)
    {
        Path = path;
        _file = file;
        _session = session;
    }

    /// <summary>Creates (or truncates) <paramref name="path"/> and starts recording. A path that
    /// cannot be written throws an IOException whose message names it.</summary>
    public static TraceRecording Start(string path, int recordsPerThread = TraceSession.DefaultRecordsPerThread, TraceClasses classes = TraceClasses.All)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write the trace file {path}: {e.Message}", e);
        }
        try
        {
            return new TraceRecording(path, file, TraceSession.Start(recordsPerThread, classes));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Stops recording and writes the file; <paramref name="domains"/> name the domains
    /// the records refer to.</summary>
    public TraceRecordingResult Finish(IEnumerable<TraceDomainName> domains)
    {
        var capture = _session.Stop();
        long records = TraceFileWriter.Write(_file, capture, domains);
        _finished = true;
        long bytes = _file.Length;
        _file.Dispose();
        return new TraceRecordingResult(Path, records, capture.Lost, capture.Threads.Count, bytes);
    }

    /// <summary>Stops recording; a recording never finished leaves an empty file behind.</summary>
    public void Dispose()
    {
        _session.Dispose();
        if (!_finished)
            _file.Dispose();
    }
}
