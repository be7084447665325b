// System.Console for guests: the BCL's Write/WriteLine overloads (format strings included)
// over console_io. It lives in the kernel library because it needs the hypercall; it is the only
// Console (namespace System, as students expect). Output is buffered per line (each console_io
// is a VM exit, so one exit per line instead of one per Write) and flushed on newline, when the
// buffer is full, and before shutdown or a panic.
using ParaKit.Kernel;

namespace System;

public static unsafe class Console
{
    private const int Capacity = 512;
    // Static byte buffer outside the GC heap: usable before the runtime is initialized.
    // Only reached through `fixed`, which csc does not count as a read.
#pragma warning disable CS0169
    private static LineBuffer s_buffer;
#pragma warning restore CS0169
    private static int s_used;
    private static bool s_midLine;

    private struct LineBuffer
    {
        public fixed byte Bytes[Capacity];
    }

    /// <summary>Bytes written to the console since boot.</summary>
    public static ulong BytesWritten;

    public static void Flush()
    {
        if (s_used == 0)
            return;
        fixed (byte* p = s_buffer.Bytes)
            Hypervisor.ConsoleWrite(p, s_used);
        BytesWritten += (ulong)s_used;
        s_used = 0;
    }

    /// <summary>Flushes and makes sure the next output starts on a new line.</summary>
    public static void FlushLine()
    {
        if (s_midLine)
            WriteByte((byte)'\n');
        Flush();
    }

    public static void WriteByte(byte b)
    {
        if (s_used == Capacity)
            Flush();
        fixed (byte* p = s_buffer.Bytes)
            p[s_used++] = b;
        s_midLine = b != (byte)'\n';
        if (b == (byte)'\n')
            Flush();
    }

    public static void Write(byte* bytes, int length)
    {
        for (int i = 0; i < length; i++)
            WriteByte(bytes[i]);
    }

    public static void Write(System.ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
            WriteByte(bytes[i]);
    }

    /// <summary>Writes a string as UTF-8.</summary>
    public static void Write(string? text)
    {
        if (text == null)
            return;
        for (int i = 0; i < text.Length; i++)
        {
            uint c = text[i];
            if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.Length && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF)
            {
                c = 0x10000 + ((c - 0xD800) << 10) + (uint)(text[++i] - 0xDC00);
            }
            if (c < 0x80)
            {
                WriteByte((byte)c);
            }
            else if (c < 0x800)
            {
                WriteByte((byte)(0xC0 | (c >> 6)));
                WriteByte((byte)(0x80 | (c & 0x3F)));
            }
            else if (c < 0x10000)
            {
                WriteByte((byte)(0xE0 | (c >> 12)));
                WriteByte((byte)(0x80 | ((c >> 6) & 0x3F)));
                WriteByte((byte)(0x80 | (c & 0x3F)));
            }
            else
            {
                WriteByte((byte)(0xF0 | (c >> 18)));
                WriteByte((byte)(0x80 | ((c >> 12) & 0x3F)));
                WriteByte((byte)(0x80 | ((c >> 6) & 0x3F)));
                WriteByte((byte)(0x80 | (c & 0x3F)));
            }
        }
    }

    public static void Write(char c)
    {
        if (c < 0x80)
            WriteByte((byte)c);
        else
            Write(string.FromChar(c));
    }
    // Numbers are formatted into a stack buffer: no allocation per Write.
    public static void Write(long value)
    {
        Span<char> digits = stackalloc char[24];
        value.TryFormat(digits, out int n);
        WriteAscii(digits.Slice(0, n));
    }

    public static void Write(ulong value)
    {
        Span<char> digits = stackalloc char[24];
        value.TryFormat(digits, out int n);
        WriteAscii(digits.Slice(0, n));
    }

    private static void WriteAscii(ReadOnlySpan<char> chars)
    {
        for (int i = 0; i < chars.Length; i++)
            WriteByte((byte)chars[i]);
    }

    public static void Write(int value) => Write((long)value);
    public static void Write(uint value) => Write((ulong)value);

    /// <summary>Writes 0x-prefixed lowercase hex, at least <paramref name="minDigits"/> digits.</summary>
    public static void WriteHex(ulong value, int minDigits = 1)
    {
        Write("0x");
        Write(value.ToString("x" + minDigits.ToString()));
    }

    public static void Write(bool value) => Write(value ? "True" : "False");
    public static void Write(double value) => Write(value.ToString());
    public static void Write(float value) => Write(value.ToString());
    public static void Write(object? value) => Write(value?.ToString());
    public static void Write(char[]? buffer) => Write(buffer == null ? null : new string(buffer));

    // Composite formats: Console.Write("{0,-8} {1:F2}", name, value).
    public static void Write(string format, object? arg0) => Write(string.Format(format, arg0));
    public static void Write(string format, object? arg0, object? arg1) => Write(string.Format(format, arg0, arg1));
    public static void Write(string format, object? arg0, object? arg1, object? arg2) => Write(string.Format(format, arg0, arg1, arg2));
    public static void Write(string format, params object?[] args) => Write(string.Format(format, args));
    public static void WriteLine(string format, object? arg0) => WriteLine(string.Format(format, arg0));
    public static void WriteLine(string format, object? arg0, object? arg1) => WriteLine(string.Format(format, arg0, arg1));
    public static void WriteLine(string format, object? arg0, object? arg1, object? arg2) => WriteLine(string.Format(format, arg0, arg1, arg2));
    public static void WriteLine(string format, params object?[] args) => WriteLine(string.Format(format, args));

    public static void WriteLine() => WriteByte((byte)'\n');

    public static void WriteLine(long value)
    {
        Write(value);
        WriteLine();
    }

    public static void WriteLine(ulong value)
    {
        Write(value);
        WriteLine();
    }

    public static void WriteLine(int value) => WriteLine((long)value);
    public static void WriteLine(uint value) => WriteLine((ulong)value);

    public static void WriteLine(bool value)
    {
        Write(value);
        WriteLine();
    }

    public static void WriteLine(char value)
    {
        Write(value);
        WriteLine();
    }

    public static void WriteLine(double value)
    {
        Write(value);
        WriteLine();
    }

    public static void WriteLine(float value)
    {
        Write(value);
        WriteLine();
    }

    public static void WriteLine(char[]? buffer)
    {
        Write(buffer);
        WriteLine();
    }

    public static void WriteLine(object? value)
    {
        Write(value);
        WriteLine();
    }

    public static void WriteLine(string? text)
    {
        Write(text);
        WriteByte((byte)'\n');
    }
}
