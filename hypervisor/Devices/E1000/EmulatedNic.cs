// The Intel 82540EM as a pure state machine (trap-and-emulate's "device model"): its registers as
// the 8254x Software Developer's Manual describes them, its descriptor rings in guest memory
// ("DMA" through GuestMemory's bounds-checked spans), and its port on the switch. Nothing here
// touches KVM: the bus calls Read/Write on the vCPU thread, the network worker calls ProcessTx,
// DeliverToGuest and FlushRx on whichever thread runs a batch, the ITR timer calls OnTimer; one
// per-device lock orders them (the worker's lock, when held, is always taken first).
//
// What a hostile driver gets, as the manual says the card behaves or, where it is silent, as
// QEMU's e1000 does: ring lengths keep only multiples of 128 bytes (low bits ignored); a head
// beyond the ring restarts at 0, a tail beyond it leaves the ring idle; a descriptor or buffer
// outside guest RAM halts that ring until the driver programs it again; TX packets beyond the
// 16288-byte packet buffer are dropped; RX frames find too few descriptors -> MPC and ICR.RXO;
// TSO is not modelled (dropped). Each case is counted in E1000Counters, none can hurt domain 0:
// every index is bounded before use and every guest address goes through GuestMemory's checks.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Devices.Bus;
using ParaKit.Hypervisor.Memory;
using ParaKit.Hypervisor.Net;
using ParaKit.Protocols.Nic;

namespace ParaKit.Hypervisor.Devices.E1000;

public sealed class EmulatedNic : IMmioDevice, IPortDevice
{
    /// <summary>Largest TX packet the 82540EM's packet buffer takes (SDM 3.3.3: 16288 bytes).</summary>
    public const int MaxTxPacket = 16288;
    /// <summary>Largest RX frame with RCTL.LPE (SDM 13.4.22: 16384 bytes with CRC).</summary>
    public const int MaxRxLongFrame = 16384 - 4;
    /// <summary>Largest RX frame without RCTL.LPE: 1518 bytes with CRC (1522 with a VLAN tag).</summary>
    public const int MaxRxFrame = 1522 - 4;
    /// <summary>CTRL after reset: link forced up at 1000 Mb/s full duplex, as QEMU presents it.</summary>
    public const uint CtrlInitial = E1000Ctrl.SwdPin2 | E1000Ctrl.SwdPin0 | E1000Ctrl.Speed1000 | E1000Ctrl.SetLinkUp;
    /// <summary>STATUS with the link up: full duplex, link up, 1000 Mb/s.</summary>
    public const uint StatusLinkUp = E1000Status.FullDuplex | E1000Status.LinkUp | E1000Status.Speed1000;
    /// <summary>EEPROM words 0x00-0x3F: MAC in 0-2, the rest as a blank 82540EM image (0xFFFF), checksum in 0x3F.</summary>
    public const int EepromWords = 64;

    private readonly Lock _sync = new();
    private readonly GuestMemory _memory;
    private readonly IInterruptLine _line;
    private readonly Func<long> _nowNs;
    private readonly Action<long>? _armTimer;
    private readonly ushort[] _eeprom = new ushort[EepromWords];
    private readonly byte[] _mac;

    // Registers (SDM chapter 13), written by the guest or by the card.
    private uint _ctrl, _status, _eerd, _icr, _ims, _itr, _rctl, _tctl, _tipg, _rdtr, _radv, _tidv, _tadv, _rxcsum, _vet, _mdic;
    private uint _rdbal, _rdbah, _rdlen, _rdh, _rdt, _tdbal, _tdbah, _tdlen, _tdh, _tdt;
    private readonly uint[] _mta = new uint[E1000Reg.MtaCount];
    private readonly uint[] _ra = new uint[E1000Reg.RaCount * 2];
    // Statistics registers by (offset - StatsStart) / 4, cleared on read.
    private readonly ulong[] _stats = new ulong[(E1000Reg.StatsEnd - E1000Reg.StatsStart) / 4];

    // TX: the packet being gathered across descriptors, and the last context descriptor.
    private readonly byte[] _txPacket = new byte[MaxTxPacket];
    private int _txLength;
    private bool _txOversize, _txSegmentation;
    private byte _txOptions;        // POPTS of the packet's first data descriptor
    private bool _txLegacyChecksum; private byte _txCss, _txCso;
    private byte _ipcss, _ipcso, _tucss, _tucso; private ushort _ipcse, _tucse;
    private bool _txHalted, _rxHalted;

    // Interrupts: whether the line is asserted, and ITR's bookkeeping.
    private bool _asserted, _timerArmed;
    private long _lastInterruptNs = long.MinValue / 2;

    public E1000Counters Counters { get; } = new();

    /// <summary>Where transmitted frames go (the switch port); null drops them, counted as sent.</summary>
    public IFrameSink? Wire { get; set; }

    /// <param name="memory">The guest's RAM, for descriptor and buffer DMA.</param>
    /// <param name="mac">The card's MAC (its EEPROM words 0-2).</param>
    /// <param name="line">The interrupt output.</param>
    /// <param name="nowNs">A monotonic clock in ns (for ITR).</param>
    /// <param name="armTimer">Asks for <see cref="OnTimer"/> after the given ns (a postponed interrupt); null in tests that drive OnTimer themselves.</param>
    public EmulatedNic(GuestMemory memory, ReadOnlySpan<byte> mac, IInterruptLine line, Func<long> nowNs, Action<long>? armTimer = null)
    {
        if (mac.Length != 6)
            throw new ArgumentException("a MAC is 6 bytes", nameof(mac));
        _memory = memory;
        _mac = mac.ToArray();
        _line = line;
        _nowNs = nowNs;
        _armTimer = armTimer;
        _eeprom.AsSpan().Fill(0xFFFF);
        for (int i = 0; i < E1000Eerd.MacWords; i++)
            _eeprom[i] = (ushort)(_mac[2 * i] | _mac[2 * i + 1] << 8);
        ushort sum = 0;
        for (int i = 0; i < EepromWords - 1; i++)
            sum += _eeprom[i];
        _eeprom[EepromWords - 1] = (ushort)(E1000Eerd.ChecksumSum - sum);
        Reset();
    }

    public ReadOnlySpan<byte> Mac => _mac;

    /// <summary>Power-on / CTRL.RST state (SDM 13: initial values). RAL0/RAH0 come from the EEPROM.</summary>
    private void Reset()
    {
        _ctrl = CtrlInitial;
        _status = StatusLinkUp;
        _eerd = _icr = _ims = _itr = _rctl = _tipg = _rdtr = _radv = _tidv = _tadv = _mdic = 0;
        _tctl = 0x0F << E1000Tctl.CollisionThresholdShift | 0x40 << E1000Tctl.CollisionDistanceShift;
        _rxcsum = 0x300;
        _vet = 0x8100;
        _rdbal = _rdbah = _rdlen = _rdh = _rdt = 0;
        _tdbal = _tdbah = _tdlen = _tdh = _tdt = 0;
        Array.Clear(_mta);
        Array.Clear(_ra);
        Array.Clear(_stats);
        _ra[0] = (uint)(_mac[0] | _mac[1] << 8 | _mac[2] << 16 | _mac[3] << 24);
        _ra[1] = (uint)(_mac[4] | _mac[5] << 8) | 1u << 31;   // AV
        _txLength = 0;
        _txOversize = _txSegmentation = _txLegacyChecksum = false;
        _txHalted = _rxHalted = false;
        if (_asserted)
        {
            _asserted = false;
            _line.Deassert();
        }
    }

    // ---- Registers (the bus, on the vCPU thread) ----

    public ulong Read(ulong offset, int size)
    {
        // Registers are 32 bits; narrower reads see the containing register's bytes.
        uint reg = (uint)offset & ~3u;
        uint v;
        lock (_sync)
            v = ReadRegister(reg);
        int shift = (int)(offset & 3) * 8;
        return size >= 4 ? v : (v >> shift) & (size == 1 ? 0xFFu : 0xFFFFu);
    }

    public void Write(ulong offset, int size, ulong value)
    {
        uint reg = (uint)offset & ~3u;
        uint v = (uint)value;
        bool kick = false;
        lock (_sync)
        {
            if (size < 4)
            {
                // A narrow store changes only its bytes of the register.
                int shift = (int)(offset & 3) * 8;
                uint mask = (size == 1 ? 0xFFu : 0xFFFFu) << shift;
                v = (PeekRegister(reg) & ~mask) | ((v << shift) & mask);
            }
            kick = WriteRegister(reg, v);
            UpdateInterrupt();
        }
        // TDT: the worker (inline on this thread when idle) moves the packets, outside our lock.
        if (kick)
        {
            if (TxKick is { } k)
                k();
            else
                ProcessTx();
        }
    }

    /// <summary>Called after a TDT write that gave the card work, outside the device's lock (the
    /// device glue kicks the switch's worker, which calls <see cref="ProcessTx"/>). When null,
    /// the write processes the ring at once on the caller's thread.</summary>
    public Action? TxKick { get; set; }

    /// <summary>A register's value without read side effects (for narrow writes and reports).</summary>
    private uint PeekRegister(uint reg) => reg switch
    {
        E1000Reg.Icr => _icr,
        >= E1000Reg.StatsStart and < E1000Reg.StatsEnd => (uint)_stats[(reg - E1000Reg.StatsStart) / 4],
        _ => ReadPlain(reg),
    };

    private uint ReadRegister(uint reg)
    {
        switch (reg)
        {
            case E1000Reg.Icr:
            {
                // Read-to-clear (82540EM: every bit, whatever IMS says).
                uint v = _icr;
                _icr = 0;
                UpdateInterrupt();
                return v;
            }
            case >= E1000Reg.StatsStart and < E1000Reg.StatsEnd:
                return ReadStatistic(reg);
            default:
                return ReadPlain(reg);
        }
    }

    private uint ReadPlain(uint reg)
    {
        switch (reg)
        {
            case E1000Reg.Ctrl: return _ctrl;
            case E1000Reg.Status: return _status;
            case E1000Reg.Eecd: return 1u << 8 | 1u << 7; // EE_PRES | EE_GNT: an EEPROM is present
            case E1000Reg.Eerd: return _eerd;
            case E1000Reg.CtrlExt: return 0;
            case E1000Reg.Mdic: return _mdic;
            case E1000Reg.Ims: return _ims;     // reads as the current mask
            case E1000Reg.Itr: return _itr;
            case E1000Reg.Rctl: return _rctl;
            case E1000Reg.Tctl: return _tctl;
            case E1000Reg.Tipg: return _tipg;
            case E1000Reg.Rdbal: return _rdbal;
            case E1000Reg.Rdbah: return _rdbah;
            case E1000Reg.Rdlen: return _rdlen;
            case E1000Reg.Rdh: return _rdh;
            case E1000Reg.Rdt: return _rdt;
            case E1000Reg.Rdtr: return _rdtr;
            case E1000Reg.Radv: return _radv;
            case E1000Reg.Tdbal: return _tdbal;
            case E1000Reg.Tdbah: return _tdbah;
            case E1000Reg.Tdlen: return _tdlen;
            case E1000Reg.Tdh: return _tdh;
            case E1000Reg.Tdt: return _tdt;
            case E1000Reg.Tidv: return _tidv;
            case E1000Reg.Tadv: return _tadv;
            case E1000Reg.Rxcsum: return _rxcsum;
            case E1000Reg.Vet: return _vet;
            case E1000Reg.Pba: return 0x0010_0030;   // 48 KiB RX, 16 KiB TX packet buffer
            case E1000Reg.Ledctl: return 0x0602;
            case >= E1000Reg.Mta and < E1000Reg.Mta + E1000Reg.MtaCount * 4:
                return _mta[(reg - E1000Reg.Mta) / 4];
            case >= E1000Reg.Ral0 and < E1000Reg.Ral0 + E1000Reg.RaCount * 8:
                return _ra[(reg - E1000Reg.Ral0) / 4];
            case E1000Reg.Ics or E1000Reg.Imc:
                return 0;   // write-only
            default:
                Counters.UnknownRegisterAccesses++;
                return 0;
        }
    }

    /// <summary>Statistics clear on read; a 64-bit pair (GORC, GOTC, TOR, TOT) clears when its
    /// high half is read, so low-then-high reads are consistent.</summary>
    private uint ReadStatistic(uint reg)
    {
        int i = (int)(reg - E1000Reg.StatsStart) / 4;
        switch (reg)
        {
            case E1000Reg.Gorcl or E1000Reg.Gotcl or E1000Reg.Torl or E1000Reg.Totl:
                return (uint)_stats[i];
            case E1000Reg.Gorch or E1000Reg.Gotch or E1000Reg.Torh or E1000Reg.Toth:
            {
                ulong both = _stats[i - 1];
                _stats[i - 1] = 0;
                return (uint)(both >> 32);
            }
            default:
            {
                ulong v = _stats[i];
                _stats[i] = 0;
                return (uint)Math.Min(v, uint.MaxValue);
            }
        }
    }

    private void AddStat(uint reg, ulong n = 1) => _stats[(reg - E1000Reg.StatsStart) / 4] += n;

    /// <summary>Applies a write; true when it gave the transmitter work (TDT moved with TCTL.EN).</summary>
    private bool WriteRegister(uint reg, uint v)
    {
        switch (reg)
        {
            case E1000Reg.Ctrl:
                if ((v & E1000Ctrl.Reset) != 0)
                {
                    Counters.Resets++;
                    Reset();            // RST self-clears
                    return false;
                }
                _ctrl = v & ~E1000Ctrl.PhyReset;
                return false;
            case E1000Reg.Status:
                return false;           // read-only
            case E1000Reg.Eecd:
                return false;           // bit-banged EEPROM access is not modelled: use EERD
            case E1000Reg.Eerd:
                if ((v & E1000Eerd.Start) != 0)
                {
                    uint addr = (v >> E1000Eerd.AddrShift) & 0xFF;
                    uint data = addr < EepromWords ? _eeprom[addr] : 0xFFFFu;
                    _eerd = (addr << E1000Eerd.AddrShift) | E1000Eerd.Done | data << E1000Eerd.DataShift;
                }
                return false;
            case E1000Reg.Mdic:
                // PHY access: answer at once (ready), data 0 for reads; the link is always up.
                _mdic = (v & 0x0FFF_FFFF) | 1u << 28;
                return false;
            case E1000Reg.Icr:
                _icr &= ~v;             // write 1 to clear
                return false;
            case E1000Reg.Ics:
                _icr |= v & E1000Int.All;
                return false;
            case E1000Reg.Ims:
                _ims |= v & E1000Int.All;
                return false;
            case E1000Reg.Imc:
                _ims &= ~v;
                return false;
            case E1000Reg.Itr:
                _itr = v & 0xFFFF;
                return false;
            case E1000Reg.Rctl:
                _rctl = v;
                return false;
            case E1000Reg.Tctl:
            {
                bool wasOn = (_tctl & E1000Tctl.Enable) != 0;
                _tctl = v;
                return !wasOn && (v & E1000Tctl.Enable) != 0 && _tdh != _tdt;
            }
            case E1000Reg.Tipg: _tipg = v; return false;
            case E1000Reg.Rdbal: _rdbal = v & ~0xFu; _rxHalted = false; return false;   // 16-byte aligned
            case E1000Reg.Rdbah: _rdbah = v; _rxHalted = false; return false;
            case E1000Reg.Rdlen: _rdlen = RingLength(v); _rxHalted = false; return false;
            case E1000Reg.Rdh: _rdh = v & 0xFFFF; return false;
            case E1000Reg.Rdt: _rdt = v & 0xFFFF; return false;
            case E1000Reg.Rdtr: _rdtr = v & 0xFFFF; return false;
            case E1000Reg.Radv: _radv = v & 0xFFFF; return false;
            case E1000Reg.Tdbal: _tdbal = v & ~0xFu; _txHalted = false; return false;
            case E1000Reg.Tdbah: _tdbah = v; _txHalted = false; return false;
            case E1000Reg.Tdlen: _tdlen = RingLength(v); _txHalted = false; return false;
            case E1000Reg.Tdh: _tdh = v & 0xFFFF; return false;
            case E1000Reg.Tdt:
                _tdt = v & 0xFFFF;
                return (_tctl & E1000Tctl.Enable) != 0 && _tdh != _tdt;
            case E1000Reg.Tidv: _tidv = v & 0xFFFF; return false;
            case E1000Reg.Tadv: _tadv = v & 0xFFFF; return false;
            case E1000Reg.Rxcsum: _rxcsum = v; return false;
            case E1000Reg.Vet: _vet = v & 0xFFFF; return false;
            case E1000Reg.Ledctl or E1000Reg.Pba or E1000Reg.Fcal or E1000Reg.Fcah or E1000Reg.Fct or E1000Reg.Fcttv or E1000Reg.Txcw or E1000Reg.CtrlExt or E1000Reg.Txdctl or E1000Reg.Rsrpd:
                return false;           // accepted, no effect on an emulated wire
            case >= E1000Reg.Mta and < E1000Reg.Mta + E1000Reg.MtaCount * 4:
                _mta[(reg - E1000Reg.Mta) / 4] = v;
                return false;
            case >= E1000Reg.Ral0 and < E1000Reg.Ral0 + E1000Reg.RaCount * 8:
                _ra[(reg - E1000Reg.Ral0) / 4] = v;
                return false;
            case >= E1000Reg.StatsStart and < E1000Reg.StatsEnd:
                return false;           // read-only
            default:
                Counters.UnknownRegisterAccesses++;
                return false;
        }
    }

    /// <summary>RDLEN/TDLEN: bits 19:7 (a multiple of 128 bytes, 8 descriptors); the rest is ignored.</summary>
    private uint RingLength(uint v)
    {
        if ((v & 0x7F) != 0)
            Counters.UnalignedRingLengths++;
        return v & 0x000F_FF80;
    }

    // ---- Interrupts ----

    /// <summary>ICR causes the card raised itself (not ICS).</summary>
    private void Raise(uint cause) => _icr |= cause;

    /// <summary>Asserts the line when an unmasked cause is pending (no sooner than ITR allows after
    /// the last interrupt), deasserts it when none is. Under the lock.</summary>
    private void UpdateInterrupt()
    {
        bool pending = (_icr & _ims) != 0;
        if (!pending)
        {
            if (_asserted)
            {
                _asserted = false;
                _line.Deassert();
            }
            return;
        }
        if (_asserted)
            return;
        // ITR: minimum gap between interrupts in 256 ns units (0: no throttling).
        long gap = _itr * 256L;
        long now = _nowNs();
        if (gap != 0 && now - _lastInterruptNs < gap)
        {
            if (!_timerArmed)
            {
                _timerArmed = true;
                Counters.InterruptsThrottled++;
                _armTimer?.Invoke(gap - (now - _lastInterruptNs));
            }
            return;
        }
        _asserted = true;
        _lastInterruptNs = now;
        Counters.Interrupts++;
        _line.Assert();
    }

    /// <summary>The ITR timer fired: send the postponed interrupt if it is still due.</summary>
    public void OnTimer()
    {
        lock (_sync)
        {
            _timerArmed = false;
            UpdateInterrupt();
        }
    }

    /// <summary>Is the interrupt line asserted (an unmasked cause not yet read)?</summary>
    public bool InterruptAsserted
    {
        get { lock (_sync) return _asserted; }
    }

    // ---- Transmit ----

    private ulong TxBase => (ulong)_tdbah << 32 | _tdbal;
    private ulong RxBase => (ulong)_rdbah << 32 | _rdbal;

    /// <summary>Runs the TX ring from TDH to TDT: gathers packets, offloads checksums, sends each
    /// at EOP, writes DD back when RS asks, raises TXDW (and TXQE when the ring is empty).</summary>
    public int ProcessTx()
    {
        lock (_sync)
        {
            int sent = ProcessTxLocked();
            UpdateInterrupt();
            return sent;
        }
    }

    private int ProcessTxLocked()
    {
        if ((_tctl & E1000Tctl.Enable) == 0 || _txHalted)
            return 0;
        uint count = _tdlen / E1000TxDescriptor.Size;
        if (count == 0 || _tdh == _tdt)
            return 0;
        if (_tdt >= count)
        {
            // The head would never meet this tail: the ring stays idle until TDT is sane.
            Counters.IndexBeyondRing++;
            return 0;
        }
        if (_tdh >= count)
        {
            Counters.IndexBeyondRing++;
            _tdh = 0;
        }
        int sent = 0;
        bool wroteBack = false;
        // At most one lap per call: TDH reaches TDT within count steps.
        for (uint steps = 0; _tdh != _tdt && steps < count; steps++)
        {
            ulong at = TxBase + _tdh * (ulong)E1000TxDescriptor.Size;
            if (!_memory.TryRead(at, out E1000TxDescriptor d))
            {
                Counters.DmaFaults++;
                _txHalted = true;
                break;
            }
            byte cmd = d.Command;
            if (d.IsExtended && d.ExtendedType == E1000TxDescriptor.TypeContext)
            {
                _ipcss = (byte)d.Address;
                _ipcso = (byte)(d.Address >> 8);
                _ipcse = (ushort)(d.Address >> 16);
                _tucss = (byte)(d.Address >> 32);
                _tucso = (byte)(d.Address >> 40);
                _tucse = (ushort)(d.Address >> 48);
                Counters.TxEmptyDescriptors++;
            }
            else
            {
                if (_txLength == 0 && !_txOversize)
                {
                    // The first descriptor of a packet decides its offloads.
                    _txSegmentation = d.IsExtended && (cmd & E1000TxDescriptor.CmdTcpSegmentation) != 0;
                    _txOptions = d.IsExtended ? d.DataOptions : (byte)0;
                    _txLegacyChecksum = !d.IsExtended && (cmd & E1000TxDescriptor.CmdInsertChecksum) != 0;
                    _txCss = d.LegacyChecksumStart;
                    _txCso = d.LegacyChecksumOffset;
                }
                int len = d.BufferLength;
                if (len == 0)
                    Counters.TxEmptyDescriptors++;
                else if (_txOversize || len > MaxTxPacket - _txLength)
                    _txOversize = true;
                else if (_memory.TryGetReadable(d.Address, (ulong)len, out var data))
                {
                    data.CopyTo(_txPacket.AsSpan(_txLength));
                    _txLength += len;
                }
                else
                {
                    Counters.DmaFaults++;
                    _txHalted = true;
                    _txLength = 0;
                    _txOversize = false;
                    break;
                }
                if ((cmd & E1000TxDescriptor.CmdEndOfPacket) != 0)
                {
                    if (SendPacket())
                        sent++;
                }
            }
            if ((cmd & E1000TxDescriptor.CmdReportStatus) != 0)
            {
                // Write back DD in the descriptor's STA field (byte 12).
                if (_memory.TryGetWritable(at + 12, 1, out var sta))
                {
                    sta[0] |= E1000TxDescriptor.StatusDone;
                    wroteBack = true;
                }
                else
                    Counters.DmaFaults++;
            }
            _tdh = _tdh + 1 == count ? 0 : _tdh + 1;
        }
        if (wroteBack)
            Raise(E1000Int.TxDescWritten);
        if (_tdh == _tdt)
            Raise(E1000Int.TxQueueEmpty);
        return sent;
    }

    /// <summary>The packet gathered so far is complete: offload, send, count. Resets the gather state.</summary>
    private bool SendPacket()
    {
        int len = _txLength;
        bool oversize = _txOversize, tso = _txSegmentation;
        _txLength = 0;
        _txOversize = _txSegmentation = false;
        if (oversize)
        {
            Counters.TxOversize++;
            return false;
        }
        if (tso)
        {
            Counters.TxSegmentationUnsupported++;
            return false;
        }
        if (len == 0)
            return false;
        var packet = _txPacket.AsSpan(0, len);
        if (_txLegacyChecksum)
            InsertChecksum(packet, _txCss, _txCso, 0);
        if ((_txOptions & E1000TxDescriptor.OptionIpChecksum) != 0)
            InsertChecksum(packet, _ipcss, _ipcso, _ipcse);
        if ((_txOptions & E1000TxDescriptor.OptionL4Checksum) != 0)
            InsertChecksum(packet, _tucss, _tucso, _tucse);
        if ((_tctl & E1000Tctl.PadShortPackets) != 0 && len < 60)
        {
            _txPacket.AsSpan(len, 60 - len).Clear();
            len = 60;
            packet = _txPacket.AsSpan(0, len);
        }
        Counters.TxFrames++;
        Counters.TxBytes += len;
        AddStat(E1000Reg.Gptc);
        AddStat(E1000Reg.Tpt);
        AddStat(E1000Reg.Gotcl, (ulong)len + 4);   // octets include the FCS the MAC appends
        AddStat(E1000Reg.Totl, (ulong)len + 4);
        if ((packet[0] & 1) != 0)
            AddStat(packet[0] == 0xFF && packet[1..6].IndexOfAnyExcept((byte)0xFF) < 0 ? E1000Reg.Bptc : E1000Reg.Mptc);
        Wire?.Deliver(packet);
        return true;
    }

    /// <summary>The one's-complement sum of [start, end] (end 0: to the packet's end), whatever
    /// the field already holds included (drivers seed it with the pseudo-header sum), stored
    /// complemented at <paramref name="offset"/>.</summary>
    private void InsertChecksum(Span<byte> packet, int start, int offset, int end)
    {
        int last = end == 0 ? packet.Length - 1 : Math.Min(end, packet.Length - 1);
        if (start >= packet.Length || offset + 2 > packet.Length || last < start)
        {
            Counters.TxBadChecksumOffsets++;
            return;
        }
        uint sum = 0;
        int i = start;
        for (; i + 1 <= last; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet[i..]);
        if (i == last)
            sum += (uint)packet[i] << 8;
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet[offset..], (ushort)~sum);
    }

    // ---- Receive ----

    public bool HasRoomFor(int length)
    {
        lock (_sync)
            return (_rctl & E1000Rctl.Enable) == 0 || FreeRxDescriptors() * (uint)E1000Rctl.BufferSize(_rctl) >= (uint)length;
    }

    /// <summary>Descriptors the card owns: from RDH up to (not including) RDT.</summary>
    private uint FreeRxDescriptors()
    {
        uint count = _rdlen / E1000RxDescriptor.Size;
        if (count == 0 || _rdt >= count || _rxHalted)
            return 0;
        uint head = _rdh >= count ? 0 : _rdh;
        return (_rdt + count - head) % count;
    }

    /// <summary>A frame from the wire (no FCS): filter, store into as many descriptors as it needs,
    /// write them back, count, raise RXT0 (and RXDMT0 when few descriptors are left).</summary>
    public void DeliverToGuest(ReadOnlySpan<byte> frame)
    {
        lock (_sync)
            Receive(frame);
    }

    private void Receive(ReadOnlySpan<byte> frame)
    {
        AddStat(E1000Reg.Tpr);
        AddStat(E1000Reg.Torl, (ulong)frame.Length + 4);
        if ((_rctl & E1000Rctl.Enable) == 0)
        {
            Counters.RxWhileDisabled++;
            return;
        }
        if (frame.Length < 14 || !Accepts(frame))
        {
            Counters.RxFiltered++;
            return;
        }
        int limit = (_rctl & E1000Rctl.LongPackets) != 0 ? MaxRxLongFrame : MaxRxFrame;
        if (frame.Length > limit)
        {
            Counters.RxOversize++;
            AddStat(E1000Reg.Roc);
            return;
        }
        uint count = _rdlen / E1000RxDescriptor.Size;
        if (count != 0 && _rdh >= count)
        {
            Counters.IndexBeyondRing++;
            _rdh = 0;
        }
        if (count != 0 && _rdt >= count)
            Counters.IndexBeyondRing++;
        int bufSize = E1000Rctl.BufferSize(_rctl);
        uint needed = (uint)((frame.Length + bufSize - 1) / bufSize);
        if (FreeRxDescriptors() < needed)
        {
            Counters.RxNoDescriptors++;
            AddStat(E1000Reg.Mpc);
            AddStat(E1000Reg.Rnbc);
            Raise(E1000Int.RxOverrun);
            return;
        }
        int done = 0;
        while (done < frame.Length)
        {
            if (_rdh == _rdt)
            {
                // Null descriptors ate what we had counted on: the rest of the frame is lost.
                Counters.RxNoDescriptors++;
                AddStat(E1000Reg.Mpc);
                Raise(E1000Int.RxOverrun);
                return;
            }
            ulong at = RxBase + _rdh * (ulong)E1000RxDescriptor.Size;
            if (!_memory.TryRead(at, out E1000RxDescriptor d) || !_memory.TryGetWritable(at, E1000RxDescriptor.Size, out var slot))
            {
                Counters.DmaFaults++;
                _rxHalted = true;
                return;
            }
            int chunk = Math.Min(bufSize, frame.Length - done);
            byte status = E1000RxDescriptor.StatusDone | E1000RxDescriptor.StatusIgnoreChecksum;
            byte errors = 0;
            ushort written = 0;
            if (d.BufferAddress == 0)
            {
                Counters.RxNullDescriptors++;   // skipped: no data, written back done
            }
            else if (_memory.TryGetWritable(d.BufferAddress, (ulong)chunk, out var buffer))
            {
                frame.Slice(done, chunk).CopyTo(buffer);
                done += chunk;
                written = (ushort)chunk;
                if (done == frame.Length)
                    status |= E1000RxDescriptor.StatusEndOfPacket;
            }
            else
            {
                Counters.DmaFaults++;
                errors = E1000RxDescriptor.ErrorRxData;
                done = frame.Length;            // the frame is lost; say so in this descriptor
                status |= E1000RxDescriptor.StatusEndOfPacket;
            }
            var wb = new E1000RxDescriptor { BufferAddress = d.BufferAddress, Length = written, Checksum = 0, Status = status, Errors = errors, Special = 0 };
            MemoryMarshal.Write(slot, in wb);
            _rdh = _rdh + 1 == count ? 0 : _rdh + 1;
            if (errors != 0)
                return;
        }
        Counters.RxFrames++;
        Counters.RxBytes += frame.Length;
        AddStat(E1000Reg.Gprc);
        AddStat(E1000Reg.Gorcl, (ulong)frame.Length + 4);
        if ((frame[0] & 1) != 0)
            AddStat(IsBroadcast(frame) ? E1000Reg.Bprc : E1000Reg.Mprc);
        Raise(E1000Int.RxTimer);
        // RDMTS: 1/2, 1/4 or 1/8 of the ring left.
        uint threshold = count >> (1 + (int)((_rctl >> E1000Rctl.DescMinThresholdShift) & 3));
        if (FreeRxDescriptors() <= threshold)
            Raise(E1000Int.RxDescMinThreshold);
    }

    public void FlushRx()
    {
        lock (_sync)
            UpdateInterrupt();
    }

    private static bool IsBroadcast(ReadOnlySpan<byte> frame) => frame[..6].IndexOfAnyExcept((byte)0xFF) < 0;

    /// <summary>The receive filter (SDM 13.4.22, 13.5.1): exact match on a valid RAL/RAH, broadcast
    /// with BAM, multicast with MPE or its MTA bit, anything unicast with UPE.</summary>
    private bool Accepts(ReadOnlySpan<byte> frame)
    {
        if ((frame[0] & 1) == 0)
        {
            if ((_rctl & E1000Rctl.UnicastPromiscuous) != 0)
                return true;
            uint lo = (uint)(frame[0] | frame[1] << 8 | frame[2] << 16 | frame[3] << 24);
            uint hi = (uint)(frame[4] | frame[5] << 8);
            for (int i = 0; i < E1000Reg.RaCount; i++)
            {
                if ((_ra[2 * i + 1] & 1u << 31) != 0 && _ra[2 * i] == lo && (_ra[2 * i + 1] & 0xFFFF) == hi)
                    return true;
            }
            return false;
        }
        if (IsBroadcast(frame))
            return (_rctl & E1000Rctl.BroadcastAccept) != 0 || (_rctl & E1000Rctl.MulticastPromiscuous) != 0;
        if ((_rctl & E1000Rctl.MulticastPromiscuous) != 0)
            return true;
        uint hash = MulticastHash(frame[..6], (int)((_rctl >> E1000Rctl.MulticastOffsetShift) & 3));
        return (_mta[hash >> 5] & 1u << (int)(hash & 31)) != 0;
    }

    /// <summary>The 12-bit MTA index of a multicast address (SDM 13.5.1, RCTL.MO picks which bits).</summary>
    public static uint MulticastHash(ReadOnlySpan<byte> mac, int offsetMode)
    {
        uint v = offsetMode switch
        {
            0 => (uint)(mac[4] >> 4 | mac[5] << 4),
            1 => (uint)(mac[4] >> 3 | mac[5] << 5),
            2 => (uint)(mac[4] >> 2 | mac[5] << 6),
            _ => (uint)(mac[4] | mac[5] << 8),
        };
        return v & 0xFFF;
    }

    /// <summary>Ring registers for reports: (RDH, RDT, RDLEN, TDH, TDT, TDLEN).</summary>
    public (uint Rdh, uint Rdt, uint Rdlen, uint Tdh, uint Tdt, uint Tdlen, uint Icr, uint Ims) RingState
    {
        get { lock (_sync) return (_rdh, _rdt, _rdlen, _tdh, _tdt, _tdlen, _icr, _ims); }
    }
}
