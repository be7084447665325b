// Casting, array stores and boxing: the helpers ILC's generated code calls for `is`, `as`,
// casts, `array[i] = obj`, box and unbox. Class casts walk the base-type chain; interface casts
// scan the interface map (which lists every interface a type implements, inherited ones too).
// Exact type identity is by MethodTable pointer: ILC emits one MethodTable per type.
using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace System.Runtime;

internal static unsafe class TypeCast
{
    internal static MethodTable* MT(object o) => o.m_pEEType;

    internal static bool IsSubclassOf(MethodTable* type, MethodTable* target)
    {
        for (MethodTable* t = type; t != null; t = MethodTable.BaseType(t))
        {
            if (t == target)
                return true;
        }
        return false;
    }

    internal static bool ImplementsInterface(MethodTable* type, MethodTable* iface)
    {
        MethodTable** map = MethodTable.InterfaceMap(type);
        for (int i = 0; i < type->NumInterfaces; i++)
        {
            if (map[i] == iface)
                return true;
        }
        return false;
    }

    /// <summary>Can a value of <paramref name="source"/> be stored where <paramref name="target"/> is expected?</summary>
    internal static bool AreTypesAssignable(MethodTable* source, MethodTable* target)
    {
        if (source == target)
            return true;
        // System.Object (a class without a base) accepts everything, including the compiler's
        // own holder types that have no base type.
        if (target->ElementType == ElementType.Class && target->RelatedType == null)
            return true;
        if (target->IsInterface)
            return ImplementsInterface(source, target);
        if (target->IsArray)
        {
            // Arrays of references are covariant (string[] is an object[]); value-type arrays are exact.
            if (!source->IsArray || source->BaseSize != target->BaseSize)
                return false;
            MethodTable* se = source->RelatedType;
            MethodTable* te = target->RelatedType;
            if (se == te)
                return true;
            if (se->IsValueType || te->IsValueType)
                return false;
            return AreTypesAssignable(se, te);
        }
        if (target->ElementType == ElementType.SystemArray)
            return source->IsArray;
        return IsSubclassOf(source, target);
    }

    [RuntimeExport("RhTypeCast_IsInstanceOfClass")]
    internal static object? IsInstanceOfClass(MethodTable* type, object? obj)
    {
        if (obj == null || IsSubclassOf(MT(obj), type))
            return obj;
        return null;
    }

    [RuntimeExport("RhTypeCast_CheckCastClass")]
    internal static object? CheckCastClass(MethodTable* type, object? obj)
    {
        if (obj == null || IsSubclassOf(MT(obj), type))
            return obj;
        return CastFailed(MT(obj), type);
    }

    [RuntimeExport("RhTypeCast_CheckCastClassSpecial")]
    internal static object? CheckCastClassSpecial(MethodTable* type, object? obj) => CheckCastClass(type, obj);

    [RuntimeExport("RhTypeCast_IsInstanceOfInterface")]
    internal static object? IsInstanceOfInterface(MethodTable* type, object? obj)
    {
        if (obj == null || ImplementsInterface(MT(obj), type))
            return obj;
        return null;
    }

    [RuntimeExport("RhTypeCast_CheckCastInterface")]
    internal static object? CheckCastInterface(MethodTable* type, object? obj)
    {
        if (obj == null || ImplementsInterface(MT(obj), type))
            return obj;
        return CastFailed(MT(obj), type);
    }

    [RuntimeExport("RhTypeCast_IsInstanceOfAny")]
    internal static object? IsInstanceOfAny(MethodTable* type, object? obj)
    {
        if (obj == null || AreTypesAssignable(MT(obj), type))
            return obj;
        return null;
    }

    [RuntimeExport("RhTypeCast_CheckCastAny")]
    internal static object? CheckCastAny(MethodTable* type, object? obj)
    {
        if (obj == null || AreTypesAssignable(MT(obj), type))
            return obj;
        return CastFailed(MT(obj), type);
    }

    [RuntimeExport("RhTypeCast_IsInstanceOfException")]
    internal static bool IsInstanceOfException(MethodTable* type, object? obj) => obj != null && IsSubclassOf(MT(obj), type);

    // An enum box unboxes as its underlying integer and vice versa.
    internal static bool SameUnderlyingPrimitive(MethodTable* a, MethodTable* b)
    {
        ElementType ea = a->ElementType;
        return ea == b->ElementType && ea >= ElementType.Boolean && ea <= ElementType.UIntPtr;
    }

    internal static object? CastFailed(MethodTable* from, MethodTable* to)
    {
        Panic.Begin();
        Panic.Write("unhandled exception InvalidCastException: cannot cast ");
        TypeNames.Write(from);
        Panic.Write(" to ");
        TypeNames.Write(to);
        Panic.End();
        return null;
    }

    // array[index] = value for arrays of references: checks the index and the element type.
    [RuntimeExport("RhpStelemRef")]
    internal static void StelemRef(object?[] array, nint index, object? value)
    {
        if ((nuint)index >= (nuint)array.Length)
            ThrowHelpers.ThrowIndexOutOfRangeException();
        ref object? element = ref Unsafe.Add(ref MemoryHelpers.GetArrayDataReference(array), index);
        if (value == null)
        {
            element = null;
            return;
        }
        MethodTable* elementType = MT(array)->RelatedType;
        if (MT(value) != elementType && !AreTypesAssignable(MT(value), elementType))
            ThrowHelpers.ThrowArrayTypeMismatchException();
        element = value;
    }

    // ref array[index] where the static element type must match exactly (covariance safety).
    [RuntimeExport("RhpLdelemaRef")]
    internal static ref object? LdelemaRef(object?[] array, nint index, MethodTable* elementType)
    {
        if ((nuint)index >= (nuint)array.Length)
            ThrowHelpers.ThrowIndexOutOfRangeException();
        if (MT(array)->RelatedType != elementType)
            ThrowHelpers.ThrowArrayTypeMismatchException();
        return ref Unsafe.Add(ref MemoryHelpers.GetArrayDataReference(array), index);
    }

    // Size of a value type's data inside its box (BaseSize counts the object header and MT).
    internal static uint ValueSize(MethodTable* mt)
    {
        uint primitive = PrimitiveSize(mt);
        return primitive != 0 ? primitive : mt->BaseSize - (uint)(2 * sizeof(nint));
    }

    // Exact size of primitive (and enum) values; 0 for other types.
    internal static uint PrimitiveSize(MethodTable* mt)
    {
        switch (mt->ElementType)
        {
            case ElementType.Boolean: case ElementType.SByte: case ElementType.Byte: return 1;
            case ElementType.Char: case ElementType.Int16: case ElementType.UInt16: return 2;
            case ElementType.Int32: case ElementType.UInt32: case ElementType.Single: return 4;
            case ElementType.Int64: case ElementType.UInt64: case ElementType.IntPtr: case ElementType.UIntPtr: case ElementType.Double: return 8;
            default: return 0;
        }
    }
}

/// <summary>Boxing and unboxing helpers ILC calls by name.</summary>
internal static unsafe class RuntimeExports
{
    // Where Nullable<T> keeps its value: after the bool, aligned like T. Exact for primitives
    // and enums; structs are assumed 8-byte aligned (Nullable of a small struct is not supported).
    private static uint NullableValueOffset(MethodTable* nullable)
    {
        uint size = TypeCast.PrimitiveSize(NullableType(nullable));
        return size != 0 ? size : 8;
    }

    // Nullable<T>'s T: ILC stores the single generic argument as the generic composition, the
    // relative pointer after the generic definition (see MethodTable's optional fields).
    private static MethodTable* NullableType(MethodTable* nullable) => MethodTable.GenericArgument0(nullable);

    [RuntimeExport("RhBox")]
    internal static object? RhBox(MethodTable* type, ref byte data)
    {
        byte* source = (byte*)Unsafe.AsPointer(ref data);
        if (type->IsNullable)
        {
            if (*source == 0)
                return null;
            MethodTable* valueType = NullableType(type);
            source += NullableValueOffset(type);
            type = valueType;
        }
        object box = Allocator.NewObject(type);
        byte* target = *(byte**)Unsafe.AsPointer(ref box) + sizeof(nint);
        Buffer.Memmove(target, source, TypeCast.ValueSize(type));
        return box;
    }

    [RuntimeExport("RhUnboxTypeTest")]
    internal static void RhUnboxTypeTest(MethodTable* type, MethodTable* boxType)
    {
        if (type != boxType && !TypeCast.SameUnderlyingPrimitive(type, boxType))
            TypeCast.CastFailed(boxType, type);
    }

    [RuntimeExport("RhUnbox2")]
    internal static ref byte RhUnbox2(MethodTable* type, object? obj)
    {
        if (obj == null)
            ThrowHelpers.ThrowNullReferenceException();
        if (TypeCast.MT(obj!) != type && !TypeCast.SameUnderlyingPrimitive(TypeCast.MT(obj!), type))
            TypeCast.CastFailed(TypeCast.MT(obj!), type);
        return ref *(*(byte**)Unsafe.AsPointer(ref obj) + sizeof(nint));
    }

    [RuntimeExport("RhUnboxNullable")]
    internal static void RhUnboxNullable(ref byte data, MethodTable* type, object? obj)
    {
        byte* target = (byte*)Unsafe.AsPointer(ref data);
        uint offset = NullableValueOffset(type);
        MethodTable* valueType = NullableType(type);
        if (obj == null)
        {
            Buffer.Memset(target, 0, offset + TypeCast.ValueSize(valueType));
            return;
        }
        if (TypeCast.MT(obj) != valueType && !TypeCast.SameUnderlyingPrimitive(TypeCast.MT(obj), valueType))
            TypeCast.CastFailed(TypeCast.MT(obj), valueType);
        *target = 1;
        Buffer.Memmove(target + offset, *(byte**)Unsafe.AsPointer(ref obj) + sizeof(nint), TypeCast.ValueSize(valueType));
    }
}
