// System.Runtime.CompilerServices: the attributes csc emits or requires (ref fields, unmanaged
// constraints, fixed buffers, nullable metadata, interpolated strings) and the intrinsics ILC
// expands itself (Unsafe, RuntimeHelpers.IsReferenceOrContainsReferences).
namespace System.Runtime.CompilerServices
{
    public static class RuntimeFeature
    {
        // csc checks these names to allow ref fields, static abstract interface members, etc.
        public const string ByRefFields = nameof(ByRefFields);
        public const string PortablePdb = nameof(PortablePdb);
        public const string DefaultImplementationsOfInterfaces = nameof(DefaultImplementationsOfInterfaces);
        public const string UnmanagedSignatureCallingConvention = nameof(UnmanagedSignatureCallingConvention);
        public const string CovariantReturnsOfClasses = nameof(CovariantReturnsOfClasses);
        public const string VirtualStaticsInInterfaces = nameof(VirtualStaticsInInterfaces);
        public const string NumericIntPtr = nameof(NumericIntPtr);
        public const string ByRefLikeGenerics = nameof(ByRefLikeGenerics);
    }

    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class IsUnmanagedAttribute : Attribute { }
    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class IsReadOnlyAttribute : Attribute { }
    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class IsByRefLikeAttribute : Attribute { }
    public static class IsExternalInit { }
    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class CompilerGeneratedAttribute : Attribute { }
    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class ExtensionAttribute : Attribute { }
    [AttributeUsage(AttributeTargets.Struct)]
    public sealed class UnsafeValueTypeAttribute : Attribute { }
    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class ScopedRefAttribute : Attribute { }
    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class RequiresLocationAttribute : Attribute { }
    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class ParamCollectionAttribute : Attribute { }
    public static class IsVolatile { }
    public static class IsConst { }

    [AttributeUsage(AttributeTargets.Field, Inherited = false)]
    public sealed class FixedBufferAttribute : Attribute
    {
        public FixedBufferAttribute(Type elementType, int length) { Length = length; }
        public int Length { get; }
    }

    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class NullableAttribute : Attribute
    {
        public readonly byte[] NullableFlags;
        public NullableAttribute(byte value) { NullableFlags = new[] { value }; }
        public NullableAttribute(byte[] value) { NullableFlags = value; }
    }

    [AttributeUsage(AttributeTargets.All, Inherited = false)]
    public sealed class NullableContextAttribute : Attribute
    {
        public readonly byte Flag;
        public NullableContextAttribute(byte value) { Flag = value; }
    }

    [AttributeUsage(AttributeTargets.Module, Inherited = false)]
    public sealed class NullablePublicOnlyAttribute : Attribute
    {
        public readonly bool IncludesInternals;
        public NullablePublicOnlyAttribute(bool value) { IncludesInternals = value; }
    }

    [AttributeUsage(AttributeTargets.Module, Inherited = false)]
    public sealed class RefSafetyRulesAttribute : Attribute
    {
        public readonly int Version;
        public RefSafetyRulesAttribute(int version) { Version = version; }
    }

    [AttributeUsage(AttributeTargets.Property, Inherited = true)]
    public sealed class IndexerNameAttribute : Attribute
    {
        public IndexerNameAttribute(string indexerName) { }
    }

    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    public sealed class InternalsVisibleToAttribute : Attribute
    {
        public InternalsVisibleToAttribute(string assemblyName) { }
    }

    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor)]
    public sealed class MethodImplAttribute : Attribute
    {
        public MethodImplAttribute(MethodImplOptions methodImplOptions) { Value = methodImplOptions; }
        public MethodImplAttribute(short value) { Value = (MethodImplOptions)value; }
        public MethodImplOptions Value { get; }
    }

    [Flags]
    public enum MethodImplOptions
    {
        Unmanaged = 4, NoInlining = 8, ForwardRef = 16, Synchronized = 32, NoOptimization = 64,
        PreserveSig = 128, AggressiveInlining = 256, AggressiveOptimization = 512, InternalCall = 4096,
    }

    // Marks methods ILC implements itself (Unsafe, Volatile, Interlocked, ...).
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Field, Inherited = false)]
    internal sealed class IntrinsicAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false)]
    public sealed class InterpolatedStringHandlerAttribute : Attribute { }

    // ILC's unboxing stubs for methods of generic structs shared over reference types
    // (List<string>.Enumerator.MoveNext called through IEnumerator<string>) find a boxed
    // value's data through this layout: the first field right after the MethodTable pointer.
    internal class RawData
    {
        public byte Data;
    }

    [AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
    public sealed class InterpolatedStringHandlerArgumentAttribute : Attribute
    {
        public InterpolatedStringHandlerArgumentAttribute(string argument) { Arguments = new[] { argument }; }
        public InterpolatedStringHandlerArgumentAttribute(params string[] arguments) { Arguments = arguments; }
        public string[] Arguments { get; }
    }

    [AttributeUsage(AttributeTargets.Struct, AllowMultiple = false)]
    public sealed class InlineArrayAttribute : Attribute
    {
        public InlineArrayAttribute(int length) { Length = length; }
        public int Length { get; }
    }

    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    public sealed class ModuleInitializerAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
    public sealed class CallerArgumentExpressionAttribute : Attribute
    {
        public CallerArgumentExpressionAttribute(string parameterName) { ParameterName = parameterName; }
        public string ParameterName { get; }
    }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
    public sealed class CallerMemberNameAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
    public sealed class CallerFilePathAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
    public sealed class CallerLineNumberAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.All, AllowMultiple = true, Inherited = false)]
    public sealed class CompilerFeatureRequiredAttribute : Attribute
    {
        public CompilerFeatureRequiredAttribute(string featureName) { }
    }

    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
    public sealed class RequiredMemberAttribute : Attribute { }

    public static class IsBoxedSentinel { }

    // Calling-convention marker types for function pointers (delegate* unmanaged[...]).
    public class CallConvCdecl { }
    public class CallConvStdcall { }
    public class CallConvThiscall { }
    public class CallConvFastcall { }
    public class CallConvSuppressGCTransition { }
    public class CallConvMemberFunction { }

    public static unsafe class RuntimeHelpers
    {
        // Offset of the first char of a string from the object start ([MT*][int length]).
        public static int OffsetToStringData => 12;

        [Intrinsic]
        public static bool IsReferenceOrContainsReferences<T>() => throw null!;

        // Copies the RVA data behind a field handle into a fresh array (csc emits this for
        // `new byte[] { 1, 2, 3 }`).
        [Intrinsic]
        public static void InitializeArray(Array array, RuntimeFieldHandle fldHandle) => throw null!;

        [Intrinsic]
        public static ReadOnlySpan<T> CreateSpan<T>(RuntimeFieldHandle fldHandle) => throw null!;

        public static bool Equals(object? o1, object? o2) => o1 == o2;

        public static int GetHashCode(object? o) => o == null ? 0 : o.GetHashCode();

        // Records call this before recursing into members; the guard page catches real overflows.
        public static void EnsureSufficientExecutionStack() { }
    }

    /// <summary>Builds `$"..."` strings: literal parts and formatted holes appended into a char buffer.</summary>
    [InterpolatedStringHandler]
    public unsafe ref struct DefaultInterpolatedStringHandler
    {
        private char[] _chars;
        private int _pos;

        public DefaultInterpolatedStringHandler(int literalLength, int formattedCount)
        {
            _chars = new char[literalLength + formattedCount * 11 + 8];
            _pos = 0;
        }

        public void AppendLiteral(string value) => Append(value);

        public void AppendFormatted<T>(T value)
        {
            if (value is not null)
                Append(value.ToString());
        }

        /// <summary>{value:format}: numbers take .NET's format strings (D, X, F, N, E, P, G, C, R
        /// and custom), other IFormattable values get the format, the rest print ToString().</summary>
        public void AppendFormatted<T>(T value, string? format) => Append(NumberText.Format(value, format));

        /// <summary>{value,alignment} and {value,alignment:format}: padded to |alignment|
        /// characters, on the left when positive, on the right when negative.</summary>
        public void AppendFormatted<T>(T value, int alignment) => Append(System.Text.Composite.Align(NumberText.Format(value, null), alignment));

        public void AppendFormatted<T>(T value, int alignment, string? format) => Append(System.Text.Composite.Align(NumberText.Format(value, format), alignment));

        public void AppendFormatted(string? value)
        {
            if (value != null)
                Append(value);
        }

        private void Append(string? value)
        {
            if (value == null)
                return;
            Grow(value.Length);
            for (int i = 0; i < value.Length; i++)
                _chars[_pos++] = value[i];
        }

        private void Grow(int extra)
        {
            if (_pos + extra <= _chars.Length)
                return;
            int size = _chars.Length * 2;
            if (size < _pos + extra)
                size = _pos + extra;
            char[] larger = new char[size];
            Array.Copy(_chars, larger, _pos);
            _chars = larger;
        }

        public string ToStringAndClear()
        {
            string result = new string(_chars.AsSpanStart(), 0, _pos);
            _pos = 0;
            return result;
        }

        public override string ToString() => new string(_chars.AsSpanStart(), 0, _pos);
    }

    internal static unsafe class CharArrayExtensions
    {
        public static char* AsSpanStart(this char[] chars)
        {
            object o = chars;
            return (char*)(*(byte**)&o + 16);
        }
    }

    /// <summary>Pointer and reference tricks ILC implements as intrinsics (no IL bodies here).</summary>
    public static unsafe class Unsafe
    {
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern T As<T>(object? o) where T : class?;
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ref TTo As<TFrom, TTo>(ref TFrom source);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ref T AsRef<T>(void* source);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ref T AsRef<T>(ref readonly T source);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void* AsPointer<T>(ref T value);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ref T Add<T>(ref T source, int elementOffset);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ref T Add<T>(ref T source, nint elementOffset);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ref T AddByteOffset<T>(ref T source, nint byteOffset);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int SizeOf<T>();
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern bool AreSame<T>(ref readonly T left, ref readonly T right);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern bool IsAddressLessThan<T>(ref readonly T left, ref readonly T right);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ref T NullRef<T>();
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern bool IsNullRef<T>(ref readonly T source);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern T ReadUnaligned<T>(void* source);
        [Intrinsic, MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void WriteUnaligned<T>(void* destination, T value);
    }
}

namespace System.Runtime.Versioning
{
    [AttributeUsage(AttributeTargets.Assembly)]
    public sealed class TargetFrameworkAttribute : Attribute
    {
        public TargetFrameworkAttribute(string frameworkName) { }
        public string? FrameworkDisplayName { get; set; }
    }

    public sealed class NonVersionableAttribute : Attribute { }
}

namespace System.Runtime
{
    // Emits the method under the given symbol name so assembly and ILC-generated code can call it.
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class RuntimeExportAttribute : Attribute
    {
        public RuntimeExportAttribute(string entry) { }
    }

    // Binds an extern method to a native symbol (our assembly helpers).
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class RuntimeImportAttribute : Attribute
    {
        public RuntimeImportAttribute(string entry) { }
        public RuntimeImportAttribute(string dllName, string entry) { }
    }
}
