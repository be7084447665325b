// Domain 0's system time: nanoseconds since the hypervisor started, derived from the TSC with
// the same pvclock scale guests use. Because host and guest compute time from the same
// counter with the same formula, timer deadlines a guest sets never drift from what domain 0
// checks.
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Time;

public static class SystemClock
{
    private static readonly ulong s_tscBase = NativeCode.Rdtsc();
    private static PvClockScale? s_scale;

    public static ulong TscBase => s_tscBase;

    /// <summary>Set once from KVM_GET_TSC_KHZ; falls back to a calibration against Stopwatch.</summary>
    public static PvClockScale Scale => s_scale ??= PvClockScale.FromFrequency(Calibrate());

    public static ulong TscKhz { get; private set; }

    public static void Initialize(ulong tscKhz)
    {
        if (s_scale is null && tscKhz > 0)
        {
            TscKhz = tscKhz;
            s_scale = PvClockScale.FromFrequency(tscKhz * 1000);
        }
    }

    private static ulong Calibrate()
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        ulong c0 = NativeCode.Rdtsc();
        Thread.Sleep(20);
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        ulong c1 = NativeCode.Rdtsc();
        double seconds = (t1 - t0) / (double)System.Diagnostics.Stopwatch.Frequency;
        ulong hz = (ulong)((c1 - c0) / seconds);
        TscKhz = hz / 1000;
        return hz;
    }

    /// <summary>System time now, in ns.</summary>
    public static ulong Now() => Scale.ToNanoseconds(NativeCode.Rdtsc() - s_tscBase);

    /// <summary>System time at a given host TSC value.</summary>
    public static ulong At(ulong tsc) => Scale.ToNanoseconds(tsc - s_tscBase);
}
