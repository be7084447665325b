// The BCL shapes students type: System.Collections.Generic, StringBuilder, string helpers,
// Array.Sort and friends, Math, Parse/TryParse, numeric format strings with alignment and
// System.Console's format overloads. Expected texts are what .NET prints (invariant culture).
public static partial class FeaturesApp
{
    private enum Suit { Clubs = 3, Hearts = 1, Spades = 2 }

    private readonly struct Cell : IEquatable<Cell>, IComparable<Cell>
    {
        public readonly int X, Y;
        public Cell(int x, int y) { X = x; Y = y; }
        public bool Equals(Cell other) => X == other.X && Y == other.Y;
        public override bool Equals(object? obj) => obj is Cell p && Equals(p);
        public override int GetHashCode() => X * 31 + Y;
        public int CompareTo(Cell other) => X != other.X ? X.CompareTo(other.X) : Y.CompareTo(other.Y);
        public override string ToString() => $"({X}, {Y})";
    }

    private sealed class ByLength : IComparer<string>
    {
        public int Compare(string? a, string? b) => a!.Length - b!.Length;
    }

    private static void BclChecks()
    {
        BclLists();
        BclDictionaries();
        BclOtherCollections();
        BclStrings();
        BclArrays();
        BclMath();
        BclParsing();
        BclFormatting();
        BclConsole();
    }

    private static void BclLists()
    {
        var list = new List<int> { 5, 3, 9 };
        list.Add(1);
        list.Insert(0, 7);
        list.AddRange(new[] { 4, 4 });
        bool removed = list.Remove(9) && !list.Remove(42);
        list.RemoveAt(list.Count - 1);
        CheckEqual("bcl: List Add/Insert/AddRange/Remove/RemoveAt", "7,5,3,1,4", string.Join(",", list));
        Check("bcl: List IndexOf/Contains/indexer/Count", removed && list.IndexOf(3) == 2 && list.IndexOf(99) == -1 && list.Contains(1) && list[0] == 7 && list.Count == 5);
        list.Sort();
        CheckEqual("bcl: List.Sort()", "1,3,4,5,7", string.Join(",", list.ToArray()));
        list.Sort((a, b) => b.CompareTo(a));
        CheckEqual("bcl: List.Sort(Comparison)", "7,5,4,3,1", string.Join(",", list));
        var words = new List<string> { "ccc", "a", "bb" };
        words.Sort(new ByLength());
        CheckEqual("bcl: List.Sort(IComparer)", "a bb ccc", string.Join(" ", words));
        words.Sort();
        CheckEqual("bcl: List<string>.Sort ordinal", "a bb ccc", string.Join(" ", words));
        int sum = 0;
        foreach (int v in list)
            sum += v;
        var points = new List<Cell> { new Cell(2, 1), new Cell(1, 5), new Cell(1, 2) };
        points.Sort();
        Check("bcl: List foreach, IComparable<T> struct sort, IEquatable Contains",
            sum == 20 && points[0].Equals(new Cell(1, 2)) && points.Contains(new Cell(2, 1)) && points.IndexOf(new Cell(1, 5)) == 1);
        var suits = new List<Suit> { Suit.Clubs, Suit.Hearts, Suit.Spades };
        suits.Sort();
        Check("bcl: List of enums sorts by value and finds", suits[0] == Suit.Hearts && suits[2] == Suit.Clubs && suits.Contains(Suit.Spades));
        list.Clear();
        Check("bcl: List.Clear", list.Count == 0);
        var copy = new List<int>(new[] { 1, 2, 3 });
        Check("bcl: List(IEnumerable) and FindAll/Exists", copy.Count == 3 && copy.FindAll(x => x > 1).Count == 2 && copy.Exists(x => x == 3));
        IList<int> asInterface = copy;
        Check("bcl: List through IList<T>", asInterface.Count == 3 && asInterface[1] == 2);
    }

    private static void BclDictionaries()
    {
        var ages = new Dictionary<string, int>();
        ages["bob"] = 31;
        ages.Add("alice", 29);
        ages["carol"] = 40;
        ages["bob"] = 32;
        Check("bcl: Dictionary indexer/Add/TryGetValue/ContainsKey",
            ages.Count == 3 && ages["bob"] == 32 && ages.TryGetValue("alice", out int a) && a == 29 && !ages.TryGetValue("dave", out _) && ages.ContainsKey("carol"));
        var order = new StringBuilder();
        foreach (KeyValuePair<string, int> kv in ages)
            order.Append(kv.Key).Append('=').Append(kv.Value).Append(' ');
        CheckEqual("bcl: Dictionary foreach in insertion order", "bob=32 alice=29 carol=40 ", order.ToString());
        Check("bcl: Dictionary.Remove", ages.Remove("alice") && !ages.Remove("alice") && ages.Count == 2 && !ages.ContainsKey("alice"));
        CheckEqual("bcl: Dictionary Keys/Values", "bob,carol 32,40", string.Join(",", ages.Keys) + " " + string.Join(",", ages.Values));
        var squares = new Dictionary<int, long>();
        for (int i = 0; i < 2000; i++)
            squares[i] = (long)i * i;
        for (int i = 0; i < 2000; i += 2)
            squares.Remove(i);
        Check("bcl: Dictionary<int, long> 2000 keys, half removed", squares.Count == 1000 && squares[1999] == 1999L * 1999 && !squares.ContainsKey(1000));
        var byPoint = new Dictionary<Cell, string> { [new Cell(1, 2)] = "a" };
        var bySuit = new Dictionary<Suit, int> { [Suit.Hearts] = 1 };
        Check("bcl: Dictionary with struct and enum keys", byPoint[new Cell(1, 2)] == "a" && bySuit.ContainsKey(Suit.Hearts) && !bySuit.ContainsKey(Suit.Clubs));
        foreach (var (name, age) in ages)
            Check("bcl: KeyValuePair deconstruction", name.Length > 0 && age > 0);
        Check("bcl: EqualityComparer/Comparer.Default", EqualityComparer<string>.Default.Equals("x", "x") && Comparer<int>.Default.Compare(1, 2) < 0
            && Comparer<string>.Default.Compare("b", "a") > 0 && EqualityComparer<Cell>.Default.Equals(new Cell(1, 1), new Cell(1, 1)));
    }

    private static void BclOtherCollections()
    {
        var seen = new HashSet<string>();
        bool added = seen.Add("x") && seen.Add("y") && !seen.Add("x");
        Check("bcl: HashSet Add/Contains/Remove", added && seen.Count == 2 && seen.Contains("y") && seen.Remove("y") && !seen.Contains("y"));
        var q = new Queue<int>();
        for (int i = 1; i <= 10; i++)
            q.Enqueue(i);
        int first = q.Dequeue();
        q.Enqueue(11);
        Check("bcl: Queue FIFO with wrap-around", first == 1 && q.Peek() == 2 && q.Count == 10 && string.Join(",", q) == "2,3,4,5,6,7,8,9,10,11");
        var s = new Stack<string>();
        s.Push("a");
        s.Push("b");
        s.Push("c");
        Check("bcl: Stack LIFO and enumeration from the top", s.Pop() == "c" && s.Peek() == "b" && string.Join("", s) == "ba" && s.TryPop(out string? top) && top == "b");
    }

    private static void BclStrings()
    {
        var sb = new StringBuilder();
        sb.Append("x=").Append(42).Append(", pi=").Append(3.5).Append(' ').Append(true).AppendLine();
        sb.Insert(0, ">> ");
        sb.Remove(0, 1);
        sb.Append($"{7,3}|");
        CheckEqual("bcl: StringBuilder Append/AppendLine/Insert/Remove/interpolation", "> x=42, pi=3.5 True\n  7|", sb.ToString());
        Check("bcl: StringBuilder Length/indexer", sb.Length == 24 && sb[0] == '>');
        CheckEqual("bcl: string.Format", "a=1, b=two, c=  3.50|", string.Format("a={0}, b={1}, c={2,6:F2}|", 1, "two", 3.5));
        CheckEqual("bcl: string.Format braces and left alignment", "{x  }", string.Format("{{{0,-3}}}", "x"));
        CheckEqual("bcl: string.Join/Concat", "1-2-3 abc", string.Join("-", new[] { 1, 2, 3 }) + " " + string.Concat("a", "b", "c"));
        CheckEqual("bcl: Split with options", "a|b|c", string.Join("|", " a, b,,c ".Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        CheckEqual("bcl: Split on string and chars", "1 2 3 4", string.Join(" ", "1::2::3".Split("::")) + " " + "4".Split(' ', ';')[0]);
        CheckEqual("bcl: Substring/IndexOf/Replace", "world 6 hello there", "hello world".Substring(6) + " " + "hello world".IndexOf("wor").ToString() + " " + "hello world".Replace("world", "there"));
        CheckEqual("bcl: Trim/ToUpper/ToLower", "[ABC] [def] [x]", "[" + "  abc ".Trim().ToUpper() + "] [" + "DEF".ToLower() + "] [" + "--x--".Trim('-') + "]");
        CheckEqual("bcl: PadLeft/PadRight", "   7|7   |007", "7".PadLeft(4) + "|" + "7".PadRight(4) + "|" + "7".PadLeft(3, '0'));
        Check("bcl: StartsWith/EndsWith/Contains/IsNullOrWhiteSpace", "parakit".StartsWith("para") && "parakit".EndsWith("kit") && "parakit".Contains('k') && string.IsNullOrWhiteSpace(" \t") && !string.IsNullOrWhiteSpace(" a"));
        Check("bcl: string.Equals OrdinalIgnoreCase", string.Equals("Hello", "hELLO", StringComparison.OrdinalIgnoreCase) && !string.Equals("Hello", "hELLO"));
    }

    private static void BclArrays()
    {
        int[] numbers = { 5, -2, 9, 0, 3 };
        Array.Sort(numbers);
        CheckEqual("bcl: Array.Sort", "-2,0,3,5,9", string.Join(",", numbers));
        string[] names = { "delta", "alpha", "charlie", "bravo" };
        Array.Sort(names, (a, b) => b.CompareTo(a));
        CheckEqual("bcl: Array.Sort with Comparison", "delta charlie bravo alpha", string.Join(" ", names));
        Array.Reverse(numbers);
        Check("bcl: Array.IndexOf/Reverse", Array.IndexOf(numbers, 3) == 2 && Array.IndexOf(numbers, 42) == -1 && numbers[0] == 9);
        int[] copy = new int[3];
        Array.Copy(numbers, 1, copy, 0, 3);
        CheckEqual("bcl: Array.Copy", "5,3,0", string.Join(",", copy));
        var big = new int[5000];
        var rng = 12345u;
        for (int i = 0; i < big.Length; i++)
        {
            rng = rng * 1103515245 + 12345;
            big[i] = (int)(rng >> 8);
        }
        Array.Sort(big);
        bool sorted = true;
        for (int i = 1; i < big.Length; i++)
            sorted &= big[i - 1] <= big[i];
        Check("bcl: Array.Sort of 5000 pseudo-random ints", sorted && Array.BinarySearch(big, big[1234]) >= 0);
        double[] ds = { 2.5, -1, double.NaN, 0 };
        Array.Sort(ds);
        Check("bcl: Array.Sort doubles puts NaN first", double.IsNaN(ds[0]) && ds[1] == -1 && ds[3] == 2.5);
    }

    private static bool Near(double a, double b) => Math.Abs(a - b) <= 1e-15 * Math.Max(1, Math.Abs(b));

    private static void BclMath()
    {
        Check("bcl: Math Abs/Min/Max/Clamp/Sign", Math.Abs(-3) == 3 && Math.Min(2.5, 1) == 1 && Math.Max(4L, 9L) == 9 && Math.Clamp(15, 0, 10) == 10 && Math.Sign(-2.5) == -1);
        Check("bcl: Math Floor/Ceiling/Truncate", Math.Floor(-2.5) == -3 && Math.Ceiling(2.1) == 3 && Math.Floor(7.0) == 7 && Math.Truncate(-2.7) == -2);
        Check("bcl: Math.Round half to even, away from zero, digits",
            Math.Round(2.5) == 2 && Math.Round(3.5) == 4 && Math.Round(-2.5) == -2 && Math.Round(2.5, MidpointRounding.AwayFromZero) == 3 && Math.Round(3.14159, 2) == 3.14);
        Check("bcl: Math.Sqrt/Pow", Math.Sqrt(2) == 1.4142135623730951 && Math.Pow(2, 10) == 1024 && Math.Pow(2, -2) == 0.25 && Near(Math.Pow(2, 0.5), 1.4142135623730951));
        Check("bcl: Math.Exp/Log", Math.Exp(0) == 1 && Near(Math.Exp(1), Math.E) && Math.Log(1) == 0 && Near(Math.Log(Math.E), 1) && Near(Math.Log10(1000), 3) && Near(Math.Exp(-2.5), 0.0820849986238988));
        Check("bcl: Math.Sin/Cos", Math.Sin(0) == 0 && Near(Math.Sin(Math.PI / 6), 0.49999999999999994) && Near(Math.Cos(Math.PI / 3), 0.5000000000000001)
            && Near(Math.Sin(100), -0.5063656411097588) && Near(Math.Cos(-7.5), 0.3466353178350258) && Near(Math.Sin(1e6), -0.3499935021712929));
    }

    private static void BclParsing()
    {
        Check("bcl: int.Parse/TryParse", int.Parse(" -123 ") == -123 && int.TryParse("+7", out int seven) && seven == 7 && !int.TryParse("2147483648", out _) && !int.TryParse("", out _) && !int.TryParse("1 2", out _));
        Check("bcl: long/uint/ulong TryParse", long.Parse("-9223372036854775808") == long.MinValue && uint.TryParse("4294967295", out uint um) && um == uint.MaxValue && !uint.TryParse("-1", out _) && ulong.Parse("18446744073709551615") == ulong.MaxValue);
        Check("bcl: double.Parse/TryParse (correctly rounded)", double.Parse("0.1") == 0.1 && double.Parse("1e21") == 1e21 && double.Parse("-1,234.5") == -1234.5
            && double.TryParse("2.2250738585072011e-308", out double sub) && sub == 2.2250738585072011e-308 && !double.TryParse("1.2.3", out _) && double.IsNaN(double.Parse("NaN")));
        Check("bcl: bool.Parse", bool.Parse("true") && !bool.Parse(" False ") && !bool.TryParse("yes", out _));
    }

    private static void BclFormatting()
    {
        int n = 255;
        double pi = 3.14159265358979;
        CheckEqual("bcl: $\"{n:X4}\" and {n:x}", "00FF ff", $"{n:X4} {n:x}");
        CheckEqual("bcl: {pi:F2} {pi:F0} {pi:E3}", "3.14 3 3.142E+000", $"{pi:F2} {pi:F0} {pi:E3}");
        CheckEqual("bcl: alignment {x,8} {x,-8:F2}", "[     255][3.14    ]", $"[{n,8}][{pi,-8:F2}]");
        CheckEqual("bcl: D, N, P, G, C", "-00042 1,234,567.89 12.35 % 1.23E+04 ¤1,234.50", $"{-42:D5} {1234567.891:N} {0.12345:P} {12345:G3} {1234.5:C}");
        CheckEqual("bcl: custom 0.00 #,##0 000", "3.14 1,234,567 007 0.5", $"{pi:0.00} {1234567:#,##0} {7:000} {0.5:0.##}");
        CheckEqual("bcl: double shortest round-trip", "0.1 1E+21 1E-05 0.30000000000000004 -0 1.2345678901234568E+17", $"{0.1} {1e21} {0.00001} {0.1 + 0.2} {-0.0} {123456789012345678.0}");
        CheckEqual("bcl: integer X of negatives is two's complement", "FFFFFFFF FFFFFFFFFFFFFFFE", $"{-1:X} {-2L:X}");
        CheckEqual("bcl: ToString(format) and sections", "(7) zero 12%", (-7).ToString("#;(#);zero") + " " + 0.ToString("#;(#);zero") + " " + 0.123.ToString("0%"));
        CheckEqual("bcl: float ToString", "0.1 3.4028235E+38", 0.1f.ToString() + " " + float.MaxValue.ToString());
    }

    private static void BclConsole()
    {
        // The format overloads go through string.Format; what they print is checked by
        // tests/ParaKit.Tests/Guests (GuestBootTests) reading this line.
        Console.WriteLine("bcl: console {0,5}|{1,-6:F1}|{2:X2}", 42, 2.25, 10);
        Console.Write("bcl: console write ");
        Console.Write(1.5);
        Console.Write(' ');
        Console.Write(-7L);
        Console.WriteLine();
    }
}
