// Start-up of the managed world: walk the ReadyToRun header of each module ILC linked in
// (found through the __modules section), allocate the GC static bases (copying pre-initialized
// data ILC computed at compile time), then run the eager class constructors. Also the hooks
// ILC's generated `__managed__Main` calls (arguments, module initializers).
using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime.CompilerHelpers;

public static unsafe class StartupCodeHelpers
{
    private const uint ReadyToRunSignature = 0x00525452; // "RTR"
    private const int GCStaticRegion = 201;
    private const int EagerCctor = 205;
    private const int ModuleInitializerList = 213;

    // Low bits of a GC static slot before start-up.
    private const nint Uninitialized = 1;
    private const nint HasPreInitializedData = 2;

    private static string[]? s_mainArguments;
    private static bool s_initialized;

    [RuntimeImport("*", "ParaKitModulesStart"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern nint* ModulesStart();

    [RuntimeImport("*", "ParaKitModulesEnd"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern nint* ModulesEnd();

    /// <summary>Initializes statics and runs eager class constructors. Call once, after
    /// <see cref="Allocator.Initialize"/> and before touching any static reference field.</summary>
    public static void InitializeRuntime()
    {
        if (s_initialized)
            return;
        for (nint* header = ModulesStart(); header < ModulesEnd(); header++)
        {
            if (*header != 0)
                InitializeStatics((byte*)*header);
        }
        s_initialized = true;
        for (nint* header = ModulesStart(); header < ModulesEnd(); header++)
        {
            if (*header != 0)
                RunInitializers((byte*)*header, EagerCctor);
        }
    }

    /// <summary>Finds section <paramref name="id"/> in a ReadyToRun header.</summary>
    private static byte* FindSection(byte* header, int id, out int length)
    {
        length = 0;
        if (*(uint*)header != ReadyToRunSignature)
            Panic.Fail("__modules entry without a ReadyToRun header");
        int count = *(ushort*)(header + 12);
        int entrySize = header[14];
        byte* entry = header + 16;
        for (int i = 0; i < count; i++, entry += entrySize)
        {
            if (*(int*)entry == id)
            {
                byte* start = *(byte**)(entry + 8);
                byte* end = *(byte**)(entry + 16);
                length = (int)(end - start);
                return start;
            }
        }
        return null;
    }

    private static void* ReadRelative(void* address) => (byte*)address + *(int*)address;

    /// <summary>The ThreadStaticRegion of the (single) module: relative pointers to the
    /// MethodTables of each type's thread-static block.</summary>
    internal static byte* FindThreadStaticRegion(out int length)
    {
        length = 0;
        for (nint* header = ModulesStart(); header < ModulesEnd(); header++)
        {
            if (*header == 0)
                continue;
            byte* region = FindSection((byte*)*header, 202, out length);
            if (region != null)
                return region;
        }
        return null;
    }

    private static void InitializeStatics(byte* header)
    {
        byte* region = FindSection(header, GCStaticRegion, out int length);
        for (byte* entry = region; entry < region + length; entry += sizeof(int))
        {
            // Each entry points at a static base slot that holds a relative pointer to the
            // MethodTable of the statics holder, tagged with the flags above.
            nint* slot = (nint*)ReadRelative(entry);
            nint tagged = (nint)ReadRelative(slot);
            if ((tagged & Uninitialized) == 0)
                continue;
            MethodTable* holderType = (MethodTable*)(tagged & ~(nint)3);
            object holder = Allocator.NewObject(holderType);
            byte* data = *(byte**)Unsafe.AsPointer(ref holder) + sizeof(nint);
            if ((tagged & HasPreInitializedData) != 0)
            {
                byte* preinitialized = (byte*)ReadRelative((int*)slot + 1);
                Buffer.Memmove(data, preinitialized, System.Runtime.TypeCast.ValueSize(holderType));
            }
            *slot = *(nint*)Unsafe.AsPointer(ref holder);
        }
    }

    private static void RunInitializers(byte* header, int section)
    {
        byte* region = FindSection(header, section, out int length);
        for (byte* entry = region; entry < region + length; entry += sizeof(int))
        {
            var initializer = (delegate*<void>)ReadRelative(entry);
            initializer();
        }
    }

    // Called by ILC's __managed__Main before Main.
    internal static void RunModuleInitializers()
    {
        for (nint* header = ModulesStart(); header < ModulesEnd(); header++)
        {
            if (*header != 0)
                RunInitializers((byte*)*header, ModuleInitializerList);
        }
    }

    /// <summary>Sets what Main(string[] args) receives (the kernel splits the command line).</summary>
    public static void SetMainArguments(string[] arguments) => s_mainArguments = arguments;

    // ILC's __managed__Main passes the native argc/argv here; a guest has none (the kernel
    // supplies the arguments from StartInfo's command line instead).
    internal static void InitializeCommandLineArgs(int argc, sbyte** argv) { }

    internal static string[] GetMainMethodArguments() => s_mainArguments ?? new string[0];
}

/// <summary>Type handles for `typeof` and `ldtoken`, called by ILC-generated code by name.</summary>
internal static unsafe class LdTokenHelpers
{
    private static RuntimeTypeHandle GetRuntimeTypeHandle(nint type) => new RuntimeTypeHandle((MethodTable*)type);
    private static Type GetRuntimeType(nint type) => Type.GetTypeFromHandle(new RuntimeTypeHandle((MethodTable*)type));
    private static RuntimeMethodHandle GetRuntimeMethodHandle(nint method) => new RuntimeMethodHandle(method);
    private static RuntimeFieldHandle GetRuntimeFieldHandle(nint field) => new RuntimeFieldHandle(field);
}
