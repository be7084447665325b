// Block copy/fill helpers ILC's generated code calls by name (struct copies and clears the
// JIT does not expand inline).
using System.Runtime.CompilerServices;

namespace System;

internal static unsafe class SpanHelpers
{
    internal static void Memmove(ref byte destination, ref byte source, nuint length)
        => Buffer.Memmove((byte*)Unsafe.AsPointer(ref destination), (byte*)Unsafe.AsPointer(ref source), length);

    internal static void ClearWithoutReferences(ref byte destination, nuint length)
        => Buffer.Memset((byte*)Unsafe.AsPointer(ref destination), 0, length);

    internal static void Fill(ref byte destination, byte value, nuint length)
        => Buffer.Memset((byte*)Unsafe.AsPointer(ref destination), value, length);
}
