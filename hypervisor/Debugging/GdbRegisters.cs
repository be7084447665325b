// The x86-64 registers as gdb numbers them (its amd64 layout: the general registers, rip,
// eflags, six segment selectors, the x87 stack and control words, xmm0-15, mxcsr) and the
// target description that says so (qXfer:features:read:target.xml, gdb manual "Target
// Descriptions"; the features org.gnu.gdb.i386.core and org.gnu.gdb.i386.sse are the ones gdb's
// amd64 support requires). The `g` packet is these registers in this order.
using System.Text;

namespace ParaKit.Hypervisor.Debugging;

public readonly record struct GdbRegister(int Number, string Name, int Size, string Type, string Feature);

public static class GdbRegisters
{
    public const int Rax = 0, Rbx = 1, Rcx = 2, Rdx = 3, Rsi = 4, Rdi = 5, Rbp = 6, Rsp = 7, R8 = 8, R15 = 15,
        Rip = 16, Eflags = 17, Cs = 18, Ss = 19, Ds = 20, Es = 21, Fs = 22, Gs = 23, St0 = 24, St7 = 31,
        Fctrl = 32, Fstat = 33, Ftag = 34, Fiseg = 35, Fioff = 36, Foseg = 37, Fooff = 38, Fop = 39,
        Xmm0 = 40, Xmm15 = 55, Mxcsr = 56;
    public const int Count = 57;

    private const string Core = "org.gnu.gdb.i386.core", Sse = "org.gnu.gdb.i386.sse";

    public static readonly GdbRegister[] All = Build();

    /// <summary>Bytes of one `g` packet's register block (536).</summary>
    public static readonly int BlockSize = SumSizes();

    /// <summary>Offset of each register in the `g` block.</summary>
    public static readonly int[] Offsets = ComputeOffsets();

    private static GdbRegister[] Build()
    {
        var list = new List<GdbRegister>(Count);
        string[] general = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
        foreach (string name in general)
            list.Add(new(list.Count, name, 8, name is "rbp" or "rsp" ? "data_ptr" : "int64", Core));
        list.Add(new(list.Count, "rip", 8, "code_ptr", Core));
        list.Add(new(list.Count, "eflags", 4, "i386_eflags", Core));
        foreach (string name in (string[])["cs", "ss", "ds", "es", "fs", "gs"])
            list.Add(new(list.Count, name, 4, "int32", Core));
        for (int i = 0; i < 8; i++)
            list.Add(new(list.Count, "st" + i, 10, "i387_ext", Core));
        foreach (string name in (string[])["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"])
            list.Add(new(list.Count, name, 4, "int", Core));
        for (int i = 0; i < 16; i++)
            list.Add(new(list.Count, "xmm" + i, 16, "vec128", Sse));
        list.Add(new(list.Count, "mxcsr", 4, "i386_mxcsr", Sse));
        return list.ToArray();
    }

    private static int SumSizes()
    {
        int n = 0;
        foreach (var r in Build())
            n += r.Size;
        return n;
    }

    private static int[] ComputeOffsets()
    {
        var regs = Build();
        var offsets = new int[regs.Length];
        for (int i = 1; i < regs.Length; i++)
            offsets[i] = offsets[i - 1] + regs[i - 1].Size;
        return offsets;
    }

    /// <summary>target.xml: the architecture and both features, with the flag and vector types
    /// they use (i387_ext, code_ptr, data_ptr and the int types are predefined by gdb).</summary>
    public static string TargetXml()
    {
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n");
        sb.Append("<architecture>i386:x86-64</architecture>\n");
        sb.Append("<feature name=\"").Append(Core).Append("\">\n");
        sb.Append("<flags id=\"i386_eflags\" size=\"4\">");
        foreach (var (bit, name) in (ReadOnlySpan<(int, string)>)[(0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"), (11, "OF"), (14, "NT"), (16, "RF"), (17, "VM"), (18, "AC"), (19, "VIF"), (20, "VIP"), (21, "ID")])
            sb.Append("<field name=\"").Append(name).Append("\" start=\"").Append(bit).Append("\" end=\"").Append(bit).Append("\"/>");
        sb.Append("</flags>\n");
        AppendRegisters(sb, Core);
        sb.Append("</feature>\n<feature name=\"").Append(Sse).Append("\">\n");
        sb.Append("<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/><vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>");
        sb.Append("<vector id=\"v16i8\" type=\"int8\" count=\"16\"/><vector id=\"v8i16\" type=\"int16\" count=\"8\"/>");
        sb.Append("<vector id=\"v4i32\" type=\"int32\" count=\"4\"/><vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n");
        sb.Append("<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>");
        sb.Append("<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>");
        sb.Append("<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/></union>\n");
        sb.Append("<flags id=\"i386_mxcsr\" size=\"4\">");
        foreach (var (bit, name) in (ReadOnlySpan<(int, string)>)[(0, "IE"), (1, "DE"), (2, "ZE"), (3, "OE"), (4, "UE"), (5, "PE"), (6, "DAZ"), (7, "IM"), (8, "DM"), (9, "ZM"), (10, "OM"), (11, "UM"), (12, "PM"), (15, "FZ")])
            sb.Append("<field name=\"").Append(name).Append("\" start=\"").Append(bit).Append("\" end=\"").Append(bit).Append("\"/>");
        sb.Append("</flags>\n");
        AppendRegisters(sb, Sse);
        sb.Append("</feature>\n</target>\n");
        return sb.ToString();
    }

    private static void AppendRegisters(StringBuilder sb, string feature)
    {
        foreach (var r in All)
        {
            if (r.Feature != feature)
                continue;
            sb.Append("<reg name=\"").Append(r.Name).Append("\" bitsize=\"").Append(r.Size * 8).Append("\" type=\"").Append(r.Type)
                .Append("\" regnum=\"").Append(r.Number).Append('"');
            if (r.Number is >= Fctrl and <= Fop)
                sb.Append(" group=\"float\"");
            sb.Append("/>\n");
        }
    }
}
