// A JSON writer into a caller's byte buffer, for the guest's /stats page and iperf3's results:
// the guest runtime has no System.Text.Json, and a page written per request must not allocate.
// Commas between members and elements are placed by the writer; running out of room sets
// Overflowed (the text is then cut short and must not be sent) instead of throwing.
using System;

namespace ParaKit.Net.Json;

public sealed class JsonWriter
{
    private const int MaxDepth = 32;
    private byte[] _buffer;
    private int _length;
    private int _depth;
    // Bit d set: the container at depth d already has a member, so the next one needs a comma.
    private ulong _hasMember;
    private bool _afterKey;

    public JsonWriter(byte[] buffer) => _buffer = buffer;

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The buffer was too small or the nesting too deep: the text is incomplete.</summary>
    public bool Overflowed { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Starts again at the beginning of <paramref name="buffer"/> (or the current one).</summary>
    public void Reset(byte[]? buffer = null)
    {
        if (buffer != null)
            _buffer = buffer;
        _length = 0;
        _depth = 0;
        _hasMember = 0;
        _afterKey = false;
        Overflowed = false;
    }

    public JsonWriter BeginObject() => Open((byte)'{');
    public JsonWriter EndObject() => Close((byte)'}');
    public JsonWriter BeginArray() => Open((byte)'[');
    public JsonWriter EndArray() => Close((byte)']');

    /// <summary>A member name; the value written next belongs to it.</summary>
    public JsonWriter Key(string name)
    {
        Separate();
        WriteString(name);
        Put((byte)':');
        _afterKey = true;
        return this;
    }

    public JsonWriter Value(ulong v)
    {
        Separate();
        WriteUnsigned(v);
        return this;
    }

    public JsonWriter Value(long v)
    {
        Separate();
        if (v < 0)
        {
            Put((byte)'-');
            WriteUnsigned((ulong)(-(v + 1)) + 1);
        }
        else
        {
            WriteUnsigned((ulong)v);
        }
        return this;
    }

    public JsonWriter Value(int v) => Value((long)v);

    /// <summary>A number with up to 6 decimals (JSON has no NaN or infinity: those are written as 0).</summary>
    public JsonWriter Value(double v)
    {
        Separate();
        if (!(v >= -9e18 && v <= 9e18))   // also NaN
            v = 0;
        if (v < 0)
        {
            Put((byte)'-');
            v = -v;
        }
        ulong micro = (ulong)(v * 1_000_000 + 0.5);
        WriteUnsigned(micro / 1_000_000);
        ulong frac = micro % 1_000_000;
        if (frac != 0)
        {
            Put((byte)'.');
            int digits = 6;
            while (frac % 10 == 0)
            {
                frac /= 10;
                digits--;
            }
            for (int i = digits - 1; i >= 0; i--)
            {
                ulong p = 1;
                for (int k = 0; k < i; k++)
                    p *= 10;
                Put((byte)('0' + (int)(frac / p % 10)));
            }
        }
        return this;
    }

    public JsonWriter Value(bool v)
    {
        Separate();
        WriteAscii(v ? "true" : "false");
        return this;
    }

    public JsonWriter Value(string s)
    {
        Separate();
        WriteString(s);
        return this;
    }

    public JsonWriter Member(string name, ulong v) => Key(name).Value(v);
    public JsonWriter Member(string name, long v) => Key(name).Value(v);
    public JsonWriter Member(string name, int v) => Key(name).Value(v);
    public JsonWriter Member(string name, double v) => Key(name).Value(v);
    public JsonWriter Member(string name, bool v) => Key(name).Value(v);
    public JsonWriter Member(string name, string v) => Key(name).Value(v);

    private JsonWriter Open(byte c)
    {
        Separate();
        Put(c);
        if (_depth + 1 >= MaxDepth)
        {
            Overflowed = true;
            return this;
        }
        _depth++;
        _hasMember &= ~(1UL << _depth);
        return this;
    }

    private JsonWriter Close(byte c)
    {
        Put(c);
        if (_depth > 0)
            _depth--;
        _hasMember |= 1UL << _depth;
        _afterKey = false;
        return this;
    }

    // Before a key or a value: a comma when the container already has one, except for the value
    // right after its key.
    private void Separate()
    {
        if (_afterKey)
        {
            _afterKey = false;
            return;
        }
        ulong bit = 1UL << _depth;
        if ((_hasMember & bit) != 0 && _depth > 0)
            Put((byte)',');
        _hasMember |= bit;
    }

    private void WriteString(string s)
    {
        Put((byte)'"');
        foreach (char ch in s)
        {
            if (ch == '"' || ch == '\\')
            {
                Put((byte)'\\');
                Put((byte)ch);
            }
            else if (ch < 0x20 || ch > 0x7E)
            {
                // Control and non-ASCII characters as \u00XX (the guest's strings are ASCII).
                Put((byte)'\\');
                Put((byte)'u');
                Put((byte)'0');
                Put((byte)'0');
                Put(Hex((ch >> 4) & 0xF));
                Put(Hex(ch & 0xF));
            }
            else
            {
                Put((byte)ch);
            }
        }
        Put((byte)'"');
    }

    private void WriteAscii(string s)
    {
        foreach (char ch in s)
            Put((byte)ch);
    }

    private void WriteUnsigned(ulong v)
    {
        Span<byte> digits = stackalloc byte[20];
        int n = 0;
        do
        {
            digits[n++] = (byte)('0' + (int)(v % 10));
            v /= 10;
        } while (v != 0);
        while (n > 0)
            Put(digits[--n]);
    }

    private static byte Hex(int v) => (byte)(v < 10 ? '0' + v : 'a' + v - 10);

    private void Put(byte b)
    {
        if (_length >= _buffer.Length)
        {
            Overflowed = true;
            return;
        }
        _buffer[_length++] = b;
    }
}
