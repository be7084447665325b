// The guest heap: a bump allocator over [HeapStart, HeapEnd) from StartInfo. Nothing is ever
// freed (there is no GC yet), which also means objects never move. Fresh guest memory is zero,
// so allocations need no clearing. Out of memory is a panic that names the request.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

/// <summary>Heap usage counters, readable by guests (e.g. to report allocation per request).</summary>
public struct HeapStatistics
{
    public ulong HeapStart;
    public ulong HeapEnd;
    public ulong BytesAllocated;
    public ulong ObjectsAllocated;
    public ulong BytesFree => HeapEnd - HeapStart - BytesAllocated;
}

public static unsafe class Allocator
{
    private static byte* s_start;
    private static byte* s_next;
    private static byte* s_end;
    private static ulong s_objects;

    /// <summary>Hands the heap to the allocator; the kernel calls this first thing at boot.</summary>
    public static void Initialize(ulong heapStart, ulong heapEnd)
    {
        s_start = (byte*)((heapStart + 15) & ~15UL);
        s_next = s_start;
        s_end = (byte*)heapEnd;
        s_objects = 0;
    }

    public static HeapStatistics Statistics => new HeapStatistics
    {
        HeapStart = (ulong)s_start,
        HeapEnd = (ulong)s_end,
        BytesAllocated = (ulong)(s_next - s_start),
        ObjectsAllocated = s_objects,
    };

    /// <summary>Raw zeroed memory, 16-byte aligned; never freed.</summary>
    public static void* AllocateRaw(ulong size)
    {
        size = (size + 15) & ~15UL;
        if (s_end == null)
            Panic.Fail("heap used before Allocator.Initialize");
        if (size > (ulong)(s_end - s_next))
            Panic.OutOfMemory(size, (ulong)(s_end - s_next));
        byte* result = s_next;
        s_next += size;
        return result;
    }

    // Objects are [MethodTable*][fields]; the 8-byte object header ILC counts in BaseSize sits
    // at the end of the previous allocation and is never used (no locks, no GC bits).
    private static object AllocateObject(MethodTable* mt, ulong size, int length)
    {
        byte* p = (byte*)AllocateRaw(size);
        *(MethodTable**)p = mt;
        if (length != 0)
            *(int*)(p + sizeof(nint)) = length;
        s_objects++;
        nint address = (nint)p;
        return Unsafe.As<nint, object>(ref address);
    }

    [RuntimeExport("RhpNewFast")]
    internal static object NewObject(MethodTable* mt) => AllocateObject(mt, mt->BaseSize, 0);

    // Finalizers never run: there is no collector to discover dead objects.
    [RuntimeExport("RhpNewFinalizable")]
    internal static object NewFinalizable(MethodTable* mt) => AllocateObject(mt, mt->BaseSize, 0);

    [RuntimeExport("RhNewObject")]
    internal static object NewObjectSlow(MethodTable* mt) => AllocateObject(mt, mt->BaseSize, 0);

    [RuntimeExport("RhpNewArrayFast")]
    internal static object NewArray(MethodTable* mt, int count)
    {
        if (count < 0)
            ThrowHelpers.ThrowOverflowException();
        ulong size = mt->BaseSize + (ulong)count * mt->ComponentSize;
        return AllocateObject(mt, (size + 7) & ~7UL, count);
    }

    [RuntimeExport("RhpNewPtrArrayFast")]
    internal static object NewPointerArray(MethodTable* mt, int count) => NewArray(mt, count);

    [RuntimeExport("RhNewArray")]
    internal static object NewArraySlow(MethodTable* mt, int count) => NewArray(mt, count);

    [RuntimeExport("RhNewVariableSizeObject")]
    internal static object NewVariableSizeObject(MethodTable* mt, int count) => NewArray(mt, count);

    internal static string NewString(int length)
    {
        string template = "";
        return Unsafe.As<string>(NewArray(template.m_pEEType, length));
    }
}
