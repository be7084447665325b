// Helpers ILC calls by name when generated code detects an error (bounds, null, overflow,
// division by zero, bad casts). Each builds the matching exception and throws it (RhpThrowEx in
// Native/exceptions.S, then Internal/ExceptionDispatch.cs): the backtrace of an unhandled one
// starts in the helper, whose caller is the failing method.
using System;
using System.Runtime;

namespace Internal.Runtime.CompilerHelpers;

internal static class ThrowHelpers
{
    [RuntimeExport("RhpFallbackFailFast")]
    internal static void FallbackFailFast() => Internal.Runtime.Panic.Fail("fail fast (runtime detected an internal inconsistency)");

    [RuntimeExport("RhDebugBreak")]
    internal static void DebugBreak() => Internal.Runtime.Panic.Fail("debug break");

    public static void Panic(string message) => Internal.Runtime.Panic.Fail(message);

    internal static void ThrowOverflowException() => throw new OverflowException();
    internal static void ThrowIndexOutOfRangeException() => throw new IndexOutOfRangeException();
    internal static void ThrowNullReferenceException() => throw new NullReferenceException();
    internal static void ThrowDivideByZeroException() => throw new DivideByZeroException();
    internal static void ThrowArgumentOutOfRangeException() => throw new ArgumentOutOfRangeException();
    internal static void ThrowArgumentException() => throw new ArgumentException("Value does not fall within the expected range.");
    internal static void ThrowPlatformNotSupportedException() => throw new PlatformNotSupportedException();
    internal static void ThrowNotImplementedException() => throw new NotImplementedException();
    internal static void ThrowInvalidCastException() => throw new InvalidCastException();
    internal static void ThrowArrayTypeMismatchException() => throw new ArrayTypeMismatchException();
    internal static void ThrowTypeLoadException() => Internal.Runtime.Panic.Fail("type load failure (a type or method ILC could not compile was used)");
    internal static void ThrowTypeLoadExceptionWithArgument(int id, string? className, string? typeName) => Internal.Runtime.Panic.Fail("type load failure: " + typeName);
    internal static void ThrowInvalidProgramException() => Internal.Runtime.Panic.Fail("invalid program (ILC could not compile a method that was called)");
    internal static void ThrowInvalidProgramExceptionWithArgument(int id, string? methodName) => Internal.Runtime.Panic.Fail("invalid program: " + methodName);
    internal static void ThrowMissingMethodException(int id, string? methodName) => Internal.Runtime.Panic.Fail("missing method: " + methodName);
    internal static void ThrowMissingFieldException(int id, string? fieldName) => Internal.Runtime.Panic.Fail("missing field: " + fieldName);
    internal static void ThrowFileNotFoundException(int id, string? fileName) => Internal.Runtime.Panic.Fail("missing assembly: " + fileName);
    internal static void ThrowBadImageFormatException(int id) => Internal.Runtime.Panic.Fail("bad image format");
    internal static void ThrowMarshalDirectiveException(int id) => Internal.Runtime.Panic.Fail("marshalling is not supported");
    internal static void ThrowAmbiguousMatchException(int id) => Internal.Runtime.Panic.Fail("ambiguous match");
    internal static void ThrowBodyRemoved() => Internal.Runtime.Panic.Fail("method body removed by the compiler was called");
    internal static void ThrowFeatureBodyRemoved() => Internal.Runtime.Panic.Fail("feature removed by the compiler was used");
    internal static void ThrowInstanceBodyRemoved() => Internal.Runtime.Panic.Fail("instance method of a never-constructed type was called");
    internal static void ThrowUnavailableType() => Internal.Runtime.Panic.Fail("unavailable type");
    internal static void ThrowVerificationException(int id) => Internal.Runtime.Panic.Fail("verification failure");
    internal static void ThrowNotSupportedInlineArrayEqualsGetHashCode() => Internal.Runtime.Panic.Fail("inline array Equals/GetHashCode not supported");
}
