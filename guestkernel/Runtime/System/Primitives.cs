// Primitive value types. csc and ILC recognise them by name in the system module; the methods
// here are what guests actually call: ToString with .NET's numeric format strings (invariant
// culture, Internal.Formatting), Parse/TryParse, comparisons, and a few helpers ILC looks up by
// name for floating-point and checked conversions.
using System.Runtime.CompilerServices;
using Internal.Formatting;

namespace System;

public readonly struct Boolean : IEquatable<bool>
{
    private readonly bool m_value;
    public bool Equals(bool other) => m_value == other;
    public override int GetHashCode() => m_value ? 1 : 0;
    public override string ToString() => m_value ? "True" : "False";
    public override bool Equals(object? obj) => obj is bool other && other == m_value;
    public int CompareTo(bool other) => m_value == other ? 0 : m_value ? 1 : -1;
    public const string TrueString = "True";
    public const string FalseString = "False";

    public static bool TryParse(string? value, out bool result)
    {
        string t = value == null ? "" : value.Trim();
        result = string.Equals(t, "True", StringComparison.OrdinalIgnoreCase);
        return result || string.Equals(t, "False", StringComparison.OrdinalIgnoreCase);
    }

    public static bool Parse(string value)
    {
        if (!TryParse(value, out bool result))
            throw new FormatException("String '" + value + "' was not recognized as a valid Boolean.");
        return result;
    }
}

public readonly struct Char : IEquatable<char>, IComparable<char>
{
    private readonly char m_value;
    public bool Equals(char other) => m_value == other;
    public int CompareTo(char other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public override string ToString() => string.FromChar(m_value);
    public static string ToString(char c) => string.FromChar(c);
    public override bool Equals(object? obj) => obj is char other && other == m_value;
    public const char MaxValue = '\uffff';
    public const char MinValue = '\0';
    public static bool IsPunctuation(char c) => (c >= '!' && c <= '/' && c != '$' && c != '+') || (c >= ':' && c <= '@' && c != '<' && c != '=' && c != '>') || (c >= '[' && c <= '_' && c != '^') || c == '{' || c == '}';
    public static bool IsAsciiDigit(char c) => IsDigit(c);
    public static bool IsAsciiLetter(char c) => IsLetter(c);
    public static double GetNumericValue(char c) => IsDigit(c) ? c - '0' : -1;
    public static bool IsDigit(char c) => c >= '0' && c <= '9';
    // ASCII only: guests have no Unicode tables.
    public static bool IsLetter(char c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';
    public static bool IsLetterOrDigit(char c) => IsLetter(c) || IsDigit(c);
    public static bool IsUpper(char c) => c >= 'A' && c <= 'Z';
    public static bool IsLower(char c) => c >= 'a' && c <= 'z';
    public static char ToUpper(char c) => IsLower(c) ? (char)(c - 32) : c;
    public static char ToLower(char c) => IsUpper(c) ? (char)(c + 32) : c;
    public static bool IsWhiteSpace(char c) => c == ' ' || (c >= '\t' && c <= '\r') || c == '\u00A0' || c == '\u0085';
}

public readonly struct SByte : IEquatable<sbyte>, IComparable<sbyte>, IFormattable
{
    private readonly sbyte m_value;
    public bool Equals(sbyte other) => m_value == other;
    public int CompareTo(sbyte other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public const sbyte MaxValue = 127;
    public const sbyte MinValue = -128;
    public override string ToString() => NumberFormatter.Decimal(m_value < 0 ? unchecked(0 - (ulong)m_value) : (ulong)m_value, m_value < 0);
    public string ToString(string? format) => NumberFormatter.FormatInt64(m_value, format, 1);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public static sbyte Parse(string s, IFormatProvider? provider) => Parse(s);
    public static bool TryParse(string? s, IFormatProvider? provider, out sbyte result) => TryParse(s, out result);
    public static bool TryParse(string? s, out sbyte result)
    {
        bool ok = NumberParser.ParseInt64(s, MinValue, MaxValue, out long v) == NumberParser.Result.Ok;
        result = ok ? (sbyte)v : (sbyte)0;
        return ok;
    }

    public static sbyte Parse(string s)
    {
        NumberParser.Result r = NumberParser.ParseInt64(s, MinValue, MaxValue, out long v);
        if (r != NumberParser.Result.Ok)
            NumberText.ThrowParse(r, s, "SByte");
        return (sbyte)v;
    }
    public override bool Equals(object? obj) => obj is sbyte other && other == m_value;
}

public readonly struct Byte : IEquatable<byte>, IComparable<byte>, IFormattable
{
    private readonly byte m_value;
    public bool Equals(byte other) => m_value == other;
    public int CompareTo(byte other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public const byte MaxValue = 255;
    public const byte MinValue = 0;
    public override string ToString() => NumberFormatter.Decimal(m_value, false);
    public string ToString(string? format) => NumberFormatter.FormatUInt64(m_value, format);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public static byte Parse(string s, IFormatProvider? provider) => Parse(s);
    public static bool TryParse(string? s, IFormatProvider? provider, out byte result) => TryParse(s, out result);
    public static bool TryParse(string? s, out byte result)
    {
        bool ok = NumberParser.ParseUInt64(s, MaxValue, out ulong v) == NumberParser.Result.Ok;
        result = ok ? (byte)v : (byte)0;
        return ok;
    }

    public static byte Parse(string s)
    {
        NumberParser.Result r = NumberParser.ParseUInt64(s, MaxValue, out ulong v);
        if (r != NumberParser.Result.Ok)
            NumberText.ThrowParse(r, s, "Byte");
        return (byte)v;
    }
    public override bool Equals(object? obj) => obj is byte other && other == m_value;
}

public readonly struct Int16 : IEquatable<short>, IComparable<short>, IFormattable
{
    private readonly short m_value;
    public bool Equals(short other) => m_value == other;
    public int CompareTo(short other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public const short MaxValue = 32767;
    public const short MinValue = -32768;
    public override string ToString() => NumberFormatter.Decimal(m_value < 0 ? unchecked(0 - (ulong)m_value) : (ulong)m_value, m_value < 0);
    public string ToString(string? format) => NumberFormatter.FormatInt64(m_value, format, 2);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public static short Parse(string s, IFormatProvider? provider) => Parse(s);
    public static bool TryParse(string? s, IFormatProvider? provider, out short result) => TryParse(s, out result);
    public static bool TryParse(string? s, out short result)
    {
        bool ok = NumberParser.ParseInt64(s, MinValue, MaxValue, out long v) == NumberParser.Result.Ok;
        result = ok ? (short)v : (short)0;
        return ok;
    }

    public static short Parse(string s)
    {
        NumberParser.Result r = NumberParser.ParseInt64(s, MinValue, MaxValue, out long v);
        if (r != NumberParser.Result.Ok)
            NumberText.ThrowParse(r, s, "Int16");
        return (short)v;
    }
    public override bool Equals(object? obj) => obj is short other && other == m_value;
}

public readonly struct UInt16 : IEquatable<ushort>, IComparable<ushort>, IFormattable
{
    private readonly ushort m_value;
    public bool Equals(ushort other) => m_value == other;
    public int CompareTo(ushort other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public override int GetHashCode() => m_value;
    public const ushort MaxValue = 65535;
    public const ushort MinValue = 0;
    public override string ToString() => NumberFormatter.Decimal(m_value, false);
    public string ToString(string? format) => NumberFormatter.FormatUInt64(m_value, format);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public static ushort Parse(string s, IFormatProvider? provider) => Parse(s);
    public static bool TryParse(string? s, IFormatProvider? provider, out ushort result) => TryParse(s, out result);
    public static bool TryParse(string? s, out ushort result)
    {
        bool ok = NumberParser.ParseUInt64(s, MaxValue, out ulong v) == NumberParser.Result.Ok;
        result = ok ? (ushort)v : (ushort)0;
        return ok;
    }

    public static ushort Parse(string s)
    {
        NumberParser.Result r = NumberParser.ParseUInt64(s, MaxValue, out ulong v);
        if (r != NumberParser.Result.Ok)
            NumberText.ThrowParse(r, s, "UInt16");
        return (ushort)v;
    }
    public override bool Equals(object? obj) => obj is ushort other && other == m_value;
}

public readonly struct Int32 : IEquatable<int>, IComparable<int>, IFormattable
{
    private readonly int m_value;
    public bool Equals(int other) => m_value == other;
    public int CompareTo(int other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public const int MaxValue = 0x7FFFFFFF;
    public const int MinValue = unchecked((int)0x80000000);
    public override int GetHashCode() => m_value;
    public override bool Equals(object? obj) => obj is int other && other == m_value;


    public override string ToString() => NumberFormatter.Decimal(m_value < 0 ? unchecked(0 - (ulong)m_value) : (ulong)m_value, m_value < 0);
    public string ToString(string? format) => NumberFormatter.FormatInt64(m_value, format, 4);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public static int Parse(string s, IFormatProvider? provider) => Parse(s);
    public static bool TryParse(string? s, IFormatProvider? provider, out int result) => TryParse(s, out result);
    public static bool TryParse(string? s, out int result)
    {
        bool ok = NumberParser.ParseInt64(s, MinValue, MaxValue, out long v) == NumberParser.Result.Ok;
        result = ok ? (int)v : (int)0;
        return ok;
    }

    public static int Parse(string s)
    {
        NumberParser.Result r = NumberParser.ParseInt64(s, MinValue, MaxValue, out long v);
        if (r != NumberParser.Result.Ok)
            NumberText.ThrowParse(r, s, "Int32");
        return (int)v;
    }

    /// <summary>Formats into <paramref name="destination"/> with a format string.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider = null)
    {
        if (format.Length == 0)
            return TryFormat(destination, out charsWritten);
        charsWritten = 0;
        string text = ToString(new string(format));
        if (text.Length > destination.Length)
            return false;
        for (int i = 0; i < text.Length; i++)
            destination[i] = text[i];
        charsWritten = text.Length;
        return true;
    }

    /// <summary>Decimal text into <paramref name="destination"/> without allocating (what the
    /// console uses; it keeps the format-string machinery out of images that never format).</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        Span<char> buffer = stackalloc char[24];
        int at = NumberFormatter.WriteDecimal((m_value < 0 ? unchecked(0 - (ulong)m_value) : (ulong)m_value), m_value < 0, buffer);
        int n = 24 - at;
        if (n > destination.Length)
            return false;
        for (int i = 0; i < n; i++)
            destination[i] = buffer[at + i];
        charsWritten = n;
        return true;
    }
}

public readonly struct UInt32 : IEquatable<uint>, IComparable<uint>, IFormattable
{
    private readonly uint m_value;
    public bool Equals(uint other) => m_value == other;
    public int CompareTo(uint other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public const uint MaxValue = 0xFFFFFFFF;
    public const uint MinValue = 0;
    public override int GetHashCode() => (int)m_value;
    public override string ToString() => NumberFormatter.Decimal(m_value, false);
    public string ToString(string? format) => NumberFormatter.FormatUInt64(m_value, format);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public static uint Parse(string s, IFormatProvider? provider) => Parse(s);
    public static bool TryParse(string? s, IFormatProvider? provider, out uint result) => TryParse(s, out result);
    public static bool TryParse(string? s, out uint result)
    {
        bool ok = NumberParser.ParseUInt64(s, MaxValue, out ulong v) == NumberParser.Result.Ok;
        result = ok ? (uint)v : (uint)0;
        return ok;
    }

    public static uint Parse(string s)
    {
        NumberParser.Result r = NumberParser.ParseUInt64(s, MaxValue, out ulong v);
        if (r != NumberParser.Result.Ok)
            NumberText.ThrowParse(r, s, "UInt32");
        return (uint)v;
    }
    public override bool Equals(object? obj) => obj is uint other && other == m_value;

    /// <summary>Formats into <paramref name="destination"/> with a format string.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider = null)
    {
        if (format.Length == 0)
            return TryFormat(destination, out charsWritten);
        charsWritten = 0;
        string text = ToString(new string(format));
        if (text.Length > destination.Length)
            return false;
        for (int i = 0; i < text.Length; i++)
            destination[i] = text[i];
        charsWritten = text.Length;
        return true;
    }

    /// <summary>Decimal text into <paramref name="destination"/> without allocating (what the
    /// console uses; it keeps the format-string machinery out of images that never format).</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        Span<char> buffer = stackalloc char[24];
        int at = NumberFormatter.WriteDecimal(m_value, false, buffer);
        int n = 24 - at;
        if (n > destination.Length)
            return false;
        for (int i = 0; i < n; i++)
            destination[i] = buffer[at + i];
        charsWritten = n;
        return true;
    }
}

public readonly struct Int64 : IEquatable<long>, IComparable<long>, IFormattable
{
    private readonly long m_value;
    public bool Equals(long other) => m_value == other;
    public int CompareTo(long other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public const long MaxValue = 0x7FFFFFFFFFFFFFFF;
    public const long MinValue = unchecked((long)0x8000000000000000);
    public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);


    // ILC looks this helper up by name for checked 64-bit multiplication.
    internal static long MultiplyChecked(long a, long b)
    {
        long result = a * b;
        if (a != 0 && (result / a != b || (a == -1 && b == MinValue)))
            ThrowHelpers.ThrowOverflowException();
        return result;
    }
    public override string ToString() => NumberFormatter.Decimal(m_value < 0 ? unchecked(0 - (ulong)m_value) : (ulong)m_value, m_value < 0);
    public string ToString(string? format) => NumberFormatter.FormatInt64(m_value, format, 8);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public static long Parse(string s, IFormatProvider? provider) => Parse(s);
    public static bool TryParse(string? s, IFormatProvider? provider, out long result) => TryParse(s, out result);
    public static bool TryParse(string? s, out long result)
    {
        bool ok = NumberParser.ParseInt64(s, MinValue, MaxValue, out long v) == NumberParser.Result.Ok;
        result = ok ? (long)v : (long)0;
        return ok;
    }

    public static long Parse(string s)
    {
        NumberParser.Result r = NumberParser.ParseInt64(s, MinValue, MaxValue, out long v);
        if (r != NumberParser.Result.Ok)
            NumberText.ThrowParse(r, s, "Int64");
        return (long)v;
    }
    public override bool Equals(object? obj) => obj is long other && other == m_value;

    /// <summary>Formats into <paramref name="destination"/> with a format string.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider = null)
    {
        if (format.Length == 0)
            return TryFormat(destination, out charsWritten);
        charsWritten = 0;
        string text = ToString(new string(format));
        if (text.Length > destination.Length)
            return false;
        for (int i = 0; i < text.Length; i++)
            destination[i] = text[i];
        charsWritten = text.Length;
        return true;
    }

    /// <summary>Decimal text into <paramref name="destination"/> without allocating (what the
    /// console uses; it keeps the format-string machinery out of images that never format).</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        Span<char> buffer = stackalloc char[24];
        int at = NumberFormatter.WriteDecimal((m_value < 0 ? unchecked(0 - (ulong)m_value) : (ulong)m_value), m_value < 0, buffer);
        int n = 24 - at;
        if (n > destination.Length)
            return false;
        for (int i = 0; i < n; i++)
            destination[i] = buffer[at + i];
        charsWritten = n;
        return true;
    }
}

public readonly struct UInt64 : IEquatable<ulong>, IComparable<ulong>, IFormattable
{
    private readonly ulong m_value;
    public bool Equals(ulong other) => m_value == other;
    public int CompareTo(ulong other) => m_value < other ? -1 : m_value > other ? 1 : 0;
    public const ulong MaxValue = 0xFFFFFFFFFFFFFFFF;
    public const ulong MinValue = 0;
    public override int GetHashCode() => (int)m_value ^ (int)(m_value >> 32);

    internal static ulong MultiplyChecked(ulong a, ulong b)
    {
        ulong result = a * b;
        if (a != 0 && result / a != b)
            ThrowHelpers.ThrowOverflowException();
        return result;
    }
    public override string ToString() => NumberFormatter.Decimal(m_value, false);
    public string ToString(string? format) => NumberFormatter.FormatUInt64(m_value, format);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public static ulong Parse(string s, IFormatProvider? provider) => Parse(s);
    public static bool TryParse(string? s, IFormatProvider? provider, out ulong result) => TryParse(s, out result);
    public static bool TryParse(string? s, out ulong result)
    {
        bool ok = NumberParser.ParseUInt64(s, MaxValue, out ulong v) == NumberParser.Result.Ok;
        result = ok ? (ulong)v : (ulong)0;
        return ok;
    }

    public static ulong Parse(string s)
    {
        NumberParser.Result r = NumberParser.ParseUInt64(s, MaxValue, out ulong v);
        if (r != NumberParser.Result.Ok)
            NumberText.ThrowParse(r, s, "UInt64");
        return (ulong)v;
    }
    public override bool Equals(object? obj) => obj is ulong other && other == m_value;

    /// <summary>Formats into <paramref name="destination"/> with a format string.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider = null)
    {
        if (format.Length == 0)
            return TryFormat(destination, out charsWritten);
        charsWritten = 0;
        string text = ToString(new string(format));
        if (text.Length > destination.Length)
            return false;
        for (int i = 0; i < text.Length; i++)
            destination[i] = text[i];
        charsWritten = text.Length;
        return true;
    }

    /// <summary>Decimal text into <paramref name="destination"/> without allocating (what the
    /// console uses; it keeps the format-string machinery out of images that never format).</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        Span<char> buffer = stackalloc char[24];
        int at = NumberFormatter.WriteDecimal(m_value, false, buffer);
        int n = 24 - at;
        if (n > destination.Length)
            return false;
        for (int i = 0; i < n; i++)
            destination[i] = buffer[at + i];
        charsWritten = n;
        return true;
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
    public override string ToString() => NumberText.Decimal((long)_value);
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
    public override string ToString() => NumberFormatter.Decimal((ulong)_value, false);
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

public readonly struct Single : IEquatable<float>, IComparable<float>, IFormattable
{
    private readonly float m_value;
    public const float MaxValue = 3.40282347E+38f;
    public const float MinValue = -3.40282347E+38f;
    public const float Epsilon = 1.401298E-45f;
    public const float NaN = 0.0f / 0.0f;
    public const float PositiveInfinity = 1.0f / 0.0f;
    public const float NegativeInfinity = -1.0f / 0.0f;
    public override string ToString() => NumberFormatter.FormatSingle(m_value, null);
    public string ToString(string? format) => NumberFormatter.FormatSingle(m_value, format);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public bool Equals(float other) => m_value == other || (m_value != m_value && other != other);
    public override bool Equals(object? obj) => obj is float other && Equals(other);
    public override int GetHashCode() => BitConverter.SingleToInt32Bits(m_value == 0 ? 0 : m_value);
    public int CompareTo(float other) => m_value < other ? -1 : m_value > other ? 1 : m_value == other ? 0 : m_value != m_value ? (other != other ? 0 : -1) : 1;
    public static bool IsNaN(float f) => f != f;
    public static bool IsInfinity(float f) => f == PositiveInfinity || f == NegativeInfinity;
    public static bool IsFinite(float f) => !IsNaN(f) && !IsInfinity(f);
    public static bool TryParse(string? s, out float result)
    {
        bool ok = NumberParser.TryParseDouble(s, out double d);
        result = (float)d;
        return ok;
    }
    public static bool TryParse(string? s, IFormatProvider? provider, out float result) => TryParse(s, out result);
    public static float Parse(string s) => (float)Double.Parse(s);
    public static float Parse(string s, IFormatProvider? provider) => Parse(s);

    // ILC looks this up by name for `%` on float.
    internal static float Remainder(float a, float b) => (float)Double.Remainder(a, b);
}

public readonly struct Double : IEquatable<double>, IComparable<double>, IFormattable
{
    private readonly double m_value;
    public const double MaxValue = 1.7976931348623157E+308;
    public const double MinValue = -1.7976931348623157E+308;
    public const double Epsilon = 4.9406564584124654E-324;
    public const double NaN = 0.0 / 0.0;
    public const double PositiveInfinity = 1.0 / 0.0;
    public const double NegativeInfinity = -1.0 / 0.0;
    /// <summary>Shortest text that reads back as the same double ("0.1", "1E+21"), as .NET Core 3.0+.</summary>
    public override string ToString() => NumberFormatter.FormatDouble(m_value, null);
    public string ToString(string? format) => NumberFormatter.FormatDouble(m_value, format);
    public string ToString(IFormatProvider? provider) => ToString();
    public string ToString(string? format, IFormatProvider? provider) => ToString(format);
    public bool Equals(double other) => m_value == other || (m_value != m_value && other != other);
    public override bool Equals(object? obj) => obj is double other && Equals(other);
    public override int GetHashCode()
    {
        long bits = BitConverter.DoubleToInt64Bits(m_value == 0 ? 0 : m_value);
        return (int)bits ^ (int)(bits >> 32);
    }
    public int CompareTo(double other) => m_value < other ? -1 : m_value > other ? 1 : m_value == other ? 0 : m_value != m_value ? (other != other ? 0 : -1) : 1;
    public static bool IsNaN(double d) => d != d;
    public static bool IsInfinity(double d) => d == PositiveInfinity || d == NegativeInfinity;
    public static bool IsPositiveInfinity(double d) => d == PositiveInfinity;
    public static bool IsNegativeInfinity(double d) => d == NegativeInfinity;
    public static bool IsFinite(double d) => !IsNaN(d) && !IsInfinity(d);
    public static bool TryParse(string? s, out double result) => NumberParser.TryParseDouble(s, out result);
    public static bool TryParse(string? s, IFormatProvider? provider, out double result) => TryParse(s, out result);
    public static double Parse(string s)
    {
        if (!NumberParser.TryParseDouble(s, out double result))
            NumberText.ThrowParse(NumberParser.Result.Format, s, "Double");
        return result;
    }
    public static double Parse(string s, IFormatProvider? provider) => Parse(s);

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

