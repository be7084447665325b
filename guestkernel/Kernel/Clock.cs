// Time: system time in ns from the vcpu_time_info the hypervisor keeps in shared_info, scaled
// from rdtsc exactly as Xen's pvclock does; and the raw TSC for cycle counts.
using Internal.Runtime;
using System.Threading;
using ParaKit.Protocols.Events;

namespace ParaKit.Kernel;

public static unsafe class Clock
{
    private static VcpuTimeInfo* s_time;
    private static ulong s_tscKhz;

    private static ulong ReadTsc() => Cpu.Rdtsc();

    internal static void Initialize(SharedInfo* shared, ulong tscKhz)
    {
        s_time = &shared->Vcpu0.Time;
        s_tscKhz = tscKhz;
    }

    /// <summary>The time-stamp counter (cycles).</summary>
    public static ulong Rdtsc() => ReadTsc();

    /// <summary>TSC frequency in kHz as the hypervisor measured it.</summary>
    public static ulong TscKhz => s_tscKhz;

    /// <summary>System time in ns since the domain's clock epoch (pvclock).</summary>
    public static ulong NowNs()
    {
        VcpuTimeInfo* t = s_time;
        uint version;
        ulong tscTimestamp, systemTime, tsc;
        uint mul;
        sbyte shift;
        do
        {
            version = Volatile.Read(ref t->Version);
            tscTimestamp = t->TscTimestamp;
            systemTime = t->SystemTime;
            mul = t->TscToSystemMul;
            shift = t->TscShift;
            tsc = ReadTsc();
        }
        while ((version & 1) != 0 || Volatile.Read(ref t->Version) != version);
        return systemTime + Scale(tsc - tscTimestamp, mul, shift);
    }

    /// <summary>pvclock scaling: ((delta shifted by shift) * mul) >> 32, with a 96-bit product.</summary>
    public static ulong Scale(ulong delta, uint mul, sbyte shift)
    {
        if (shift < 0)
            delta >>= -shift;
        else
            delta <<= shift;
        ulong low = (delta & 0xFFFFFFFF) * mul;
        ulong high = (delta >> 32) * mul;
        return high + (low >> 32);
    }

    /// <summary>Converts TSC cycles to ns using StartInfo's TSC frequency.</summary>
    public static ulong CyclesToNs(ulong cycles)
    {
        if (s_tscKhz == 0)
            return 0;
        // Split to avoid overflowing cycles * 10^6.
        return cycles / s_tscKhz * 1_000_000 + cycles % s_tscKhz * 1_000_000 / s_tscKhz;
    }
}
