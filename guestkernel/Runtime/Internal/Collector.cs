// A conservative, non-moving mark-sweep garbage collector. It runs when the bump allocator
// runs out (or on GC.Collect): every word on the stack, in the callee-saved registers, in the
// image's data and bss, and inside raw blocks that points into a heap block keeps that block
// alive; live objects whose MethodTable says they hold references are scanned the same way
// (word by word). Unreachable blocks are coalesced into free blocks for the free lists, and a
// free run at the top of the heap gives the bump pointer its space back.
//
// Conservative means a stray integer that looks like a heap address can keep garbage alive; it
// never frees a reachable object as long as references are held in ordinary memory (not
// hidden, e.g. XOR-ed or stored outside the guest's own RAM).
using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

internal static unsafe class Collector
{
    private const uint HasPointersFlag = 0x01000000;

    private static nint* s_markStack;
    private static long s_markStackCapacity;
    private static long s_markStackCount;
    private static bool s_overflowed;
    private static bool s_collecting;

    internal static ulong Collections;
    internal static ulong BytesCollected;
    internal static ulong LastCollectionCycles;

    [RuntimeImport("*", "ParaKitCollectWithRegisters"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void CollectWithRegisters();

    [RuntimeImport("*", "ParaKitStackTop"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern byte* StackTop();

    [RuntimeImport("*", "ParaKitDataStart"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern byte* DataStart();

    [RuntimeImport("*", "ParaKitDataEnd"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern byte* DataEnd();

    internal static ulong MarkStackBytes(ulong heapBytes)
    {
        ulong entries = heapBytes / 512;
        if (entries < 4096) entries = 4096;
        if (entries > 256 * 1024) entries = 256 * 1024;
        return entries * (ulong)sizeof(nint);
    }

    internal static void Initialize(nint* markStack, ulong bytes)
    {
        s_markStack = markStack;
        s_markStackCapacity = (long)(bytes / (ulong)sizeof(nint));
    }

    /// <summary>Runs a full collection now.</summary>
    internal static void Collect()
    {
        if (s_collecting)
            Panic.Fail("allocation inside the garbage collector");
        s_collecting = true;
        // Spills rbx, rbp, r12-r15 onto the stack and calls CollectFromStack with rsp.
        CollectWithRegisters();
        s_collecting = false;
    }

    [RuntimeExport("ParaKitCollectFromStack")]
    private static void CollectFromStack(byte* stackPointer)
    {
        ulong started = Cpu.Rdtsc();
        ClearMarks();
        s_markStackCount = 0;
        s_overflowed = false;

        // Roots: stack (with the spilled registers), the image's data and bss, raw blocks.
        ScanRange(stackPointer, StackTop());
        ScanRange(DataStart(), DataEnd());
        for (byte* block = Allocator.s_rawBlocks; block != null; block = *(byte**)(block + 16))
            MarkBlock(block);
        Drain();
        while (s_overflowed)
        {
            // The mark stack filled up: rescan marked blocks until nothing new gets marked.
            s_overflowed = false;
            for (byte* block = Allocator.s_start; block < Allocator.s_next; block += Allocator.BlockSize(block))
            {
                if (IsMarked(block) && NeedsScan(block))
                {
                    ScanBlock(block);
                    Drain();
                }
            }
        }
        Sweep();
        Collections++;
        LastCollectionCycles = Cpu.Rdtsc() - started;
    }

    private static void ClearMarks()
    {
        ulong words = ((ulong)(Allocator.s_end - Allocator.s_start) / Allocator.Granule + 63) / 64;
        Buffer.Memset((byte*)Allocator.s_markBits, 0, (nuint)(words * 8));
    }

    private static ulong GranuleOf(byte* p) => (ulong)(p - Allocator.s_start) / Allocator.Granule;

    private static bool IsMarked(byte* block)
    {
        ulong g = GranuleOf(block);
        return (Allocator.s_markBits[g >> 6] & (1UL << (int)(g & 63))) != 0;
    }

    private static bool NeedsScan(byte* block)
    {
        nint tag = *(nint*)block;
        if (tag == Allocator.RawTag)
            return true;
        return (((MethodTable*)tag)->Flags & HasPointersFlag) != 0;
    }

    private static void ScanRange(byte* from, byte* to)
    {
        byte* p = (byte*)(((nuint)from + 7) & ~(nuint)7);
        for (; p + sizeof(nint) <= to; p += sizeof(nint))
            Consider(*(byte**)p);
    }

    private static void ScanBlock(byte* block)
    {
        // Skip the MethodTable word (and the size word of raw blocks).
        byte* from = block + (*(nint*)block == Allocator.RawTag ? Allocator.RawHeader : sizeof(nint));
        ScanRange(from, block + Allocator.BlockSize(block));
    }

    // A word that may be a reference: find the block it points into (or just past, since the
    // JIT may keep an end pointer) and mark it.
    private static void Consider(byte* w)
    {
        if (w <= Allocator.s_start || w > Allocator.s_next)
        {
            if (w == Allocator.s_start)
                MarkContaining(w);
            return;
        }
        MarkContaining(w - 1);
        if (w < Allocator.s_next)
            MarkContaining(w);
    }

    private static void MarkContaining(byte* w)
    {
        byte* block = FindBlockStart(w);
        if (block == null || *(nint*)block == Allocator.FreeTag)
            return;
        if (w < block + Allocator.BlockSize(block))
            MarkBlock(block);
    }

    // The nearest block start at or below w, from the start bitmap.
    private static byte* FindBlockStart(byte* w)
    {
        ulong g = GranuleOf(w);
        long word = (long)(g >> 6);
        ulong bits = Allocator.s_startBits[word] & (ulong.MaxValue >> (63 - (int)(g & 63)));
        while (bits == 0)
        {
            if (--word < 0)
                return null;
            bits = Allocator.s_startBits[word];
        }
        int bit = BitOps.HighestBit(bits);
        return Allocator.s_start + ((ulong)word * 64 + (ulong)bit) * Allocator.Granule;
    }

    private static void MarkBlock(byte* block)
    {
        ulong g = GranuleOf(block);
        ulong mask = 1UL << (int)(g & 63);
        if ((Allocator.s_markBits[g >> 6] & mask) != 0)
            return;
        Allocator.s_markBits[g >> 6] |= mask;
        if (!NeedsScan(block))
            return;
        if (s_markStackCount == s_markStackCapacity)
        {
            s_overflowed = true;
            return;
        }
        s_markStack[s_markStackCount++] = (nint)block;
    }

    private static void Drain()
    {
        while (s_markStackCount > 0)
            ScanBlock((byte*)s_markStack[--s_markStackCount]);
    }

    // Visits every block through the start bitmap (no block headers are read): unmarked blocks,
    // old free blocks included, coalesce into free blocks.
    private static void Sweep()
    {
        FreeLists.Clear();
        ulong freeBefore = Allocator.s_freeBytes;
        byte* nextBefore = Allocator.s_next;
        Allocator.s_freeBytes = 0;
        byte* run = null;
        ulong granules = (ulong)(Allocator.s_next - Allocator.s_start) / Allocator.Granule;
        ulong words = (granules + 63) / 64;
        for (ulong w = 0; w < words; w++)
        {
            ulong bits = Allocator.s_startBits[w];
            ulong marks = Allocator.s_markBits[w];
            while (bits != 0)
            {
                int bit = BitOps.LowestBit(bits);
                bits &= bits - 1;
                byte* block = Allocator.s_start + (w * 64 + (ulong)bit) * Allocator.Granule;
                if ((marks & (1UL << bit)) != 0)
                {
                    if (run != null)
                    {
                        FreeLists.Add(run, (ulong)(block - run));
                        run = null;
                    }
                }
                else
                {
                    Allocator.s_startBits[w] &= ~(1UL << bit);
                    if (run == null)
                        run = block;
                }
            }
        }
        if (run != null)
        {
            // The top of the heap is free: give it back to the bump allocator, which zeroes
            // this used memory as it hands it out again.
            if (Allocator.s_next > Allocator.s_dirtyEnd)
                Allocator.s_dirtyEnd = Allocator.s_next;
            Allocator.s_next = run;
        }
        BytesCollected += Allocator.s_freeBytes + (ulong)(nextBefore - Allocator.s_next) - freeBefore;
    }
}
