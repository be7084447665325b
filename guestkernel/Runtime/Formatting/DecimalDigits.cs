// Exact decimal digits of integers and binary floating-point values, and the few operations
// formatting and parsing need on them (round, compare, shortest round-trip). Every double has a
// finite decimal expansion (m * 2^e = m * 5^-e / 10^-e), so we compute it exactly with a small
// big-integer and never round twice. Pure C#: compiled into the guest runtime and, as is, into
// the host tests that compare it with .NET's own formatting.
namespace Internal.Formatting;

using System;

/// <summary>A decimal number 0.D1D2...Dn * 10^Scale with its sign; digits are '0'..'9', no
/// leading zeros, trailing zeros trimmed; Count == 0 means zero.</summary>
internal sealed class DecimalDigits
{
    public char[] Digits;
    public int Count;
    public int Scale;
    public bool Negative;

    public DecimalDigits(int capacity)
    {
        Digits = new char[capacity < 24 ? 24 : capacity];
    }

    public bool IsZero => Count == 0;

    public char DigitAt(int i) => i < Count ? Digits[i] : '0';

    public static DecimalDigits FromUInt64(ulong value, bool negative)
    {
        var d = new DecimalDigits(24);
        Span<char> tmp = stackalloc char[24];
        int n = 0;
        while (value != 0)
        {
            tmp[n++] = (char)('0' + (int)(value % 10));
            value /= 10;
        }
        for (int i = 0; i < n; i++)
            d.Digits[i] = tmp[n - 1 - i];
        d.Count = n;
        d.Scale = n;
        d.Negative = negative;
        d.Trim();
        return d;
    }

    /// <summary>The exact value of mantissa * 2^binaryExponent.</summary>
    public static DecimalDigits Exact(ulong mantissa, int binaryExponent, bool negative)
    {
        if (mantissa == 0)
            return new DecimalDigits(1) { Negative = negative };
        // Enough 32-bit words for 2^64 * 5^1080 (~2575 bits) or 2^64 * 2^1030.
        Span<uint> big = stackalloc uint[96];
        int used = 2;
        big[0] = (uint)mantissa;
        big[1] = (uint)(mantissa >> 32);
        int decimalShift = 0;
        if (binaryExponent > 0)
        {
            used = ShiftLeft(big, used, binaryExponent);
        }
        else if (binaryExponent < 0)
        {
            int fives = -binaryExponent;
            decimalShift = fives;
            while (fives >= 13)
            {
                used = MultiplySmall(big, used, 1220703125);   // 5^13
                fives -= 13;
            }
            uint rest = 1;
            for (int i = 0; i < fives; i++)
                rest *= 5;
            used = MultiplySmall(big, used, rest);
        }
        // Base 10^9 chunks, least significant first.
        Span<uint> chunks = stackalloc uint[100];
        int chunkCount = 0;
        while (used > 0)
        {
            chunks[chunkCount++] = DivideSmall(big, used, 1_000_000_000);
            while (used > 0 && big[used - 1] == 0)
                used--;
        }
        var d = new DecimalDigits(chunkCount * 9 + 1);
        int count = 0;
        for (int c = chunkCount - 1; c >= 0; c--)
        {
            uint chunk = chunks[c];
            for (int p = 100_000_000; p >= 1; p /= 10)
            {
                int digit = (int)(chunk / (uint)p % 10);
                if (count == 0 && digit == 0)
                    continue;
                d.Digits[count++] = (char)('0' + digit);
            }
        }
        d.Count = count;
        d.Scale = count - decimalShift;
        d.Negative = negative;
        d.Trim();
        return d;
    }

    private static int ShiftLeft(Span<uint> big, int used, int bits)
    {
        int words = bits / 32, rem = bits % 32;
        // Top down, so every word is read before it is overwritten.
        for (int i = used + words; i >= 0; i--)
        {
            int h = i - words, l = i - words - 1;
            uint hi = h >= 0 && h < used ? big[h] : 0;
            uint lo = l >= 0 && l < used ? big[l] : 0;
            big[i] = rem == 0 ? hi : (hi << rem) | (lo >> (32 - rem));
        }
        used += words + 1;
        while (used > 0 && big[used - 1] == 0)
            used--;
        return used;
    }

    private static int MultiplySmall(Span<uint> big, int used, uint factor)
    {
        ulong carry = 0;
        for (int i = 0; i < used; i++)
        {
            ulong v = (ulong)big[i] * factor + carry;
            big[i] = (uint)v;
            carry = v >> 32;
        }
        if (carry != 0)
            big[used++] = (uint)carry;
        return used;
    }

    private static uint DivideSmall(Span<uint> big, int used, uint divisor)
    {
        ulong rem = 0;
        for (int i = used - 1; i >= 0; i--)
        {
            ulong v = (rem << 32) | big[i];
            big[i] = (uint)(v / divisor);
            rem = v % divisor;
        }
        return (uint)rem;
    }

    private void Trim()
    {
        while (Count > 0 && Digits[Count - 1] == '0')
            Count--;
        if (Count == 0)
            Scale = 0;
    }

    public DecimalDigits Clone()
    {
        var d = new DecimalDigits(Digits.Length) { Count = Count, Scale = Scale, Negative = Negative };
        Array.Copy(Digits, d.Digits, Count);
        return d;
    }

    /// <summary>Keeps the first <paramref name="keep"/> digits (a position relative to the
    /// first digit; may be 0 or negative), rounding the rest away: half to even when
    /// <paramref name="halfEven"/> (an exact value: IEEE-correct), else half away from zero.</summary>
    public void RoundAt(int keep, bool halfEven)
    {
        if (keep >= Count)
            return;
        bool up;
        if (keep < 0)
        {
            up = false;
        }
        else
        {
            char next = Digits[keep];
            if (next > '5')
                up = true;
            else if (next < '5')
                up = false;
            else if (!halfEven || keep + 1 < Count)
                up = true;                           // above half (more digits follow) or half-up
            else
                up = keep > 0 && ((Digits[keep - 1] - '0') & 1) == 1;   // exactly half: to even
        }
        if (!up)
        {
            Count = keep < 0 ? 0 : keep;
            Trim();
            return;
        }
        int i = keep - 1;
        while (i >= 0 && Digits[i] == '9')
            i--;
        if (i < 0)
        {
            Digits[0] = '1';
            Count = 1;
            Scale++;
            return;
        }
        Digits[i]++;
        Count = i + 1;
        Trim();
    }

    /// <summary>Compares |a| and |b|.</summary>
    public static int CompareMagnitude(DecimalDigits a, DecimalDigits b)
    {
        if (a.Count == 0 || b.Count == 0)
            return (a.Count == 0 ? 0 : 1) - (b.Count == 0 ? 0 : 1);
        if (a.Scale != b.Scale)
            return a.Scale < b.Scale ? -1 : 1;
        int n = a.Count > b.Count ? a.Count : b.Count;
        for (int i = 0; i < n; i++)
        {
            char x = a.DigitAt(i), y = b.DigitAt(i);
            if (x != y)
                return x < y ? -1 : 1;
        }
        return 0;
    }

    /// <summary>The shortest digits that read back as the same double (or float), closest to
    /// the exact value when several of that length do, as .NET Core 3.0+ prints them.</summary>
    public static DecimalDigits Shortest(ulong mantissa, int binaryExponent, bool lowerGapIsHalf, bool negative)
    {
        DecimalDigits exact = Exact(mantissa, binaryExponent, negative);
        if (mantissa == 0)
            return exact;
        // The interval of values that round to this one: midpoints to the neighbours.
        DecimalDigits high = Exact(2 * mantissa + 1, binaryExponent - 1, false);
        DecimalDigits low = lowerGapIsHalf
            ? Exact(4 * mantissa - 1, binaryExponent - 2, false)
            : Exact(2 * mantissa - 1, binaryExponent - 1, false);
        // Round-half-even on reading: the midpoints themselves read back as us if our mantissa is even.
        bool inclusive = (mantissa & 1) == 0;
        for (int k = 1; k <= exact.Count; k++)
        {
            // The two k-digit neighbours of the exact value.
            DecimalDigits floor = exact.Clone();
            floor.Count = k < floor.Count ? k : floor.Count;
            floor.Trim();
            DecimalDigits ceil = floor.Clone();
            if (k < exact.Count)
                ceil.AddUnitAt(k);
            bool floorOk = InRange(floor, low, high, inclusive);
            bool ceilOk = InRange(ceil, low, high, inclusive);
            if (floorOk && ceilOk)
            {
                // Both fit: the closer to the exact value; on a tie the even last digit.
                int c = CompareDistance(exact, floor, ceil);
                if (c < 0) return floor;
                if (c > 0) return ceil;
                return ((floor.DigitAt(k - 1) - '0') & 1) == 0 ? floor : ceil;
            }
            if (floorOk) return floor;
            if (ceilOk) return ceil;
        }
        return exact;
    }

    private static bool InRange(DecimalDigits x, DecimalDigits low, DecimalDigits high, bool inclusive)
    {
        if (x.Count == 0)
            return false;
        int l = CompareMagnitude(x, low), h = CompareMagnitude(x, high);
        return inclusive ? l >= 0 && h <= 0 : l > 0 && h < 0;
    }

    // Adds 1 at digit position k-1 (the last kept digit).
    private void AddUnitAt(int k)
    {
        if (Digits.Length < k + 1)
        {
            char[] larger = new char[k + 2];
            Array.Copy(Digits, larger, Count);
            Digits = larger;
        }
        for (int j = Count; j < k; j++)
            Digits[j] = '0';
        Count = k;
        int i = k - 1;
        while (i >= 0 && Digits[i] == '9')
            i--;
        if (i < 0)
        {
            Digits[0] = '1';
            Count = 1;
            Scale++;
            return;
        }
        Digits[i]++;
        Count = i + 1;
        Trim();
    }

    // Sign of (v - a) - (b - v) for a <= v <= b, i.e. compares 2v with a + b digit-wise.
    private static int CompareDistance(DecimalDigits v, DecimalDigits a, DecimalDigits b)
    {
        int top = v.Scale;
        if (b.Scale > top) top = b.Scale;
        int bottom = v.Scale - v.Count;
        if (a.Scale - a.Count < bottom) bottom = a.Scale - a.Count;
        if (b.Scale - b.Count < bottom) bottom = b.Scale - b.Count;
        int len = top - bottom + 1;
        // Little-endian decimal arrays of 2v and a+b.
        int[] twoV = new int[len + 1];
        int[] sum = new int[len + 1];
        AddInto(twoV, v, bottom);
        AddInto(twoV, v, bottom);
        AddInto(sum, a, bottom);
        AddInto(sum, b, bottom);
        Normalize(twoV);
        Normalize(sum);
        for (int i = len; i >= 0; i--)
            if (twoV[i] != sum[i])
                return twoV[i] > sum[i] ? 1 : -1;
        return 0;
    }

    private static void AddInto(int[] acc, DecimalDigits d, int bottom)
    {
        for (int i = 0; i < d.Count; i++)
        {
            int power = d.Scale - 1 - i;              // this digit's weight 10^power
            acc[power - bottom] += d.Digits[i] - '0';
        }
    }

    private static void Normalize(int[] acc)
    {
        int carry = 0;
        for (int i = 0; i < acc.Length; i++)
        {
            int v = acc[i] + carry;
            acc[i] = v % 10;
            carry = v / 10;
        }
    }
}
