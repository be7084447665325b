// The per-packet section of `parakit trace analyze` for a trace in which guests moved frames: the
// same figures `trace compare` puts side by side (exits, hypercalls, notifications, grant copies
// and device accesses per packet, and TSC cycles per packet by category), for one trace alone.
using System.Globalization;
using System.Text;

namespace ParaKit.Hypervisor.Tracing;

public static class TracePacketReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const int Width = 44;

    /// <summary>The section's text, or "" when no guest sent or received a frame.</summary>
    public static string Format(TraceBreakdown x)
    {
        if (x.Packets == 0)
            return "";
        var sb = new StringBuilder();
        double packets = x.Packets;
        sb.AppendLine();
        sb.AppendLine(x.FramesSent > 0
            ? $"per packet ({x.FramesSent} frames sent by guests; {x.FramesReceived} received):"
            : $"per packet ({x.FramesReceived} frames received by guests; none sent):");
        Row(sb, x, "  exits", x.Exits / packets, TraceClasses.Exits);
        foreach (var (reason, count) in x.ExitsByReason)
            Row(sb, x, "    " + TraceNames.Exit(reason), count / packets, TraceClasses.Exits);
        foreach (var (label, count, c) in TraceBreakdown.CountRows)
            Row(sb, x, label, count(x) / packets, c);
        Row(sb, x, "  frame drops", x.Drops / packets, TraceClasses.Drops);
        sb.AppendLine("TSC cycles per packet (share of the categories' sum):");
        foreach (var (label, cycles, c) in TraceBreakdown.CycleRows)
            Cycles(sb, x, label, cycles(x), c);
        double us = x.TotalCycles / (double)x.Analysis.Header.TscHz * 1e6 / packets;
        sb.AppendLine(string.Create(Inv, $"{"  the sum in µs per packet",-Width}  {us,14:F3}"));
        return sb.ToString();
    }

    private static bool Recorded(TraceBreakdown x, TraceClasses c) => c == TraceClasses.None || (x.Classes & c) != 0;

    private static void Row(StringBuilder sb, TraceBreakdown x, string label, double perPacket, TraceClasses c) =>
        sb.AppendLine(Recorded(x, c)
            ? string.Create(Inv, $"{label.PadRight(Width)}  {perPacket,14:F3}")
            : $"{label.PadRight(Width)}  {"- (not recorded)",14}");

    private static void Cycles(StringBuilder sb, TraceBreakdown x, string label, ulong cycles, TraceClasses c)
    {
        if (!Recorded(x, c))
        {
            sb.AppendLine($"{label.PadRight(Width)}  {"- (not recorded)",14}");
            return;
        }
        double share = x.TotalCycles == 0 ? 0 : 100.0 * cycles / x.TotalCycles;
        sb.AppendLine(string.Create(Inv, $"{label.PadRight(Width)}  {cycles / (double)x.Packets,10:F0} {share,3:F0}%"));
    }
}
