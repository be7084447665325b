// Lazy class constructors: before the first access to a type's statics, ILC-generated code
// checks the type's construction context and calls these helpers while the cctor pointer is
// still set. Single vCPU, no threads: clear the pointer, then run the cctor (so a recursive
// access from inside the cctor sees the type as initialized, as .NET does on one thread).
using System.Runtime;

namespace System.Runtime.CompilerServices;

internal unsafe struct StaticClassConstructionContext
{
    public nint cctorMethodAddress;
}

internal static unsafe class ClassConstructorRunner
{
    private static void EnsureClassConstructorRun(StaticClassConstructionContext* context)
    {
        nint cctor = context->cctorMethodAddress;
        if (cctor == 0)
            return;
        context->cctorMethodAddress = 0;
        ((delegate*<void>)cctor)();
    }

    private static object CheckStaticClassConstructionReturnGCStaticBase(StaticClassConstructionContext* context, object gcStaticBase)
    {
        EnsureClassConstructorRun(context);
        return gcStaticBase;
    }

    private static object CheckStaticClassConstructionReturnThreadStaticBase(StaticClassConstructionContext* context, object threadStaticBase)
    {
        EnsureClassConstructorRun(context);
        return threadStaticBase;
    }

    private static nint CheckStaticClassConstructionReturnNonGCStaticBase(StaticClassConstructionContext* context, nint nonGcStaticBase)
    {
        EnsureClassConstructorRun(context);
        return nonGcStaticBase;
    }
}
