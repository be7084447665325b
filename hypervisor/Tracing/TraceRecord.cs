// One trace record as it sits in a per-thread buffer and in a trace file: 32 bytes, fixed size,
// little-endian (README.md beside this file is the format's reference). Fixed-size records keep
// the record path to one struct store and let a reader seek to record n without parsing.
using System.Runtime.InteropServices;

namespace ParaKit.Hypervisor.Tracing;

/// <summary>A trace record, 32 bytes (the file's record layout).</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public readonly struct TraceRecord
{
    public const int Size = 32;

    /// <summary>Host TSC when the record was written (the end of what it describes).</summary>
    [FieldOffset(0)] public readonly ulong Tsc;
    [FieldOffset(8)] public readonly TraceEvent Event;
    /// <summary>The domain the record is about (a guest's id; 0 = domain 0 itself).</summary>
    [FieldOffset(10)] public readonly ushort Domain;
    /// <summary>Index of the writing thread in the file's thread table.</summary>
    [FieldOffset(12)] public readonly ushort Thread;
    /// <summary>Event-specific small value (a reason, a direction, an errno).</summary>
    [FieldOffset(14)] public readonly ushort Flags;
    [FieldOffset(16)] public readonly ulong A0;
    [FieldOffset(24)] public readonly ulong A1;

    public TraceRecord(ulong tsc, TraceEvent ev, ushort domain, ushort thread, ushort flags, ulong a0, ulong a1)
    {
        Tsc = tsc;
        Event = ev;
        Domain = domain;
        Thread = thread;
        Flags = flags;
        A0 = a0;
        A1 = a1;
    }

    /// <summary>The vif a network record (NetTxBatch, NetRxBatch, NetDrop) is about: the high byte
    /// of its flags (0 in files written before it was recorded).</summary>
    public int Vif => Flags >> 8;

    public override string ToString() => $"{Tsc} {Event} dom={Domain} thread={Thread} flags=0x{Flags:x} a0={A0} a1={A1}";
}
