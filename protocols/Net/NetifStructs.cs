// The network split-driver wire format (xen/include/public/io/netif.h): the entries of the TX,
// RX and control rings that netfront and netback exchange. Each struct is byte-for-byte the C one.
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Net;

/// <summary>netif_tx_request (io/netif.h), 12 bytes. The first request of a packet carries the
/// whole packet's size; each following one (more_data set on the previous) its fragment's.</summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
public struct NetifTxRequest
{
    /// <summary>Grant of the page holding this fragment.</summary>
    [FieldOffset(0)] public uint Gref;
    /// <summary>Offset of the fragment within the granted page.</summary>
    [FieldOffset(4)] public ushort Offset;
    /// <summary><see cref="NetTxFlags"/>.</summary>
    [FieldOffset(6)] public ushort Flags;
    /// <summary>Echoed in the response.</summary>
    [FieldOffset(8)] public ushort Id;
    /// <summary>Packet size (first slot) or fragment size (later slots), in bytes.</summary>
    [FieldOffset(10)] public ushort Size;
}

/// <summary>netif_tx_response (io/netif.h), 4 bytes (its ring slot is 12: the union with the request).</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
public struct NetifTxResponse
{
    [FieldOffset(0)] public ushort Id;
    /// <summary><see cref="NetifStatus"/>.</summary>
    [FieldOffset(2)] public short Status;
}

/// <summary>netif_rx_request (io/netif.h), 8 bytes: an empty page offered to the backend.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct NetifRxRequest
{
    [FieldOffset(0)] public ushort Id;
    [FieldOffset(2)] public ushort Pad;
    /// <summary>Grant of the page the backend copies a received fragment into.</summary>
    [FieldOffset(4)] public uint Gref;
}

/// <summary>netif_rx_response (io/netif.h), 8 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct NetifRxResponse
{
    [FieldOffset(0)] public ushort Id;
    /// <summary>Offset of the data within the page.</summary>
    [FieldOffset(2)] public ushort Offset;
    /// <summary><see cref="NetRxFlags"/>.</summary>
    [FieldOffset(4)] public ushort Flags;
    /// <summary>Bytes received in this fragment if positive, else a <see cref="NetifStatus"/>.</summary>
    [FieldOffset(6)] public short Status;
}

/// <summary>netif_extra_info (io/netif.h), 8 bytes: occupies a request slot after a request that
/// has the extra_info flag. Only the GSO member of the union is named here; the 6 union bytes
/// are also reachable raw (mcast MAC address, hash).</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public unsafe struct NetifExtraInfo
{
    /// <summary><see cref="NetifExtraType"/>.</summary>
    [FieldOffset(0)] public byte Type;
    /// <summary><see cref="NetifExtraFlags"/>.</summary>
    [FieldOffset(1)] public byte Flags;
    /// <summary>u.gso.size: maximum payload of one segment.</summary>
    [FieldOffset(2)] public ushort GsoSize;
    /// <summary>u.gso.type: <see cref="NetifGsoType"/>.</summary>
    [FieldOffset(4)] public byte GsoType;
    [FieldOffset(5)] public byte GsoPad;
    /// <summary>u.gso.features (none defined yet).</summary>
    [FieldOffset(6)] public ushort GsoFeatures;
    /// <summary>The union's 6 bytes: u.mcast.addr, u.hash, u.pad.</summary>
    [FieldOffset(2)] public fixed byte Union[6];
}

/// <summary>xen_netif_ctrl_request (io/netif.h), 16 bytes: the optional control ring (hash setup).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public unsafe struct NetifCtrlRequest
{
    [FieldOffset(0)] public ushort Id;
    [FieldOffset(2)] public ushort Type;
    [FieldOffset(4)] public fixed uint Data[3];
}

/// <summary>xen_netif_ctrl_response (io/netif.h), 12 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
public struct NetifCtrlResponse
{
    [FieldOffset(0)] public ushort Id;
    [FieldOffset(2)] public ushort Type;
    [FieldOffset(4)] public uint Status;
    [FieldOffset(8)] public uint Data;
}
