// Lab "timers": REFERENCE SOLUTION (tests/ParaKit.Tests/Labs; not handed to students). A queue
// of one-shot timers on top of the domain's single hardware timer (set_timer_op) and SCHEDOP_block.
public sealed class TimerQueue
{
    private readonly List<Entry> _entries = new List<Entry>();
    private int _nextId = 1;

    private sealed class Entry
    {
        public int Id;
        public ulong Deadline;      // absolute system time in ns (Clock.NowNs())
        public Action Callback = null!;
    }

    /// <summary>Timers added and neither fired nor cancelled yet.</summary>
    public int Pending => _entries.Count;

    /// <summary>Adds a timer that runs <paramref name="callback"/> once, at or after the absolute
    /// system time <paramref name="deadlineNs"/>. Returns an id for <see cref="Cancel"/>.</summary>
    public int Add(ulong deadlineNs, Action callback)
    {
        var e = new Entry { Id = _nextId++, Deadline = deadlineNs, Callback = callback };
        // After every entry with a deadline at or before ours: ties keep the order of Add.
        int at = _entries.Count;
        while (at > 0 && _entries[at - 1].Deadline > deadlineNs)
            at--;
        _entries.Insert(at, e);
        return e.Id;
    }

    /// <summary>Removes the pending timer <paramref name="id"/>: true if it was pending.</summary>
    public bool Cancel(int id)
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Id == id)
            {
                _entries.RemoveAt(i);
                return true;
            }
        }
        return false;
    }

    /// <summary>The event loop: runs until no timer is pending, sleeping until the earliest deadline.</summary>
    public void Run()
    {
        while (_entries.Count > 0)
        {
            Entry first = _entries[0];
            if (Clock.NowNs() >= first.Deadline)
            {
                // Off the queue before the callback runs: it may add (or cancel) timers.
                _entries.RemoveAt(0);
                first.Callback();
                continue;
            }
            // One timer for the earliest deadline; Block returns when it fires (or on an
            // event), and the loop looks at the clock again: an early wake-up costs one pass.
            Scheduler.SetTimer(first.Deadline);
            Scheduler.Block();
        }
        Scheduler.SetTimer(0);
    }
}
