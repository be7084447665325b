// One emulated e1000 of one domain, for its whole life (the shape of Devices/Vif, without xenbus):
//   attach   (toolstack, before the domain starts) the card's registers take their slot on the
//            domain's bus (GuestLayout.E1000Bar(index), 128 KiB), its port joins the switch named
//            by bridge=, an interrupt line is drawn to the vCPU, and start_info's E1000Mask tells
//            the guest that vif N is an e1000 (there is no PCI bus to probe);
//   run      register accesses arrive from the vCPU thread through the bus; a TDT write kicks the
//            switch's worker, which runs the TX ring (inline on the vCPU thread when idle) and
//            delivers other ports' frames into the RX ring; interrupts follow ICR & IMS and ITR
//            and reach the guest's IDT as an MSI through KVM_IRQFD (vector InterruptVector);
//   detach   (Domain.Destroying, before the guest's memory goes, or the toolstack) off the bus,
//            unbound from the worker (no batch touches guest memory after that), port removed.
using System.Diagnostics;
using ParaKit.Hypervisor.Devices.Bus;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Net.Tap;
using ParaKit.Protocols.Boot;

namespace ParaKit.Hypervisor.Devices.E1000;

public sealed class E1000Device : IDomainDevice
{
    private readonly Domain _domain;
    private readonly NetworkWorker _worker;
    private readonly WorkerVif _port;
    private readonly MmioRange _range;
    private readonly Timer _itrTimer;
    private readonly DomainInterrupts.InterruptLine _line;
    private readonly EventFdMsi? _msi;

    /// <summary>The IDT vector every e1000 signals (an MSI on APIC 0), told to the guest in start_info.</summary>
    public const uint InterruptVector = 0x40;
    private int _detached;
    private HostBridgeLink? _link;

    public VifConfig Config { get; }
    public string Name { get; }
    public MacAddress Mac { get; }
    public EmulatedNic Nic { get; }
    /// <summary>Guest-physical address of the card's registers (BAR0).</summary>
    public ulong Bar => _range.Start;
    /// <summary>The bus's view: accesses by register.</summary>
    public MmioRange Registers => _range;

    private E1000Device(Domain domain, VifConfig config, NetworkWorker worker)
    {
        if (config.Index >= GuestLayout.E1000Slots)
            throw new Config.ConfigException($"vif {config.Index}: an e1000 needs a vif index below {GuestLayout.E1000Slots} (its register slot)");
        _domain = domain;
        _worker = worker;
        Config = config;
        Name = config.NameFor(domain.Id);
        Mac = config.MacFor(domain.Id);
        ReadOnlySpan<byte> mac = [Mac.B0, Mac.B1, Mac.B2, Mac.B3, Mac.B4, Mac.B5];
        // With an irqchip (DomainBuilder makes one for e1000 domains) the line is a real MSI into
        // the guest's IDT; without one it only wakes a blocked vCPU and the driver polls.
        if (domain.Vm.HasIrqchip)
            _msi = EventFdMsi.Create(domain.Vm, InterruptVector);
        _line = domain.Interrupts.NewLine(Name, _msi);
        EmulatedNic? nic = null;
        _itrTimer = new Timer(_ => nic?.OnTimer());
        nic = new EmulatedNic(domain.Memory, mac, _line, NowNs, ns => _itrTimer.Change(TimeSpan.FromTicks(Math.Max(1, ns / 100)), Timeout.InfiniteTimeSpan));
        Nic = nic;
        _port = worker.AddVif(Name);
        _port.Port.TraceDomain = domain.Id;
        _port.Port.TraceVif = config.Index;
        Nic.Wire = _port.Port;
        var port = _port;
        Nic.TxKick = () => worker.Kick(port);
        worker.BindDevice(_port, Nic);
        try
        {
            _range = domain.Bus.Add(Name, GuestLayout.E1000Bar(config.Index), GuestLayout.E1000BarSize, Nic);
            _range.TraceId = Tracing.TraceDevices.Register("e1000 " + Name, E1000RegisterNames.Table);
        }
        catch
        {
            worker.Unbind(_port);
            worker.RemoveVif(_port);
            _itrTimer.Dispose();
            _msi?.Dispose();
            throw;
        }
        domain.StartInfo.E1000Mask |= 1u << config.Index;
        if (_msi is not null)
            domain.StartInfo.E1000Vector = InterruptVector;
    }

    private static long NowNs() => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

    /// <summary>Puts the card on the domain's bus and switch. Call before the domain starts; the
    /// card detaches itself when the domain is destroyed.</summary>
    public static E1000Device Attach(Domain domain, VifConfig config, NetworkWorker worker) => Attach(domain, config, worker, null);

    /// <summary>Attaches the card where its bridge= says: a Linux bridge of that name (through a
    /// TAP named like the vif, as for a netback vif) if one exists, else that in-process switch.</summary>
    public static E1000Device Attach(Domain domain, VifConfig config, Networks networks)
    {
        if (!TapDevice.IsLinuxBridge(config.Bridge))
            return Attach(domain, config, networks.Get(config.Bridge));
        var link = HostBridgeLink.Open(networks, config.NameFor(domain.Id), config.Bridge, config.Mtu, offload: false);
        try
        {
            return Attach(domain, config, link.Worker, link);
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    private static E1000Device Attach(Domain domain, VifConfig config, NetworkWorker worker, HostBridgeLink? link)
    {
        var dev = new E1000Device(domain, config, worker) { _link = link };
        domain.Destroying += _ => dev.Dispose();
        return dev;
    }

    public string Summary
    {
        get
        {
            var c = Nic.Counters;
            var r = Nic.RingState;
            string problems = c.DmaFaults + c.IndexBeyondRing + c.UnalignedRingLengths + c.TxOversize + c.TxSegmentationUnsupported != 0
                ? $" refused(dma={c.DmaFaults} index={c.IndexBeyondRing} rdlen/tdlen={c.UnalignedRingLengths} tx-oversize={c.TxOversize} tso={c.TxSegmentationUnsupported})"
                : "";
            string where = _link is { } link ? $"{Config.Bridge}(tap {link.Tap.Name})" : Config.Bridge;
            return $"{Name} {Mac} {where} e1000@0x{Bar:x} tx={c.TxFrames} rx={c.RxFrames} drops(rx-no-desc={c.RxNoDescriptors} filtered={c.RxFiltered} disabled={c.RxWhileDisabled} oversize={c.RxOversize})"
                + $" irqs={c.Interrupts} mmio(r={_range.Reads} w={_range.Writes}) rx[{r.Rdh}..{r.Rdt}) tx[{r.Tdh}..{r.Tdt})" + problems;
        }
    }

    /// <summary>Takes the card off the bus and the switch. Safe from any thread; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _detached, 1) != 0)
            return;
        _domain.Bus.Remove(_range);
        _worker.Unbind(_port);      // no batch touches the guest's rings after this
        _worker.RemoveVif(_port);
        _link?.Dispose();           // a Linux-bridge card's TAP and private worker go last
        _itrTimer.Dispose();
        _line.Deassert();
        _msi?.Dispose();
    }
}
