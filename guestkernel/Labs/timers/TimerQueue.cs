// Lab "timers": YOUR CODE. A queue of one-shot timers on top of the domain's single hardware
// timer (set_timer_op) and SCHEDOP_block: the event loop at the heart of every guest kernel.
// See README.md in this folder for the background, the task and what the grader checks.
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
    /// system time <paramref name="deadlineNs"/>. Returns an id for <see cref="Cancel"/>.
    /// Callbacks may add timers themselves.</summary>
    public int Add(ulong deadlineNs, Action callback)
    {
        // TODO(lab timers): keep _entries ordered by deadline, so Run can look at the earliest
        // one first; timers with equal deadlines fire in the order they were added.
        var e = new Entry { Id = _nextId++, Deadline = deadlineNs, Callback = callback };
        _entries.Add(e);
        return e.Id;
    }

    /// <summary>Removes the pending timer <paramref name="id"/>: true if it was pending, false if
    /// it already fired, was cancelled before, or never existed.</summary>
    public bool Cancel(int id)
    {
        // TODO(lab timers): find the entry and remove it.
        return false;
    }

    /// <summary>The event loop: runs until no timer is pending. Each timer fires once, never
    /// before its deadline, in deadline order. While nothing is due the vCPU sleeps: arm the
    /// hardware timer for the earliest deadline and block (do not spin on the clock).</summary>
    public void Run()
    {
        // TODO(lab timers): this starter runs every callback at once, in the order added,
        // without waiting. Wait for each deadline instead: Clock.NowNs() reads the time,
        // Scheduler.SetTimer(absNs) arms the one-shot timer, Scheduler.Block() sleeps until it
        // (or an event) fires. Remove an entry before running its callback.
        while (_entries.Count > 0)
        {
            Entry e = _entries[0];
            _entries.RemoveAt(0);
            e.Callback();
        }
    }
}
