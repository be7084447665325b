// Boot: _start (Runtime/Native/runtime.S) calls ParaKitKernelStart with the StartInfo address,
// then the app's Main, then ParaKitKernelExit with Main's result. Start-up order matters: until
// the heap and statics exist only pointer/primitive statics may be touched.
using System.Runtime.InteropServices;
using Internal.Runtime;
using Internal.Runtime.CompilerHelpers;
using System.Collections.Generic;
using System.Text;
using ParaKit.Protocols.Boot;
using ParaKit.Protocols.Events;

namespace ParaKit.Kernel;

public static unsafe class Kernel
{
    private static StartInfo* s_startInfo;
    private static string? s_commandLine;

    /// <summary>The page the hypervisor filled in before the vCPU first ran.</summary>
    public static StartInfo* StartInfo => s_startInfo;

    /// <summary>Xen shared_info (event-channel bitmaps, vcpu_info with time).</summary>
    public static SharedInfo* SharedInfo => (SharedInfo*)s_startInfo->SharedInfoAddress;

    /// <summary>The command line the domain was started with (`parakit run IMAGE -- args`).</summary>
    public static string CommandLine => s_commandLine ?? "";

    /// <summary>This domain's id.</summary>
    public static uint DomId => s_startInfo->DomId;

    [UnmanagedCallersOnly(EntryPoint = "ParaKitKernelStart")]
    private static void Start(StartInfo* startInfo)
    {
        // Fault on purpose if not booted by ParaKit: there is no console to complain to yet.
        if (startInfo == null || startInfo->Magic != ParaKit.Protocols.Boot.StartInfo.MagicValue)
            *(int*)0 = 0;
        s_startInfo = startInfo;
        Hypervisor.Initialize(startInfo->HypercallPageAddress);
        RuntimeHost.ConsoleWrite = &PanicWrite;
        RuntimeHost.Crash = &PanicCrash;
        if (startInfo->Version != ParaKit.Protocols.Boot.StartInfo.CurrentVersion)
            Panic.Fail("StartInfo version mismatch: this kernel understands version 1");
        if (startInfo->HeapEnd <= startInfo->HeapStart)
            Panic.Fail("StartInfo describes an empty heap");
        Allocator.Initialize(startInfo->HeapStart, startInfo->HeapEnd);
        StartupCodeHelpers.InitializeRuntime();
        RuntimeHost.ReportCrash = &Traps.ReportCrash;
        Traps.Initialize(startInfo);
        Clock.Initialize((SharedInfo*)startInfo->SharedInfoAddress, startInfo->TscKhz);

        uint length = startInfo->CmdLineLength;
        if (length >= ParaKit.Protocols.Boot.StartInfo.CmdLineCapacity)
            length = ParaKit.Protocols.Boot.StartInfo.CmdLineCapacity - 1;
        s_commandLine = Utf8.Decode(startInfo->CmdLine, (int)length);
        StartupCodeHelpers.SetMainArguments(SplitArguments(s_commandLine));
        // `parakit run --gdb`: stop here, before the app's Main, so gdb can set breakpoints first.
        if ((startInfo->Flags & StartInfoFlags.Debugger) != 0)
            TrapStubs.DebugBreak();
    }

    [UnmanagedCallersOnly(EntryPoint = "ParaKitKernelExit")]
    private static void Exit(int status) => Scheduler.Exit(status);

    private static void PanicWrite(byte* bytes, int length)
    {
        Console.FlushLine();
        Hypervisor.ConsoleWrite(bytes, length);
    }

    private static void PanicCrash() => Scheduler.Crash();

    /// <summary>Splits on spaces; double quotes group words ("a b" is one argument).</summary>
    public static string[] SplitArguments(string commandLine)
    {
        var arguments = new List<string>();
        var current = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < commandLine.Length; i++)
        {
            char c = commandLine[i];
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (c == ' ' && !quoted)
            {
                if (any)
                    arguments.Add(current.ToString());
                current.Clear();
                any = false;
            }
            else
            {
                current.Append(c);
                any = true;
            }
        }
        if (any)
            arguments.Add(current.ToString());
        return arguments.ToArray();
    }
}

/// <summary>UTF-8 to string (invalid sequences become U+FFFD).</summary>
public static unsafe class Utf8
{
    public static string Decode(byte* bytes, int length)
    {
        var builder = new StringBuilder(length);
        int i = 0;
        while (i < length)
        {
            uint b = bytes[i];
            int extra = b < 0x80 ? 0 : b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : -1;
            if (extra < 0)
            {
                builder.Append('\uFFFD');
                i++;
                continue;
            }
            uint c = extra == 0 ? b : b & (0x3Fu >> extra);
            bool valid = true;
            for (int k = 1; k <= extra; k++)
            {
                if (i + k >= length || (bytes[i + k] & 0xC0) != 0x80)
                {
                    valid = false;
                    break;
                }
                c = (c << 6) | (bytes[i + k] & 0x3Fu);
            }
            if (!valid)
            {
                builder.Append('\uFFFD');
                i++;
                continue;
            }
            i += extra + 1;
            if (c >= 0x10000)
            {
                c -= 0x10000;
                builder.Append((char)(0xD800 + (c >> 10)));
                builder.Append((char)(0xDC00 + (c & 0x3FF)));
            }
            else
            {
                builder.Append((char)c);
            }
        }
        return builder.ToString();
    }
}
