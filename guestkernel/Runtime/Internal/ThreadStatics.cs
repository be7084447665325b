// [ThreadStatic] fields. A guest has one thread, so each type's thread-static block is
// allocated once, on first use, and kept forever. build.sh passes --noinlinetls so ILC calls
// this helper instead of addressing the block through the fs segment (which guests lack).
// The holder types come from the module's ThreadStaticRegion, indexed by ILC's TLS index.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

internal static unsafe class ThreadStatics
{
    private const int ThreadStaticRegion = 202;
    private static object?[]? s_blocks;

    internal static object GetThreadStaticBaseForType(void* moduleData, int typeTlsIndex)
    {
        s_blocks ??= new object?[ThreadStaticTypeCount()];
        if ((uint)typeTlsIndex >= (uint)s_blocks.Length)
            Panic.Fail("thread-static index out of range");
        object? block = s_blocks[typeTlsIndex];
        if (block == null)
        {
            block = Allocator.NewObject(ThreadStaticType(typeTlsIndex));
            s_blocks[typeTlsIndex] = block;
        }
        return block;
    }

    internal static object GetInlinedThreadStaticBaseSlow(ref object? threadStorage)
    {
        Panic.Fail("inlined thread statics are not supported (build with --noinlinetls)");
        return null!;
    }

    private static int ThreadStaticTypeCount()
    {
        StartupCodeHelpers.FindThreadStaticRegion(out int length);
        return length / sizeof(int);
    }

    private static MethodTable* ThreadStaticType(int index)
    {
        byte* region = StartupCodeHelpers.FindThreadStaticRegion(out _);
        int* entry = (int*)region + index;
        return (MethodTable*)((byte*)entry + *entry);
    }
}
