// The root of the guest type system: System.Object, ValueType, Enum, Void and the primitive
// structs. ILC lays objects out as [MethodTable*][fields...]; this file only declares the shape
// csc and ILC expect, plus the few virtuals guests call.
using Internal.Runtime;
using System.Runtime.CompilerServices;

namespace System;

public unsafe class Object
{
    // Every object starts with its MethodTable pointer; ILC depends on this being the first field.
    internal MethodTable* m_pMethodTable;

    public Object() { }

    public virtual bool Equals(object? obj) => ReferenceEquals(this, obj);

    public virtual int GetHashCode()
    {
        // Objects never move (bump allocator), so the address is a stable identity hash.
        object self = this;
        nint address = *(nint*)&self;
        return (int)(address ^ (address >> 32));
    }

    public virtual string ToString() => TypeNames.Describe(m_pMethodTable);

    public static bool ReferenceEquals(object? a, object? b) => a == b;

    public Type GetType() => new RuntimeType(m_pMethodTable);

    internal MethodTable* GetMethodTable() => m_pMethodTable;
}

public abstract class ValueType
{
}

public abstract class Enum : ValueType
{
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
