// Where a domain's console_io output goes: straight to a file descriptor for `parakit run`,
// or line by line with a "name | " prefix when several domains share one terminal.
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Consoles;

public interface IConsoleSink
{
    void Write(ReadOnlySpan<byte> bytes);
    /// <summary>Emits a partial last line, if any (at domain end).</summary>
    void Flush();
}

/// <summary>Raw bytes to a file descriptor (stdout by default), unbuffered, so a guest's output
/// is visible as soon as the hypercall returns.</summary>
public sealed unsafe class FdConsoleSink(int fd = 1) : IConsoleSink
{
    public void Write(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                nint n = Libc.Write(fd, p + done, (nuint)(bytes.Length - done));
                if (n < 0 && Libc.LastErrno == Libc.EINTR)
                    continue;
                if (n <= 0)
                    return; // a closed stdout must not take the hypervisor down
                done += (int)n;
            }
        }
    }

    public void Flush() { }
}

/// <summary>Prefixes each complete line with the domain name; partial lines wait for their newline.</summary>
public sealed class PrefixedConsoleSink(string prefix, IConsoleSink inner) : IConsoleSink
{
    private static readonly Lock s_outputLock = new();
    private readonly byte[] _prefix = System.Text.Encoding.UTF8.GetBytes(prefix);
    private readonly List<byte> _pending = [];

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int nl = bytes.IndexOf((byte)'\n');
            if (nl < 0)
            {
                _pending.AddRange(bytes);
                if (_pending.Count >= 4096)
                    EmitLine(false);
                return;
            }
            _pending.AddRange(bytes[..(nl + 1)]);
            EmitLine(true);
            bytes = bytes[(nl + 1)..];
        }
    }

    private void EmitLine(bool complete)
    {
        var buf = new byte[_prefix.Length + _pending.Count + (complete ? 0 : 1)];
        _prefix.CopyTo(buf, 0);
        _pending.CopyTo(buf, _prefix.Length);
        if (!complete)
            buf[^1] = (byte)'\n';
        _pending.Clear();
        lock (s_outputLock)
            inner.Write(buf);
    }

    public void Flush()
    {
        if (_pending.Count > 0)
            EmitLine(false);
    }
}

/// <summary>Keeps everything in memory (tests and benchmarks).</summary>
public sealed class BufferConsoleSink : IConsoleSink
{
    private readonly List<byte> _bytes = [];
    private readonly Lock _lock = new();

    public void Write(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
            _bytes.AddRange(bytes);
    }

    public void Flush() { }

    public string Text
    {
        get
        {
            lock (_lock)
                return System.Text.Encoding.UTF8.GetString(_bytes.ToArray());
        }
    }
}
