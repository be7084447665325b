// The guest heap over [HeapStart, HeapEnd) from StartInfo. Allocation bumps a pointer through
// fresh (zero) memory; when that runs out, a non-moving mark-sweep collector (Collector.cs)
// frees unreachable objects into size-segregated free lists and allocation continues from
// those. Only if the heap is still full does the domain panic, naming the request size.
// Objects never move, so pointers into them stay valid.
//
// Every heap block starts at a 16-byte granule and is one of:
//   an object        [MethodTable*][fields...], size from its MethodTable (and length)
//   a raw block      [RawTag][size][next raw block][unused][memory returned by AllocateRaw...]
//                    (never freed; all raw blocks are chained so the collector finds them)
//   a free block     [FreeTag][size][next free block]
// A bitmap marks the granule where each block starts; the collector uses it to find the block
// a (possibly interior) pointer points into.
using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

/// <summary>Heap usage counters, readable by guests (e.g. to report allocation per request).</summary>
public struct HeapStatistics
{
    public ulong HeapStart;
    public ulong HeapEnd;
    /// <summary>Bytes in blocks that are not free (live objects, raw blocks, and garbage not yet collected).</summary>
    public ulong BytesAllocated;
    /// <summary>Objects allocated since boot.</summary>
    public ulong ObjectsAllocated;
    /// <summary>Collections run since boot.</summary>
    public ulong Collections;
    /// <summary>Bytes the collector has freed since boot.</summary>
    public ulong BytesCollected;
    /// <summary>Bytes available for allocation (never-used space plus free lists).</summary>
    public ulong BytesFree;
}

public static unsafe class Allocator
{
    internal const nint RawTag = 1;
    internal const nint FreeTag = 3;
    internal const int Granule = 16;
    internal const int RawHeader = 32;

    internal static byte* s_start;
    internal static byte* s_next;   // bump pointer: the space above it is unused
    internal static byte* s_dirtyEnd; // [s_next, s_dirtyEnd) was used before a collection: zero it on reuse
    internal static byte* s_end;    // end of the block area (the bitmaps follow it)
    internal static ulong* s_startBits;
    internal static ulong* s_markBits;
    internal static ulong s_objects;
    internal static ulong s_freeBytes;
    internal static byte* s_rawBlocks;

    /// <summary>Hands the heap to the allocator; the kernel calls this first thing at boot.</summary>
    public static void Initialize(ulong heapStart, ulong heapEnd)
    {
        ulong start = (heapStart + 15) & ~15UL;
        ulong total = heapEnd > start ? heapEnd - start : 0;
        // Two bitmaps (one bit per granule) and the mark stack live at the top of the heap.
        ulong bitmapBytes = ((total / Granule + 63) / 64) * 8;
        ulong markStackBytes = Collector.MarkStackBytes(total);
        ulong reserved = (2 * bitmapBytes + markStackBytes + 15) & ~15UL;
        if (total < reserved + 4096)
            Panic.Fail("heap too small");
        s_start = (byte*)start;
        s_next = s_start;
        s_end = (byte*)(start + total - reserved);
        s_startBits = (ulong*)s_end;
        s_markBits = (ulong*)(s_end + bitmapBytes);
        Collector.Initialize((nint*)(s_end + 2 * bitmapBytes), markStackBytes);
        s_objects = 0;
        s_freeBytes = 0;
        s_rawBlocks = null;
    }

    public static HeapStatistics Statistics => new HeapStatistics
    {
        HeapStart = (ulong)s_start,
        HeapEnd = (ulong)s_end,
        BytesAllocated = (ulong)(s_next - s_start) - s_freeBytes,
        ObjectsAllocated = s_objects,
        Collections = Collector.Collections,
        BytesCollected = Collector.BytesCollected,
        BytesFree = (ulong)(s_end - s_next) + s_freeBytes,
    };

    internal static void SetStartBit(byte* block)
    {
        ulong g = (ulong)(block - s_start) / Granule;
        s_startBits[g >> 6] |= 1UL << (int)(g & 63);
    }

    internal static void ClearStartBit(byte* block)
    {
        ulong g = (ulong)(block - s_start) / Granule;
        s_startBits[g >> 6] &= ~(1UL << (int)(g & 63));
    }

    /// <summary>Size of the heap block at <paramref name="block"/>, as allocated.</summary>
    internal static ulong BlockSize(byte* block)
    {
        nint tag = *(nint*)block;
        if (tag == RawTag || tag == FreeTag)
            return *(ulong*)(block + 8);
        MethodTable* mt = (MethodTable*)tag;
        ulong size = mt->BaseSize;
        if (mt->HasComponentSize)
            size += (ulong)*(uint*)(block + 8) * mt->ComponentSize;
        return (size + 15) & ~15UL;
    }

    // A zeroed, granule-aligned block of `size` bytes (already a multiple of 16).
    private static byte* AllocateBlock(ulong size)
    {
        if (size <= (ulong)(s_end - s_next))
        {
            byte* p = s_next;
            s_next += size;
            if (p < s_dirtyEnd)
                Buffer.Memset(p, 0, (nuint)size);
            SetStartBit(p);
            return p;
        }
        return AllocateSlow(size);
    }

    private static byte* AllocateSlow(ulong size)
    {
        if (s_end == null)
            Panic.Fail("heap used before Allocator.Initialize");
        byte* p = FreeLists.Take(size);
        if (p == null)
        {
            Collector.Collect();
            if (size <= (ulong)(s_end - s_next))
                return AllocateBlock(size);
            p = FreeLists.Take(size);
            if (p == null)
                Panic.OutOfMemory(size, (ulong)(s_end - s_next) + s_freeBytes);
        }
        Buffer.Memset(p, 0, (nuint)size);
        SetStartBit(p);
        return p;
    }

    /// <summary>Raw zeroed memory, 16-byte aligned, never freed or moved (for rings, DMA-like
    /// buffers, page tables). The collector scans it for object references.</summary>
    public static void* AllocateRaw(ulong size)
    {
        ulong blockSize = (size + RawHeader + 15) & ~15UL;
        byte* block = AllocateBlock(blockSize);
        *(nint*)block = RawTag;
        *(ulong*)(block + 8) = blockSize;
        *(byte**)(block + 16) = s_rawBlocks;
        s_rawBlocks = block;
        return block + RawHeader;
    }

    // Objects are [MethodTable*][fields]; the 8-byte object header ILC counts in BaseSize sits
    // at the end of the previous block and is never used (no locks, no hash codes in it).
    private static object AllocateObject(MethodTable* mt, ulong size, int length)
    {
        byte* p = AllocateBlock((size + 15) & ~15UL);
        if (length != 0)
            *(int*)(p + sizeof(nint)) = length;
        *(MethodTable**)p = mt;
        s_objects++;
        nint address = (nint)p;
        return Unsafe.As<nint, object>(ref address);
    }

    [RuntimeExport("RhpNewFast")]
    internal static object NewObject(MethodTable* mt) => AllocateObject(mt, mt->BaseSize, 0);

    // Finalizers never run (the collector does not track finalizable objects).
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

/// <summary>Free blocks by size: exact classes for 32..1024 bytes, then powers of two.</summary>
internal static unsafe class FreeLists
{
    private const int ExactClasses = 64;   // granule counts 1..64
    private const int Classes = ExactClasses + 40;
    private static FreeHeads s_heads;

    private struct FreeHeads
    {
        public fixed ulong Head[Classes];
    }

    private static int ClassOf(ulong size)
    {
        ulong granules = size / Allocator.Granule;
        if (granules <= ExactClasses)
            return (int)granules - 1;
        int log = BitOps.HighestBit(granules);   // granules >= 65: log >= 6
        int c = ExactClasses + log - 6;
        return c < Classes ? c : Classes - 1;
    }

    public static void Clear()
    {
        fixed (ulong* heads = s_heads.Head)
            for (int i = 0; i < Classes; i++)
                heads[i] = 0;
    }

    /// <summary>Turns [block, block+size) into a free block (lists it if it can hold a link).</summary>
    public static void Add(byte* block, ulong size)
    {
        *(nint*)block = Allocator.FreeTag;
        *(ulong*)(block + 8) = size;
        Allocator.SetStartBit(block);
        Allocator.s_freeBytes += size;
        if (size < 32)
            return; // too small to link; reclaimed when a neighbour frees and they coalesce
        int c = ClassOf(size);
        fixed (ulong* heads = s_heads.Head)
        {
            *(ulong*)(block + 16) = heads[c];
            heads[c] = (ulong)block;
        }
    }

    /// <summary>A free block of at least <paramref name="size"/> bytes, split to size; null if none.</summary>
    public static byte* Take(ulong size)
    {
        fixed (ulong* heads = s_heads.Head)
        {
            for (int c = ClassOf(size); c < Classes; c++)
            {
                ulong* link = &heads[c];
                while (*link != 0)
                {
                    byte* block = (byte*)*link;
                    ulong blockSize = *(ulong*)(block + 8);
                    if (blockSize >= size)
                    {
                        *link = *(ulong*)(block + 16);
                        Allocator.s_freeBytes -= blockSize;
                        if (blockSize > size)
                            Add(block + size, blockSize - size);
                        return block;
                    }
                    link = (ulong*)(block + 16);
                }
            }
        }
        return null;
    }
}

internal static class BitOps
{
    // De Bruijn sequence lookup: software bit scans that work on every x86-64 (no LZCNT/TZCNT).
    private const ulong DeBruijn = 0x03F79D71B4CB0A89;

    private static ReadOnlySpan<byte> Positions => new byte[]
    {
        0, 47, 1, 56, 48, 27, 2, 60, 57, 49, 41, 37, 28, 16, 3, 61,
        54, 58, 35, 52, 50, 42, 21, 44, 38, 32, 29, 23, 17, 11, 4, 62,
        46, 55, 26, 59, 40, 36, 15, 53, 34, 51, 20, 43, 31, 22, 10, 45,
        25, 39, 14, 33, 19, 30, 9, 24, 13, 18, 8, 12, 7, 6, 5, 63,
    };

    /// <summary>Index of the highest set bit (value must not be 0).</summary>
    public static int HighestBit(ulong value)
    {
        value |= value >> 1;
        value |= value >> 2;
        value |= value >> 4;
        value |= value >> 8;
        value |= value >> 16;
        value |= value >> 32;
        return Positions[(int)((value * DeBruijn) >> 58)];
    }

    /// <summary>Index of the lowest set bit (value must not be 0).</summary>
    public static int LowestBit(ulong value) => HighestBit(value & (0 - value));

    public static int LeadingZeroCount(ulong value) => value == 0 ? 64 : 63 - HighestBit(value);
}
