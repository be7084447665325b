// System.Math: the functions students reach for. Sqrt is the sqrtsd instruction; Floor,
// Ceiling, Truncate and Round work on the bits' integer part; Exp, Log, Sin and Cos are the
// classic fdlibm algorithms (argument reduction + minimax polynomials, < 1 ulp on ordinary
// arguments; Sin/Cos reduce by a three-part pi/2, accurate up to |x| ~ 1e6); Pow is exact for
// integer exponents (repeated squaring) and exp(y*log(x)) otherwise.
namespace System;

public enum MidpointRounding
{
    ToEven = 0,
    AwayFromZero = 1,
    ToZero = 2,
    ToNegativeInfinity = 3,
    ToPositiveInfinity = 4,
}

public static class Math
{
    public const double PI = 3.141592653589793;
    public const double E = 2.718281828459045;
    public const double Tau = 6.283185307179586;

    // Helpers ILC looks up by name for checked conversions and multiplication.
    internal static int ConvertToInt32Checked(double value) => Double.ConvertToInt32Checked(value);
    internal static uint ConvertToUInt32Checked(double value) => Double.ConvertToUInt32Checked(value);
    internal static long ConvertToInt64Checked(double value) => Double.ConvertToInt64Checked(value);
    internal static ulong ConvertToUInt64Checked(double value) => Double.ConvertToUInt64Checked(value);
    internal static long MultiplyChecked(long a, long b) => Int64.MultiplyChecked(a, b);
    internal static ulong MultiplyChecked(ulong a, ulong b) => UInt64.MultiplyChecked(a, b);

    // fmod/fmodf, which the JIT calls for `%` on floating point.
    [System.Runtime.RuntimeExport("fmod")]
    internal static double FMod(double a, double b) => Double.Remainder(a, b);
    [System.Runtime.RuntimeExport("fmodf")]
    internal static float FModF(float a, float b) => (float)Double.Remainder(a, b);
    [System.Runtime.RuntimeExport("RhpDbl2ULng")]
    internal static ulong Dbl2ULng(double value) => Double.ConvertToUInt64(value);

    public static int Min(int a, int b) => a < b ? a : b;
    public static int Max(int a, int b) => a > b ? a : b;
    public static long Min(long a, long b) => a < b ? a : b;
    public static long Max(long a, long b) => a > b ? a : b;
    public static ulong Min(ulong a, ulong b) => a < b ? a : b;
    public static ulong Max(ulong a, ulong b) => a > b ? a : b;
    public static uint Min(uint a, uint b) => a < b ? a : b;
    public static uint Max(uint a, uint b) => a > b ? a : b;
    public static short Min(short a, short b) => a < b ? a : b;
    public static short Max(short a, short b) => a > b ? a : b;
    public static byte Min(byte a, byte b) => a < b ? a : b;
    public static byte Max(byte a, byte b) => a > b ? a : b;
    public static double Min(double a, double b) => a != a ? a : b != b ? b : a < b ? a : b == a && a == 0 && IsNegative(a) ? a : b;
    public static double Max(double a, double b) => a != a ? a : b != b ? b : a > b ? a : b == a && a == 0 && !IsNegative(a) ? a : b;
    public static float Min(float a, float b) => (float)Min((double)a, b);
    public static float Max(float a, float b) => (float)Max((double)a, b);

    public static int Abs(int value) => value < 0 ? checked(-value) : value;
    public static long Abs(long value) => value < 0 ? checked(-value) : value;
    public static short Abs(short value) => (short)(value < 0 ? checked(-value) : value);
    public static double Abs(double value) => BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(value) & long.MaxValue);
    public static float Abs(float value) => value < 0 ? -value : value;

    public static int Sign(int value) => value < 0 ? -1 : value > 0 ? 1 : 0;
    public static int Sign(long value) => value < 0 ? -1 : value > 0 ? 1 : 0;
    public static int Sign(double value)
    {
        if (value != value)
            throw new ArithmeticException("Function does not accept floating point Not-a-Number values.");
        return value < 0 ? -1 : value > 0 ? 1 : 0;
    }

    public static int Clamp(int value, int min, int max) => Check(min <= max) && value < min ? min : value > max ? max : value;
    public static long Clamp(long value, long min, long max) => Check(min <= max) && value < min ? min : value > max ? max : value;
    public static uint Clamp(uint value, uint min, uint max) => Check(min <= max) && value < min ? min : value > max ? max : value;
    public static ulong Clamp(ulong value, ulong min, ulong max) => Check(min <= max) && value < min ? min : value > max ? max : value;
    public static double Clamp(double value, double min, double max) => Check(min <= max) && value < min ? min : value > max ? max : value;

    private static bool Check(bool minNotAboveMax)
    {
        if (!minNotAboveMax)
            throw new ArgumentException("'min' cannot be greater than 'max'.");
        return true;
    }

    public static int DivRem(int a, int b, out int result)
    {
        result = a % b;
        return a / b;
    }

    public static long BigMul(int a, int b) => (long)a * b;

    private static bool IsNegative(double d) => BitConverter.DoubleToInt64Bits(d) < 0;

    // The JIT turns this into sqrtsd; the recursive body is never executed.
    [System.Runtime.CompilerServices.Intrinsic]
    public static double Sqrt(double d) => Sqrt(d);

    public static double Cbrt(double x) => x < 0 ? -Pow(-x, 1.0 / 3) : Pow(x, 1.0 / 3);

    private const double TwoTo52 = 4503599627370496.0;

    public static double Truncate(double d)
    {
        if (!(Abs(d) < TwoTo52))
            return d;                                   // already integral, infinite or NaN
        double t = (double)(long)d;
        return t == 0 && IsNegative(d) ? -0.0 : t;
    }

    public static double Floor(double d)
    {
        double t = Truncate(d);
        return t > d ? t - 1 : t;
    }

    public static double Ceiling(double d)
    {
        double t = Truncate(d);
        if (t < d)
            return t + 1 == 0 ? -0.0 : t + 1;
        return t;
    }

    /// <summary>To the nearest integer, halves to even (as .NET).</summary>
    public static double Round(double a)
    {
        if (!(Abs(a) < TwoTo52))
            return a;
        double floor = Floor(a);
        double diff = a - floor;
        double r;
        if (diff > 0.5) r = floor + 1;
        else if (diff < 0.5) r = floor;
        else r = Floor(floor * 0.5) * 2 == floor ? floor : floor + 1;
        return r == 0 && IsNegative(a) ? -0.0 : r;
    }

    public static double Round(double value, MidpointRounding mode)
    {
        switch (mode)
        {
            case MidpointRounding.ToEven: return Round(value);
            case MidpointRounding.AwayFromZero:
            {
                if (!(Abs(value) < TwoTo52))
                    return value;
                double t = Truncate(value);
                return Abs(value - t) >= 0.5 ? t + Sign(value) : t;
            }
            case MidpointRounding.ToZero: return Truncate(value);
            case MidpointRounding.ToNegativeInfinity: return Floor(value);
            default: return Ceiling(value);
        }
    }

    public static double Round(double value, int digits) => Round(value, digits, MidpointRounding.ToEven);

    public static double Round(double value, int digits, MidpointRounding mode)
    {
        if ((uint)digits > 15)
            throw new ArgumentOutOfRangeException("digits", "Rounding digits must be between 0 and 15, inclusive.");
        if (Abs(value) >= 1e16)
            return value;
        double power10 = 1;
        for (int i = 0; i < digits; i++)
            power10 *= 10;
        return Round(value * power10, mode) / power10;
    }

    // --- exp / log (fdlibm e_exp.c, e_log.c) -----------------------------------------------
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double InvLn2 = 1.44269504088896338700e+00;

    public static double Exp(double x)
    {
        if (x != x) return x;
        if (x > 709.782712893383973096) return double.PositiveInfinity;
        if (x < -745.13321910194110842) return 0;
        if (Abs(x) < 1.0 / (1 << 28)) return 1 + x;
        int k = (int)(x * InvLn2 + (x < 0 ? -0.5 : 0.5));
        double hi = x - k * Ln2Hi;
        double lo = k * Ln2Lo;
        double r = hi - lo;
        double t = r * r;
        double c = r - t * (1.66666666666666019037e-01 + t * (-2.77777777770155933842e-03 + t * (6.61375632143793436117e-05
                   + t * (-1.65339022054652515390e-06 + t * 4.13813679705723846039e-08))));
        double y = 1 - ((lo - (r * c) / (2 - c)) - hi);
        return ScaleB(y, k);
    }

    /// <summary>x * 2^n without overflow in between.</summary>
    public static double ScaleB(double x, int n)
    {
        while (n > 1023) { x *= 8.98846567431158e307; n -= 1023; }       // 2^1023
        while (n < -1022) { x *= 2.2250738585072014e-308; n += 1022; }   // 2^-1022
        return x * BitConverter.Int64BitsToDouble((long)(n + 1023) << 52);
    }

    public static double Log(double x)
    {
        if (x != x || x < 0) return double.NaN;
        if (x == 0) return double.NegativeInfinity;
        if (x == double.PositiveInfinity) return x;
        long bits = BitConverter.DoubleToInt64Bits(x);
        int k = 0;
        if (bits < 0x0010000000000000L)
        {
            // subnormal: scale up by 2^54
            x *= 18014398509481984.0;
            bits = BitConverter.DoubleToInt64Bits(x);
            k = -54;
        }
        k += (int)(bits >> 52) - 1023;
        long mantissaBits = bits & 0x000FFFFFFFFFFFFFL;
        // Normalize into [sqrt(2)/2, sqrt(2)).
        double m = BitConverter.Int64BitsToDouble(mantissaBits | 0x3FF0000000000000L);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            k++;
        }
        double f = m - 1;
        double s = f / (2 + f);
        double z = s * s;
        double w = z * z;
        double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
        double t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
        double r = t2 + t1;
        double hfsq = 0.5 * f * f;
        return k * Ln2Hi - ((hfsq - (s * (hfsq + r) + k * Ln2Lo)) - f);
    }

    public static double Log10(double x) => Log(x) * 0.43429448190325182765;
    public static double Log2(double x) => Log(x) * 1.44269504088896340736;
    public static double Log(double a, double newBase) => Log(a) / Log(newBase);

    public static double Pow(double x, double y)
    {
        if (y == 0) return 1;
        if (x != x || y != y) return double.NaN;
        if (Abs(y) <= 1 << 30 && y == Truncate(y))
        {
            // Integer exponent: repeated squaring (exact while the products fit).
            long n = (long)Abs(y);
            double result = 1, b = x;
            while (n != 0)
            {
                if ((n & 1) != 0) result *= b;
                b *= b;
                n >>= 1;
            }
            return y < 0 ? 1 / result : result;
        }
        if (x < 0) return double.NaN;
        if (x == 0) return y > 0 ? 0 : double.PositiveInfinity;
        return Exp(y * Log(x));
    }

    // --- sin / cos (fdlibm k_sin.c, k_cos.c, with a Cody-Waite reduction by pi/2) -----------
    private const double PiO2_1 = 1.57079632673412561417e+00;
    private const double PiO2_2 = 6.07710050630396597660e-11;
    private const double PiO2_3 = 2.02226624871116645580e-21;
    private const double PiO2_3t = 8.47842766036889956997e-32;

    private static int Reduce(double x, out double y0, out double y1)
    {
        if (Abs(x) <= 0.7853981633974483)
        {
            y0 = x;
            y1 = 0;
            return 0;
        }
        double n = Round(x * 6.36619772367581382433e-01);   // x * 2/pi
        // pi/2 in three parts (33 + 33 + 53 bits): n * part is exact for |n| < 2^20.
        double r = x - n * PiO2_1;
        double t = r;
        double w = n * PiO2_2;
        r = t - w;
        t = r;
        double w3 = n * PiO2_3;
        r = t - w3;
        w = n * PiO2_3t - ((t - r) - w3);
        y0 = r - w;
        y1 = (r - y0) - w;
        return (int)((long)n & 3);
    }

    private static double KernelSin(double x, double y)
    {
        double z = x * x;
        double v = z * x;
        double r = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * (2.75573137070700676789e-06
                   + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)));
        return x - ((z * (0.5 * y - v * r) - y) - v * -1.66666666666666324348e-01);
    }

    private static double KernelCos(double x, double y)
    {
        double z = x * x;
        double r = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * (2.48015872894767294178e-05
                   + z * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
        double hz = 0.5 * z;
        double w = 1 - hz;
        return w + (((1 - w) - hz) + (z * r - x * y));
    }

    public static double Sin(double x)
    {
        if (x != x || IsInfinite(x)) return double.NaN;
        int n = Reduce(x, out double y0, out double y1);
        switch (n)
        {
            case 0: return KernelSin(y0, y1);
            case 1: return KernelCos(y0, y1);
            case 2: return -KernelSin(y0, y1);
            default: return -KernelCos(y0, y1);
        }
    }

    public static double Cos(double x)
    {
        if (x != x || IsInfinite(x)) return double.NaN;
        int n = Reduce(x, out double y0, out double y1);
        switch (n)
        {
            case 0: return KernelCos(y0, y1);
            case 1: return -KernelSin(y0, y1);
            case 2: return -KernelCos(y0, y1);
            default: return KernelSin(y0, y1);
        }
    }

    public static double Tan(double x) => Sin(x) / Cos(x);

    private static bool IsInfinite(double x) => x == double.PositiveInfinity || x == double.NegativeInfinity;
}

public static class MathF
{
    public const float PI = 3.14159265f;
    public static float Round(float a) => (float)Math.Round(a);
    public static float Sqrt(float a) => (float)Math.Sqrt(a);
    public static float Abs(float a) => a < 0 ? -a : a;
    public static float Floor(float a) => (float)Math.Floor(a);
    public static float Ceiling(float a) => (float)Math.Ceiling(a);
    public static float Sin(float a) => (float)Math.Sin(a);
    public static float Cos(float a) => (float)Math.Cos(a);
    public static float Pow(float x, float y) => (float)Math.Pow(x, y);
    public static float Exp(float a) => (float)Math.Exp(a);
    public static float Log(float a) => (float)Math.Log(a);
}

public static class BitConverter
{
    public static unsafe long DoubleToInt64Bits(double value) => *(long*)&value;
    public static unsafe double Int64BitsToDouble(long value) => *(double*)&value;
    public static unsafe int SingleToInt32Bits(float value) => *(int*)&value;
    public static unsafe float Int32BitsToSingle(int value) => *(float*)&value;
    public static ulong DoubleToUInt64Bits(double value) => (ulong)DoubleToInt64Bits(value);
}
