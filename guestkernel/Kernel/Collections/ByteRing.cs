// A fixed-capacity FIFO of bytes (power-of-two size, free-running indices like Xen's rings):
// for console and stream buffering. Write/Read move as much as fits and return the count.
namespace ParaKit.Kernel.Collections;

public sealed class ByteRing
{
    private readonly byte[] _data;
    private readonly uint _mask;
    private uint _producer;
    private uint _consumer;

    public ByteRing(int capacity)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0)
            throw new System.ArgumentException("capacity must be a power of two", nameof(capacity));
        _data = new byte[capacity];
        _mask = (uint)capacity - 1;
    }

    public int Capacity => _data.Length;
    public int Count => (int)(_producer - _consumer);
    public int Free => _data.Length - Count;
    public bool IsEmpty => _producer == _consumer;

    public int Write(System.ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length < Free ? bytes.Length : Free;
        for (int i = 0; i < n; i++)
            _data[(_producer + (uint)i) & _mask] = bytes[i];
        _producer += (uint)n;
        return n;
    }

    public bool TryWriteByte(byte b)
    {
        if (Free == 0)
            return false;
        _data[_producer++ & _mask] = b;
        return true;
    }

    public int Read(System.Span<byte> destination)
    {
        int n = destination.Length < Count ? destination.Length : Count;
        for (int i = 0; i < n; i++)
            destination[i] = _data[(_consumer + (uint)i) & _mask];
        _consumer += (uint)n;
        return n;
    }

    public bool TryReadByte(out byte b)
    {
        if (IsEmpty)
        {
            b = 0;
            return false;
        }
        b = _data[_consumer++ & _mask];
        return true;
    }

    /// <summary>Looks at the byte <paramref name="offset"/> places from the read position without consuming it.</summary>
    public byte Peek(int offset)
    {
        if ((uint)offset >= (uint)Count)
            throw new System.ArgumentOutOfRangeException(nameof(offset));
        return _data[(_consumer + (uint)offset) & _mask];
    }
}
