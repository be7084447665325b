// The names a device gives its registers, so a trace of register accesses reads "e1000 vif1.0 TDT
// write" instead of "device 3 offset 0x3818". A device registers once (at attach, never on a hot
// path) and gets a 16-bit id that its DeviceAccess records carry; every trace file written after
// that holds the registry (its register table), so `trace analyze` names devices and registers
// without knowing any device.
namespace ParaKit.Hypervisor.Tracing;

/// <summary>One named register of a device: its offset in the device's range and its name
/// (as the device's datasheet spells it, e.g. "TDT").</summary>
public readonly record struct TraceRegister(ulong Offset, string Name);

/// <summary>A registered device: its id, name, and register names by offset.</summary>
public sealed class TraceDevice
{
    private readonly Dictionary<ulong, string> _names = [];

    public ushort Id { get; }
    public string Name { get; }
    public IReadOnlyList<TraceRegister> Registers { get; }

    internal TraceDevice(ushort id, string name, IReadOnlyList<TraceRegister> registers)
    {
        Id = id;
        Name = name;
        Registers = registers;
        foreach (var r in registers)
            _names.TryAdd(r.Offset, r.Name);
    }

    /// <summary>The register's name, or its offset in hex when the device did not name it.</summary>
    public string RegisterName(ulong offset) => _names.TryGetValue(offset, out string? n) ? n : $"0x{offset:x}";
}

public static class TraceDevices
{
    /// <summary>Register offsets a record can hold: 48 bits.</summary>
    public const ulong OffsetMask = (1UL << 48) - 1;

    private static readonly Lock s_lock = new();
    private static readonly List<TraceDevice> s_devices = [];

    /// <summary>Registers a device for traces and returns the id its
    /// <see cref="TracePoint.DeviceAccess"/> records carry (1, 2, ...; ids are never reused in a
    /// process). <paramref name="name"/> says which device (e.g. "e1000 vif1.0"); the register
    /// table may be shared by every instance of one device model.</summary>
    public static ushort Register(string name, IReadOnlyList<TraceRegister> registers)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (var r in registers)
        {
            if (r.Offset > OffsetMask)
                throw new ArgumentOutOfRangeException(nameof(registers), $"register {r.Name} at 0x{r.Offset:x}: offsets are at most 48 bits");
        }
        lock (s_lock)
        {
            if (s_devices.Count >= ushort.MaxValue)
                throw new InvalidOperationException("65535 devices are registered for tracing already");
            var d = new TraceDevice((ushort)(s_devices.Count + 1), name, registers);
            s_devices.Add(d);
            return d.Id;
        }
    }

    /// <summary>Every device registered so far (what a trace file's register table holds).</summary>
    public static IReadOnlyList<TraceDevice> All()
    {
        lock (s_lock)
            return [.. s_devices];
    }

    internal static TraceDevice Make(ushort id, string name, IReadOnlyList<TraceRegister> registers) => new(id, name, registers);
}
