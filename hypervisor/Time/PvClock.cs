// Xen's pvclock arithmetic (vcpu_time_info): converting TSC ticks to nanoseconds with a 32.32
// fixed-point multiplier and a power-of-two pre-shift, computed the way Xen's set_time_scale
// does so guests written for Xen compute the same time.
namespace ParaKit.Hypervisor.Time;

public readonly record struct PvClockScale(uint Multiplier, sbyte Shift)
{
    private const ulong NanosPerSecond = 1_000_000_000;

    /// <summary>The scale for a TSC of <paramref name="ticksPerSecond"/>: shift the frequency
    /// into (1 GHz, 2 GHz], then mul = 1e9 * 2^32 / shifted frequency (a fraction below 1).</summary>
    public static PvClockScale FromFrequency(ulong ticksPerSecond)
    {
        if (ticksPerSecond == 0)
            throw new ArgumentOutOfRangeException(nameof(ticksPerSecond));
        ulong tps = ticksPerSecond;
        int shift = 0;
        while (tps > 2 * NanosPerSecond)
        {
            tps >>= 1;
            shift--;
        }
        while (tps <= NanosPerSecond)
        {
            tps <<= 1;
            shift++;
        }
        // tps in (1e9, 2e9], so the quotient is below 2^32.
        uint mul = (uint)((NanosPerSecond << 32) / tps);
        return new PvClockScale(mul, (sbyte)shift);
    }

    /// <summary>Nanoseconds for a TSC delta: ((delta shifted) * mul) >> 32, with a 128-bit product.</summary>
    public ulong ToNanoseconds(ulong tscDelta)
    {
        ulong d = Shift >= 0 ? tscDelta << Shift : tscDelta >> -Shift;
        return (ulong)(((UInt128)d * Multiplier) >> 32);
    }

    /// <summary>The inverse, for timers: TSC ticks that cover <paramref name="nanoseconds"/>.</summary>
    public ulong ToTicks(ulong nanoseconds)
    {
        UInt128 d = ((UInt128)nanoseconds << 32) / Multiplier;
        return Shift >= 0 ? (ulong)(d >> Shift) : (ulong)(d << -Shift);
    }
}
