// Dispatch (virtual, interface, generic interface), statics and class constructors, generics,
// delegates and closures.
using System;
using ParaKit.Kernel;

public interface IShape
{
    int Area();
    string Name { get; }
}

public interface IScalable : IShape
{
    void Scale(int factor);
}

public interface IValue<T>
{
    T Get();
}

public sealed class Circle : IShape
{
    private readonly int _r;
    public Circle(int r) { _r = r; }
    public int Area() => 3 * _r * _r;
    public string Name => "circle";
}

public class Square : IScalable
{
    protected int Side;
    public Square(int side) { Side = side; }
    public virtual int Area() => Side * Side;
    public string Name => "square";
    public void Scale(int factor) => Side *= factor;
}

public sealed class Cube : Square, IValue<int>, IValue<string>
{
    public Cube(int side) : base(side) { }
    public override int Area() => 6 * Side * Side;
    int IValue<int>.Get() => Side;
    string IValue<string>.Get() => "cube";
}

public interface IGreeter
{
    string Name { get; }
    string Greet() => "hello " + Name;     // default interface method
}

public interface IZero<TSelf> where TSelf : IZero<TSelf>
{
    static abstract TSelf Zero { get; }
}

public sealed class English : IGreeter
{
    public string Name => "world";
}

public sealed class Pirate : IGreeter
{
    public string Name => "matey";
    public string Greet() => "ahoy " + Name;
}

public struct Meters : IZero<Meters>
{
    public int Value;
    public static Meters Zero => new Meters { Value = 0 };
}

public struct Triangle : IShape
{
    public int Base, Height;
    public int Area() => Base * Height / 2;
    public string Name => "triangle";
}

public static partial class FeaturesApp
{
    private static void VirtualDispatch()
    {
        Animal[] animals = { new Animal(), new Dog(), new Puppy() };
        string sounds = "";
        foreach (Animal a in animals)
            sounds += a.Sound + ",";
        CheckEqual("virtual: overrides at three levels", "...,woof,yip,", sounds);
        Square s = new Cube(2);
        CheckEqual("virtual: override through base reference", 24, s.Area());
    }

    private static int TotalArea(IShape[] shapes)
    {
        int total = 0;
        for (int i = 0; i < shapes.Length; i++)
            total += shapes[i].Area();
        return total;
    }

    private static void InterfaceDispatch()
    {
        IShape[] shapes = { new Circle(1), new Square(2), new Cube(1), new Triangle { Base = 4, Height = 3 } };
        CheckEqual("interface: polymorphic call site (4 types)", 3 + 4 + 6 + 6, TotalArea(shapes));
        // Call the same site many times over alternating types: exercises the dispatch cache.
        int sum = 0;
        ulong missesBefore = Internal.Runtime.InterfaceDispatch.Misses;
        ulong start = Internal.Runtime.Cpu.Rdtsc();
        for (int round = 0; round < 1000; round++)
            sum += TotalArea(shapes);
        ulong cycles = Internal.Runtime.Cpu.Rdtsc() - start;
        ulong misses = Internal.Runtime.InterfaceDispatch.Misses - missesBefore;
        CheckEqual("interface: cached dispatch, 4000 calls", 19000, sum);
        CheckEqual("interface: a warm polymorphic call site never misses the cache", 0, (long)misses);
        Console.Write("info interface call through a 4-type call site: ");
        Console.Write(cycles / 4000);
        Console.WriteLine(" cycles");
        string names = "";
        foreach (IShape shape in shapes)
            names += shape.Name + " ";
        CheckEqual("interface: property through interface", "circle square square triangle ", names);
        IScalable scalable = new Square(3);
        scalable.Scale(2);
        CheckEqual("interface: inherited interface (IScalable : IShape)", 36, ((IShape)scalable).Area());
        Cube cube = new Cube(5);
        IValue<int> vi = cube;
        IValue<string> vs = cube;
        Check("interface: one class, two instantiations of a generic interface", vi.Get() == 5 && vs.Get() == "cube");
        CheckEqual("interface: override reached through interface", 150, ((IShape)cube).Area());
        CheckEqual("interface: generic constrained call on struct", 6, AreaOf(new Triangle { Base = 3, Height = 4 }));
        IGreeter[] greeters = { new English(), new Pirate() };
        CheckEqual("interface: default interface method and its override", "hello world|ahoy matey", greeters[0].Greet() + "|" + greeters[1].Greet());
        CheckEqual("interface: static abstract member through a constrained generic", 0, ZeroOf<Meters>().Value);
        using (var probe = new DisposeProbe())
        {
        }
        Check("interface: using calls IDisposable.Dispose", DisposeProbe.Disposed == 1);
    }

    private static int AreaOf<T>(T shape) where T : IShape => shape.Area();

    private static T ZeroOf<T>() where T : IZero<T> => T.Zero;

    private sealed class DisposeProbe : IDisposable
    {
        public static int Disposed;
        public void Dispose() => Disposed++;
    }

    private static class Lazy
    {
        public static int Touched;
        public static readonly string Message;
        static Lazy()
        {
            Touched++;
            Message = "initialized at " + Touched.ToString();
        }
    }

    private static class Eager
    {
        public static readonly int[] Table = { 1, 2, 3 };
        public static readonly string Greeting = "preinitialized";
    }

    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static string? t_label;

    private static object? s_shared;
    private static int s_counter = 7;

    private static void Statics()
    {
        Check("statics: primitive static with initializer", s_counter == 7);
        s_shared = new Node { Value = 11 };
        Check("statics: GC static holds an object", s_shared is Node n && n.Value == 11);
        Check("statics: static readonly array", Eager.Table.Length == 3 && Eager.Table[2] == 3);
        CheckEqual("statics: static readonly string", "preinitialized", Eager.Greeting);
        Check("statics: class constructor not run before first use", Lazy.Touched == 0 || Lazy.Touched == 1);
        CheckEqual("statics: class constructor runs once, before first access", "initialized at 1", Lazy.Message);
        CheckEqual("statics: class constructor ran exactly once", 1, Lazy.Touched);
        t_depth += 2;
        t_label = "tls";
        Check("statics: [ThreadStatic] fields (one thread: plain statics)", t_depth == 2 && t_label == "tls");
        GenericHolder<int>.Value = 3;
        GenericHolder<string>.Value = "s";
        Check("statics: per-instantiation generic statics", GenericHolder<int>.Value == 3 && GenericHolder<string>.Value == "s");
    }

    private static class GenericHolder<T>
    {
        public static T? Value;
    }

    private sealed class Box<T>
    {
        public T Item;
        public Box(T item) { Item = item; }
        public TOut Map<TOut>(Func<T, TOut> f) => f(Item);
    }

    private struct Pair<TA, TB>
    {
        public TA First;
        public TB Second;
    }

    private static T Max<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) >= 0 ? a : b;

    private static int CountNonNull<T>(T[] items) where T : class?
    {
        int count = 0;
        foreach (T item in items)
            if (item != null)
                count++;
        return count;
    }

    private static void Generics()
    {
        var ints = new Box<int>(21);
        var strs = new Box<string>("abc");
        Check("generics: class over value and reference types", ints.Item == 21 && strs.Item == "abc");
        CheckEqual("generics: generic method with lambda", 42, ints.Map(x => x * 2));
        CheckEqual("generics: shared code for reference types", 3, strs.Map(s => s.Length));
        Pair<long, string> pair = new Pair<long, string> { First = 1, Second = "one" };
        Check("generics: generic struct", pair.First == 1 && pair.Second == "one");
        CheckEqual("generics: constraint IComparable<T>", 9, Max(4, 9));
        CheckEqual("generics: constraint class", 2, CountNonNull(new[] { "a", null, "b" }));
        var list = new List<Box<int>>();
        list.Add(new Box<int>(1));
        Check("generics: nested instantiation", list[0].Item == 1);
        Check("generics: default(T)", Default<int>() == 0 && Default<string>() == null);
        (int q, int r) = DivRem(17, 5);
        Check("generics: tuples", q == 3 && r == 2);
    }

    private static T? Default<T>() => default;

    private static (int, int) DivRem(int a, int b) => (a / b, a % b);

    private static int Twice(int x) => 2 * x;

    private sealed class TickSource
    {
        public event Action? Tick;
        public void Raise() => Tick?.Invoke();
    }

    private static void Delegates()
    {
        Func<int, int> f = Twice;
        CheckEqual("delegates: static method", 14, f(7));
        var dog = new Dog();
        Func<string> sound = () => dog.Sound;
        CheckEqual("delegates: lambda capturing a local", "woof", sound());
        int counter = 0;
        Action increment = () => counter++;
        increment();
        increment();
        CheckEqual("delegates: closure mutates captured variable", 2, counter);
        Func<int, Func<int, int>> adder = a => b => a + b;
        CheckEqual("delegates: curried closures", 7, adder(3)(4));
        var box = new Box<int>(5);
        Func<Func<int, int>, int> apply = box.Map;
        CheckEqual("delegates: instance method group (generic method)", 50, apply(x => x * 10));
        Func<int, int, int> add = static (a, b) => a + b;
        CheckEqual("delegates: static lambda", 5, add(2, 3));
        Predicate<string> empty = string.IsNullOrEmpty;
        Check("delegates: Predicate<T>", empty("") && !empty("x"));
        string log = "";
        Action<string>? both = s => log += "a" + s;
        both += s => log += "b" + s;
        both!("1");
        CheckEqual("delegates: multicast += invokes every target in order", "a1b1", log);
        Action<string> third = s => log += "c" + s;
        both += third;
        both -= third;
        log = "";
        both!("2");
        CheckEqual("delegates: -= removes a target", "a2b2", log);
        var source = new TickSource();
        int ticks = 0;
        Action handler = () => ticks++;
        source.Tick += handler;
        source.Tick += () => ticks += 10;
        source.Raise();
        source.Tick -= handler;
        source.Raise();
        CheckEqual("delegates: events (add, raise, remove)", 21, ticks);
        IShape circle = new Circle(2);
        Func<int> area = circle.Area;
        CheckEqual("delegates: bound to an interface method", 12, area());
        Func<object> ctor = () => new Node();
        Check("delegates: returning new objects", ctor() is Node);
    }
}
