// Readable type names without reflection metadata: build.sh links the image twice and the second
// time adds a table of (MethodTable address, name) pairs taken from the first link's symbol
// table (section .parakit.typenames, symbol __parakit_type_names). Panics and Type.Name use it.
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

internal static unsafe class TypeNames
{
    [RuntimeImport("*", "ParaKitTypeNames"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong* Table();

    /// <summary>The NUL-terminated name of a type, or null if the image has no entry for it.</summary>
    internal static byte* Find(MethodTable* type)
    {
        ulong* table = Table();
        if (table == null)
            return null;
        // Entries are sorted by address: binary search.
        ulong count = table[0];
        ulong* entries = table + 1;
        ulong low = 0, high = count;
        while (low < high)
        {
            ulong mid = (low + high) / 2;
            ulong key = entries[mid * 2];
            if (key == (ulong)type)
                return (byte*)entries[mid * 2 + 1];
            if (key < (ulong)type)
                low = mid + 1;
            else
                high = mid;
        }
        return null;
    }

    internal static void Write(MethodTable* type)
    {
        byte* name = Find(type);
        if (name == null)
        {
            Panic.Write("type@");
            Panic.WriteHex((ulong)type);
            return;
        }
        int length = 0;
        while (name[length] != 0)
            length++;
        Panic.WriteBytes(name, length);
    }

    internal static string Describe(MethodTable* type)
    {
        byte* name = Find(type);
        if (name == null)
            return "type@" + ((ulong)type).ToString();
        int length = 0;
        while (name[length] != 0)
            length++;
        return string.FromAscii(name, length);
    }
}
