// The end of the road: print a message and crash the domain. The kernel plugs in the console and
// the crash hypercall at boot (RuntimeHost); before that a panic faults on purpose (page 0 is
// unmapped; without trap handlers the fault becomes a triple fault that the hypervisor reports).
// Nothing here allocates, so it also works when the heap is exhausted.
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

/// <summary>Services the kernel provides to the runtime (set once at boot).</summary>
public static unsafe class RuntimeHost
{
    /// <summary>Writes bytes to the console (the kernel starts a fresh line first if needed).</summary>
    public static delegate*<byte*, int, void> ConsoleWrite;
    /// <summary>Ends the domain as crashed; must not return.</summary>
    public static delegate*<void> Crash;
    /// <summary>Ends the domain as crashed with a cause and the registers of the faulting or
    /// throwing code, which domain 0 turns into file:line and a backtrace; must not return.</summary>
    public static delegate*<FaultRecord*, void> ReportCrash;
}

public static unsafe class Panic
{
    private static bool s_panicking;

    /// <summary>Prints "panic: message" and crashes the domain.</summary>
    public static void Fail(string message)
    {
        Begin();
        Write(message);
        End();
    }

    public static void OutOfMemory(ulong requested, ulong free)
    {
        Begin();
        Write("out of memory: request of ");
        WriteNumber(requested);
        Write(" bytes, ");
        WriteNumber(free);
        Write(" bytes free in the heap");
        End();
    }

    /// <summary>No catch took the exception: print it, then end the domain with a crash report
    /// that starts at the throw site (or the faulting instruction, for a hardware fault).</summary>
    internal static void UnhandledException(object exception, RegisterContext* site, bool active, uint cause)
    {
        Begin();
        Write("unhandled exception ");
        TypeNames.Write(exception.m_pEEType);
        if (exception is System.Exception ex)
        {
            Write(": ");
            Write(ex.Message);
        }
        Write("\n");
        FaultRecord r = default;
        r.Cause = cause;
        r.Vector = uint.MaxValue;
        if (active)
            HardwareFaults.DescribeLastFault(&r);
        r.Rip = site->Rip;
        r.Rsp = site->Rsp;
        r.Rbp = site->Rbp;
        r.RipIsReturnAddress = active ? 0u : 1u;
        HardwareFaults.Report(&r);
    }

    internal static void Begin()
    {
        if (s_panicking)
        {
            Write("panic: a second panic while panicking\n");
            Die();
        }
        s_panicking = true;
        Write("panic: ");
    }

    internal static void End()
    {
        Write("\n");
        Die();
    }

    private static void Die()
    {
        if (RuntimeHost.Crash != null)
            RuntimeHost.Crash();
        // No kernel (or it returned): fault on purpose.
        *(int*)0 = 0;
        while (true) { }
    }

    internal static void Write(string? text)
    {
        if (text == null)
            return;
        byte* buffer = stackalloc byte[128];
        int used = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            buffer[used++] = c < 0x80 ? (byte)c : (byte)'?';
            if (used == 128)
            {
                WriteBytes(buffer, used);
                used = 0;
            }
        }
        WriteBytes(buffer, used);
    }

    internal static void WriteBytes(byte* bytes, int length)
    {
        if (length > 0 && RuntimeHost.ConsoleWrite != null)
            RuntimeHost.ConsoleWrite(bytes, length);
    }

    internal static void WriteNumber(ulong value)
    {
        byte* buffer = stackalloc byte[20];
        int at = 20;
        do
        {
            buffer[--at] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
        while (value != 0);
        WriteBytes(buffer + at, 20 - at);
    }

    internal static void WriteHex(ulong value)
    {
        byte* buffer = stackalloc byte[18];
        buffer[0] = (byte)'0';
        buffer[1] = (byte)'x';
        int digits = 1;
        for (ulong v = value >> 4; v != 0; v >>= 4)
            digits++;
        for (int i = digits - 1; i >= 0; i--)
        {
            int nibble = (int)(value & 0xF);
            buffer[2 + i] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
            value >>= 4;
        }
        WriteBytes(buffer, digits + 2);
    }
}
