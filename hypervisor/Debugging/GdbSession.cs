// One gdb connection's protocol state: answers each packet from a stopped target, keeps the
// software breakpoints (the int3 bytes it wrote and the bytes they replaced), and turns a stop
// into a stop reply. Pure over IDebugTarget, so every packet is tested against a fake target;
// GdbServer does the socket and the waiting. What it answers (gdb manual, "Packets"):
// qSupported, qXfer:features:read:target.xml, ?, g/G, p/P, m/M/X, c/s (and C/S, whose signal
// is dropped: a guest has no signals), vCont? answered "vCont;c;s" and vCont with those, Z0/z0 (software breakpoints;
// other kinds are unsupported: empty reply), D, k, vKill, the single-thread queries (one vCPU
// is thread 1). Anything else gets the empty reply, which tells gdb "not supported".
using System.Text;

namespace ParaKit.Hypervisor.Debugging;

public enum GdbActionKind
{
    /// <summary>Send <see cref="GdbAction.Reply"/>.</summary>
    Reply,
    /// <summary>Resume the guest (single step if <see cref="GdbAction.Step"/>); the reply is the next stop.</summary>
    Resume,
    /// <summary>Send OK, take the breakpoints out, resume and close.</summary>
    Detach,
    /// <summary>End the domain and close (no reply).</summary>
    Kill,
}

public readonly record struct GdbAction(GdbActionKind Kind, string Reply = "", bool Step = false)
{
    public static GdbAction Answer(string reply) => new(GdbActionKind.Reply, reply);
}

public sealed class GdbSession(IDebugTarget target)
{
    public const byte Int3 = 0xCC;
    /// <summary>The largest packet we accept (PacketSize in qSupported, hex digits).</summary>
    public const int PacketSize = 0x4000;
    /// <summary>Most breakpoints at once (each costs a dictionary entry; gdb sets a handful).</summary>
    public const int MaxBreakpoints = 4096;

    private readonly SortedDictionary<ulong, byte> _breakpoints = new();
    private readonly string _targetXml = GdbRegisters.TargetXml();
    private string _lastStop = "S05";

    /// <summary>Inserted breakpoints: address -> the original byte.</summary>
    public IReadOnlyDictionary<ulong, byte> Breakpoints => _breakpoints;

    /// <summary>The stop reply for a stop, remembered for `?`. A #BP at one of our breakpoints
    /// left RIP after the int3: rewind it onto the breakpoint (gdb expects the stub to, since
    /// we report swbreak).</summary>
    public string OnStop(DebugStopKind kind)
    {
        var sb = new StringBuilder();
        sb.Append(kind == DebugStopKind.Interrupt ? "T02" : "T05");
        if (kind == DebugStopKind.Breakpoint && ReadU64(GdbRegisters.Rip) is ulong rip && rip != 0 && _breakpoints.ContainsKey(rip - 1))
        {
            Span<byte> pc = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(pc, rip - 1);
            if (target.WriteRegister(GdbRegisters.Rip, pc))
                sb.Append("swbreak:;");
        }
        // Expedite what gdb reads first at every stop (frame pointer, stack pointer, pc).
        Span<byte> value = stackalloc byte[8];
        foreach (int r in (ReadOnlySpan<int>)[GdbRegisters.Rbp, GdbRegisters.Rsp, GdbRegisters.Rip])
        {
            if (target.ReadRegister(r, value))
            {
                sb.Append(Hex2(r)).Append(':');
                Hex.Append(sb, value);
                sb.Append(';');
            }
        }
        sb.Append("thread:1;");
        _lastStop = sb.ToString();
        return _lastStop;
    }

    /// <summary>The reply when the domain ended while gdb waited ("W" + exit status).</summary>
    public static string Exited(int status) => "W" + Hex2(status & 0xFF);

    public GdbAction Handle(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty)
            return GdbAction.Answer("");
        byte command = packet[0];
        var args = packet[1..];
        switch (command)
        {
            case (byte)'?':
                return GdbAction.Answer(_lastStop);
            case (byte)'g':
                return GdbAction.Answer(ReadAllRegisters());
            case (byte)'G':
                return GdbAction.Answer(WriteAllRegisters(args));
            case (byte)'p':
                return GdbAction.Answer(ReadOneRegister(args));
            case (byte)'P':
                return GdbAction.Answer(WriteOneRegister(args));
            case (byte)'m':
                return GdbAction.Answer(ReadMemory(args));
            case (byte)'M':
                return GdbAction.Answer(WriteMemory(args, binary: false));
            case (byte)'X':
                return GdbAction.Answer(WriteMemory(args, binary: true));
            case (byte)'c' or (byte)'s':
                return Resume(args, command == 's', withSignal: false);
            case (byte)'C' or (byte)'S':
                return Resume(args, command == 'S', withSignal: true);
            case (byte)'Z' or (byte)'z':
                return GdbAction.Answer(Breakpoint(args, insert: command == 'Z'));
            case (byte)'D':
                return new GdbAction(GdbActionKind.Detach, "OK");
            case (byte)'k':
                return new GdbAction(GdbActionKind.Kill);
            case (byte)'H' or (byte)'T':
                return GdbAction.Answer("OK"); // one thread: every thread id names it
            case (byte)'q':
                return GdbAction.Answer(Query(Encoding.Latin1.GetString(args)));
            case (byte)'v':
                return Verbose(Encoding.Latin1.GetString(args));
            default:
                return GdbAction.Answer("");
        }
    }

    /// <summary>Restores every original byte (detach, disconnect). Returns how many failed to restore.</summary>
    public int RemoveAllBreakpoints()
    {
        int failed = 0;
        foreach (var (address, original) in _breakpoints)
        {
            if (!target.WriteMemory(address, [original]))
                failed++;
        }
        _breakpoints.Clear();
        return failed;
    }

    private string Query(string q)
    {
        if (q.StartsWith("Supported", StringComparison.Ordinal))
            return $"PacketSize={PacketSize:x};qXfer:features:read+;swbreak+";
        if (q.StartsWith("Xfer:features:read:", StringComparison.Ordinal))
            return TargetXmlChunk(q["Xfer:features:read:".Length..]);
        return q switch
        {
            "C" => "QC1",
            "fThreadInfo" => "m1",
            "sThreadInfo" => "l",
            "Attached" => "1",
            _ => "",
        };
    }

    private string TargetXmlChunk(string request)
    {
        // target.xml:OFFSET,LENGTH
        int colon = request.IndexOf(':');
        if (colon < 0 || request[..colon] != "target.xml")
            return "E00";
        if (!TrySplitNumbers(Encoding.Latin1.GetBytes(request[(colon + 1)..]), (byte)',', out ulong offset, out ulong length))
            return "E00";
        if (offset >= (ulong)_targetXml.Length)
            return "l";
        int take = (int)Math.Min(length, (ulong)_targetXml.Length - offset);
        bool last = offset + (ulong)take >= (ulong)_targetXml.Length;
        return (last ? "l" : "m") + _targetXml.Substring((int)offset, take);
    }

    private GdbAction Verbose(string v)
    {
        if (v == "Cont?")
            return GdbAction.Answer("vCont;c;s");
        if (v.StartsWith("Cont;", StringComparison.Ordinal))
        {
            // vCont;ACTION[:thread][;ACTION[:thread]]...: the first action that applies to
            // thread 1 (or to all threads) is what our single vCPU does.
            foreach (string part in v["Cont;".Length..].Split(';'))
            {
                int colon = part.IndexOf(':');
                string action = colon < 0 ? part : part[..colon];
                string thread = colon < 0 ? "" : part[(colon + 1)..];
                if (thread is not ("" or "1" or "-1" or "p1.1" or "p1.-1" or "p-1.-1"))
                    continue;
                if (action.Length == 0)
                    break;
                return action switch
                {
                    "c" => new GdbAction(GdbActionKind.Resume, Step: false),
                    "s" => new GdbAction(GdbActionKind.Resume, Step: true),
                    _ => GdbAction.Answer("E01"),
                };
            }
            return GdbAction.Answer("E01");
        }
        if (v.StartsWith("Kill", StringComparison.Ordinal))
            return new GdbAction(GdbActionKind.Kill, "OK");
        return GdbAction.Answer("");
    }

    private GdbAction Resume(ReadOnlySpan<byte> args, bool step, bool withSignal)
    {
        // c [addr], s [addr], C sig[;addr], S sig[;addr]: the signal is dropped (none to deliver).
        if (withSignal)
        {
            int semi = args.IndexOf((byte)';');
            args = semi < 0 ? [] : args[(semi + 1)..];
        }
        if (!args.IsEmpty)
        {
            Span<byte> pc = stackalloc byte[8];
            if (!Hex.TryParseNumber(args, out ulong address))
                return GdbAction.Answer("E01");
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(pc, address);
            if (!target.WriteRegister(GdbRegisters.Rip, pc))
                return GdbAction.Answer("E01");
        }
        return new GdbAction(GdbActionKind.Resume, Step: step);
    }

    private string ReadAllRegisters()
    {
        var sb = new StringBuilder(GdbRegisters.BlockSize * 2);
        Span<byte> value = stackalloc byte[16];
        foreach (var r in GdbRegisters.All)
        {
            if (target.ReadRegister(r.Number, value[..r.Size]))
                Hex.Append(sb, value[..r.Size]);
            else
                sb.Append('x', r.Size * 2); // unavailable
        }
        return sb.ToString();
    }

    private string WriteAllRegisters(ReadOnlySpan<byte> args)
    {
        if (args.Length != GdbRegisters.BlockSize * 2)
            return "E01";
        Span<byte> value = stackalloc byte[16];
        Span<byte> current = stackalloc byte[16];
        foreach (var r in GdbRegisters.All)
        {
            int at = GdbRegisters.Offsets[r.Number] * 2;
            if (!Hex.TryDecode(args.Slice(at, r.Size * 2), value[..r.Size]))
                return "E01";
            // gdb writes the whole block back; registers we cannot write must be unchanged.
            if (!target.WriteRegister(r.Number, value[..r.Size])
                && !(target.ReadRegister(r.Number, current[..r.Size]) && current[..r.Size].SequenceEqual(value[..r.Size])))
                return "E01";
        }
        return "OK";
    }

    private string ReadOneRegister(ReadOnlySpan<byte> args)
    {
        if (!Hex.TryParseNumber(args, out ulong n) || n >= GdbRegisters.Count)
            return "E01";
        var r = GdbRegisters.All[n];
        Span<byte> value = stackalloc byte[16];
        if (!target.ReadRegister(r.Number, value[..r.Size]))
            return "E01";
        var sb = new StringBuilder();
        Hex.Append(sb, value[..r.Size]);
        return sb.ToString();
    }

    private string WriteOneRegister(ReadOnlySpan<byte> args)
    {
        int eq = args.IndexOf((byte)'=');
        if (eq < 0 || !Hex.TryParseNumber(args[..eq], out ulong n) || n >= GdbRegisters.Count)
            return "E01";
        var r = GdbRegisters.All[n];
        Span<byte> value = stackalloc byte[16];
        if (!Hex.TryDecode(args[(eq + 1)..], value[..r.Size]))
            return "E01";
        return target.WriteRegister(r.Number, value[..r.Size]) ? "OK" : "E01";
    }

    private string ReadMemory(ReadOnlySpan<byte> args)
    {
        if (!TrySplitNumbers(args, (byte)',', out ulong address, out ulong length) || length > PacketSize / 2)
            return "E01";
        var buffer = new byte[length];
        if (length > 0 && !target.ReadMemory(address, buffer))
            return "E14"; // EFAULT
        // gdb sees the program's own bytes, not our int3s.
        foreach (var (bp, original) in _breakpoints)
        {
            if (bp - address < length)
                buffer[bp - address] = original;
        }
        var sb = new StringBuilder(buffer.Length * 2);
        Hex.Append(sb, buffer);
        return sb.ToString();
    }

    private string WriteMemory(ReadOnlySpan<byte> args, bool binary)
    {
        int colon = args.IndexOf((byte)':');
        if (colon < 0 || !TrySplitNumbers(args[..colon], (byte)',', out ulong address, out ulong length) || length > PacketSize)
            return "E01";
        var data = new byte[length];
        var text = args[(colon + 1)..];
        if (binary)
        {
            if ((ulong)text.Length != length)
                return "E01";
            text.CopyTo(data);
        }
        else if (!Hex.TryDecode(text, data))
        {
            return "E01";
        }
        if (length == 0)
            return "OK"; // gdb probes X support with an empty write
        // Bytes under our breakpoints become the new originals; the int3 stays in place.
        foreach (var bp in _breakpoints.Keys.ToArray())
        {
            if (bp - address < length)
            {
                _breakpoints[bp] = data[bp - address];
                data[bp - address] = Int3;
            }
        }
        return target.WriteMemory(address, data) ? "OK" : "E14";
    }

    private string Breakpoint(ReadOnlySpan<byte> args, bool insert)
    {
        // Z0,addr,kind / z0,addr,kind: only type 0 (software); hardware kinds are unsupported.
        if (args.Length < 2 || args[0] != (byte)'0' || args[1] != (byte)',')
            return "";
        var rest = args[2..];
        int comma = rest.IndexOf((byte)',');
        if (comma >= 0)
            rest = rest[..comma];
        if (!Hex.TryParseNumber(rest, out ulong address))
            return "E01";
        if (insert)
        {
            if (_breakpoints.ContainsKey(address))
                return "OK";
            if (_breakpoints.Count >= MaxBreakpoints)
                return "E28"; // ENOSPC
            Span<byte> original = stackalloc byte[1];
            if (!target.ReadMemory(address, original) || !target.WriteMemory(address, [Int3]))
                return "E14";
            _breakpoints[address] = original[0];
            return "OK";
        }
        if (!_breakpoints.Remove(address, out byte saved))
            return "OK"; // removing a breakpoint that is not there is not an error for gdb
        return target.WriteMemory(address, [saved]) ? "OK" : "E14";
    }

    private ulong? ReadU64(int register)
    {
        Span<byte> value = stackalloc byte[8];
        return target.ReadRegister(register, value) ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(value) : null;
    }

    private static string Hex2(int v) => $"{v & 0xFF:x2}";

    private static bool TrySplitNumbers(ReadOnlySpan<byte> text, byte separator, out ulong first, out ulong second)
    {
        second = 0;
        int at = text.IndexOf(separator);
        if (at < 0)
        {
            first = 0;
            return false;
        }
        return Hex.TryParseNumber(text[..at], out first) && Hex.TryParseNumber(text[(at + 1)..], out second);
    }
}
