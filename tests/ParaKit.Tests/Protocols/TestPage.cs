// A zeroed, page-aligned native page for ring, grant and event tests: the same kind of memory
// the hypervisor shares with guests, so barriers and atomics act on real unmanaged memory.
using System.Runtime.InteropServices;

namespace ParaKit.Tests.Protocols;

internal sealed unsafe class TestPage : IDisposable
{
    public const int Size = 4096;

    public byte* Pointer { get; private set; }

    public TestPage()
    {
        Pointer = (byte*)NativeMemory.AlignedAlloc(Size, Size);
        NativeMemory.Clear(Pointer, Size);
    }

    public T* As<T>() where T : unmanaged => (T*)Pointer;

    public void Dispose()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}
