// Exceptions: catch, finally order, filters, rethrow, nested handlers, unwinding through frames
// that own finally blocks, and the CPU faults that become .NET exceptions (division by zero,
// int.MinValue / -1, null dereference).
using System;
using System.Runtime.CompilerServices;

public static unsafe partial class FeaturesApp
{
    private static string s_trail = "";

    private sealed class ReactorException(string message, int code) : InvalidOperationException(message)
    {
        public int Code { get; } = code;
    }

    private sealed class Tracker : IDisposable
    {
        public void Dispose() => s_trail += "D";
    }

    private class Holder
    {
        public int Value = 1;
        public virtual int Get() => Value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string message) => throw new ReactorException(message, 42);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThroughFinally(int depth)
    {
        try
        {
            if (depth == 0)
                Fail("deep");
            else
                ThroughFinally(depth - 1);
        }
        finally
        {
            s_trail += depth.ToString();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool Note(string what, bool result)
    {
        s_trail += what;
        return result;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Divide(int a, int b) => a / b;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Remainder(long a, long b) => a % b;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadField(Holder? h) => h!.Value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int CallVirtual(Holder? h) => h!.Get();

    // Uses many registers, then throws: the unwinder must give every caller its callee-saved
    // registers back, or KeepRegisters' sum comes out wrong.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Clobber(long seed)
    {
        long a = seed * 3, b = seed * 5, c = seed * 7, d = seed * 11, e = seed * 13, f = seed * 17;
        for (int i = 0; i < 3; i++)
        {
            a += b ^ c; b += c ^ d; c += d ^ e; d += e ^ f; e += f ^ a; f += a ^ b;
        }
        if (seed > 0)
            Fail("clobbered " + (a + b + c + d + e + f).ToString());
        return a + b + c + d + e + f;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Catcher(long seed)
    {
        try
        {
            return Clobber(seed);
        }
        catch (ReactorException)
        {
            return 1;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long KeepRegisters(long x)
    {
        long p = x + 1, q = x + 2, r = x + 3, s = x + 4, t = x + 5;
        long got = Catcher(x);
        return p * 1 + q * 10 + r * 100 + s * 1000 + t * 10000 + got * 100000;
    }

    // A variable-size stackalloc moves rsp at run time, so this frame's CFA is rbp-based.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ThroughStackalloc(int size)
    {
        byte* buffer = stackalloc byte[size];
        buffer[size - 1] = 7;
        try
        {
            Fail("stackalloc");
        }
        finally
        {
            s_trail += buffer[size - 1].ToString();
        }
        return buffer[0];
    }

    private static void Exceptions()
    {
        string message = "";
        try
        {
            Fail("over temperature");
        }
        catch (ReactorException e)
        {
            message = e.Message + "/" + e.Code.ToString();
        }
        CheckEqual("exceptions: catch runs with the thrown object", "over temperature/42", message);

        int which = 0;
        try { Fail("x"); }
        catch (ArgumentException) { which = 1; }
        catch (InvalidOperationException) { which = 2; }
        catch (Exception) { which = 3; }
        CheckEqual("exceptions: the first matching clause (by base type) catches", 2, which);

        s_trail = "";
        try { ThroughFinally(3); }
        catch (ReactorException) { s_trail += "C"; }
        CheckEqual("exceptions: finally blocks of unwound frames run innermost first, then the catch", "0123C", s_trail);

        s_trail = "";
        try
        {
            try { Fail("f"); }
            finally { s_trail += "F"; }
        }
        catch (ReactorException) when (Note("W", true))
        {
            s_trail += "C";
        }
        CheckEqual("exceptions: filters run before inner finally blocks (two passes)", "WFC", s_trail);

        s_trail = "";
        which = 0;
        try
        {
            try { Fail("g"); }
            catch (ReactorException e) when (Note("1", e.Code == 7)) { which = 1; }
            catch (ReactorException e) when (Note("2", e.Code == 42)) { which = 2; }
        }
        catch (Exception) { which = 3; }
        Check("exceptions: a false filter passes the exception on", which == 2 && s_trail == "12", "which=" + which.ToString() + " trail=" + s_trail);

        object? first = null, second = null;
        try
        {
            try { Fail("again"); }
            catch (ReactorException e) { first = e; throw; }
        }
        catch (Exception e) { second = e; }
        Check("exceptions: rethrow passes the same object outward", first != null && ReferenceEquals(first, second));

        message = "";
        try
        {
            try { Fail("inner"); }
            catch (ReactorException) { throw new ArgumentException("replacement"); }
        }
        catch (ArgumentException e) { message = e.Message; }
        catch (ReactorException) { message = "wrong clause"; }
        CheckEqual("exceptions: a throw inside catch goes to an enclosing handler, not a sibling", "replacement", message);

        s_trail = "";
        try
        {
            Fail("outer");
        }
        catch (ReactorException)
        {
            try { Fail("nested"); }
            catch (ReactorException e) { s_trail += e.Message; }
            s_trail += "+";
        }
        CheckEqual("exceptions: try/catch nested inside a catch block", "nested+", s_trail);

        message = "";
        try
        {
            try { Fail("lost"); }
            finally { Fail("from finally"); }
        }
        catch (ReactorException e) { message = e.Message; }
        CheckEqual("exceptions: an exception from a finally block replaces the first one", "from finally", message);

        which = 0;
        try
        {
            try { Fail("h"); }
            catch (ReactorException) when (ReadField(null) == 0) { which = 1; }
        }
        catch (ReactorException) { which = 2; }
        CheckEqual("exceptions: an exception inside a filter counts as false", 2, which);

        s_trail = "";
        try
        {
            using (new Tracker())
                Fail("u");
        }
        catch (ReactorException) { s_trail += "C"; }
        CheckEqual("exceptions: using disposes while unwinding", "DC", s_trail);

        int caught = 0;
        ulong start = Internal.Runtime.Cpu.Rdtsc();
        for (int i = 0; i < 1000; i++)
        {
            try { Fail("loop"); }
            catch (ReactorException) { caught++; }
        }
        ulong cycles = Internal.Runtime.Cpu.Rdtsc() - start;
        CheckEqual("exceptions: 1000 throw/catch rounds", 1000, caught);
        System.Console.Write("info throw and catch one frame up (incl. allocating the exception): ");
        System.Console.Write(cycles / 1000);
        System.Console.WriteLine(" cycles");

        CheckEqual("exceptions: callee-saved registers are restored for every frame", 1 * 8 + 10 * 9 + 100 * 10 + 1000 * 11 + 10000 * 12 + 100000 * 1, KeepRegisters(7));

        message = "";
        try { Divide(7, 0); }
        catch (DivideByZeroException e) { message = e.GetType().Name; }
        CheckEqual("exceptions: integer division by zero (CPU #DE) is a DivideByZeroException", "DivideByZeroException", ShortName(message));

        message = "";
        try { Remainder(7, 0); }
        catch (DivideByZeroException e) { message = e.GetType().Name; }
        CheckEqual("exceptions: long remainder by zero is a DivideByZeroException", "DivideByZeroException", ShortName(message));

        message = "";
        try { Divide(int.MinValue, -1); }
        catch (ArithmeticException e) { message = e.GetType().Name; }
        CheckEqual("exceptions: int.MinValue / -1 is an OverflowException", "OverflowException", ShortName(message));

        message = "";
        try { ReadField(null); }
        catch (NullReferenceException e) { message = e.GetType().Name; }
        CheckEqual("exceptions: reading a field through null (CPU #PF) is a NullReferenceException", "NullReferenceException", ShortName(message));

        message = "";
        try { CallVirtual(null); }
        catch (NullReferenceException e) { message = e.GetType().Name; }
        CheckEqual("exceptions: a virtual call on null is a NullReferenceException", "NullReferenceException", ShortName(message));

        message = "";
        try
        {
            int[] a = new int[2];
            int i = 5;
            a[i] = 1;
        }
        catch (IndexOutOfRangeException e) { message = e.GetType().Name; }
        CheckEqual("exceptions: runtime helpers throw catchable exceptions (index out of range)", "IndexOutOfRangeException", ShortName(message));

        s_trail = "";
        try { ThroughStackalloc(100 + s_trail.Length); }
        catch (ReactorException) { s_trail += "C"; }
        CheckEqual("exceptions: unwinding through a frame with a variable-size stackalloc", "7C", s_trail);

        message = "";
        Action thrower = () => Fail("from a lambda");
        try { thrower(); }
        catch (ReactorException e) { message = e.Message; }
        CheckEqual("exceptions: thrown through a delegate call", "from a lambda", message);

        message = "";
        var map = new System.Collections.Generic.Dictionary<int, int>();
        try { _ = map[5]; }
        catch (System.Collections.Generic.KeyNotFoundException e) { message = e.GetType().Name; }
        CheckEqual("exceptions: the BCL's exceptions are catchable (Dictionary key not found)", "KeyNotFoundException", ShortName(message));

        s_trail = "";
        try { ReadField(null); }
        catch (NullReferenceException) { s_trail += "1"; }
        try { Divide(1, 0); }
        catch (DivideByZeroException) { s_trail += "2"; }
        CheckEqual("exceptions: faults keep working after earlier ones were caught", "12", s_trail);
    }
}
