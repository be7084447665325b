// Atomics, arithmetic, structs and layout, protocol types, the kernel library, hypercalls,
// time, control flow, iterators and object basics.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using Internal.Runtime;
using ParaKit.Kernel;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Events;
using ParaKit.Protocols.Hypercalls;
using ParaKit.Protocols.Net;
using ParaKit.Protocols.Rings;

public static partial class FeaturesApp
{
    private struct Counters
    {
        public int I;
        public uint U;
        public long L;
        public ulong UL;
        public ushort S0;
        public ushort S1;
    }

    private static void Atomics()
    {
        Counters c = default;
        Check("interlocked: CompareExchange int (hit and miss)",
            Interlocked.CompareExchange(ref c.I, 5, 0) == 0 && c.I == 5 && Interlocked.CompareExchange(ref c.I, 9, 0) == 5 && c.I == 5);
        Check("interlocked: Exchange long", Interlocked.Exchange(ref c.L, 1L << 40) == 0 && c.L == 1L << 40);
        Check("interlocked: Add uint/ulong", Interlocked.Add(ref c.U, 3) == 3 && Interlocked.Add(ref c.UL, 1UL << 33) == 1UL << 33);
        Check("interlocked: Increment/Decrement", Interlocked.Increment(ref c.I) == 6 && Interlocked.Decrement(ref c.I) == 5);
        c.S1 = 0xBEEF;
        Check("interlocked: CompareExchange ushort leaves its neighbour alone",
            Interlocked.CompareExchange(ref c.S0, 0x1234, 0) == 0 && c.S0 == 0x1234 && c.S1 == 0xBEEF);
        Check("interlocked: Exchange/Add ushort", Interlocked.Exchange(ref c.S1, 7) == 0xBEEF && Interlocked.Add(ref c.S1, 1) == 8 && c.S0 == 0x1234);
        Interlocked.MemoryBarrier();
        Volatile.Write(ref c.UL, 77);
        Volatile.Write(ref c.S0, 12);
        Check("volatile: read/write ulong and ushort", Volatile.Read(ref c.UL) == 77 && Volatile.Read(ref c.S0) == 12);
        byte b = 0;
        Volatile.Write(ref b, 200);
        Check("volatile: byte", Volatile.Read(ref b) == 200);
    }

    private static int Parse(string digits)
    {
        int value = 0;
        foreach (char ch in digits)
            value = checked(value * 10 + (ch - '0'));
        return value;
    }

    private static unsafe void Arithmetic()
    {
        CheckEqual("checked: arithmetic without overflow", 2147483647, Parse("2147483647"));
        long big = long.MaxValue / 3;
        Check("arithmetic: 64-bit division and modulo", big == 3074457345618258602L && big % 1000 == 602 && -big / 1000 == -3074457345618258L);
        ulong u = ulong.MaxValue;
        Check("arithmetic: unsigned wraparound (unchecked)", unchecked(u + 1) == 0);
        double d = 10.0 / 4;
        Check("arithmetic: floating point", d == 2.5 && (int)(d * 2) == 5);
        Check("arithmetic: double to/from long", (long)1e15 == 1000000000000000L && (double)(1L << 53) == 9007199254740992.0);
        Check("arithmetic: double %", 7.5 % 2 == 1.5);
        Check("arithmetic: float", (float)1 / 4 == 0.25f);
        ulong x = 0xFFFF_FFFF_FFFF_FFFF;
        Check("arithmetic: ulong to double", (double)x > 1.8e19);
        int divisor = Kernel.StartInfo->Version == 1 ? 7 : 1;
        Check("arithmetic: int division by a runtime value", 100 / divisor == 14 && -100 % divisor == -2);
        double two = Kernel.StartInfo->Version + 1.0;
        Check("arithmetic: Math.Sqrt (sqrtsd)", Math.Sqrt(2.25) == 1.5 && Math.Sqrt(two) > 1.41421 && Math.Sqrt(two) < 1.41422);
        Check("arithmetic: Math helpers", Math.Max(3, 8) == 8 && Math.Abs(-5) == 5 && Math.Min(2UL, 9UL) == 2);
    }

    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private unsafe struct Header
    {
        [FieldOffset(0)] public uint Magic;
        [FieldOffset(4)] public ushort Kind;
        [FieldOffset(8)] public fixed byte Tag[8];
    }

    private ref struct Cursor
    {
        public Span<byte> Data;
        public int Position;
        public byte Next() => Data[Position++];
    }

    private static ref int Larger(ref int a, ref int b) => ref (a >= b ? ref a : ref b);

    private static bool TryHalve(int value, out int half)
    {
        half = value / 2;
        return value % 2 == 0;
    }

    private static unsafe void Structs()
    {
        CheckEqual("structs: explicit layout size", 16, sizeof(Header));
        Header h = default;
        h.Magic = 0xCAFEBABE;
        h.Tag[7] = 9;
        byte* raw = (byte*)&h;
        Check("structs: field offsets and fixed buffer", *(uint*)raw == 0xCAFEBABE && raw[15] == 9);
        Span<byte> bytes = stackalloc byte[3] { 1, 2, 3 };
        var cursor = new Cursor { Data = bytes };
        Check("structs: ref struct holding a span", cursor.Next() == 1 && cursor.Next() == 2 && cursor.Position == 2);
        int a = 3, b = 8;
        Larger(ref a, ref b) = 100;
        Check("structs: ref return assigns through", b == 100 && a == 3);
        Check("structs: out parameters", TryHalve(10, out int half) && half == 5 && !TryHalve(3, out _));
        Point[] points = new Point[2];
        points[1].X = 4;
        ref Point p = ref points[1];
        p.Y = 5;
        Check("structs: ref to array element", points[1].X == 4 && points[1].Y == 5);
        Point q = points[1];
        q.X = 0;
        Check("structs: value copy semantics", points[1].X == 4);
    }

    private static unsafe void Protocols()
    {
        CheckEqual("protocols: sizeof(StartInfo)", StartInfo.Size, sizeof(StartInfo));
        CheckEqual("protocols: sizeof(SharedInfo)", 3136, sizeof(SharedInfo));
        CheckEqual("protocols: sizeof(VcpuTimeInfo)", 32, sizeof(VcpuTimeInfo));
        CheckEqual("protocols: sizeof(NetifTxRequest)", 12, sizeof(NetifTxRequest));
        StartInfo* si = Kernel.StartInfo;
        Check("protocols: StartInfo magic and version", si->Magic == StartInfo.MagicValue && si->Version == StartInfo.CurrentVersion);
        Check("protocols: StartInfo layout (heap after image, stack at top)",
            si->ImageStart == GuestLayout.ImageBase && si->HeapStart >= si->ImageEnd && si->StackTop <= si->MemoryBytes && si->StackBottom < si->StackTop);
        Check("protocols: shared_info address", si->SharedInfoAddress == GuestLayout.SharedInfoAddress);

        // A request/response round trip through a shared ring in our own memory.
        byte* page = (byte*)(((ulong)Allocator.AllocateRaw(8192) + 4095) & ~4095UL);
        var front = FrontRing<NetifTxRequest, NetifTxResponse>.Init(page);
        var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(page);
        var request = new NetifTxRequest { Gref = 7, Size = 60, Id = 3 };
        bool pushed = front.TryPushRequest(request);
        bool notify = front.PushRequestsAndCheckNotify();
        bool took = back.TryTakeRequest(out NetifTxRequest got);
        bool answered = back.TryPushResponse(new NetifTxResponse { Id = got.Id, Status = 0 });
        back.PushResponsesAndCheckNotify();
        bool reply = front.TryTakeResponse(out NetifTxResponse rsp);
        Check("protocols: shared ring round trip (generic unmanaged structs)",
            pushed && notify && took && got.Gref == 7 && got.Size == 60 && answered && reply && rsp.Id == 3);
        CheckEqual("protocols: ring size for netif TX", 256, (long)front.Size);
    }

    private static unsafe void KernelLibrary()
    {
        var list = new List<int>();
        for (int i = 0; i < 100; i++)
            list.Add(i);
        list.RemoveAt(0);
        list.Insert(0, -1);
        int sum = 0;
        foreach (int v in list)
            sum += v;
        CheckEqual("collections: List<T> grows, inserts, removes, enumerates", 4949, sum);
        var map = new Dictionary<int, string>();
        for (int i = 0; i < 1000; i++)
            map[i] = i.ToString();
        map.Remove(500);
        Check("collections: Dictionary<int, string> with 1000 keys", map.Count == 999 && map[999] == "999" && !map.ContainsKey(500) && map.TryGetValue(7, out string? seven) && seven == "7");
        var byName = new Dictionary<string, int>();
        byName["eth0"] = 1;
        byName["eth1"] = 2;
        byName["eth0"] = 3;
        Check("collections: Dictionary<string, int> replaces", byName.Count == 2 && byName["eth0"] == 3);
        var ring = new ParaKit.Kernel.Collections.ByteRing(8);
        int written = ring.Write("0123456789"u8);
        Span<byte> into = stackalloc byte[4];
        int read = ring.Read(into);
        ring.Write("ab"u8);
        Check("kernel: ByteRing wraps around", written == 8 && read == 4 && into[3] == (byte)'3' && ring.Count == 6 && ring.Peek(5) == (byte)'b');
        byte* utf8 = stackalloc byte[] { (byte)'h', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFF };
        string decoded = Utf8.Decode(utf8, 11);
        Check("kernel: UTF-8 decoding (2-, 3-, 4-byte sequences, invalid byte)",
            decoded.Length == 6 && decoded[1] == '\u00E9' && decoded[2] == '\u20AC' && decoded[3] == '\uD83D' && decoded[4] == '\uDE00' && decoded[5] == '\uFFFD');
        string[] argv = Kernel.SplitArguments("run  \"two words\" x");
        Check("kernel: command-line splitting", argv.Length == 3 && argv[1] == "two words");
    }

    private static unsafe void Hypercalls()
    {
        long version = Hypervisor.XenVersionNumber();
        Check("hypercall: xen_version reports 4.19", version == (4 << 16 | 19), "got " + $"0x{version:x}");
        byte* extra = stackalloc byte[16];
        long rc = Hypervisor.XenExtraVersion(extra);
        Check("hypercall: xen_version(extraversion)", rc >= 0);
        Check("hypercall: bad pointer gives -EFAULT", Hypervisor.ConsoleWrite((byte*)0x10, 4) == Errno.EFAULT);
        Check("hypercall: yield returns", Scheduler.Yield() == 0);
    }

    private static void Time()
    {
        ulong t0 = Clock.NowNs();
        ulong c0 = Clock.Rdtsc();
        while (Clock.Rdtsc() - c0 < 1_000_000) { Cpu.Pause(); }
        ulong t1 = Clock.NowNs();
        Check("time: system time advances", t1 > t0, "t0=" + t0.ToString() + " t1=" + t1.ToString());
        Check("time: TSC frequency known", Clock.TscKhz > 100_000);
        ulong expectedNs = Clock.CyclesToNs(1_000_000);
        Check("time: pvclock agrees with TSC frequency", t1 - t0 >= expectedNs * 9 / 10, "delta " + (t1 - t0).ToString() + " ns for " + expectedNs.ToString() + " ns of cycles");
        Check("time: pvclock scaling", Clock.Scale(1000, 0x80000000, 1) == 1000 && Clock.Scale(1000, 0x80000000, -1) == 250);
        ulong before = Clock.NowNs();
        Scheduler.Sleep(2_000_000);
        ulong slept = Clock.NowNs() - before;
        Check("time: Sleep(2 ms) via set_timer_op + block", slept >= 2_000_000, "slept " + slept.ToString() + " ns");
        before = Clock.NowNs();
        long polled = Scheduler.Poll(System.ReadOnlySpan<uint>.Empty, before + 1_000_000);
        ulong waited = Clock.NowNs() - before;
        Check("time: sched_op poll with no ports waits for its timeout", polled == 0 && waited >= 1_000_000, "rc " + polled.ToString() + ", waited " + waited.ToString() + " ns");
    }

    private static int s_finallyRuns;

    private static int WithFinally(int x)
    {
        try
        {
            if (x > 0)
                return x * 2;
            return -1;
        }
        finally
        {
            s_finallyRuns++;
        }
    }

    private static string Classify(object o) => o switch
    {
        int i when i < 0 => "negative",
        int => "int",
        string { Length: 0 } => "empty string",
        string => "string",
        null => "null",
        _ => "other",
    };

    private static void ControlFlow()
    {
        Check("control: finally runs on return", WithFinally(4) == 8 && WithFinally(-1) == -1 && s_finallyRuns == 2);
        Check("control: pattern matching switch", Classify(-3) == "negative" && Classify(3) == "int" && Classify("") == "empty string" && Classify(2.0) == "other");
        int found = -1;
        for (int i = 0; i < 10; i++)
        {
            if (i * i > 20) { found = i; break; }
        }
        CheckEqual("control: loops and break", 5, found);
        object gate = new object();
        int guarded = 0;
        lock (gate)
        {
            guarded++;
        }
        CheckEqual("control: lock (no-op on one vCPU)", 1, guarded);
        int depth = Recurse(1000);
        CheckEqual("control: deep recursion (1000 frames)", 1000, depth);
    }

    private static int Recurse(int n) => n == 0 ? 0 : 1 + Recurse(n - 1);

    private static IEnumerable<int> Squares(int count)
    {
        for (int i = 1; i <= count; i++)
            yield return i * i;
    }

    private static void Iterators()
    {
        int sum = 0;
        foreach (int s in Squares(4))
            sum += s;
        CheckEqual("iterators: yield return through IEnumerable<T>", 30, sum);
    }

    private record Endpoint(string Host, int Port);
    private record struct Extent(int Width, int Height);

    private static void TypesAndObjects()
    {
        var e1 = new Endpoint("10.0.0.1", 80);
        var e2 = e1 with { Port = 8080 };
        Check("types: records (with, value equality, hash)", e2 != e1 && e2 == new Endpoint("10.0.0.1", 8080) && e2.GetHashCode() == new Endpoint("10.0.0.1", 8080).GetHashCode());
        CheckEqual("types: record ToString", "Endpoint { Host = 10.0.0.1, Port = 8080 }", e2.ToString());
        Check("types: record struct", new Extent(2, 3) == new Extent(2, 3) && new Extent(2, 3).ToString() == "Extent { Width = 2, Height = 3 }");
        Check("types: typeof and GetType", typeof(Dog) == new Dog().GetType() && typeof(Dog) != typeof(Puppy) && new Puppy().GetType() == typeof(Puppy));
        CheckEqual("types: type names from the image's table", "Dog", ShortName(typeof(Dog).Name));
        CheckEqual("types: default ToString names the type", "Node", ShortName(new Node().ToString()));
        object o1 = new Node(), o2 = new Node();
        Check("types: reference equality and hash codes", o1.Equals(o1) && !o1.Equals(o2) && o1.GetHashCode() == o1.GetHashCode());
    }

    // "FeaturesApp.Dog" -> "Dog" (nested types carry their outer type's name).
    private static string ShortName(string name)
    {
        int cut = 0;
        for (int i = 0; i < name.Length; i++)
            if (name[i] == '.' || name[i] == '+')
                cut = i + 1;
        return name.Substring(cut);
    }
}
