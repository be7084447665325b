// Memory copies and fills. The byte loops live in assembly (rep movsb / rep stosb: fast strings
// work here, 4 KiB in about 100 cycles) because ILC itself emits calls to memset/memcpy; managed
// code reaches them through Buffer, and Span copies of plain data through Memmove.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace System;

public static unsafe class Buffer
{
    [RuntimeImport("*", "memmove"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void* NativeMemmove(void* destination, void* source, nuint count);

    [RuntimeImport("*", "memset"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void* NativeMemset(void* destination, int value, nuint count);

    public static void Memmove(byte* destination, byte* source, nuint count) => NativeMemmove(destination, source, count);

    public static void Memset(byte* destination, byte value, nuint count) => NativeMemset(destination, value, count);

    public static void MemoryCopy(void* source, void* destination, long destinationSizeInBytes, long sourceBytesToCopy)
    {
        if (sourceBytesToCopy > destinationSizeInBytes)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        NativeMemmove(destination, source, (nuint)sourceBytesToCopy);
    }

    // Block copies the JIT does not expand inline.
    [RuntimeExport("RhSpanHelpers_MemCopy")]
    private static void MemCopy(ref byte destination, ref byte source, nuint size)
        => NativeMemmove(Unsafe.AsPointer(ref destination), Unsafe.AsPointer(ref source), size);

    [RuntimeExport("RhSpanHelpers_MemSet")]
    private static void MemSet(ref byte destination, byte value, nuint size)
        => NativeMemset(Unsafe.AsPointer(ref destination), value, size);

    [RuntimeExport("RhSpanHelpers_MemZero")]
    private static void MemZero(ref byte destination, nuint size)
        => NativeMemset(Unsafe.AsPointer(ref destination), 0, size);

    [RuntimeExport("RhBulkMoveWithWriteBarrier")]
    private static void BulkMoveWithWriteBarrier(ref byte destination, ref byte source, nuint size)
        => NativeMemmove(Unsafe.AsPointer(ref destination), Unsafe.AsPointer(ref source), size);
}
