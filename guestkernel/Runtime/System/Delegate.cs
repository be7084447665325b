// Delegates as NativeAOT lays them out: ILC generates Invoke and calls the Initialize* methods
// below by name when a delegate is created (closures and instance methods bind _firstParameter;
// static methods go through a thunk ILC emits, which finds the target in
// _extraFunctionPointerOrData). Multicast (+=) is not supported.
namespace System;

public abstract class Delegate
{
    // Field names and order are a contract with ILC's delegate thunks.
    internal object _firstParameter = null!;
    internal object? _helperObject;
    internal nint _extraFunctionPointerOrData;
    internal nint _functionPointer;

    private void InitializeClosedInstance(object firstParameter, nint functionPointer)
    {
        if (firstParameter is null)
            ThrowHelpers.ThrowNullReferenceException();
        _functionPointer = functionPointer;
        _firstParameter = firstParameter!;
    }

    private void InitializeClosedInstanceSlow(object firstParameter, nint functionPointer)
    {
        InitializeClosedInstance(firstParameter, functionPointer);
    }

    private void InitializeClosedStaticThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
    {
        _extraFunctionPointerOrData = functionPointer;
        _helperObject = firstParameter;
        _functionPointer = functionPointerThunk;
        _firstParameter = this;
    }

    private void InitializeOpenStaticThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
    {
        _firstParameter = this;
        _functionPointer = functionPointerThunk;
        _extraFunctionPointerOrData = functionPointer;
    }

    private void InitializeOpenInstanceThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
    {
        _firstParameter = this;
        _functionPointer = functionPointerThunk;
        _extraFunctionPointerOrData = functionPointer;
    }

    private void InitializeClosedInstanceWithGVMResolution(object firstParameter, nint tokenOfGenericVirtualMethod)
    {
        ThrowHelpers.Panic("delegates to generic virtual methods are not supported");
    }

    private void InitializeClosedInstanceToInterface(object firstParameter, nint dispatchCell)
    {
        ThrowHelpers.Panic("delegates to interface methods are not supported (wrap the call in a lambda)");
    }

    public static Delegate? Combine(Delegate? a, Delegate? b)
    {
        if (a is null) return b;
        if (b is null) return a;
        ThrowHelpers.Panic("multicast delegates are not supported");
        return null;
    }

    public static Delegate? Remove(Delegate? source, Delegate? value)
    {
        if ((object?)source == value) return null;
        ThrowHelpers.Panic("multicast delegates are not supported");
        return null;
    }

    public object? Target => (object)_firstParameter == this ? _helperObject : _firstParameter;
}

public abstract class MulticastDelegate : Delegate
{
}

public delegate void Action();
public delegate void Action<in T>(T arg);
public delegate void Action<in T1, in T2>(T1 arg1, T2 arg2);
public delegate void Action<in T1, in T2, in T3>(T1 arg1, T2 arg2, T3 arg3);
public delegate TResult Func<out TResult>();
public delegate TResult Func<in T, out TResult>(T arg);
public delegate TResult Func<in T1, in T2, out TResult>(T1 arg1, T2 arg2);
public delegate TResult Func<in T1, in T2, in T3, out TResult>(T1 arg1, T2 arg2, T3 arg3);
public delegate bool Predicate<in T>(T obj);
public delegate int Comparison<in T>(T x, T y);
