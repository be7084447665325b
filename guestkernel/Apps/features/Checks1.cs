// Allocation, strings, formatting, arrays, spans, boxing and casts.
using System;
using Internal.Runtime;
using System.Runtime.CompilerServices;
using ParaKit.Kernel;

public static partial class FeaturesApp
{
    private sealed class Node
    {
        public int Value;
        public Node? Next;
    }

    private static unsafe void Allocation()
    {
        HeapStatistics before = Allocator.Statistics;
        Node head = new Node { Value = 1 };
        for (int i = 2; i <= 100; i++)
            head = new Node { Value = i, Next = head };
        HeapStatistics after = Allocator.Statistics;
        int sum = 0;
        for (Node? n = head; n != null; n = n.Next)
            sum += n.Value;
        CheckEqual("allocation: linked list of 100 objects", 5050, sum);
        Check("allocation: heap statistics count objects", after.ObjectsAllocated >= before.ObjectsAllocated + 100);
        Check("allocation: heap statistics count bytes", after.BytesAllocated >= before.BytesAllocated + 100 * 24);
        Check("allocation: heap lies inside StartInfo's heap", after.HeapStart >= Kernel.StartInfo->HeapStart && after.HeapEnd <= Kernel.StartInfo->HeapEnd);
        byte[] big = new byte[256 * 1024];
        big[big.Length - 1] = 7;
        Check("allocation: large zeroed array", big[0] == 0 && big[big.Length - 1] == 7 && big.Length == 256 * 1024);
    }

    private static object? s_rooted;

    private static unsafe void Collection()
    {
        HeapStatistics initial = Allocator.Statistics;
        Node list = new Node { Value = 0 };
        for (int i = 1; i < 1000; i++)
            list = new Node { Value = i, Next = list };
        s_rooted = new int[] { 4, 5, 6 };
        byte* raw = (byte*)Allocator.AllocateRaw(64);
        raw[63] = 0x5A;
        Unsafe.As<byte, object>(ref *raw) = new string('r', 3);   // referenced only from raw memory
        for (int i = 0; i < 2000; i++)
        {
            byte[] garbage = new byte[1000 + i];
            garbage[0] = 1;
        }
        HeapStatistics before = Allocator.Statistics;
        GC.Collect();
        HeapStatistics after = Allocator.Statistics;
        int sum = 0;
        for (Node? n = list; n != null; n = n.Next)
            sum += n.Value;
        // With a small heap some collections already ran inside the loop: count them all.
        Check("gc: collection runs and frees garbage", after.Collections == before.Collections + 1 && after.BytesCollected - initial.BytesCollected >= 2_000_000,
            "collected " + (after.BytesCollected - initial.BytesCollected).ToString() + " bytes");
        CheckEqual("gc: live linked list survives", 499500, sum);
        Check("gc: object rooted in a static survives", s_rooted is int[] a && a[2] == 6);
        Check("gc: raw memory and what it references survive", raw[63] == 0x5A && Unsafe.As<byte, object>(ref *raw) is string r && r == "rrr");
        Check("gc: freed space is allocatable again", after.BytesFree >= before.BytesFree);
        byte[] reuse = new byte[4096];
        Check("gc: memory reused after collection is zeroed", reuse[0] == 0 && reuse[4095] == 0);
    }

    private static unsafe void Strings()
    {
        string a = "Para";
        string b = "Kit";
        string ab = a + b;
        CheckEqual("strings: concatenation", "ParaKit", ab);
        CheckEqual("strings: length", 7, ab.Length);
        Check("strings: indexer", ab[4] == 'K');
        Check("strings: equality by value", ab == "Para" + "Kit" && ab != "parakit");
        Check("strings: equal strings hash equally", ab.GetHashCode() == string.Concat("Par", "aKit").GetHashCode());
        CheckEqual("strings: substring", "aKi", ab.Substring(3, 3));
        Check("strings: IndexOf/StartsWith/Contains", ab.IndexOf('K') == 4 && ab.StartsWith("Para") && ab.Contains("aK") && !ab.Contains("xyz"));
        int x = 42;
        CheckEqual("strings: interpolation", "x=42 hex=2a y=-7", $"x={x} hex={x:x} y={-7}");
        CheckEqual("strings: concat with numbers", "n=12345678901", "n=" + 12345678901L);
        string command = "stop";
        int code = command switch { "start" => 1, "stop" => 2, _ => 0 };
        CheckEqual("strings: switch on string", 2, code);
        CheckEqual("strings: new string(char, count)", "---", new string('-', 3));
        char[] chars = { 'a', 'b', 'c' };
        CheckEqual("strings: new string(char[])", "abc", new string(chars));
        fixed (char* p = ab)
            Check("strings: fixed pins the characters", p[0] == 'P' && p[6] == 't');
        string[] parts = "a,b,,c".Split(',');
        Check("strings: Split keeps empty parts", parts.Length == 4 && parts[1] == "b" && parts[2] == "" && parts[3] == "c");
        CheckEqual("strings: Join", "a-b--c", string.Join("-", parts));
        CheckEqual("strings: Trim", "x y", "  x y\t\n".Trim());
        Check("strings: EndsWith/LastIndexOf/Replace", "kernel.elf".EndsWith(".elf") && "a.b.c".LastIndexOf('.') == 3 && "a.b".Replace('.', '/') == "a/b");
        Check("strings: empty and null", string.IsNullOrEmpty("") && string.IsNullOrEmpty(null) && !string.IsNullOrEmpty(a));
    }

    private static void Formatting()
    {
        CheckEqual("format: int ToString", "-2147483648", int.MinValue.ToString());
        CheckEqual("format: ulong ToString", "18446744073709551615", ulong.MaxValue.ToString());
        CheckEqual("format: hex", "0x00ff", "0x" + 255.ToString("x4"));
        CheckEqual("format: decimal", "-12", (-12L).ToString());
        CheckEqual("format: pad left", "   42", "42".PadLeft(5));
        Check("format: parse", ulong.TryParse("1000000", out ulong parsed) && parsed == 1000000 && !ulong.TryParse("12a", out _));
        var sb = new StringBuilder();
        sb.Append("a=").Append(1).Append(' ').Append($"0x{0xbeef:x}").AppendLine();
        CheckEqual("format: string builder", "a=1 0xbeef\n", sb.ToString());
        CheckEqual("format: bool ToString", "True", true.ToString());
        CheckEqual("format: double ToString (shortest round-trip)", "2.5 -0.125 3 0.3333333333333333", 2.5.ToString() + " " + (-0.125).ToString() + " " + 3.0.ToString() + " " + (1.0 / 3).ToString());
        CheckEqual("format: enum ToString is its value", "2", Color.Green.ToString());
        Check("format: int.TryParse", int.TryParse("-42", out int parsedInt) && parsedInt == -42 && !int.TryParse("99999999999", out _) && !int.TryParse("4x", out _));
        Check("format: char helpers", char.IsLetter('q') && !char.IsLetter('1') && char.ToUpper('a') == 'A');
    }

    private static void Arrays()
    {
        int[] numbers = { 5, 3, 8, 1 };
        int total = 0;
        foreach (int n in numbers)
            total += n;
        CheckEqual("arrays: initializer and foreach", 17, total);
        string[] words = new string[3];
        words[0] = "x";
        object[] covariant = words;
        Check("arrays: covariance (string[] as object[])", covariant.Length == 3 && (string)covariant[0] == "x");
        covariant[1] = "y";
        Check("arrays: checked store of a compatible element", words[1] == "y");
        int[] copy = new int[4];
        Array.Copy(numbers, copy, 4);
        Check("arrays: Array.Copy", copy[2] == 8 && copy[3] == 1);
        long[][] jagged = new long[3][];
        for (int i = 0; i < 3; i++)
            jagged[i] = new long[i + 1];
        jagged[2][2] = long.MaxValue;
        Check("arrays: jagged arrays", jagged[2].Length == 3 && jagged[2][2] == long.MaxValue);
        int[,] grid = new int[3, 4];
        grid[2, 3] = 7;
        grid[0, 1] = 5;
        string[,,] cube = new string[2, 2, 2];
        cube[1, 0, 1] = "z";
        Check("arrays: multi-dimensional", grid[2, 3] + grid[0, 1] == 12 && grid.Length == 12 && grid.GetLength(1) == 4 && grid.Rank == 2 && cube[1, 0, 1] == "z" && cube[0, 0, 0] == null);
        Check("arrays: Array.Empty", Array.Empty<int>().Length == 0 && ReferenceEquals(Array.Empty<string>(), Array.Empty<string>()));
        Node[] nodes = new Node[2];
        nodes[0] = new Node { Value = 9 };
        Check("arrays: arrays of objects", nodes[0].Value == 9 && nodes[1] == null);
    }

    private static unsafe void Spans()
    {
        Span<int> stack = stackalloc int[8];
        for (int i = 0; i < stack.Length; i++)
            stack[i] = i * i;
        Span<int> middle = stack.Slice(2, 3);
        Check("spans: stackalloc, slice, indexer", middle.Length == 3 && middle[0] == 4 && middle[2] == 16);
        ReadOnlySpan<byte> literal = "hello"u8;
        Check("spans: u8 literal", literal.Length == 5 && literal[0] == (byte)'h' && literal[4] == (byte)'o');
        int[] array = { 1, 2, 3 };
        Span<int> overArray = array;
        overArray[1] = 20;
        Check("spans: over an array writes through", array[1] == 20);
        int sum = 0;
        foreach (int v in (ReadOnlySpan<int>)array)
            sum += v;
        CheckEqual("spans: foreach", 24, sum);
        byte* raw = stackalloc byte[4];
        var fromPointer = new Span<byte>(raw, 4);
        fromPointer.Fill(0xAB);
        Check("spans: from pointer, Fill", raw[3] == 0xAB);
        Span<int> target = stackalloc int[3];
        array.AsSpan().CopyTo(target);
        Check("spans: CopyTo", target[1] == 20);
        // Plain data is copied with one memmove: overlapping copies either way, and Clear.
        Span<int> run = stackalloc int[6];
        for (int i = 0; i < 6; i++)
            run[i] = i;
        run.Slice(0, 4).CopyTo(run.Slice(2));                  // destination above source
        Check("spans: overlapping CopyTo forward", run[2] == 0 && run[5] == 3);
        ((ReadOnlySpan<int>)run.Slice(2, 4)).CopyTo(run);     // destination below source
        Check("spans: overlapping ReadOnlySpan.CopyTo back", run[0] == 0 && run[3] == 3);
        run.Slice(1, 2).Clear();
        Check("spans: Clear of plain data", run[0] == 0 && run[1] == 0 && run[2] == 0 && run[3] == 3);
        string[] names = ["a", "b", "c"];
        var copies = new string[3];
        names.AsSpan().CopyTo(copies);
        Check("spans: CopyTo of references", copies[2] == "c");
    }

    private enum Color : byte { Red = 1, Green = 2 }

    private static void Boxing()
    {
        object boxed = 42;
        Check("boxing: int box/unbox", boxed is int && (int)boxed == 42);
        object boxedLong = 1L << 40;
        Check("boxing: long", (long)boxedLong == 1L << 40);
        object color = Color.Green;
        Check("boxing: enum", color is Color c && c == Color.Green);
        int? maybe = 5;
        object boxedNullable = maybe;
        Check("boxing: Nullable<int> boxes as int", boxedNullable is int i && i == 5);
        int? none = null;
        Check("boxing: empty Nullable boxes to null", (object?)none == null);
        int? back = (int?)boxedNullable;
        Check("boxing: unbox to Nullable", back.HasValue && back.Value == 5);
        object point = new Point { X = 3, Y = 4 };
        Point p = (Point)point;
        Check("boxing: struct", p.X == 3 && p.Y == 4);
        Check("boxing: Equals on boxed ints", boxed.Equals(42) && !boxed.Equals(43));
        object p1 = new Point { X = 1, Y = 2 }, p2 = new Point { X = 1, Y = 2 }, p3 = new Point { X = 2, Y = 1 };
        Check("boxing: struct Equals/GetHashCode by value", p1.Equals(p2) && !p1.Equals(p3) && p1.GetHashCode() == p2.GetHashCode());
        Check("boxing: Enum.HasFlag", (Color.Red | Color.Green).HasFlag(Color.Green));
    }

    private struct Point
    {
        public int X;
        public int Y;
    }

    private class Animal
    {
        public virtual string Sound => "...";
    }

    private class Dog : Animal
    {
        public override string Sound => "woof";
    }

    private sealed class Puppy : Dog
    {
        public override string Sound => "yip";
    }

    private static void Casts()
    {
        Animal a = new Puppy();
        Check("casts: is on base class", a is Dog && a is Puppy && a is Animal);
        Check("casts: as returns null on mismatch", (new Animal() as Dog) == null);
        object s = "text";
        Check("casts: object to string", s is string str && str.Length == 4);
        Check("casts: is interface", (object)new Circle(1) is IShape && !((object)"x" is IShape));
        IShape? shape = (object)new Square(2) as IShape;
        Check("casts: as interface", shape != null && shape.Area() == 4);
        object arr = new string[1];
        Check("casts: array types", arr is string[] && arr is object[] && !(arr is int[]));
    }
}
