// A byte stream over a power-of-two buffer in shared memory with free-running u32 counters:
// the ring discipline of the XenStore page (io/xs_wire.h) and the console page (io/console.h).
// One producer and one consumer; the peer's counter is never trusted to index memory.
using System;
using System.Threading;

namespace ParaKit.Protocols.Rings;

/// <summary>Result of a byte-ring operation.</summary>
public enum ByteRingStatus
{
    Ok = 0,
    /// <summary>prod - cons exceeds the ring size: the peer wrote a bad index. Stop using the ring.</summary>
    Corrupt = 1,
}

/// <summary>Byte-ring operations. <c>size</c> must be a power of two; the byte for counter c is at
/// c &amp; (size - 1). Each call moves as many bytes as fit (possibly 0) and reports the count.</summary>
public static unsafe class ByteRing
{
    /// <summary>Producer: copies up to the free space, then publishes the new producer counter.</summary>
    public static ByteRingStatus Write(byte* ring, uint size, uint* cons, uint* prod, ReadOnlySpan<byte> data, out int written)
    {
        written = 0;
        uint c = Volatile.Read(ref *cons);
        uint p = *prod;
        uint used = p - c;
        if (used > size)
        {
            return ByteRingStatus.Corrupt;
        }
        // mb(): the consumer counter must be read before we overwrite the bytes it freed.
        Interlocked.MemoryBarrier();
        uint free = size - used;
        int n = (uint)data.Length < free ? data.Length : (int)free;
        uint mask = size - 1;
        for (int i = 0; i < n; i++)
        {
            ring[(p + (uint)i) & mask] = data[i];
        }
        // wmb() (release): bytes visible before the counter that publishes them.
        Volatile.Write(ref *prod, p + (uint)n);
        written = n;
        return ByteRingStatus.Ok;
    }

    /// <summary>Consumer: copies up to what is available, then hands the space back.</summary>
    public static ByteRingStatus Read(byte* ring, uint size, uint* cons, uint* prod, Span<byte> into, out int read)
    {
        read = 0;
        // rmb() (acquire): bytes are read only after the counter that published them.
        uint p = Volatile.Read(ref *prod);
        uint c = *cons;
        uint avail = p - c;
        if (avail > size)
        {
            return ByteRingStatus.Corrupt;
        }
        int n = (uint)into.Length < avail ? into.Length : (int)avail;
        uint mask = size - 1;
        for (int i = 0; i < n; i++)
        {
            into[i] = ring[(c + (uint)i) & mask];
        }
        // mb(): finish reading before the producer may overwrite the space.
        Interlocked.MemoryBarrier();
        Volatile.Write(ref *cons, c + (uint)n);
        read = n;
        return ByteRingStatus.Ok;
    }

    /// <summary>Bytes that can be written now.</summary>
    public static ByteRingStatus Space(uint size, uint* cons, uint* prod, out int free)
    {
        uint used = Volatile.Read(ref *prod) - Volatile.Read(ref *cons);
        free = 0;
        if (used > size)
        {
            return ByteRingStatus.Corrupt;
        }
        free = (int)(size - used);
        return ByteRingStatus.Ok;
    }

    /// <summary>Bytes that can be read now.</summary>
    public static ByteRingStatus Available(uint size, uint* cons, uint* prod, out int available)
    {
        uint used = Volatile.Read(ref *prod) - Volatile.Read(ref *cons);
        available = 0;
        if (used > size)
        {
            return ByteRingStatus.Corrupt;
        }
        available = (int)used;
        return ByteRingStatus.Ok;
    }
}
