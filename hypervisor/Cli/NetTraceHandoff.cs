// `parakit trace analyze FILE.nettrace`: EventPipe files are read by TraceEvent, which cannot be
// part of the NativeAOT parakit (no trim or AOT annotations; it reflects over its parsers), so a
// .nettrace goes to the small JIT tool hypervisor/NetTrace, published beside parakit as
// out/bin/nettrace/parakit-nettrace. Its output and exit status are parakit's.
using System.Diagnostics;

namespace ParaKit.Hypervisor.Cli;

internal static class NetTraceHandoff
{
    /// <summary>Where `make build` puts the reader, relative to the parakit binary's folder.</summary>
    internal const string ToolPath = "nettrace/parakit-nettrace";

    /// <summary>Does the file start like an EventPipe file ("Nettrace", then the FastSerialization header)?</summary>
    public static bool IsNetTrace(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[8];
            return f.ReadAtLeast(magic, 8, throwOnEndOfStream: false) == 8 && magic.SequenceEqual("Nettrace"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;   // the trace-file reader gives the sentence for a missing or unreadable file
        }
    }

    public static int Analyze(string path)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, ToolPath);
        if (!File.Exists(tool))
        {
            System.Console.Error.WriteLine($"parakit: {path} is a .nettrace file, read by {tool}, which is not there: build it with `make build` (hypervisor/NetTrace)");
            return ExitCodes.Environment;
        }
        var start = new ProcessStartInfo(tool) { UseShellExecute = false };
        start.ArgumentList.Add(path);
        try
        {
            using var p = Process.Start(start);
            if (p is null)
                throw new InvalidOperationException("no process");
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            System.Console.Error.WriteLine($"parakit: cannot run {tool}: {e.Message}");
            return ExitCodes.Environment;
        }
    }
}
