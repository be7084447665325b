// When this parakit process started (as a Stopwatch timestamp), so --stats can report boot
// milestones (first guest entry, first console output) relative to it.
namespace ParaKit.Hypervisor;

public static class ProcessClock
{
    public static long Start { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Forces <see cref="Start"/> to be taken now (call first thing in Main).</summary>
    public static void Touch() => _ = Start;
}
