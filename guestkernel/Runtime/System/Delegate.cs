// Delegates as NativeAOT lays them out: ILC generates Invoke and calls the Initialize* methods
// below by name when a delegate is created (closures and instance methods bind _firstParameter;
// static methods go through a thunk ILC emits, which finds the target in
// _extraFunctionPointerOrData). A multicast delegate (+=) keeps its targets in a Wrapper[] in
// _helperObject and points _functionPointer at the multicast thunk ILC generates per delegate
// type (GetThunk), which invokes each target in order.
using System.Runtime.CompilerServices;

namespace System;

public abstract unsafe class Delegate
{
    // Field names and order are a contract with ILC's delegate thunks.
    internal object _firstParameter = null!;
    internal object? _helperObject;
    internal nint _extraFunctionPointerOrData;
    internal nint _functionPointer;

    // ILC's multicast thunk reads the targets through this type, by name.
    private struct Wrapper
    {
        public Wrapper(Delegate value) { Value = value; }
        public Delegate Value;
    }

    private protected const int MulticastThunk = 0;
    private protected const int ClosedStaticThunk = 1;
    private protected const int OpenStaticThunk = 2;
    private protected const int ClosedInstanceThunkOverGenericMethod = 3;
    private protected const int OpenInstanceThunk = 4;
    private protected const int ObjectArrayThunk = 5;

    // ILC overrides this in every delegate type; 0 means the thunk does not exist.
    private protected virtual nint GetThunk(int whichThunk) => 0;

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

    // `Func<int> f = someInterface.Method;`: resolve the implementation once, now.
    private void InitializeClosedInstanceToInterface(object firstParameter, nint dispatchCell)
    {
        if (firstParameter is null)
            ThrowHelpers.ThrowNullReferenceException();
        _functionPointer = Internal.Runtime.InterfaceDispatch.ResolveCell(firstParameter!, dispatchCell);
        _firstParameter = firstParameter!;
    }

    private Wrapper[]? InvocationList => _helperObject as Wrapper[];

    private int InvocationCount => InvocationList != null ? (int)_extraFunctionPointerOrData : 1;

    private Delegate InvocationAt(int index) => InvocationList is Wrapper[] list ? list[index].Value : this;

    public static Delegate? Combine(Delegate? a, Delegate? b)
    {
        if (a is null) return b;
        if (b is null) return a;
        if (a.m_pEEType != b.m_pEEType)
            throw new ArgumentException("Delegates must be of the same type.");
        int count = a.InvocationCount + b.InvocationCount;
        var list = new Wrapper[count];
        int at = 0;
        for (int i = 0; i < a.InvocationCount; i++)
            list[at++] = new Wrapper(a.InvocationAt(i));
        for (int i = 0; i < b.InvocationCount; i++)
            list[at++] = new Wrapper(b.InvocationAt(i));
        return a.NewMulticast(list, count);
    }

    /// <summary>Removes the last occurrence of <paramref name="value"/>'s targets from <paramref name="source"/>.</summary>
    public static Delegate? Remove(Delegate? source, Delegate? value)
    {
        if (source is null || value is null)
            return source;
        int n = source.InvocationCount, m = value.InvocationCount;
        for (int start = n - m; start >= 0; start--)
        {
            bool match = true;
            for (int k = 0; k < m && match; k++)
                match = source.InvocationAt(start + k).SameTarget(value.InvocationAt(k));
            if (!match)
                continue;
            int left = n - m;
            if (left == 0)
                return null;
            if (left == 1)
                return source.InvocationAt(start == 0 ? m : 0);
            var list = new Wrapper[left];
            int at = 0;
            for (int i = 0; i < n; i++)
                if (i < start || i >= start + m)
                    list[at++] = new Wrapper(source.InvocationAt(i));
            return source.NewMulticast(list, left);
        }
        return source;
    }

    private unsafe Delegate NewMulticast(Wrapper[] list, int count)
    {
        nint thunk = GetThunk(MulticastThunk);
        if (thunk == 0)
            Internal.Runtime.Panic.Fail("this delegate type has no multicast thunk");
        var result = Unsafe.As<Delegate>(Internal.Runtime.Allocator.NewObject(m_pEEType));
        result._firstParameter = result;
        result._helperObject = list;
        result._extraFunctionPointerOrData = count;
        result._functionPointer = thunk;
        return result;
    }

    // Same single target: same code and same bound object (or same thunk data for static targets).
    private bool SameTarget(Delegate other)
    {
        if (m_pEEType != other.m_pEEType || _functionPointer != other._functionPointer)
            return false;
        if ((object)_firstParameter == this)
            return (object)other._firstParameter == other && _extraFunctionPointerOrData == other._extraFunctionPointerOrData && _helperObject == other._helperObject;
        return _firstParameter == other._firstParameter;
    }

    public override bool Equals(object? obj)
    {
        if (obj is not Delegate other || other.InvocationCount != InvocationCount)
            return false;
        for (int i = 0; i < InvocationCount; i++)
            if (!InvocationAt(i).SameTarget(other.InvocationAt(i)))
                return false;
        return true;
    }

    public override int GetHashCode() => (int)_functionPointer;

    public static bool operator ==(Delegate? a, Delegate? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Delegate? a, Delegate? b) => !(a == b);

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
