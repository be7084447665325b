// Multi-dimensional arrays (new T[a, b]): ILC calls NewObjArray by name. Layout on x64:
// [MT*][int total length][int pad][int lengths[rank]][int lower bounds[rank]][elements...];
// BaseSize already covers everything before the elements.
namespace Internal.Runtime.CompilerHelpers
{

internal static unsafe class ArrayHelpers
{
    public static object NewObjArray(nint pEEType, int nDimensions, int* pDimensions)
    {
        MethodTable* mt = (MethodTable*)pEEType;
        ulong total = 1;
        for (int i = 0; i < nDimensions; i++)
        {
            if (pDimensions[i] < 0)
                ThrowHelpers.ThrowOverflowException();
            total *= (ulong)pDimensions[i];
            if (total > int.MaxValue)
                ThrowHelpers.ThrowOverflowException();
        }
        object array = Allocator.NewArray(mt, (int)total);
        int* bounds = (int*)(*(byte**)&array + 2 * sizeof(int) + sizeof(nint));
        for (int i = 0; i < nDimensions; i++)
        {
            bounds[i] = pDimensions[i];
            bounds[nDimensions + i] = 0;
        }
        return array;
    }
}
}

namespace System.Runtime
{
    internal static unsafe class RuntimeImports
    {
        // Type check ILC's multi-dimensional array Set performs before storing a reference.
        internal static void RhCheckArrayStore(object array, object? obj)
        {
            if (obj == null)
                return;
            MethodTable* elementType = array.m_pEEType->RelatedType;
            if (obj.m_pEEType != elementType && !TypeCast.AreTypesAssignable(obj.m_pEEType, elementType))
                ThrowHelpers.ThrowArrayTypeMismatchException();
        }
    }
}
