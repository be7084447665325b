// The guest's driver for the emulated Intel 82540EM (Linux's e1000 driver in miniature): the same
// Ethernet interface as netfront, over registers and descriptor rings instead of shared rings and
// grants. It touches registers the way Linux's e1000 does, so the exits it costs are the real
// price of full virtualization: TDT written once per transmit batch (Flush), RDT once per refill,
// and around each poll the interrupt dance of a NAPI driver: ICR read (acknowledge, read-to-clear)
// and IMC (mask) in the interrupt handler (OnInterrupt, run from the guest's IDT when domain 0
// delivers the card's MSI; without interrupts, at the start of the next poll instead), IMS
// (unmask) when a poll ends with nothing left. Descriptors and buffers are plain memory (no exit). Pure: the registers and
// DMA memory come in through Platform interfaces, so host tests run it against domain 0's real
// device model. TrySend, Flush and Poll allocate nothing.
using System;
using System.Threading;
using ParaKit.Drivers.Platform;
using ParaKit.Protocols.Nic;

namespace ParaKit.Drivers.E1000;

/// <summary>One e1000. Single-threaded: the app's event loop drives it.</summary>
public sealed unsafe class E1000Driver : IEthernetDevice
{
    public const int RxSlots = 256, TxSlots = 256;
    /// <summary>RCTL.BSIZE 00: 2048-byte receive buffers, so a 1514-byte frame is one descriptor.</summary>
    private const int BufferSize = 2048;
    private const int EthernetHeader = 14;
    private const int Mtu1500 = 1500;
    /// <summary>Interrupt causes the driver unmasks (Linux's IMS_ENABLE_MASK, plus RXO).</summary>
    public const uint InterruptMask = E1000Int.RxTimer | E1000Int.TxDescWritten | E1000Int.RxDescMinThreshold | E1000Int.RxSequenceError | E1000Int.LinkStatusChange | E1000Int.RxOverrun;
    private const int EepromPolls = 1000;

    private readonly IRegisterWindow _regs;
    private readonly IDmaMemory _dma;
    private readonly byte[] _mac = new byte[6];
    private readonly NetDeviceCounters _counters = new NetDeviceCounters();

    private E1000RxDescriptor* _rx;
    private E1000TxDescriptor* _tx;
    private byte* _rxBuffers, _txBuffers;
    private ulong _rxBuffersBus, _txBuffersBus;
    /// <summary>RX: next descriptor to look at. TX: next free slot (TDT's shadow), oldest in flight, queued since the last TDT write.</summary>
    private int _rxNext, _txTail, _txClean, _txQueued;
    private bool _up, _interruptDriven;
    /// <summary>IMS is set and no interrupt has masked it since. Written by the handler too.</summary>
    private volatile bool _irqArmed;

    /// <summary>Why <see cref="Open"/> failed, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>Register accesses made (each one is an exit): reads, writes.</summary>
    public ulong RegisterReads, RegisterWrites;
    /// <summary>Interrupt acknowledgements that found a cause (ICR was not 0).</summary>
    public ulong Interrupts;
    /// <summary>Handler runs (OnInterrupt), whatever ICR said.</summary>
    public ulong HandlerRuns;

    /// <summary>From now on the card's interrupt reaches <see cref="OnInterrupt"/> (the kernel
    /// registered it on the card's vector): polls stop acknowledging on its behalf.</summary>
    public void UseInterrupts() => _interruptDriven = true;

    public bool InterruptDriven => _interruptDriven;

    /// <summary>The interrupt handler (Linux's e1000_intr): read ICR (acknowledges, clears, lowers
    /// the line), mask every cause until the next poll has run. Runs inside the trap: registers
    /// and a flag only, no allocation.</summary>
    public void OnInterrupt()
    {
        HandlerRuns++;
        if (!_up)
            return;
        Acknowledge();
    }

    private void Acknowledge()
    {
        uint icr = Read(E1000Reg.Icr);
        Write(E1000Reg.Imc, 0xFFFF_FFFF);
        _irqArmed = false;
        if (icr != 0)
        {
            Interrupts++;
            _counters.NotifiesReceived++;
        }
    }

    public E1000Driver(IRegisterWindow registers, IDmaMemory dma)
    {
        _regs = registers;
        _dma = dma;
    }

    public ReadOnlySpan<byte> Mac => _mac;
    public int Mtu => Mtu1500;
    public bool IsUp => _up;
    public NetDeviceCounters Counters => _counters;

    private uint Read(uint reg)
    {
        RegisterReads++;
        return _regs.Read(reg);
    }

    private void Write(uint reg, uint value)
    {
        RegisterWrites++;
        _regs.Write(reg, value);
    }

    /// <summary>Brings the card up as Linux's e1000_probe + e1000_open do: reset, MAC from the
    /// EEPROM, receive address and multicast table, rings, receiver and transmitter, interrupts.
    /// False (with <see cref="Failure"/>) when the card does not answer as an 82540EM.</summary>
    public bool Open()
    {
        Write(E1000Reg.Imc, 0xFFFF_FFFF);
        Write(E1000Reg.Ctrl, Read(E1000Reg.Ctrl) | E1000Ctrl.Reset);
        Write(E1000Reg.Imc, 0xFFFF_FFFF);
        Read(E1000Reg.Icr);
        for (uint word = 0; word < E1000Eerd.MacWords; word++)
        {
            Write(E1000Reg.Eerd, E1000Eerd.Start | word << E1000Eerd.AddrShift);
            uint v = 0;
            int polls = 0;
            while (((v = Read(E1000Reg.Eerd)) & E1000Eerd.Done) == 0)
            {
                if (++polls == EepromPolls)
                {
                    Failure = "the EEPROM did not answer (EERD never DONE): not an 82540EM?";
                    return false;
                }
            }
            _mac[word * 2] = (byte)(v >> E1000Eerd.DataShift);
            _mac[word * 2 + 1] = (byte)(v >> (E1000Eerd.DataShift + 8));
        }
        if ((_mac[0] & 1) != 0 || (_mac[0] | _mac[1] | _mac[2] | _mac[3] | _mac[4] | _mac[5]) == 0)
        {
            Failure = "the EEPROM holds no usable MAC address";
            return false;
        }
        Write(E1000Reg.Ral0, (uint)(_mac[0] | _mac[1] << 8 | _mac[2] << 16 | _mac[3] << 24));
        Write(E1000Reg.Rah0, (uint)(_mac[4] | _mac[5] << 8) | 1u << 31);
        for (uint i = 0; i < E1000Reg.MtaCount; i++)
            Write(E1000Reg.Mta + i * 4, 0);

        // Transmit: a ring of legacy descriptors, one 2 KiB buffer per slot.
        ulong txBus, rxBus;
        _tx = (E1000TxDescriptor*)_dma.Allocate(TxSlots * E1000TxDescriptor.Size, 128, out txBus);
        _txBuffers = _dma.Allocate(TxSlots * BufferSize, 4096, out _txBuffersBus);
        Write(E1000Reg.Tdbal, (uint)txBus);
        Write(E1000Reg.Tdbah, (uint)(txBus >> 32));
        Write(E1000Reg.Tdlen, TxSlots * E1000TxDescriptor.Size);
        Write(E1000Reg.Tdh, 0);
        Write(E1000Reg.Tdt, 0);
        Write(E1000Reg.Tipg, 10 | 8 << 10 | 6 << 20);   // IEEE 802.3 copper values, as Linux sets them
        // No PSP: a short frame leaves as the app made it, byte for byte the same as over netfront.
        Write(E1000Reg.Tctl, E1000Tctl.Enable | 0x0Fu << E1000Tctl.CollisionThresholdShift | 0x40u << E1000Tctl.CollisionDistanceShift);

        // Receive: every descriptor gets a buffer; the card owns all but one (RDT one behind RDH).
        _rx = (E1000RxDescriptor*)_dma.Allocate(RxSlots * E1000RxDescriptor.Size, 128, out rxBus);
        _rxBuffers = _dma.Allocate(RxSlots * BufferSize, 4096, out _rxBuffersBus);
        for (int i = 0; i < RxSlots; i++)
        {
            _rx[i].BufferAddress = _rxBuffersBus + (ulong)(i * BufferSize);
            _rx[i].Status = 0;
        }
        Write(E1000Reg.Rdbal, (uint)rxBus);
        Write(E1000Reg.Rdbah, (uint)(rxBus >> 32));
        Write(E1000Reg.Rdlen, RxSlots * E1000RxDescriptor.Size);
        Write(E1000Reg.Rdh, 0);
        Write(E1000Reg.Rdt, RxSlots - 1);
        Write(E1000Reg.Rctl, E1000Rctl.Enable | E1000Rctl.BroadcastAccept | E1000Rctl.StripCrc);
        Write(E1000Reg.Itr, 0);

        if ((Read(E1000Reg.Status) & E1000Status.LinkUp) == 0)
        {
            Failure = "the link is down (STATUS.LU clear)";
            return false;
        }
        // The flags go first, as Linux's e1000_up clears __E1000_DOWN before e1000_irq_enable: a
        // cause already pending raises the MSI as IMS is written, and the handler that runs right
        // after this store must find the card up, or it returns without reading ICR, the line
        // stays up, and no new edge (no further MSI) ever comes.
        _up = true;
        _irqArmed = true;
        Write(E1000Reg.Ims, InterruptMask);
        return true;
    }

    /// <summary>Stops the card: receiver and transmitter off, interrupts masked (Linux's e1000_close).</summary>
    public void Close()
    {
        if (!_up)
            return;
        Write(E1000Reg.Imc, 0xFFFF_FFFF);
        Write(E1000Reg.Rctl, 0);
        Write(E1000Reg.Tctl, 0);
        Read(E1000Reg.Icr);
        _up = false;
        _irqArmed = false;
    }

    private int TxFree => TxSlots - 1 - ((_txTail - _txClean + TxSlots) % TxSlots);

    public bool TxIdle => _txClean == _txTail;

    /// <summary>The model's TSO and checksum context descriptors are not used (yet): no offload.</summary>
    public bool ChecksumOffload => false;
    public int MaxOffloadFrame => 0;
    public bool RxChecksumValidated => false;

    public bool TrySendOffload(ReadOnlySpan<byte> frame, int gsoSize)
    {
        _counters.TxDroppedSize++;
        return false;
    }

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        if (!_up)
        {
            _counters.TxDroppedDown++;
            return false;
        }
        if (frame.Length < EthernetHeader || frame.Length > Mtu1500 + EthernetHeader)
        {
            _counters.TxDroppedSize++;
            return false;
        }
        if (TxFree == 0)
        {
            ReapTx();
            if (TxFree == 0)
            {
                _counters.TxDroppedFull++;
                return false;
            }
        }
        int slot = _txTail;
        frame.CopyTo(new Span<byte>(_txBuffers + slot * BufferSize, BufferSize));
        // EOP (one descriptor per frame), IFCS (the MAC appends the FCS), RS (write DD back so we can reap).
        _tx[slot] = E1000TxDescriptor.Legacy(_txBuffersBus + (ulong)(slot * BufferSize), frame.Length,
            E1000TxDescriptor.CmdEndOfPacket | E1000TxDescriptor.CmdInsertFcs | E1000TxDescriptor.CmdReportStatus);
        _txTail = (slot + 1) % TxSlots;
        _txQueued++;
        _counters.TxFrames++;
        _counters.TxBytes += (ulong)frame.Length;
        return true;
    }

    /// <summary>One TDT write for everything queued since the last one (Linux's xmit_more batching).</summary>
    public void Flush()
    {
        if (_txQueued == 0 || !_up)
            return;
        Interlocked.MemoryBarrier();     // descriptors before the doorbell (Linux: wmb() before writel(TDT))
        Write(E1000Reg.Tdt, (uint)_txTail);
        _txQueued = 0;
        _counters.NotifiesSent++;
    }

    /// <summary>Frees TX slots whose descriptors the card wrote back (DD), oldest first.</summary>
    private void ReapTx()
    {
        while (_txClean != _txTail && _txClean != (_txTail - _txQueued + TxSlots) % TxSlots)
        {
            uint upper = Volatile.Read(ref _tx[_txClean].Upper);
            if ((upper & E1000TxDescriptor.StatusDone) == 0)
                break;
            _txClean = (_txClean + 1) % TxSlots;
        }
    }

    public int Poll(FrameHandler handler, int budget)
    {
        if (!_up)
            return 0;
        // Without an interrupt handler, its half runs here: acknowledge and mask while we poll.
        if (!_interruptDriven && _irqArmed)
            Acknowledge();
        ReapTx();
        int n = 0, refilled = 0;
        while (n < budget)
        {
            E1000RxDescriptor* d = _rx + _rxNext;
            byte status = Volatile.Read(ref d->Status);
            if ((status & E1000RxDescriptor.StatusDone) == 0)
                break;
            int length = d->Length;
            if ((status & E1000RxDescriptor.StatusEndOfPacket) == 0 || d->Errors != 0 || length < EthernetHeader || length > BufferSize)
                _counters.RxErrors++;   // 2 KiB buffers hold any frame we accept: a chain or an error is the card's fault
            else
            {
                _counters.RxFrames++;
                _counters.RxBytes += (ulong)length;
                handler(new ReadOnlySpan<byte>(_rxBuffers + _rxNext * BufferSize, length));
                n++;
            }
            // Give the descriptor back with the same buffer.
            d->BufferAddress = _rxBuffersBus + (ulong)(_rxNext * BufferSize);
            d->Status = 0;
            _rxNext = (_rxNext + 1) % RxSlots;
            refilled++;
        }
        if (refilled > 0)
        {
            Interlocked.MemoryBarrier();
            Write(E1000Reg.Rdt, (uint)((_rxNext + RxSlots - 1) % RxSlots));
        }
        if (n < budget && !_irqArmed)
        {
            // Done for now: unmask, so the next frame or completion interrupts (wakes) us. The
            // flag goes first: a handler that runs right after the write clears it again.
            _irqArmed = true;
            Write(E1000Reg.Ims, InterruptMask);
        }
        return n;
    }
}
