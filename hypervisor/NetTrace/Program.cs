// parakit-nettrace FILE.nettrace: the summary of a .nettrace file's ParaKit-Hypervisor events
// (domains started and stopped, errors, XenStore requests by type and domain) and what else it
// holds, per provider. `parakit trace analyze FILE` hands .nettrace files to this tool. Exit
// codes as parakit's: 0 done, 1 a file that cannot be read (with one sentence), 2 bad usage.
using System;
using System.IO;
using ParaKit.NetTrace;

if (args.Length != 1 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: parakit-nettrace FILE.nettrace (or parakit trace analyze FILE.nettrace)");
    return 2;
}
string path = args[0];
if (!File.Exists(path))
{
    Console.Error.WriteLine($"parakit: {path}: no such file");
    return 1;
}
NetTraceSummary summary;
try
{
    summary = NetTraceSummary.Read(path);
}
catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or ArgumentException or EndOfStreamException or NotSupportedException or UnauthorizedAccessException or OverflowException or IndexOutOfRangeException)
{
    Console.Error.WriteLine($"parakit: {path}: not a readable .nettrace file ({e.GetType().Name}: {e.Message.Split('\n')[0]}); record one with dotnet-trace or DOTNET_EnableEventPipe (hypervisor/Tracing/README.md)");
    return 1;
}
Console.Out.Write(NetTraceReport.Format(path, summary));
return 0;
