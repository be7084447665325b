// Interface calls. ILC compiles `iface.M()` to `lea r11, cell; call [r11]`, where each call site
// has a 16-byte cell {stub, interface}: the stub is RhpInitialDynamicInterfaceDispatch (our
// assembly in Native/runtime.S) and the second word is a relative pointer to the interface's
// MethodTable (low bits = 3). Cells are grouped by interface slot, each group closed by a cell
// whose stub is 0 and whose second word is the slot number.
//
// The assembly stub first probes a global cache keyed by (object's MethodTable, cell) and jumps
// straight to the target on a hit, so a polymorphic call site costs a hash and two compares.
// On a miss it calls Resolve below, which walks the type's dispatch maps and fills the cache.
// Cells themselves are never written.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

public static unsafe class InterfaceDispatch
{
    // Must match Native/runtime.S: 4096 entries of {MethodTable*, cell, target, unused}.
    private const int CacheEntries = 4096;

    private static ulong s_misses;

    /// <summary>Calls that missed the dispatch cache (each costs one dispatch-map walk).</summary>
    public static ulong Misses => s_misses;

    [RuntimeImport("*", "ParaKitDispatchCache"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern nint* CacheBase();

    private struct CacheEntry
    {
        public MethodTable* Type;
        public nint Cell;
        public nint Target;
        public nint Unused;
    }

    [RuntimeExport("ParaKitResolveInterfaceDispatch")]
    private static nint Resolve(object obj, nint cell)
    {
        s_misses++;
        MethodTable* type = obj.m_pEEType;
        ReadCell(cell, out MethodTable* iface, out int slot);
        nint target = FindImplementation(type, iface, slot);
        if (target == 0)
        {
            Panic.Begin();
            Panic.Write("interface dispatch failed: ");
            TypeNames.Write(type);
            Panic.Write(" has no implementation of slot ");
            Panic.WriteNumber((ulong)slot);
            Panic.Write(" of ");
            TypeNames.Write(iface);
            Panic.End();
        }
        // Same hash as the assembly probe.
        nuint index = (((nuint)type ^ (nuint)cell) >> 4) & (CacheEntries - 1);
        CacheEntry* entry = (CacheEntry*)CacheBase() + index;
        entry->Type = null; // invalidate while updating (single vCPU: belt and braces)
        entry->Cell = cell;
        entry->Target = target;
        entry->Type = type;
        return target;
    }

    /// <summary>The code an interface call through <paramref name="cell"/> reaches for <paramref name="obj"/>.</summary>
    internal static nint ResolveCell(object obj, nint cell) => Resolve(obj, cell);

    private static void ReadCell(nint cell, out MethodTable* iface, out int slot)
    {
        int* cachePointer = (int*)(cell + sizeof(nint));
        int value = *cachePointer;
        byte* target = (byte*)cachePointer + (value & ~3);
        iface = (value & 3) switch
        {
            3 => (MethodTable*)target,                 // relative pointer to the interface
            2 => *(MethodTable**)target,               // relative pointer to an indirection cell
            _ => (MethodTable*)*(nint*)cachePointer,   // absolute pointer (not used on x64 Linux)
        };
        // Walk to the end of this slot's group of cells.
        nint* scan = (nint*)cell;
        while (scan[0] != 0)
            scan += 2;
        slot = (int)scan[1];
    }

    /// <summary>Finds the code implementing interface slot <paramref name="slot"/> of
    /// <paramref name="iface"/> for objects of <paramref name="type"/> (0 if none).</summary>
    internal static nint FindImplementation(MethodTable* type, MethodTable* iface, int slot)
    {
        // Classes first (most derived first), then default interface implementations.
        for (int pass = 0; pass < 2; pass++)
        {
            for (MethodTable* t = type; t != null; t = MethodTable.BaseType(t))
            {
                DispatchMap* map = MethodTable.GetDispatchMap(t);
                if (map == null)
                    continue;
                DispatchMapEntry* entries = DispatchMap.Entries(map);
                int first = pass == 0 ? 0 : map->StandardEntryCount;
                int end = pass == 0 ? map->StandardEntryCount : map->StandardEntryCount + map->DefaultEntryCount;
                MethodTable** interfaces = MethodTable.InterfaceMap(t);
                for (int i = first; i < end; i++)
                {
                    DispatchMapEntry* e = entries + i;
                    if (e->InterfaceMethodSlot != slot || interfaces[e->InterfaceIndex] != iface)
                        continue;
                    int impl = e->ImplMethodSlot;
                    if (impl < t->NumVtableSlots)
                        return MethodTable.Vtable(type)[impl]; // the most derived override
                    return MethodTable.GetSealedVirtualSlot(t, impl - t->NumVtableSlots);
                }
            }
        }
        return 0;
    }
}
