// GDB Remote Serial Protocol framing (gdb manual, "Overview" of the remote protocol):
// `$payload#cs` with cs the modulo-256 sum of the payload bytes as two hex digits; '}' escapes
// '#', '$', '}' and '*' as '}' followed by the byte xor 0x20; '*' run-length encodes repeats;
// '+' and '-' acknowledge; a bare 0x03 is an interrupt (Ctrl-C) from gdb. Pure: bytes in,
// events out, so framing is tested without sockets.
namespace ParaKit.Hypervisor.Debugging;

public static class GdbPackets
{
    public const byte Start = (byte)'$', End = (byte)'#', Escape = (byte)'}', RunLength = (byte)'*';
    public const byte Ack = (byte)'+', Nack = (byte)'-', Interrupt = 0x03;

    public static bool NeedsEscape(byte b) => b is Start or End or Escape or RunLength;

    /// <summary>Modulo-256 sum of the bytes as they travel (escapes included).</summary>
    public static byte Checksum(ReadOnlySpan<byte> wire)
    {
        byte sum = 0;
        foreach (byte b in wire)
            sum += b;
        return sum;
    }

    /// <summary>Frames <paramref name="payload"/> as `$...#cs`, escaping what must be escaped
    /// (no run-length encoding: optional for the sender).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var wire = new List<byte>(payload.Length + 4) { Start };
        foreach (byte b in payload)
        {
            if (NeedsEscape(b))
            {
                wire.Add(Escape);
                wire.Add((byte)(b ^ 0x20));
            }
            else
            {
                wire.Add(b);
            }
        }
        byte sum = Checksum(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(wire)[1..]);
        wire.Add(End);
        wire.Add(Hex.Digit(sum >> 4));
        wire.Add(Hex.Digit(sum & 15));
        return wire.ToArray();
    }

    public static byte[] Encode(string payload) => Encode(System.Text.Encoding.Latin1.GetBytes(payload));
}

/// <summary>What <see cref="GdbPacketReader"/> found in the byte stream.</summary>
public enum GdbInputKind
{
    /// <summary>A complete packet with a good checksum (answer '+').</summary>
    Packet,
    /// <summary>A complete packet with a bad checksum or a bad run-length (answer '-': gdb resends).</summary>
    Corrupt,
    Ack,
    Nack,
    Interrupt,
}

public readonly record struct GdbInput(GdbInputKind Kind, byte[]? Payload = null)
{
    public override string ToString() => Payload is null ? Kind.ToString() : $"{Kind} {System.Text.Encoding.Latin1.GetString(Payload)}";
}

/// <summary>Incremental decoder: feed it whatever the socket delivered, in any split; it
/// returns each packet (unescaped, run lengths expanded) once its checksum has arrived.
/// Bytes outside a packet other than '+', '-' and 0x03 are ignored, as gdbserver does.</summary>
public sealed class GdbPacketReader
{
    /// <summary>A packet longer than this is dropped as corrupt (gdb obeys our PacketSize).</summary>
    public const int MaxPayload = 64 * 1024;

    private enum State { Idle, Body, Checksum1, Checksum2 }

    private readonly List<byte> _body = new();
    private State _state;
    private byte _sum;
    private int _checksumHigh;
    private bool _tooLong;

    /// <summary>Packets dropped for a bad checksum, a bad run length or length.</summary>
    public long CorruptPackets { get; private set; }

    public void Feed(ReadOnlySpan<byte> bytes, List<GdbInput> output)
    {
        foreach (byte b in bytes)
        {
            switch (_state)
            {
                case State.Idle:
                    if (b == GdbPackets.Start)
                    {
                        _body.Clear();
                        _sum = 0;
                        _tooLong = false;
                        _state = State.Body;
                    }
                    else if (b == GdbPackets.Ack)
                    {
                        output.Add(new GdbInput(GdbInputKind.Ack));
                    }
                    else if (b == GdbPackets.Nack)
                    {
                        output.Add(new GdbInput(GdbInputKind.Nack));
                    }
                    else if (b == GdbPackets.Interrupt)
                    {
                        output.Add(new GdbInput(GdbInputKind.Interrupt));
                    }
                    break;
                case State.Body:
                    if (b == GdbPackets.End)
                    {
                        _state = State.Checksum1;
                    }
                    else if (b == GdbPackets.Start)
                    {
                        // A new packet starts before the old one ended: the old one was cut short.
                        CorruptPackets++;
                        output.Add(new GdbInput(GdbInputKind.Corrupt));
                        _body.Clear();
                        _sum = 0;
                        _tooLong = false;
                    }
                    else
                    {
                        _sum += b;
                        if (_body.Count < MaxPayload)
                            _body.Add(b);
                        else
                            _tooLong = true;
                    }
                    break;
                case State.Checksum1:
                    _checksumHigh = Hex.Value(b);
                    _state = State.Checksum2;
                    break;
                case State.Checksum2:
                    _state = State.Idle;
                    int low = Hex.Value(b);
                    byte[]? payload = _checksumHigh < 0 || low < 0 || (byte)(_checksumHigh << 4 | low) != _sum || _tooLong ? null : Unescape(_body);
                    if (payload is null)
                    {
                        CorruptPackets++;
                        output.Add(new GdbInput(GdbInputKind.Corrupt));
                    }
                    else
                    {
                        output.Add(new GdbInput(GdbInputKind.Packet, payload));
                    }
                    break;
            }
        }
    }

    /// <summary>Undoes '}' escapes and expands "x*n" (n = count - 29 more copies of x); null
    /// when the body is malformed.</summary>
    public static byte[]? Unescape(List<byte> body)
    {
        var result = new List<byte>(body.Count);
        for (int i = 0; i < body.Count; i++)
        {
            byte b = body[i];
            if (b == GdbPackets.Escape)
            {
                if (++i == body.Count)
                    return null;
                result.Add((byte)(body[i] ^ 0x20));
            }
            else if (b == GdbPackets.RunLength)
            {
                if (result.Count == 0 || ++i == body.Count)
                    return null;
                int repeat = body[i] - 29;
                // gdb never sends counts that would read as '#' or '$' (6 and 7), nor below 3.
                if (repeat < 3 || result.Count + repeat > GdbPacketReader.MaxPayload)
                    return null;
                byte last = result[^1];
                for (int k = 0; k < repeat; k++)
                    result.Add(last);
            }
            else
            {
                result.Add(b);
            }
        }
        return result.ToArray();
    }
}

/// <summary>Lower-case hex as the protocol writes it.</summary>
public static class Hex
{
    public static byte Digit(int v) => (byte)"0123456789abcdef"[v & 15];

    /// <summary>The value of one hex digit, -1 if it is not one.</summary>
    public static int Value(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    public static void Append(System.Text.StringBuilder sb, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            sb.Append((char)Digit(b >> 4)).Append((char)Digit(b & 15));
    }

    /// <summary>Decodes pairs of hex digits; false on odd length, a non-hex digit or a size mismatch.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> text, Span<byte> bytes)
    {
        if (text.Length != bytes.Length * 2)
            return false;
        for (int i = 0; i < bytes.Length; i++)
        {
            int hi = Value(text[2 * i]), lo = Value(text[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return false;
            bytes[i] = (byte)(hi << 4 | lo);
        }
        return true;
    }

    /// <summary>A big-endian hex number as gdb writes addresses and lengths (1-16 digits).</summary>
    public static bool TryParseNumber(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.Length is 0 or > 16)
            return false;
        foreach (byte c in text)
        {
            int d = Value(c);
            if (d < 0)
                return false;
            value = value << 4 | (uint)d;
        }
        return true;
    }
}
