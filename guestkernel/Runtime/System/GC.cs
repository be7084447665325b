// System.GC for guests: the collector in Internal/Collector.cs.
namespace System;

/// <summary>The guest's garbage collector: conservative, non-moving, stop-the-world.</summary>
public static class GC
{
    /// <summary>Collects now (normally it runs by itself when the heap is full).</summary>
    public static void Collect() => Internal.Runtime.Collector.Collect();

    public static int CollectionCount(int generation) => (int)Internal.Runtime.Collector.Collections;

    public static long GetTotalMemory(bool forceFullCollection)
    {
        if (forceFullCollection)
            Collect();
        return (long)Internal.Runtime.Allocator.Statistics.BytesAllocated;
    }

    /// <summary>CPU cycles the last collection took.</summary>
    public static ulong LastCollectionCycles => Internal.Runtime.Collector.LastCollectionCycles;

    public static void KeepAlive(object? obj) { }

    // Finalizers never run, so there is nothing to suppress.
    public static void SuppressFinalize(object obj) { }
}
