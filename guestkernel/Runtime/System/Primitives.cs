// Primitive value types. csc and ILC recognise them by name in the system module; the methods
// here are what guests actually call (ToString for concatenation, a few helpers ILC looks up by
// name for floating-point and checked conversions).
using System.Runtime.CompilerServices;

namespace System;

public readonly struct Boolean : IEquatable<bool>
{
    private readonly bool m_value;
    public bool Equals(bool other) => m_value == other;
    public override int GetHashCode() => m_value ? 1 : 0;
    public override string ToString() => m_value ? "True" : "False";
}

public readonly struct Char : IEquatable<char>, IComparable<char>
{
    private readonly char m_value;
    public bool Equals(char other) => m_value == other;
    public int CompareTo(char other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public override string ToString() => string.FromChar(m_value);
    public static bool IsDigit(char c) => c >= '0' && c <= '9';
    // ASCII only: guests have no Unicode tables.
    public static bool IsLetter(char c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';
    public static bool IsLetterOrDigit(char c) => IsLetter(c) || IsDigit(c);
    public static bool IsUpper(char c) => c >= 'A' && c <= 'Z';
    public static bool IsLower(char c) => c >= 'a' && c <= 'z';
    public static char ToUpper(char c) => IsLower(c) ? (char)(c - 32) : c;
    public static char ToLower(char c) => IsUpper(c) ? (char)(c + 32) : c;
    public static bool IsWhiteSpace(char c) => c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

public readonly struct SByte : IEquatable<sbyte>, IComparable<sbyte>
{
    private readonly sbyte m_value;
    public bool Equals(sbyte other) => m_value == other;
    public int CompareTo(sbyte other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public const sbyte MaxValue = 127;
    public const sbyte MinValue = -128;
    public override string ToString() => Number.Format(m_value);
}

public readonly struct Byte : IEquatable<byte>, IComparable<byte>
{
    private readonly byte m_value;
    public bool Equals(byte other) => m_value == other;
    public int CompareTo(byte other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public const byte MaxValue = 255;
    public const byte MinValue = 0;
    public override string ToString() => Number.Format(m_value);
}

public readonly struct Int16 : IEquatable<short>, IComparable<short>
{
    private readonly short m_value;
    public bool Equals(short other) => m_value == other;
    public int CompareTo(short other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public const short MaxValue = 32767;
    public const short MinValue = -32768;
    public override string ToString() => Number.Format(m_value);
}

public readonly struct UInt16 : IEquatable<ushort>, IComparable<ushort>
{
    private readonly ushort m_value;
    public bool Equals(ushort other) => m_value == other;
    public int CompareTo(ushort other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public const ushort MaxValue = 65535;
    public const ushort MinValue = 0;
    public override string ToString() => Number.Format(m_value);
}

public readonly struct Int32 : IEquatable<int>, IComparable<int>
{
    private readonly int m_value;
    public bool Equals(int other) => m_value == other;
    public int CompareTo(int other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public const int MaxValue = 0x7FFFFFFF;
    public const int MinValue = unchecked((int)0x80000000);
    public override string ToString() => Number.Format(m_value);
    public override int GetHashCode() => m_value;
    public override bool Equals(object? obj) => obj is int other && other == m_value;

    public static bool TryParse(string? s, out int result)
    {
        result = 0;
        if (!Number.TryParseSigned(s, out long value) || value < MinValue || value > MaxValue)
            return false;
        result = (int)value;
        return true;
    }

    public static int Parse(string s)
    {
        if (!TryParse(s, out int result))
            throw new FormatException("Input string was not a valid Int32.");
        return result;
    }
}

public readonly struct UInt32 : IEquatable<uint>, IComparable<uint>
{
    private readonly uint m_value;
    public bool Equals(uint other) => m_value == other;
    public int CompareTo(uint other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public const uint MaxValue = 0xFFFFFFFF;
    public const uint MinValue = 0;
    public override string ToString() => Number.Format(m_value);
    public override int GetHashCode() => (int)m_value;
}

public readonly struct Int64 : IEquatable<long>, IComparable<long>
{
    private readonly long m_value;
    public bool Equals(long other) => m_value == other;
    public int CompareTo(long other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public const long MaxValue = 0x7FFFFFFFFFFFFFFF;
    public const long MinValue = unchecked((long)0x8000000000000000);
    public override string ToString() => Number.Format(m_value);
    public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);

    public static bool TryParse(string? s, out long result) => Number.TryParseSigned(s, out result);

    // ILC looks this helper up by name for checked 64-bit multiplication.
    internal static long MultiplyChecked(long a, long b)
    {
        long result = a * b;
        if (a != 0 && (result / a != b || (a == -1 && b == MinValue)))
            ThrowHelpers.ThrowOverflowException();
        return result;
    }
}

public readonly struct UInt64 : IEquatable<ulong>, IComparable<ulong>
{
    private readonly ulong m_value;
    public bool Equals(ulong other) => m_value == other;
    public int CompareTo(ulong other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public const ulong MaxValue = 0xFFFFFFFFFFFFFFFF;
    public const ulong MinValue = 0;
    public override string ToString() => Number.Format(m_value);
    public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);

    internal static ulong MultiplyChecked(ulong a, ulong b)
    {
        ulong result = a * b;
        if (a != 0 && result / a != b)
            ThrowHelpers.ThrowOverflowException();
        return result;
    }
}

public readonly unsafe struct IntPtr
{
    private readonly void* _value;
    public static readonly nint Zero;
    public IntPtr(void* value) { _value = value; }
    public IntPtr(int value) { _value = (void*)value; }
    public IntPtr(long value) { _value = (void*)value; }
    public static int Size => sizeof(nint);
    public void* ToPointer() => _value;
    public long ToInt64() => (long)_value;
    public override string ToString() => Number.Format((long)_value);
    public static explicit operator IntPtr(void* value) => new IntPtr(value);
    public static explicit operator void*(IntPtr value) => value._value;
    public static explicit operator IntPtr(long value) => new IntPtr(value);
    public static explicit operator long(IntPtr value) => (long)value._value;
    public static explicit operator IntPtr(int value) => new IntPtr(value);
    public static explicit operator int(IntPtr value) => (int)(long)value._value;
    public static bool operator ==(IntPtr a, IntPtr b) => a._value == b._value;
    public static bool operator !=(IntPtr a, IntPtr b) => a._value != b._value;
    public override bool Equals(object? obj) => obj is IntPtr other && other._value == _value;
    public override int GetHashCode() => (int)(long)_value;
}

public readonly unsafe struct UIntPtr
{
    private readonly void* _value;
    public static readonly nuint Zero;
    public UIntPtr(void* value) { _value = value; }
    public UIntPtr(uint value) { _value = (void*)value; }
    public UIntPtr(ulong value) { _value = (void*)value; }
    public static int Size => sizeof(nuint);
    public void* ToPointer() => _value;
    public ulong ToUInt64() => (ulong)_value;
    public override string ToString() => Number.Format((ulong)_value);
    public static explicit operator UIntPtr(void* value) => new UIntPtr(value);
    public static explicit operator void*(UIntPtr value) => value._value;
    public static explicit operator UIntPtr(ulong value) => new UIntPtr(value);
    public static explicit operator ulong(UIntPtr value) => (ulong)value._value;
    public static explicit operator UIntPtr(uint value) => new UIntPtr(value);
    public static explicit operator uint(UIntPtr value) => (uint)(ulong)value._value;
    public static bool operator ==(UIntPtr a, UIntPtr b) => a._value == b._value;
    public static bool operator !=(UIntPtr a, UIntPtr b) => a._value != b._value;
    public override bool Equals(object? obj) => obj is UIntPtr other && other._value == _value;
    public override int GetHashCode() => (int)(ulong)_value;
}

public readonly struct Single
{
    private readonly float m_value;
    public override string ToString() => Number.Format((double)m_value);

    // ILC looks this up by name for `%` on float.
    internal static float Remainder(float a, float b) => (float)Double.Remainder(a, b);
}

public readonly struct Double
{
    private readonly double m_value;
    public override string ToString() => Number.Format(m_value);
    public static bool IsNaN(double d) => d != d;

    // Helpers ILC looks up by name for conversions the JIT does not expand inline.
    internal static double Remainder(double a, double b)
    {
        if (b == 0 || a != a || b != b)
            return 0.0 / 0.0;
        double q = a / b;
        long whole = (long)q;
        return a - whole * b;
    }

    internal static ulong ConvertToUInt64(double value)
    {
        const double two63 = 9223372036854775808.0;
        if (value != value || value <= -1.0)
            return 0;
        if (value < two63)
            return (ulong)(long)value;
        if (value < 2 * two63)
            return (ulong)(long)(value - two63) + 0x8000000000000000UL;
        return ulong.MaxValue;
    }

    internal static int ConvertToInt32Checked(double value)
    {
        if (!(value > -2147483649.0 && value < 2147483648.0))
            ThrowHelpers.ThrowOverflowException();
        return (int)value;
    }

    internal static uint ConvertToUInt32Checked(double value)
    {
        if (!(value > -1.0 && value < 4294967296.0))
            ThrowHelpers.ThrowOverflowException();
        return (uint)(long)value;
    }

    internal static long ConvertToInt64Checked(double value)
    {
        if (!(value > -9223372036854777856.0 && value < 9223372036854775808.0))
            ThrowHelpers.ThrowOverflowException();
        return (long)value;
    }

    internal static ulong ConvertToUInt64Checked(double value)
    {
        if (!(value > -1.0 && value < 18446744073709551616.0))
            ThrowHelpers.ThrowOverflowException();
        return ConvertToUInt64(value);
    }

    internal static double ConvertFromInt64(long value) => value;

    internal static double ConvertFromUInt64(ulong value)
    {
        if ((long)value >= 0)
            return (long)value;
        // Halve (keeping the low bit for correct rounding), convert, double.
        long half = (long)((value >> 1) | (value & 1));
        double d = half;
        return d + d;
    }
}

public static class Math
{
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
    public static int Abs(int value) => value < 0 ? checked(-value) : value;
    public static double Abs(double value) => value < 0 ? -value : value;

    // The JIT turns this into sqrtsd; the recursive body is never executed.
    [System.Runtime.CompilerServices.Intrinsic]
    public static double Sqrt(double d) => Sqrt(d);
    public static long Abs(long value) => value < 0 ? checked(-value) : value;

    // Round half to even (what the JIT's helper is expected to do).
    public static double Round(double a)
    {
        double floor = (double)(long)a;
        if (floor > a) floor -= 1;
        double diff = a - floor;
        if (diff > 0.5) return floor + 1;
        if (diff < 0.5) return floor;
        return ((long)floor & 1) == 0 ? floor : floor + 1;
    }
}

public static class MathF
{
    public static float Round(float a) => (float)Math.Round(a);
}
