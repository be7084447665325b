// Loss, reordering and duplicates of one sender's sequence numbers, as a receiver sees them.
// A bitmap remembers which of the last Window sequence numbers arrived, so a late frame is told
// apart from a duplicate and taken back out of the lost count; older frames cannot be told
// apart and are counted as TooOld only. Fixed memory, no allocation per frame.
//
// Invariant (as long as nothing arrives more than Window behind the highest sequence seen):
//   Received + Lost == Highest + 1 - First,
// where First is the lowest sequence seen: a frame below the first one received widens the
// range and the gap it opens is counted lost until those frames arrive too.
using System;

namespace ParaKit.Net.Traffic;

public sealed class SequenceTracker
{
    private readonly ulong[] _seen;     // bit (seq mod Window) for seqs in (Highest - Window, Highest]
    private readonly ulong _window;
    private bool _started;

    /// <param name="window">How far behind the highest sequence a late frame is still
    /// recognized; rounded up to a multiple of 64 (at least 64).</param>
    public SequenceTracker(int window = 4096)
    {
        int words = window <= 64 ? 1 : (window + 63) / 64;
        _seen = new ulong[words];
        _window = (ulong)words * 64;
    }

    public ulong Window => _window;
    /// <summary>Lowest and highest sequence numbers seen (valid once <see cref="Received"/> > 0).</summary>
    public ulong First { get; private set; }
    public ulong Highest { get; private set; }
    /// <summary>The sequence number an in-order sender sends next.</summary>
    public ulong ExpectedNext => _started ? Highest + 1 : 0;
    /// <summary>Distinct sequence numbers received.</summary>
    public ulong Received { get; private set; }
    /// <summary>Sequence numbers in First..Highest not (yet) received.</summary>
    public ulong Lost { get; private set; }
    /// <summary>Frames that arrived after a higher sequence number (and were not duplicates).</summary>
    public ulong Reordered { get; private set; }
    public ulong Duplicates { get; private set; }
    /// <summary>Frames Window or more behind Highest: late or duplicate, no longer known which.</summary>
    public ulong TooOld { get; private set; }

    public void Track(ulong seq)
    {
        if (!_started)
        {
            _started = true;
            First = Highest = seq;
            Received = 1;
            Mark(seq);
            return;
        }
        if (seq > Highest)
        {
            ulong gap = seq - Highest - 1;
            if (gap + 1 >= _window)
                Array.Clear(_seen, 0, _seen.Length);
            else
                for (ulong s = Highest + 1; s < seq; s++)
                    Clear(s);
            Lost += gap;
            Highest = seq;
            Received++;
            Mark(seq);
            return;
        }
        if (Highest - seq >= _window)
        {
            TooOld++;
            return;
        }
        if (IsMarked(seq))
        {
            Duplicates++;
            return;
        }
        Mark(seq);
        Received++;
        Reordered++;
        if (seq < First)
        {
            // A frame from before the first one seen: the range grows down to it, and what lies
            // between is missing (so far).
            Lost += First - seq - 1;
            First = seq;
        }
        else
        {
            Lost--;
        }
    }

    public void Reset()
    {
        Array.Clear(_seen, 0, _seen.Length);
        _started = false;
        First = Highest = Received = Lost = Reordered = Duplicates = TooOld = 0;
    }

    private void Mark(ulong seq)
    {
        ulong bit = seq % _window;
        _seen[(int)(bit >> 6)] |= 1UL << (int)(bit & 63);
    }

    private void Clear(ulong seq)
    {
        ulong bit = seq % _window;
        _seen[(int)(bit >> 6)] &= ~(1UL << (int)(bit & 63));
    }

    private bool IsMarked(ulong seq)
    {
        ulong bit = seq % _window;
        return (_seen[(int)(bit >> 6)] & (1UL << (int)(bit & 63))) != 0;
    }
}
