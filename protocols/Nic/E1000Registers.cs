// The Intel 82540EM's register map and bits, from the PCI/PCI-X Family of Gigabit Ethernet
// Controllers Software Developer's Manual (8254x, 317453006), chapter 13 (registers) and 3
// (descriptors): the contract between domain 0's emulated e1000 (hypervisor/Devices/E1000) and the
// guest's driver (guestkernel/Drivers/E1000), as a real card is between its silicon and a driver.
// Offsets are bytes into BAR0 (128 KiB, memory-mapped); every register is 32 bits wide.
namespace ParaKit.Protocols.Nic;

/// <summary>Register offsets in BAR0 (8254x SDM table 13-2).</summary>
public static class E1000Reg
{
    public const uint Ctrl = 0x0000, Status = 0x0008, Eecd = 0x0010, Eerd = 0x0014, CtrlExt = 0x0018, Mdic = 0x0020;
    public const uint Fcal = 0x0028, Fcah = 0x002C, Fct = 0x0030, Vet = 0x0038;
    /// <summary>Interrupt cause read (read clears), throttling, cause set, mask set/read, mask clear.</summary>
    public const uint Icr = 0x00C0, Itr = 0x00C4, Ics = 0x00C8, Ims = 0x00D0, Imc = 0x00D8;
    public const uint Rctl = 0x0100, Fcttv = 0x0170, Txcw = 0x0178, Rxcw = 0x0180, Tctl = 0x0400, Tipg = 0x0410;
    public const uint Ledctl = 0x0E00, Pba = 0x1000;
    public const uint Rdbal = 0x2800, Rdbah = 0x2804, Rdlen = 0x2808, Rdh = 0x2810, Rdt = 0x2818, Rdtr = 0x2820, Radv = 0x282C, Rsrpd = 0x2C00;
    public const uint Tdbal = 0x3800, Tdbah = 0x3804, Tdlen = 0x3808, Tdh = 0x3810, Tdt = 0x3818, Tidv = 0x3820, Txdctl = 0x3828, Tadv = 0x382C;
    public const uint Rxcsum = 0x5000;
    /// <summary>Multicast table array: 128 registers, 4096 hash bits.</summary>
    public const uint Mta = 0x5200;
    public const int MtaCount = 128;
    /// <summary>Receive address low/high: 16 pairs of 8 bytes; RAH bit 31 is Address Valid.</summary>
    public const uint Ral0 = 0x5400, Rah0 = 0x5404;
    public const int RaCount = 16;

    // Statistics (section 13.7): clear on read; a 64-bit pair clears when its high half is read.
    public const uint Crcerrs = 0x4000, Mpc = 0x4010, Colc = 0x4028, Rlec = 0x4040, Xonrxc = 0x4048;
    public const uint Prc64 = 0x405C, Gprc = 0x4074, Bprc = 0x4078, Mprc = 0x407C, Gptc = 0x4080;
    public const uint Gorcl = 0x4088, Gorch = 0x408C, Gotcl = 0x4090, Gotch = 0x4094;
    public const uint Rnbc = 0x40A0, Ruc = 0x40A4, Rfc = 0x40A8, Roc = 0x40AC, Rjc = 0x40B0;
    public const uint Torl = 0x40C0, Torh = 0x40C4, Totl = 0x40C8, Toth = 0x40CC, Tpr = 0x40D0, Tpt = 0x40D4;
    public const uint Mptc = 0x40F0, Bptc = 0x40F4, Tsctc = 0x40F8, Tsctfc = 0x40FC;
    public const uint StatsStart = 0x4000, StatsEnd = 0x4100;
}

/// <summary>CTRL bits.</summary>
public static class E1000Ctrl
{
    public const uint FullDuplex = 1u << 0, LinkReset = 1u << 3, AutoSpeed = 1u << 5, SetLinkUp = 1u << 6;
    public const uint Speed1000 = 1u << 9, SwdPin0 = 1u << 18, SwdPin2 = 1u << 20;
    /// <summary>Device reset: self-clearing; every register but PCI config returns to its initial value.</summary>
    public const uint Reset = 1u << 26;
    public const uint PhyReset = 1u << 31;
}

/// <summary>STATUS bits.</summary>
public static class E1000Status
{
    public const uint FullDuplex = 1u << 0, LinkUp = 1u << 1, Speed1000 = 1u << 7;
}

/// <summary>EERD (82540EM layout, SDM table 13-7): write START with ADDR; DONE then DATA.</summary>
public static class E1000Eerd
{
    public const uint Start = 1u << 0, Done = 1u << 4;
    public const int AddrShift = 8, DataShift = 16;
    /// <summary>Words 0-2 of the EEPROM hold the MAC address, low byte first.</summary>
    public const int MacWords = 3;
    /// <summary>The EEPROM's words 0x00-0x3F sum to this (checksum word 0x3F makes it so).</summary>
    public const ushort ChecksumSum = 0xBABA;
}

/// <summary>Interrupt causes: ICR, ICS, IMS and IMC share these bits.</summary>
public static class E1000Int
{
    /// <summary>Transmit descriptor written back.</summary>
    public const uint TxDescWritten = 1u << 0;
    /// <summary>Transmit queue empty.</summary>
    public const uint TxQueueEmpty = 1u << 1;
    /// <summary>Link status change.</summary>
    public const uint LinkStatusChange = 1u << 2;
    public const uint RxSequenceError = 1u << 3;
    /// <summary>Receive descriptors below the minimum threshold (RCTL.RDMTS).</summary>
    public const uint RxDescMinThreshold = 1u << 4;
    /// <summary>Receiver overrun: a frame found no free descriptor.</summary>
    public const uint RxOverrun = 1u << 6;
    /// <summary>Receiver timer: a frame was stored (RDTR 0: at once).</summary>
    public const uint RxTimer = 1u << 7;
    public const uint All = 0x0001_FFFF;
}

/// <summary>RCTL bits.</summary>
public static class E1000Rctl
{
    public const uint Enable = 1u << 1, StoreBadPackets = 1u << 2, UnicastPromiscuous = 1u << 3, MulticastPromiscuous = 1u << 4;
    public const uint LongPackets = 1u << 5;
    public const int LoopbackShift = 6, DescMinThresholdShift = 8, MulticastOffsetShift = 12, BufferSizeShift = 16;
    public const uint BroadcastAccept = 1u << 15, BufferSizeExtension = 1u << 25, StripCrc = 1u << 26;

    /// <summary>Receive buffer size in bytes from BSIZE (bits 17:16) and BSEX (SDM 13.4.22).</summary>
    public static int BufferSize(uint rctl)
    {
        uint bsize = (rctl >> BufferSizeShift) & 3;
        if ((rctl & BufferSizeExtension) == 0)
            return 2048 >> (int)bsize;
        return bsize == 0 ? 2048 : 32768 >> (int)bsize;   // BSEX with 00 is reserved: treat as 2048
    }
}

/// <summary>TCTL bits.</summary>
public static class E1000Tctl
{
    public const uint Enable = 1u << 1, PadShortPackets = 1u << 3;
    public const int CollisionThresholdShift = 4, CollisionDistanceShift = 12;
}

/// <summary>Legacy receive descriptor (SDM 3.2.3), 16 bytes; hardware writes length, checksum,
/// status and errors back into the same slot.</summary>
public struct E1000RxDescriptor
{
    public const int Size = 16;
    public ulong BufferAddress;
    public ushort Length;
    public ushort Checksum;
    public byte Status;
    public byte Errors;
    public ushort Special;

    /// <summary>Status: descriptor done, end of packet, ignore checksum indication.</summary>
    public const byte StatusDone = 1 << 0, StatusEndOfPacket = 1 << 1, StatusIgnoreChecksum = 1 << 2;
    /// <summary>Errors: RX data error (here: the buffer was not guest memory it could write).</summary>
    public const byte ErrorRxData = 1 << 7;
}

/// <summary>Transmit descriptor (SDM 3.3): legacy (CMD.DEXT 0), context (DEXT 1, DTYP 0) or data
/// (DEXT 1, DTYP 1) read through the same 16 bytes.</summary>
public struct E1000TxDescriptor
{
    public const int Size = 16;
    /// <summary>Legacy/data: buffer address. Context: IPCSS, IPCSO, IPCSE(16), TUCSS, TUCSO, TUCSE(16).</summary>
    public ulong Address;
    /// <summary>Legacy: length(16) CSO(8) CMD(8). Context/data: length(20) DTYP(4) CMD(8).</summary>
    public uint Lower;
    /// <summary>Legacy: STA(4) RSV(4) CSS(8) special(16). Context: STA(4) RSV(4) HDRLEN(8) MSS(16). Data: STA(4) RSV(4) POPTS(8) special(16).</summary>
    public uint Upper;

    public const byte CmdEndOfPacket = 1 << 0, CmdInsertFcs = 1 << 1, CmdInsertChecksum = 1 << 2, CmdReportStatus = 1 << 3;
    public const byte CmdTcpSegmentation = 1 << 2, CmdExtension = 1 << 5, CmdVlan = 1 << 6, CmdInterruptDelay = 1 << 7;
    public const byte StatusDone = 1 << 0;
    public const uint TypeContext = 0, TypeData = 1;
    /// <summary>Data descriptor POPTS: insert the IP checksum / the TCP or UDP checksum.</summary>
    public const byte OptionIpChecksum = 1 << 0, OptionL4Checksum = 1 << 1;
    /// <summary>Context TUCMD: IPv4 (else IPv6), TCP (else UDP).</summary>
    public const byte ContextIp = 1 << 1, ContextTcp = 1 << 0;

    public readonly byte Command => (byte)(Lower >> 24);
    public readonly bool IsExtended => (Command & CmdExtension) != 0;
    public readonly uint ExtendedType => (Lower >> 20) & 0xF;
    /// <summary>Bytes of buffer: 16 bits in a legacy descriptor, 20 in a data descriptor.</summary>
    public readonly int BufferLength => IsExtended ? (int)(Lower & 0xF_FFFF) : (int)(Lower & 0xFFFF);
    public readonly byte LegacyChecksumOffset => (byte)(Lower >> 16);
    public readonly byte LegacyChecksumStart => (byte)(Upper >> 8);
    public readonly byte DataOptions => (byte)(Upper >> 8);

    /// <summary>A legacy descriptor (what the guest driver writes).</summary>
    public static E1000TxDescriptor Legacy(ulong address, int length, byte command, byte checksumStart = 0, byte checksumOffset = 0) =>
        new() { Address = address, Lower = (uint)(ushort)length | (uint)checksumOffset << 16 | (uint)command << 24, Upper = (uint)checksumStart << 8 };
}
