// A small program to practise gdb on (guestkernel/README.md, "Debugging with gdb"): a loop with
// locals, a method with an argument. `gdbdemo break` also calls Debugger.Break() first: under
// gdb that stops like a breakpoint; without a debugger it ends the domain ("breakpoint").
//   make guest APP=gdbdemo DEBUG=1
//   out/bin/parakit run --gdb 1234 gdbdemo
//   gdb -ex 'target remote :1234' -ex 'break GdbDemo.cs:19' -ex continue out/guests/gdbdemo.elf
using System.Runtime.CompilerServices;

public static class GdbDemo
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "break")
            System.Diagnostics.Debugger.Break();
        int total = 0;
        for (int round = 1; round <= 5; round++)
        {
            int square = Square(round);
            total += square;
            System.Console.WriteLine($"round {round}: square {square}, total {total}");
        }
        System.Console.WriteLine($"gdbdemo: sum of squares {total}");
        return total == 55 ? 0 : 1;
    }

    // Kept out of line so a breakpoint on it stops once per call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Square(int value)
    {
        int result = value * value;
        return result;
    }
}
