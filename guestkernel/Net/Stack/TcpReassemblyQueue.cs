// The out-of-order ranges of one connection's receive side: sorted, disjoint [start, end)
// sequence ranges whose bytes are already in the receive buffer. Bounded: a segment that would
// need one range too many is refused (the caller counts it and the sender retransmits).
namespace ParaKit.Net.Stack;

internal sealed class TcpReassemblyQueue
{
    private readonly uint[] _start, _end;
    private int _count;

    public TcpReassemblyQueue(int ranges)
    {
        _start = new uint[ranges];
        _end = new uint[ranges];
    }

    public int Count => _count;

    public void Clear() => _count = 0;

    /// <summary>Records [start, end) (all after RCV.NXT), merging with neighbours. False when it
    /// would need a new range and all are in use.</summary>
    public bool Add(uint start, uint end)
    {
        int i = 0;
        while (i < _count && TcpSeq.Lt(_end[i], start))
            i++;
        // i is the first range that ends at or after start: merge every range that touches.
        int j = i;
        while (j < _count && TcpSeq.Le(_start[j], end))
        {
            start = TcpSeq.Min(start, _start[j]);
            end = TcpSeq.Max(end, _end[j]);
            j++;
        }
        int merged = j - i;
        if (merged == 0)
        {
            if (_count == _start.Length)
                return false;
            for (int k = _count; k > i; k--)
            {
                _start[k] = _start[k - 1];
                _end[k] = _end[k - 1];
            }
            _count++;
        }
        else if (merged > 1)
        {
            for (int k = i + 1; k + merged - 1 < _count; k++)
            {
                _start[k] = _start[k + merged - 1];
                _end[k] = _end[k + merged - 1];
            }
            _count -= merged - 1;
        }
        _start[i] = start;
        _end[i] = end;
        return true;
    }

    /// <summary>Moves RCV.NXT over every range that now joins it and returns the new value.</summary>
    public uint Advance(uint rcvNxt)
    {
        int taken = 0;
        while (taken < _count && TcpSeq.Le(_start[taken], rcvNxt))
        {
            rcvNxt = TcpSeq.Max(rcvNxt, _end[taken]);
            taken++;
        }
        if (taken > 0)
        {
            for (int k = 0; k + taken < _count; k++)
            {
                _start[k] = _start[k + taken];
                _end[k] = _end[k + taken];
            }
            _count -= taken;
        }
        return rcvNxt;
    }
}
