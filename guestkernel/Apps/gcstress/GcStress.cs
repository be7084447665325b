// Garbage-collector stress: keeps a working set of live objects (arrays, strings, linked
// nodes) while allocating many times the heap size in short-lived garbage, and checks after
// every round that the live data is intact. Prints the collections it caused and exits 0 if
// nothing was corrupted. Run it with a small memory size (e.g. --memory 16) to force many
// collections. Argument: rounds (default 40).
using Internal.Runtime;
using ParaKit.Kernel;

public static class GcStressApp
{
    private sealed class Node
    {
        public int Id;
        public int[] Payload = null!;
        public string Name = null!;
        public Node? Next;
    }

    private const int Slots = 64;
    private static Node?[] s_slots = new Node?[Slots];
    private static ulong s_random = 0x9E3779B97F4A7C15;

    private static uint Next()
    {
        s_random ^= s_random << 13;
        s_random ^= s_random >> 7;
        s_random ^= s_random << 17;
        return (uint)s_random;
    }

    private static Node Make(int id)
    {
        int length = 16 + (int)(Next() % 4000);
        var node = new Node { Id = id, Payload = new int[length], Name = "node-" + id.ToString() };
        for (int i = 0; i < length; i++)
            node.Payload[i] = id * 31 + i;
        if (Next() % 2 == 0)
            node.Next = new Node { Id = -id, Payload = new int[] { id }, Name = "child-" + id.ToString() };
        return node;
    }

    private static bool Verify(Node node)
    {
        for (int i = 0; i < node.Payload.Length; i++)
            if (node.Payload[i] != node.Id * 31 + i)
                return false;
        if (node.Name != "node-" + node.Id.ToString())
            return false;
        if (node.Next != null && (node.Next.Id != -node.Id || node.Next.Payload[0] != node.Id || node.Next.Name != "child-" + node.Id.ToString()))
            return false;
        return true;
    }

    public static int Main(string[] args)
    {
        int rounds = 40;
        if (args.Length > 0 && ulong.TryParse(args[0], out ulong r) && r > 0)
            rounds = (int)r;
        HeapStatistics start = Allocator.Statistics;
        Console.Write("gcstress: heap ");
        Console.Write((start.HeapEnd - start.HeapStart) >> 10);
        Console.WriteLine(" KiB");
        int nextId = 1;
        ulong garbage = 0;
        ulong cycles = Cpu.Rdtsc();
        for (int round = 0; round < rounds; round++)
        {
            // Replace some of the working set, and make garbage of every size class.
            for (int k = 0; k < 16; k++)
                s_slots[Next() % Slots] = Make(nextId++);
            for (int k = 0; k < 200; k++)
            {
                int size = (int)(Next() % 20000);
                byte[] junk = new byte[size];
                if (size > 0)
                    junk[size - 1] = 1;
                garbage += (ulong)size;
                string text = "garbage " + k.ToString();
                garbage += (ulong)text.Length * 2;
            }
            for (int i = 0; i < Slots; i++)
            {
                Node? node = s_slots[i];
                if (node != null && !Verify(node))
                {
                    Console.Write("gcstress: FAIL live node ");
                    Console.Write(node.Id);
                    Console.WriteLine(" was corrupted");
                    return 1;
                }
            }
        }
        cycles = Cpu.Rdtsc() - cycles;
        HeapStatistics end = Allocator.Statistics;
        Console.Write("gcstress: ok, ");
        Console.Write(garbage >> 20);
        Console.Write(" MiB of garbage, collections=");
        Console.Write(end.Collections);
        Console.Write(" collected_mib=");
        Console.Write(end.BytesCollected >> 20);
        Console.Write(" last_gc_us=");
        Console.Write(Clock.CyclesToNs(System.GC.LastCollectionCycles) / 1000);
        Console.Write(" total_ms=");
        Console.Write(Clock.CyclesToNs(cycles) / 1_000_000);
        Console.WriteLine();
        return end.Collections > 0 ? 0 : 1;
    }
}
