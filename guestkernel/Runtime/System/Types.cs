// Type handles and the small set of interfaces guests implement. typeof(T) works (ILC turns it
// into the type's MethodTable); reflection beyond comparing types does not exist.
using Internal.Runtime;

namespace System
{
    public unsafe struct RuntimeTypeHandle
    {
        internal readonly MethodTable* _value;
        internal RuntimeTypeHandle(MethodTable* value) { _value = value; }
        public nint Value => (nint)_value;
    }

    public struct RuntimeMethodHandle
    {
        internal readonly nint _value;
        internal RuntimeMethodHandle(nint value) { _value = value; }
        public nint Value => _value;
    }

    public struct RuntimeFieldHandle
    {
        internal readonly nint _value;
        internal RuntimeFieldHandle(nint value) { _value = value; }
        public nint Value => _value;
    }

    /// <summary>A type identity: equal for the same type, with a readable name when the image carries one.</summary>
    public abstract unsafe class Type
    {
        internal abstract MethodTable* TypeHandle { get; }

        public static Type GetTypeFromHandle(RuntimeTypeHandle handle) => new RuntimeType(handle._value);

        public string Name => TypeNames.Describe(TypeHandle);

        public static bool operator ==(Type? a, Type? b)
        {
            if ((object?)a == b) return true;
            if (a is null || b is null) return false;
            return a.TypeHandle == b.TypeHandle;
        }

        public static bool operator !=(Type? a, Type? b) => !(a == b);

        public override bool Equals(object? o) => o is Type t && t.TypeHandle == TypeHandle;

        public override int GetHashCode() => (int)(nint)TypeHandle;

        public override string ToString() => Name;
    }

    internal sealed unsafe class RuntimeType : Type
    {
        private readonly MethodTable* _handle;
        internal RuntimeType(MethodTable* handle) { _handle = handle; }
        internal override MethodTable* TypeHandle => _handle;
    }

    public interface IDisposable
    {
        void Dispose();
    }

    public interface IEquatable<T>
    {
        bool Equals(T other);
    }

    public interface IComparable<in T>
    {
        int CompareTo(T? other);
    }

    public interface IComparable
    {
        int CompareTo(object? obj);
    }

    /// <summary>A value that formats itself with a format string ("X4", "F2", "0.00").</summary>
    public interface IFormattable
    {
        string ToString(string? format, IFormatProvider? formatProvider);
    }

    /// <summary>Accepted and ignored: guests always format with the invariant culture.</summary>
    public interface IFormatProvider
    {
        object? GetFormat(Type? formatType);
    }
}

namespace System.Collections.Generic
{
    public interface IEqualityComparer<in T>
    {
        bool Equals(T? x, T? y);
        int GetHashCode(T obj);
    }

    public interface IComparer<in T>
    {
        int Compare(T? x, T? y);
    }

    public class KeyNotFoundException : SystemException
    {
        public KeyNotFoundException() : base("The given key was not present.") { }
        public KeyNotFoundException(string? message) : base(message) { }
    }
}

namespace System.Globalization
{
    /// <summary>Only the invariant culture exists in a guest; CurrentCulture is it too.</summary>
    public sealed class CultureInfo : IFormatProvider
    {
        private CultureInfo() { }
        public static CultureInfo InvariantCulture { get; } = new CultureInfo();
        public static CultureInfo CurrentCulture => InvariantCulture;
        public string Name => "";
        public object? GetFormat(Type? formatType) => null;
    }
}
