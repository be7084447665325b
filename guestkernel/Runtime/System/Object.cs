// The root of the guest type system: System.Object, ValueType, Enum, Void and the primitive
// structs. ILC lays objects out as [MethodTable*][fields...]; this file only declares the shape
// csc and ILC expect, plus the few virtuals guests call.
using Internal.Runtime;
using System.Runtime.CompilerServices;

namespace System;

public unsafe class Object
{
    // Every object starts with its MethodTable pointer; ILC depends on this being the first field.
    internal MethodTable* m_pEEType;

    public Object() { }

    public virtual bool Equals(object? obj) => ReferenceEquals(this, obj);

    public virtual int GetHashCode()
    {
        // Objects never move (bump allocator), so the address is a stable identity hash.
        object self = this;
        nint address = *(nint*)&self;
        return (int)(address ^ (address >> 32));
    }

    public virtual string ToString() => TypeNames.Describe(m_pEEType);

    public static bool ReferenceEquals(object? a, object? b) => a == b;

    public Type GetType() => new RuntimeType(m_pEEType);

    internal MethodTable* GetMethodTable() => m_pEEType;
}

public abstract unsafe class ValueType
{
    // Without field metadata, boxed structs compare and hash their raw bytes (references by
    // identity). Structs that need other semantics implement IEquatable<T> themselves.
    public override bool Equals(object? obj)
    {
        if (obj == null || obj.m_pEEType != m_pEEType)
            return false;
        uint size = System.Runtime.TypeCast.ValueSize(m_pEEType);
        object self = this;
        byte* a = *(byte**)&self + sizeof(nint);
        byte* b = *(byte**)&obj + sizeof(nint);
        for (uint i = 0; i < size; i++)
            if (a[i] != b[i])
                return false;
        return true;
    }

    public override int GetHashCode()
    {
        uint size = System.Runtime.TypeCast.ValueSize(m_pEEType);
        object self = this;
        byte* a = *(byte**)&self + sizeof(nint);
        uint hash = 2166136261;
        for (uint i = 0; i < size; i++)
            hash = (hash ^ a[i]) * 16777619;
        return (int)hash;
    }
}

public abstract unsafe class Enum : ValueType
{
    // The underlying integer, read according to the enum's element type.
    internal long RawValue()
    {
        object self = this;
        byte* data = *(byte**)&self + sizeof(nint);
        switch (m_pEEType->ElementType)
        {
            case ElementType.SByte: return *(sbyte*)data;
            case ElementType.Byte: case ElementType.Boolean: return *data;
            case ElementType.Int16: return *(short*)data;
            case ElementType.UInt16: case ElementType.Char: return *(ushort*)data;
            case ElementType.Int32: return *(int*)data;
            case ElementType.UInt32: return *(uint*)data;
            default: return *(long*)data;
        }
    }

    /// <summary>The numeric value (enum member names are not kept in the image).</summary>
    public override string ToString() => NumberText.Decimal(RawValue());

    public bool HasFlag(Enum flag)
    {
        long bits = flag.RawValue();
        return (RawValue() & bits) == bits;
    }
}

public struct Void
{
}

public readonly struct Nullable<T> where T : struct
{
    private readonly bool hasValue;
    internal readonly T value;

    public Nullable(T value)
    {
        this.value = value;
        hasValue = true;
    }

    public bool HasValue => hasValue;

    public T Value
    {
        get
        {
            if (!hasValue)
                ThrowHelpers.Panic("Nullable object must have a value");
            return value;
        }
    }

    public T GetValueOrDefault() => value;
    public T GetValueOrDefault(T defaultValue) => hasValue ? value : defaultValue;

    public static implicit operator T?(T value) => new T?(value);
    public static explicit operator T(T? value) => value.Value;
}
