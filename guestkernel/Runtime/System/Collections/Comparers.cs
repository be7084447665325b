// EqualityComparer<T>.Default and Comparer<T>.Default without a type loader: primitives and
// strings get dedicated comparers (chosen once per T by comparing typeof(T); no boxing per
// call), every other T a comparer that asks the value itself: IEquatable<T>/IComparable<T>
// through an interface cast (which boxes value types), enums by their number, else
// Equals/GetHashCode. No generic virtual methods are involved (this runtime cannot call them).
namespace System.Collections.Generic;

public abstract class EqualityComparer<T> : IEqualityComparer<T>
{
    private static EqualityComparer<T>? s_default;

    public static EqualityComparer<T> Default => s_default ??= Create();

    public abstract bool Equals(T? x, T? y);
    public abstract int GetHashCode(T obj);

    private static EqualityComparer<T> Create()
    {
        object comparer;
        if (typeof(T) == typeof(int)) comparer = new Int32EqualityComparer();
        else if (typeof(T) == typeof(long)) comparer = new Int64EqualityComparer();
        else if (typeof(T) == typeof(uint)) comparer = new UInt32EqualityComparer();
        else if (typeof(T) == typeof(ulong)) comparer = new UInt64EqualityComparer();
        else if (typeof(T) == typeof(char)) comparer = new CharEqualityComparer();
        else if (typeof(T) == typeof(byte)) comparer = new ByteEqualityComparer();
        else if (typeof(T) == typeof(double)) comparer = new DoubleEqualityComparer();
        else if (typeof(T) == typeof(string)) comparer = new StringEqualityComparer();
        else return new ObjectEqualityComparer<T>();
        return (EqualityComparer<T>)comparer;
    }
}

public abstract class Comparer<T> : IComparer<T>
{
    private static Comparer<T>? s_default;

    public static Comparer<T> Default => s_default ??= Create();

    public abstract int Compare(T? x, T? y);

    public static Comparer<T> Create(Comparison<T> comparison) => new ComparisonComparer<T>(comparison);

    private static Comparer<T> Create()
    {
        object comparer;
        if (typeof(T) == typeof(int)) comparer = new Int32OrderComparer();
        else if (typeof(T) == typeof(long)) comparer = new Int64OrderComparer();
        else if (typeof(T) == typeof(uint)) comparer = new UInt32OrderComparer();
        else if (typeof(T) == typeof(ulong)) comparer = new UInt64OrderComparer();
        else if (typeof(T) == typeof(char)) comparer = new CharOrderComparer();
        else if (typeof(T) == typeof(byte)) comparer = new ByteOrderComparer();
        else if (typeof(T) == typeof(double)) comparer = new DoubleOrderComparer();
        else if (typeof(T) == typeof(string)) comparer = new StringOrderComparer();
        else return new ObjectComparer<T>();
        return (Comparer<T>)comparer;
    }
}

internal sealed class Int32EqualityComparer : EqualityComparer<int>
{
    public override bool Equals(int x, int y) => x == y;
    public override int GetHashCode(int obj) => obj;
}

internal sealed class Int32OrderComparer : Comparer<int>
{
    public override int Compare(int x, int y) => x < y ? -1 : x > y ? 1 : 0;
}

internal sealed class Int64EqualityComparer : EqualityComparer<long>
{
    public override bool Equals(long x, long y) => x == y;
    public override int GetHashCode(long obj) => (int)obj ^ (int)(obj >> 32);
}

internal sealed class Int64OrderComparer : Comparer<long>
{
    public override int Compare(long x, long y) => x < y ? -1 : x > y ? 1 : 0;
}

internal sealed class UInt32EqualityComparer : EqualityComparer<uint>
{
    public override bool Equals(uint x, uint y) => x == y;
    public override int GetHashCode(uint obj) => (int)obj;
}

internal sealed class UInt32OrderComparer : Comparer<uint>
{
    public override int Compare(uint x, uint y) => x < y ? -1 : x > y ? 1 : 0;
}

internal sealed class UInt64EqualityComparer : EqualityComparer<ulong>
{
    public override bool Equals(ulong x, ulong y) => x == y;
    public override int GetHashCode(ulong obj) => (int)obj ^ (int)(obj >> 32);
}

internal sealed class UInt64OrderComparer : Comparer<ulong>
{
    public override int Compare(ulong x, ulong y) => x < y ? -1 : x > y ? 1 : 0;
}

internal sealed class CharEqualityComparer : EqualityComparer<char>
{
    public override bool Equals(char x, char y) => x == y;
    public override int GetHashCode(char obj) => obj;
}

internal sealed class CharOrderComparer : Comparer<char>
{
    public override int Compare(char x, char y) => x - y;
}

internal sealed class ByteEqualityComparer : EqualityComparer<byte>
{
    public override bool Equals(byte x, byte y) => x == y;
    public override int GetHashCode(byte obj) => obj;
}

internal sealed class ByteOrderComparer : Comparer<byte>
{
    public override int Compare(byte x, byte y) => x - y;
}

internal sealed class DoubleEqualityComparer : EqualityComparer<double>
{
    public override bool Equals(double x, double y) => x.Equals(y);
    public override int GetHashCode(double obj) => obj.GetHashCode();
}

internal sealed class DoubleOrderComparer : Comparer<double>
{
    public override int Compare(double x, double y) => x.CompareTo(y);
}

internal sealed class StringEqualityComparer : EqualityComparer<string>
{
    public override bool Equals(string? x, string? y) => string.Equals(x, y);
    public override int GetHashCode(string obj) => obj is null ? 0 : obj.GetHashCode();
}

internal sealed class StringOrderComparer : Comparer<string>
{
    public override int Compare(string? x, string? y) => x is null ? (y is null ? 0 : -1) : x.CompareTo(y);
}

internal sealed class ObjectEqualityComparer<T> : EqualityComparer<T>
{
    public override bool Equals(T? x, T? y)
    {
        if (x is null)
            return y is null;
        if (y is null)
            return false;
        if (x is IEquatable<T> equatable)
            return equatable.Equals(y);
        return x.Equals(y);
    }

    public override int GetHashCode(T obj) => obj is null ? 0 : obj.GetHashCode();
}

internal sealed class ObjectComparer<T> : Comparer<T>
{
    public override int Compare(T? x, T? y)
    {
        if (x is null)
            return y is null ? 0 : -1;
        if (y is null)
            return 1;
        if (x is IComparable<T> comparable)
            return comparable.CompareTo(y);
        if (x is Enum ex && y is Enum ey)
        {
            long a = ex.RawValue(), b = ey.RawValue();
            return a < b ? -1 : a > b ? 1 : 0;
        }
        if (x is IComparable untyped)
            return untyped.CompareTo(y);
        throw new InvalidOperationException("Failed to compare two elements: " + x.GetType().Name + " implements neither IComparable<T> nor IComparable (pass a Comparison<T> or IComparer<T>).");
    }
}

internal sealed class ComparisonComparer<T> : Comparer<T>
{
    private readonly Comparison<T> _comparison;
    public ComparisonComparer(Comparison<T> comparison) { _comparison = comparison; }
    public override int Compare(T? x, T? y) => _comparison(x!, y!);
}
