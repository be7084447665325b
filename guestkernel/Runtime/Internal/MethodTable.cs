// The MethodTable ILC emits for every type (NativeAOT's "EEType"): a 24-byte header, the vtable,
// the interface map, then 32-bit relative pointers (type manager, writable data, dispatch map,
// finalizer, sealed virtual slots, ...). Only what the guest runtime reads is described here.
namespace Internal.Runtime;

[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal unsafe struct MethodTable
{
    // Low 16 bits: component size (arrays, strings) or extended flags; high 16 bits: flags.
    public uint Flags;
    public uint BaseSize;
    // Base type of a class; element type of an array or pointer type.
    public MethodTable* RelatedType;
    public ushort NumVtableSlots;
    public ushort NumInterfaces;
    public uint HashCode;

    public const int HeaderSize = 24;

    public const uint KindMask = 0x00030000;
    public const uint KindParameterized = 0x00020000;
    public const uint HasDispatchMapFlag = 0x00040000;
    public const uint IsDynamicTypeFlag = 0x00080000;
    public const uint HasFinalizerFlag = 0x00100000;
    public const uint HasSealedVTableEntriesFlag = 0x00400000;
    public const uint GenericVarianceFlag = 0x00800000;
    public const uint IsGenericFlag = 0x02000000;
    public const int ElementTypeShift = 26;
    public const uint HasComponentSizeFlag = 0x80000000;

    public bool HasComponentSize => (Flags & HasComponentSizeFlag) != 0;
    public ushort ComponentSize => HasComponentSize ? (ushort)Flags : (ushort)0;
    public ElementType ElementType => (ElementType)((Flags >> ElementTypeShift) & 0x1F);
    public bool IsInterface => ElementType == ElementType.Interface;
    public bool IsArray => ElementType == ElementType.SzArray || ElementType == ElementType.Array;
    public bool IsParameterized => (Flags & KindMask) == KindParameterized;
    public bool IsValueType => ElementType < ElementType.Class && ElementType != ElementType.Unknown;
    public bool IsNullable => ElementType == ElementType.Nullable;
    public bool HasDispatchMap => (Flags & HasDispatchMapFlag) != 0;
    public bool HasSealedVirtuals => (Flags & HasSealedVTableEntriesFlag) != 0;
    public bool HasFinalizer => (Flags & HasFinalizerFlag) != 0;

    public static nint* Vtable(MethodTable* mt) => (nint*)((byte*)mt + HeaderSize);

    public static MethodTable** InterfaceMap(MethodTable* mt) => (MethodTable**)((byte*)mt + HeaderSize + mt->NumVtableSlots * sizeof(nint));

    /// <summary>Base class, or null for Object, interfaces, arrays and pointers.</summary>
    public static MethodTable* BaseType(MethodTable* mt)
    {
        if (mt->IsParameterized || mt->IsInterface)
            return null;
        return mt->RelatedType;
    }

    // The relative-pointer fields that follow the interface map, in ILC's order.
    private static int* OptionalField(MethodTable* mt, int index) =>
        (int*)((byte*)mt + HeaderSize + mt->NumVtableSlots * sizeof(nint) + mt->NumInterfaces * sizeof(nint)) + index;

    public static void* ReadRelative(int* field) => (byte*)field + *field;

    /// <summary>The interface-to-vtable-slot map of this type (null if it implements nothing).</summary>
    public static DispatchMap* GetDispatchMap(MethodTable* mt)
    {
        if (!mt->HasDispatchMap)
            return null;
        // [type manager][writable data][dispatch map]
        return (DispatchMap*)ReadRelative(OptionalField(mt, 2));
    }

    /// <summary>First generic argument of an instantiated generic type (e.g. T of Nullable&lt;T&gt;).</summary>
    public static MethodTable* GenericArgument0(MethodTable* mt)
    {
        // [type manager][writable data][dispatch map?][finalizer?][sealed slots?][generic definition][generic composition]
        int field = 2;
        if (mt->HasDispatchMap) field++;
        if (mt->HasFinalizer) field++;
        if (mt->HasSealedVirtuals) field++;
        field++;
        return (MethodTable*)ReadRelative(OptionalField(mt, field));
    }

    /// <summary>Code address of sealed virtual slot <paramref name="index"/> (slots past NumVtableSlots).</summary>
    public static nint GetSealedVirtualSlot(MethodTable* mt, int index)
    {
        // [type manager][writable data][dispatch map?][finalizer?][sealed slots]
        int field = 2;
        if (mt->HasDispatchMap) field++;
        if (mt->HasFinalizer) field++;
        int* table = (int*)ReadRelative(OptionalField(mt, field));
        return (nint)ReadRelative(table + index);
    }
}

/// <summary>Which interface slot each vtable slot implements (ILC's DispatchMap).</summary>
internal unsafe struct DispatchMap
{
    public ushort StandardEntryCount;
    public ushort DefaultEntryCount;
    public ushort StandardStaticEntryCount;
    public ushort DefaultStaticEntryCount;

    public static DispatchMapEntry* Entries(DispatchMap* map) => (DispatchMapEntry*)((byte*)map + 8);
}

internal struct DispatchMapEntry
{
    public ushort InterfaceIndex;
    public ushort InterfaceMethodSlot;
    public ushort ImplMethodSlot;
}

/// <summary>EETypeElementType: what a MethodTable describes (primitive, class, interface, array...).</summary>
internal enum ElementType
{
    Unknown = 0x00, Void = 0x01, Boolean = 0x02, Char = 0x03, SByte = 0x04, Byte = 0x05,
    Int16 = 0x06, UInt16 = 0x07, Int32 = 0x08, UInt32 = 0x09, Int64 = 0x0A, UInt64 = 0x0B,
    IntPtr = 0x0C, UIntPtr = 0x0D, Single = 0x0E, Double = 0x0F,
    ValueType = 0x10, Nullable = 0x12,
    Class = 0x14, Interface = 0x15, SystemArray = 0x16, Array = 0x17, SzArray = 0x18, ByRef = 0x19, Pointer = 0x1A,
    FunctionPointer = 0x1B,
}
