// The PV console page (xen/include/public/io/console.h): two byte rings, guest output in `out`
// and input in `in`, with the same free-running counters as the XenStore page.
using System;
using System.Runtime.InteropServices;
using ParaKit.Protocols.Rings;

namespace ParaKit.Protocols.Consoles;

/// <summary>xencons_interface (io/console.h), 3092 bytes (3089 rounded up to u32 alignment).</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct XenconsInterface
{
    public const int Size = 3092;
    public const int InSize = 1024;
    public const int OutSize = 2048;

    /// <summary>Input to the guest (keyboard), written by the console backend.</summary>
    [FieldOffset(0)] public fixed byte In[InSize];
    /// <summary>Output of the guest, read by the console backend.</summary>
    [FieldOffset(1024)] public fixed byte Out[OutSize];
    [FieldOffset(3072)] public uint InCons;
    [FieldOffset(3076)] public uint InProd;
    [FieldOffset(3080)] public uint OutCons;
    [FieldOffset(3084)] public uint OutProd;
    /// <summary>XENCONSOLE_CONNECTED (0) or XENCONSOLE_DISCONNECTED (1), set by the backend.</summary>
    [FieldOffset(3088)] public byte Connection;
}

/// <summary>Byte-ring operations on a <see cref="XenconsInterface"/> (see <see cref="ByteRing"/>).</summary>
public static unsafe class ConsoleRing
{
    public const byte Connected = 0;
    public const byte Disconnected = 1;

    /// <summary>Guest: write console output; returns how many bytes fitted.</summary>
    public static ByteRingStatus WriteOutput(XenconsInterface* intf, ReadOnlySpan<byte> data, out int written)
        => ByteRing.Write(intf->Out, XenconsInterface.OutSize, &intf->OutCons, &intf->OutProd, data, out written);

    /// <summary>Backend: drain console output.</summary>
    public static ByteRingStatus ReadOutput(XenconsInterface* intf, Span<byte> into, out int read)
        => ByteRing.Read(intf->Out, XenconsInterface.OutSize, &intf->OutCons, &intf->OutProd, into, out read);

    /// <summary>Backend: deliver console input.</summary>
    public static ByteRingStatus WriteInput(XenconsInterface* intf, ReadOnlySpan<byte> data, out int written)
        => ByteRing.Write(intf->In, XenconsInterface.InSize, &intf->InCons, &intf->InProd, data, out written);

    /// <summary>Guest: read console input.</summary>
    public static ByteRingStatus ReadInput(XenconsInterface* intf, Span<byte> into, out int read)
        => ByteRing.Read(intf->In, XenconsInterface.InSize, &intf->InCons, &intf->InProd, into, out read);
}
