// Sleeps 10 ms a few times with set_timer_op + SCHEDOP_block and prints the system-time delta
// each time (from the pvclock in shared_info). Exits 1 if any sleep was shorter than asked.
using ParaKit.Kernel;

public static class TimerApp
{
    private const ulong SleepNs = 10_000_000;

    public static int Main(string[] args)
    {
        int rounds = 5;
        if (args.Length > 0 && ulong.TryParse(args[0], out ulong n) && n > 0 && n < 1000)
            rounds = (int)n;
        ulong shortest = ulong.MaxValue, longest = 0;
        for (int i = 0; i < rounds; i++)
        {
            ulong before = Clock.NowNs();
            Scheduler.Sleep(SleepNs);
            ulong delta = Clock.NowNs() - before;
            if (delta < shortest) shortest = delta;
            if (delta > longest) longest = delta;
            Console.Write("timer: slept 10 ms, measured delta_ns=");
            Console.Write(delta);
            Console.WriteLine();
        }
        Console.Write("timer: min_ns=");
        Console.Write(shortest);
        Console.Write(" max_ns=");
        Console.Write(longest);
        Console.WriteLine();
        return shortest >= SleepNs ? 0 : 1;
    }
}
