// A domain's bus: guest-physical ranges owned by emulated devices. The vCPU loop hands it every
// MMIO exit that is not the hypercall doorbell (which stays a fixed entry in ExitDecoder): a read
// is completed into kvm_run's data before the guest re-enters, a write is dispatched; each access
// is counted per range and per 4-byte register. An access no range claims is the caller's to
// report (the domain crashes with the address named, as before there was a bus).
// The access path takes no lock and allocates nothing: ranges are an immutable array replaced
// whole when a device attaches or detaches (rare, control thread), read with one volatile load.
using ParaKit.Protocols.Boot;

namespace ParaKit.Hypervisor.Devices.Bus;

/// <summary>One device's window on the bus, with its access counters (written by the domain's
/// one vCPU thread, read by reports: plain longs, a report may be one access behind).</summary>
public sealed class MmioRange
{
    private readonly long[] _perRegister;

    internal MmioRange(string name, ulong start, ulong size, IMmioDevice device)
    {
        Name = name;
        Start = start;
        Size = size;
        Device = device;
        // One counter per 4-byte register; large windows share counters per 4 KiB page instead.
        RegisterShift = size <= 1 << 20 ? 2 : 12;
        _perRegister = new long[(int)((size + (1UL << RegisterShift) - 1) >> RegisterShift)];
    }

    public string Name { get; }
    public ulong Start { get; }
    public ulong Size { get; }
    public ulong End => Start + Size;
    public IMmioDevice Device { get; }
    /// <summary>log2 of the bytes one per-register counter covers (2: per 32-bit register).</summary>
    public int RegisterShift { get; }
    public long Reads, Writes;
    /// <summary>The device's id for trace records (Tracing/TraceDevices), 0 when it has none.</summary>
    public ushort TraceId { get; set; }

    /// <summary>Accesses to the register at <paramref name="offset"/> (reads and writes).</summary>
    public long AccessesAt(ulong offset) => offset < Size ? Volatile.Read(ref _perRegister[(int)(offset >> RegisterShift)]) : 0;

    /// <summary>Registers accessed at least once, by offset, busiest first (for reports).</summary>
    public IEnumerable<(ulong Offset, long Accesses)> Busiest()
    {
        var list = new List<(ulong, long)>();
        for (int i = 0; i < _perRegister.Length; i++)
        {
            if (_perRegister[i] != 0)
                list.Add(((ulong)i << RegisterShift, _perRegister[i]));
        }
        return list.OrderByDescending(x => x.Item2);
    }

    internal void Count(ulong offset) => _perRegister[(int)(offset >> RegisterShift)]++;
}

public sealed class MmioBus(uint domainId = 0)
{
    private readonly Lock _writers = new();
    private volatile MmioRange[] _ranges = [];

    /// <summary>Accesses that no range claimed (each also ended its domain).</summary>
    public long Unclaimed;

    public IReadOnlyList<MmioRange> Ranges => _ranges;

    /// <summary>Gives [start, start+size) to <paramref name="device"/>. The range must lie in the
    /// device window (GuestLayout.DeviceWindowStart..End, the only non-RAM pages a guest's page
    /// tables map besides the doorbell) and overlap no other range.</summary>
    public MmioRange Add(string name, ulong start, ulong size, IMmioDevice device)
    {
        if (size == 0 || start < GuestLayout.DeviceWindowStart || start > GuestLayout.DeviceWindowEnd || size > GuestLayout.DeviceWindowEnd - start)
            throw new ArgumentOutOfRangeException(nameof(start), $"{name}: MMIO range 0x{start:x}+0x{size:x} is outside the device window 0x{GuestLayout.DeviceWindowStart:x}-0x{GuestLayout.DeviceWindowEnd:x}");
        lock (_writers)
        {
            foreach (var r in _ranges)
            {
                if (start < r.End && r.Start < start + size)
                    throw new InvalidOperationException($"{name}: MMIO range 0x{start:x}+0x{size:x} overlaps {r.Name} at 0x{r.Start:x}+0x{r.Size:x}");
            }
            var range = new MmioRange(name, start, size, device);
            _ranges = [.. _ranges, range];
            return range;
        }
    }

    /// <summary>Takes a range off the bus: later accesses to it are unclaimed. An access already
    /// under way on the vCPU thread may still finish on the device.</summary>
    public void Remove(MmioRange range)
    {
        lock (_writers)
            _ranges = _ranges.Where(r => r != range).ToArray();
    }

    /// <summary>The range holding <paramref name="address"/>, or null.</summary>
    public MmioRange? Find(ulong address)
    {
        var ranges = _ranges;
        for (int i = 0; i < ranges.Length; i++)
        {
            var r = ranges[i];
            if (address - r.Start < r.Size)
                return r;
        }
        return null;
    }

    /// <summary>One trapped access. A read's value goes to <paramref name="data"/> (the low
    /// <paramref name="length"/> bytes; kvm_run's data field). False when no range claims it, or
    /// the access has a size a device register cannot have or crosses the range's end.</summary>
    public bool Access(ulong address, uint length, bool write, ref ulong data)
    {
        var r = Find(address);
        if (r is null || length is not (1 or 2 or 4 or 8) || length > r.End - address)
        {
            Unclaimed++;
            return false;
        }
        ulong offset = address - r.Start;
        r.Count(offset);
        if (write)
        {
            r.Writes++;
            data = length == 8 ? data : data & ((1UL << (int)(length * 8)) - 1);
            r.Device.Write(offset, (int)length, data);
        }
        else
        {
            r.Reads++;
            ulong v = r.Device.Read(offset, (int)length);
            data = length == 8 ? v : v & ((1UL << (int)(length * 8)) - 1);
        }
        if (Tracing.TracePoint.DeviceOn && r.TraceId != 0)
            Tracing.TracePoint.DeviceAccess(domainId, r.TraceId, offset, write, data, (int)length);
        return true;
    }

    /// <summary>What the crash report says about an access nobody claimed.</summary>
    public static string UnclaimedMessage(ulong address, uint length, bool write) => write
        ? $"unexpected MMIO write of {length} bytes to 0x{address:x} (not guest RAM, and no device on the bus claims it)"
        : $"MMIO read of {length} bytes from 0x{address:x} (not guest RAM, and no device on the bus claims it)";
}
