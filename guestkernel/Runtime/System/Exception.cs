// Exceptions exist so `throw` compiles, but the guest runtime has no unwinder: a throw ends the
// domain with a panic naming the exception type and its message (see ThrowHelpers.ThrowEx).
// catch blocks compile and never run; finally blocks run on the normal path only.
namespace System;

public class Exception
{
    private readonly string? _message;

    public Exception() { }
    public Exception(string? message) { _message = message; }
    public Exception(string? message, Exception? innerException) { _message = message; InnerException = innerException; }

    public virtual string Message => _message ?? "(no message)";
    public Exception? InnerException { get; }
}

public class SystemException : Exception
{
    public SystemException() { }
    public SystemException(string? message) : base(message) { }
}

public class ArgumentException : SystemException
{
    public ArgumentException() { }
    public ArgumentException(string? message) : base(message) { }
    public ArgumentException(string? message, string? paramName) : base(message) { ParamName = paramName; }
    public string? ParamName { get; }
}

public class ArgumentNullException : ArgumentException
{
    public ArgumentNullException() { }
    public ArgumentNullException(string? paramName) : base("Value cannot be null: " + paramName, paramName) { }
    public ArgumentNullException(string? paramName, string? message) : base(message, paramName) { }

    public static void ThrowIfNull([System.Diagnostics.CodeAnalysis.NotNull] object? argument,
        [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(argument))] string? paramName = null)
    {
        if (argument is null)
            throw new ArgumentNullException(paramName);
    }
}

public class ArgumentOutOfRangeException : ArgumentException
{
    public ArgumentOutOfRangeException() : base("Specified argument was out of the range of valid values.") { }
    public ArgumentOutOfRangeException(string? paramName) : base("Specified argument was out of the range of valid values.", paramName) { }
    public ArgumentOutOfRangeException(string? paramName, string? message) : base(message, paramName) { }

    public static void ThrowIfNegative(long value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(paramName, paramName + " must not be negative (" + value.ToString() + ")");
    }

    public static void ThrowIfZero(long value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value == 0)
            throw new ArgumentOutOfRangeException(paramName, paramName + " must not be zero");
    }

    public static void ThrowIfGreaterThan(long value, long other, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value > other)
            throw new ArgumentOutOfRangeException(paramName, paramName + " (" + value.ToString() + ") must be at most " + other.ToString());
    }

    public static void ThrowIfLessThan(long value, long other, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value < other)
            throw new ArgumentOutOfRangeException(paramName, paramName + " (" + value.ToString() + ") must be at least " + other.ToString());
    }
}

public class ArithmeticException : SystemException
{
    public ArithmeticException() { }
    public ArithmeticException(string? message) : base(message) { }
}

public class OverflowException : ArithmeticException
{
    public OverflowException() : base("Arithmetic operation resulted in an overflow.") { }
    public OverflowException(string? message) : base(message) { }
}

public class DivideByZeroException : ArithmeticException
{
    public DivideByZeroException() : base("Attempted to divide by zero.") { }
    public DivideByZeroException(string? message) : base(message) { }
}

public class IndexOutOfRangeException : SystemException
{
    public IndexOutOfRangeException() : base("Index was outside the bounds of the array.") { }
    public IndexOutOfRangeException(string? message) : base(message) { }
}

public class NullReferenceException : SystemException
{
    public NullReferenceException() : base("Object reference not set to an instance of an object.") { }
    public NullReferenceException(string? message) : base(message) { }
}

public class InvalidCastException : SystemException
{
    public InvalidCastException() : base("Specified cast is not valid.") { }
    public InvalidCastException(string? message) : base(message) { }
}

public class InvalidOperationException : SystemException
{
    public InvalidOperationException() { }
    public InvalidOperationException(string? message) : base(message) { }
}

public class NotSupportedException : SystemException
{
    public NotSupportedException() { }
    public NotSupportedException(string? message) : base(message) { }
}

public class NotImplementedException : SystemException
{
    public NotImplementedException() { }
    public NotImplementedException(string? message) : base(message) { }
}

public class PlatformNotSupportedException : NotSupportedException
{
    public PlatformNotSupportedException() { }
    public PlatformNotSupportedException(string? message) : base(message) { }
}

public class OutOfMemoryException : SystemException
{
    public OutOfMemoryException() { }
    public OutOfMemoryException(string? message) : base(message) { }
}

public class FormatException : SystemException
{
    public FormatException() { }
    public FormatException(string? message) : base(message) { }
}

public class ArrayTypeMismatchException : SystemException
{
    public ArrayTypeMismatchException() : base("Attempted to access an element as a type incompatible with the array.") { }
}

public class ObjectDisposedException : InvalidOperationException
{
    public ObjectDisposedException(string? objectName) : base("Cannot access a disposed object: " + objectName) { }
}

public class TimeoutException : SystemException
{
    public TimeoutException() : base("The operation has timed out.") { }
    public TimeoutException(string? message) : base(message) { }
}
