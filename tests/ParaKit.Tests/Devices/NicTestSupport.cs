// Test doubles for the emulated e1000: guest RAM (a real GuestMemory, writable from 64 KiB up as a
// guest's image and heap are), an interrupt line that records, a settable clock, and helpers that
// program the card the way a driver does.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Devices.Bus;
using ParaKit.Hypervisor.Devices.E1000;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Nic;

namespace ParaKit.Tests.Devices;

internal sealed class RecordingLine : IInterruptLine
{
    public int Asserts, Deasserts;
    public bool On;
    public void Assert() { Asserts++; On = true; }
    public void Deassert() { Deasserts++; On = false; }
}

internal sealed class NicHarness : IDisposable
{
    public const ulong RamBytes = 4 << 20;
    public const ulong WritableStart = 0x10000;
    public static readonly byte[] MacBytes = [0x00, 0x16, 0x3e, 0x00, 0x01, 0x00];

    public readonly GuestMemory Memory = GuestMemory.Allocate(RamBytes, "e1000-test");
    public readonly RecordingLine Line = new();
    public readonly ParaKit.Tests.Net.RecordingSink Wire = new();
    public long Now = 1_000_000_000;
    public long? TimerArmedFor;
    public readonly EmulatedNic Nic;

    public NicHarness()
    {
        Memory.SetWritableRanges([(WritableStart, RamBytes)]);
        Nic = new EmulatedNic(Memory, MacBytes, Line, () => Now, ns => TimerArmedFor = ns) { Wire = Wire };
    }

    public uint R(uint reg) => (uint)Nic.Read(reg, 4);
    public void W(uint reg, uint value) => Nic.Write(reg, 4, value);

    public Span<byte> Ram(ulong address, int length) => Memory.Slice(address, length);

    public ref T At<T>(ulong address) where T : unmanaged => ref Memory.RefAt<T>(address);

    /// <summary>RX ring of <paramref name="count"/> descriptors at <paramref name="ringAt"/>, buffers of
    /// <paramref name="bufSize"/> from <paramref name="buffersAt"/>, all given to the card but one (RDT = count-1).</summary>
    public void SetupRx(int count, ulong ringAt = 0x20000, ulong buffersAt = 0x100000, uint rctlExtra = E1000Rctl.BroadcastAccept, int bufSize = 2048)
    {
        for (int i = 0; i < count; i++)
            At<E1000RxDescriptor>(ringAt + (ulong)i * 16) = new E1000RxDescriptor { BufferAddress = buffersAt + (ulong)(i * bufSize) };
        W(E1000Reg.Rdbal, (uint)ringAt);
        W(E1000Reg.Rdbah, 0);
        W(E1000Reg.Rdlen, (uint)count * 16);
        W(E1000Reg.Rdh, 0);
        W(E1000Reg.Rdt, (uint)count - 1);
        uint bsize = bufSize switch { 2048 => 0u, 1024 => 1u, 512 => 2u, 256 => 3u, _ => throw new ArgumentException("buffer size") };
        W(E1000Reg.Rctl, E1000Rctl.Enable | rctlExtra | bsize << E1000Rctl.BufferSizeShift);
    }

    public E1000RxDescriptor RxDesc(int i, ulong ringAt = 0x20000) => At<E1000RxDescriptor>(ringAt + (ulong)i * 16);

    /// <summary>TX ring of <paramref name="count"/> empty descriptors; TCTL.EN set.</summary>
    public void SetupTx(int count, ulong ringAt = 0x30000)
    {
        Ram(ringAt, count * 16).Clear();
        W(E1000Reg.Tdbal, (uint)ringAt);
        W(E1000Reg.Tdbah, 0);
        W(E1000Reg.Tdlen, (uint)count * 16);
        W(E1000Reg.Tdh, 0);
        W(E1000Reg.Tdt, 0);
        W(E1000Reg.Tctl, E1000Tctl.Enable);
    }

    public void PutTx(int slot, E1000TxDescriptor d, ulong ringAt = 0x30000) => At<E1000TxDescriptor>(ringAt + (ulong)slot * 16) = d;

    public E1000TxDescriptor TxDesc(int slot, ulong ringAt = 0x30000) => At<E1000TxDescriptor>(ringAt + (ulong)slot * 16);

    /// <summary>A frame to us (or <paramref name="dst"/>) with a recognisable payload.</summary>
    public static byte[] Frame(int length, byte seed = 1, byte[]? dst = null)
    {
        var f = new byte[length];
        (dst ?? MacBytes).CopyTo(f, 0);
        byte[] src = [0x00, 0x16, 0x3e, 0x00, 0x02, 0x00];
        src.CopyTo(f, 6);
        f[12] = 0x88; f[13] = 0xB5;
        for (int i = 14; i < length; i++)
            f[i] = (byte)(seed + i);
        return f;
    }

    public void Dispose() => Memory.Dispose();
}
