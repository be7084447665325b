// Domain 0's lower-rate events as an EventSource named "ParaKit-Hypervisor": domains starting and
// stopping, errors, XenStore requests. Unlike the binary trace points these need no recording
// flag: `dotnet-trace collect -p PID --providers ParaKit-Hypervisor` (or DiagnosticsClient)
// attaches to a running parakit and sees them live, and DOTNET_EnableEventPipe=1 writes them to a
// .nettrace file that TraceEvent reads. Each call site checks IsEnabled() first, so with no session
// an event costs one field load. Events are written with WriteEventCore and exact payload sizes
// (a WriteEvent overload may bind other parameter types than the method's), and stamped on
// CLOCK_MONOTONIC, the clock of a trace file's base time, so both join on one time base.
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Tracing;

namespace ParaKit.Hypervisor.Tracing;

[EventSource(Name = SourceName)]
public sealed class HypervisorEvents : EventSource
{
    public const string SourceName = "ParaKit-Hypervisor";

    /// <summary>The one instance; check <c>Log.IsEnabled()</c> before calling an event.</summary>
    public static readonly HypervisorEvents Log = new();

    // The name given here, not read from the attribute: the parameterless base constructor looks
    // the attribute up through reflection as domain 0 starts (~0.3 ms). Same name, same GUID.
    private HypervisorEvents()
        : base(SourceName, EventSourceSettings.EtwManifestEventFormat)
    {
    }

    public static class Keywords
    {
        public const EventKeywords Lifecycle = (EventKeywords)1;
        public const EventKeywords Errors = (EventKeywords)2;
        public const EventKeywords XenStore = (EventKeywords)4;
    }

    // WriteEventCore warns because other payloads could be object graphs; ours are integers and strings.
    private const string PrimitivePayloads = "every payload is an integer or a string";

    public const int DomainStartedId = 1, DomainStoppedId = 2, ErrorId = 3, XenStoreRequestId = 4;

    /// <summary>A domain's vCPU is about to run for the first time.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = PrimitivePayloads)]
    [Event(DomainStartedId, Level = EventLevel.Informational, Keywords = Keywords.Lifecycle)]
    public unsafe void DomainStarted(uint domain, string name)
    {
        fixed (char* n = name)
        {
            EventData* d = stackalloc EventData[2];
            d[0] = Data(&domain, sizeof(uint));
            d[1] = Text(n, name);
            WriteEventCore(DomainStartedId, 2, d);
        }
    }

    /// <summary>A domain's vCPU left its run loop: <paramref name="state"/> is how it ended
    /// (Shutdown, Crashed, Destroyed), <paramref name="message"/> why.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = PrimitivePayloads)]
    [Event(DomainStoppedId, Level = EventLevel.Informational, Keywords = Keywords.Lifecycle)]
    public unsafe void DomainStopped(uint domain, string name, string state, int exitCode, string message)
    {
        fixed (char* n = name, s = state, m = message)
        {
            EventData* d = stackalloc EventData[5];
            d[0] = Data(&domain, sizeof(uint));
            d[1] = Text(n, name);
            d[2] = Text(s, state);
            d[3] = Data(&exitCode, sizeof(int));
            d[4] = Text(m, message);
            WriteEventCore(DomainStoppedId, 5, d);
        }
    }

    /// <summary>Something in domain 0 failed on behalf of <paramref name="domain"/> (0: domain 0 itself).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = PrimitivePayloads)]
    [Event(ErrorId, Level = EventLevel.Error, Keywords = Keywords.Errors)]
    public unsafe void Error(uint domain, string component, string message)
    {
        fixed (char* c = component, m = message)
        {
            EventData* d = stackalloc EventData[3];
            d[0] = Data(&domain, sizeof(uint));
            d[1] = Text(c, component);
            d[2] = Text(m, message);
            WriteEventCore(ErrorId, 3, d);
        }
    }

    /// <summary>xenstored answered one request of <paramref name="domain"/>: its wire type
    /// (XS_READ, ...), transaction, payload length, and the error it got (0 = none).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = PrimitivePayloads)]
    [Event(XenStoreRequestId, Level = EventLevel.Verbose, Keywords = Keywords.XenStore)]
    public unsafe void XenStoreRequest(uint domain, string type, uint transaction, int payloadBytes, int error)
    {
        fixed (char* t = type)
        {
            EventData* d = stackalloc EventData[5];
            d[0] = Data(&domain, sizeof(uint));
            d[1] = Text(t, type);
            d[2] = Data(&transaction, sizeof(uint));
            d[3] = Data(&payloadBytes, sizeof(int));
            d[4] = Data(&error, sizeof(int));
            WriteEventCore(XenStoreRequestId, 5, d);
        }
    }

    private static unsafe EventData Data(void* p, int size) => new() { DataPointer = (nint)p, Size = size };

    /// <summary>A string payload: UTF-16 with its terminating NUL (what EventPipe's manifest expects).</summary>
    private static unsafe EventData Text(char* p, string s) => new() { DataPointer = (nint)p, Size = (s.Length + 1) * sizeof(char) };
}
