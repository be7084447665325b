// Frame loss injected at a switch's ingress (`parakit create --switch-loss SWITCH=PERCENT`), for
// testing transports over a lossy link where the kernel has no sch_netem. The decisions come from
// a seeded generator, so a run with one seed drops the same positions of the switch's frame
// sequence; every dropped frame is counted on its ingress port as `loss`.
using System.Globalization;

namespace ParaKit.Hypervisor.Net.Switch;

/// <summary>Drops each frame with a fixed probability. Used by one switch, whose batches never
/// overlap, so the generator's state needs no lock.</summary>
public sealed class SwitchLoss
{
    /// <summary>The seed used when none is given, so runs are repeatable by default.</summary>
    public const ulong DefaultSeed = 1;

    private readonly ulong _threshold;   // a frame is dropped when the next 64-bit draw is below this
    private ulong _state;

    public SwitchLoss(double percent, ulong seed = DefaultSeed)
    {
        if (!(percent >= 0 && percent <= 100))
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "loss is a percentage from 0 to 100");
        Percent = percent;
        Seed = seed;
        _state = seed;
        _threshold = percent >= 100 ? ulong.MaxValue : (ulong)(percent / 100 * 18446744073709551616.0);
    }

    public double Percent { get; }

    /// <summary>The same loss with a generator of its own, starting from the seed.</summary>
    public SwitchLoss Copy() => new(Percent, Seed);

    public ulong Seed { get; }

    /// <summary>Whether the next frame is lost. SplitMix64 (Steele et al., 2014): one add, three
    /// xor-shift-multiplies, no allocation.</summary>
    public bool Drop()
    {
        ulong z = _state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        z ^= z >> 31;
        return _threshold == ulong.MaxValue || z < _threshold;
    }

    /// <summary>"5", "0.5" or "5,seed=42": the percentage of frames lost and the generator's seed.</summary>
    public static bool TryParse(string text, out SwitchLoss? loss, out string error)
    {
        loss = null;
        string pct = text, seedText = "";
        int comma = text.IndexOf(',');
        if (comma >= 0)
        {
            pct = text[..comma];
            string rest = text[(comma + 1)..];
            if (!rest.StartsWith("seed=", StringComparison.Ordinal))
            {
                error = $"'{rest}' is not seed=N";
                return false;
            }
            seedText = rest[5..];
        }
        pct = pct.EndsWith('%') ? pct[..^1] : pct;
        if (!double.TryParse(pct, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double percent) || percent > 100)
        {
            error = $"'{pct}' is not a percentage from 0 to 100";
            return false;
        }
        ulong seed = DefaultSeed;
        if (seedText.Length > 0 && !ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
        {
            error = $"seed '{seedText}' is not a whole number";
            return false;
        }
        loss = new SwitchLoss(percent, seed);
        error = "";
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"loss {Percent}% (seed {Seed})");
}
