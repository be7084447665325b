// Volatile and Interlocked: ordered loads/stores and atomic read-modify-write for the shared
// pages (rings, event-channel bitmaps). The JIT expands the [Intrinsic] methods into single
// instructions (lock cmpxchg, lock xadd, xchg); the recursive bodies are never executed.
// Narrow and unsigned variants are built on the 32/64-bit ones.
using System.Runtime.CompilerServices;

namespace System.Threading;

public static unsafe class Volatile
{
    // A volatile field access is an ordered access to the JIT; these wrappers give one to any ref.
    private struct VolatileByte { public volatile byte Value; }
    private struct VolatileUShort { public volatile ushort Value; }
    private struct VolatileInt { public volatile int Value; }
    private struct VolatileUInt { public volatile uint Value; }
    private struct VolatileNInt { public volatile nint Value; }
    private struct VolatileBool { public volatile bool Value; }

    public static byte Read(ref readonly byte location) => Unsafe.As<byte, VolatileByte>(ref Unsafe.AsRef(in location)).Value;
    public static sbyte Read(ref readonly sbyte location) => (sbyte)Read(in Unsafe.As<sbyte, byte>(ref Unsafe.AsRef(in location)));
    public static bool Read(ref readonly bool location) => Unsafe.As<bool, VolatileBool>(ref Unsafe.AsRef(in location)).Value;
    public static ushort Read(ref readonly ushort location) => Unsafe.As<ushort, VolatileUShort>(ref Unsafe.AsRef(in location)).Value;
    public static short Read(ref readonly short location) => (short)Read(in Unsafe.As<short, ushort>(ref Unsafe.AsRef(in location)));
    public static int Read(ref readonly int location) => Unsafe.As<int, VolatileInt>(ref Unsafe.AsRef(in location)).Value;
    public static uint Read(ref readonly uint location) => Unsafe.As<uint, VolatileUInt>(ref Unsafe.AsRef(in location)).Value;
    // 64-bit loads are atomic on x86-64; nint is the widest type C# lets us mark volatile.
    public static long Read(ref readonly long location) => Unsafe.As<long, VolatileNInt>(ref Unsafe.AsRef(in location)).Value;
    public static ulong Read(ref readonly ulong location) => (ulong)Unsafe.As<ulong, VolatileNInt>(ref Unsafe.AsRef(in location)).Value;
    public static nint Read(ref readonly nint location) => Unsafe.As<nint, VolatileNInt>(ref Unsafe.AsRef(in location)).Value;

    public static void Write(ref byte location, byte value) => Unsafe.As<byte, VolatileByte>(ref location).Value = value;
    public static void Write(ref sbyte location, sbyte value) => Write(ref Unsafe.As<sbyte, byte>(ref location), (byte)value);
    public static void Write(ref bool location, bool value) => Unsafe.As<bool, VolatileBool>(ref location).Value = value;
    public static void Write(ref ushort location, ushort value) => Unsafe.As<ushort, VolatileUShort>(ref location).Value = value;
    public static void Write(ref short location, short value) => Write(ref Unsafe.As<short, ushort>(ref location), (ushort)value);
    public static void Write(ref int location, int value) => Unsafe.As<int, VolatileInt>(ref location).Value = value;
    public static void Write(ref uint location, uint value) => Unsafe.As<uint, VolatileUInt>(ref location).Value = value;
    public static void Write(ref long location, long value) => Unsafe.As<long, VolatileNInt>(ref location).Value = (nint)value;
    public static void Write(ref ulong location, ulong value) => Unsafe.As<ulong, VolatileNInt>(ref location).Value = (nint)value;
    public static void Write(ref nint location, nint value) => Unsafe.As<nint, VolatileNInt>(ref location).Value = value;
}

public static unsafe class Interlocked
{
    [Intrinsic]
    public static int CompareExchange(ref int location1, int value, int comparand) => CompareExchange(ref location1, value, comparand);
    [Intrinsic]
    public static long CompareExchange(ref long location1, long value, long comparand) => CompareExchange(ref location1, value, comparand);
    public static uint CompareExchange(ref uint location1, uint value, uint comparand)
        => (uint)CompareExchange(ref Unsafe.As<uint, int>(ref location1), (int)value, (int)comparand);
    public static ulong CompareExchange(ref ulong location1, ulong value, ulong comparand)
        => (ulong)CompareExchange(ref Unsafe.As<ulong, long>(ref location1), (long)value, (long)comparand);
    public static nint CompareExchange(ref nint location1, nint value, nint comparand)
        => (nint)CompareExchange(ref Unsafe.As<nint, long>(ref location1), (long)value, (long)comparand);

    /// <summary>16-bit compare-exchange, done as a 32-bit CAS on the aligned word that holds it
    /// (the neighbouring 16 bits are re-checked and preserved).</summary>
    public static ushort CompareExchange(ref ushort location1, ushort value, ushort comparand)
    {
        nuint address = (nuint)Unsafe.AsPointer(ref location1);
        int* word = (int*)(address & ~(nuint)3);
        int shift = (int)(address & 2) * 8;
        while (true)
        {
            int current = Volatile.Read(ref *word);
            ushort seen = (ushort)(current >> shift);
            if (seen != comparand)
                return seen;
            int updated = (current & ~(0xFFFF << shift)) | (value << shift);
            if (CompareExchange(ref *word, updated, current) == current)
                return seen;
        }
    }

    // Reference swaps go through the write-barrier helpers in Native/runtime.S (the JIT does not
    // expand them inline on NativeAOT).
    [System.Runtime.RuntimeImport("*", "RhpCheckedLockCmpXchg"), MethodImpl(MethodImplOptions.InternalCall)]
    public static extern object? CompareExchange(ref object? location1, object? value, object? comparand);

    // `event` accessors use this to swap delegates without a lock.
    public static T CompareExchange<T>(ref T location1, T value, T comparand) where T : class?
        => Unsafe.As<T>(CompareExchange(ref Unsafe.As<T, object?>(ref location1), value, comparand));

    [System.Runtime.RuntimeImport("*", "RhpCheckedXchg"), MethodImpl(MethodImplOptions.InternalCall)]
    public static extern object? Exchange(ref object? location1, object? value);

    public static T Exchange<T>(ref T location1, T value) where T : class?
        => Unsafe.As<T>(Exchange(ref Unsafe.As<T, object?>(ref location1), value));

    [Intrinsic]
    public static int Exchange(ref int location1, int value) => Exchange(ref location1, value);
    [Intrinsic]
    public static long Exchange(ref long location1, long value) => Exchange(ref location1, value);
    public static uint Exchange(ref uint location1, uint value) => (uint)Exchange(ref Unsafe.As<uint, int>(ref location1), (int)value);
    public static ulong Exchange(ref ulong location1, ulong value) => (ulong)Exchange(ref Unsafe.As<ulong, long>(ref location1), (long)value);

    public static ushort Exchange(ref ushort location1, ushort value)
    {
        while (true)
        {
            ushort seen = Volatile.Read(ref location1);
            if (CompareExchange(ref location1, value, seen) == seen)
                return seen;
        }
    }

    [Intrinsic]
    internal static int ExchangeAdd(ref int location1, int value) => ExchangeAdd(ref location1, value);
    [Intrinsic]
    internal static long ExchangeAdd(ref long location1, long value) => ExchangeAdd(ref location1, value);

    public static int Add(ref int location1, int value) => ExchangeAdd(ref location1, value) + value;
    public static long Add(ref long location1, long value) => ExchangeAdd(ref location1, value) + value;
    public static uint Add(ref uint location1, uint value) => (uint)Add(ref Unsafe.As<uint, int>(ref location1), (int)value);
    public static ulong Add(ref ulong location1, ulong value) => (ulong)Add(ref Unsafe.As<ulong, long>(ref location1), (long)value);

    public static ushort Add(ref ushort location1, ushort value)
    {
        while (true)
        {
            ushort seen = Volatile.Read(ref location1);
            ushort updated = (ushort)(seen + value);
            if (CompareExchange(ref location1, updated, seen) == seen)
                return updated;
        }
    }

    public static int Increment(ref int location) => Add(ref location, 1);
    public static long Increment(ref long location) => Add(ref location, 1);
    public static int Decrement(ref int location) => Add(ref location, -1);
    public static long Decrement(ref long location) => Add(ref location, -1);

    [Intrinsic]
    public static void MemoryBarrier() => MemoryBarrier();
}

/// <summary>`lock` support. A guest has one vCPU and no preemption, so nothing can run between
/// Enter and Exit except the code inside the lock: entering always succeeds at once.</summary>
public static class Monitor
{
    public static void Enter(object obj)
    {
        if (obj is null)
            throw new ArgumentNullException(nameof(obj));
    }

    public static void Enter(object obj, ref bool lockTaken)
    {
        Enter(obj);
        lockTaken = true;
    }

    public static void Exit(object obj)
    {
    }
}
