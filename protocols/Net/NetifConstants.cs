// Flags, status codes, limits and ring sizes of the network split driver (io/netif.h).
namespace ParaKit.Protocols.Net;

/// <summary>XEN_NETTXF_* (io/netif.h): flags of a netif_tx_request.</summary>
public static class NetTxFlags
{
    /// <summary>The protocol checksum field is blank (to be filled by offload).</summary>
    public const ushort CsumBlank = 1;
    /// <summary>The packet's checksum has been validated.</summary>
    public const ushort DataValidated = 2;
    /// <summary>The packet continues in the next request.</summary>
    public const ushort MoreData = 4;
    /// <summary>A netif_extra_info follows in the next slot.</summary>
    public const ushort ExtraInfo = 8;
}

/// <summary>XEN_NETRXF_* (io/netif.h): flags of a netif_rx_response.</summary>
public static class NetRxFlags
{
    public const ushort DataValidated = 1;
    public const ushort CsumBlank = 2;
    public const ushort MoreData = 4;
    public const ushort ExtraInfo = 8;
    /// <summary>The response carries a GSO prefix (legacy).</summary>
    public const ushort GsoPrefix = 16;
}

/// <summary>XEN_NETIF_RSP_* (io/netif.h): response status codes.</summary>
public static class NetifStatus
{
    public const short Dropped = -2;
    public const short Error = -1;
    public const short Okay = 0;
    /// <summary>A slot that carried an extra_info: it gets a NULL response.</summary>
    public const short Null = 1;
}

/// <summary>XEN_NETIF_EXTRA_TYPE_* (io/netif.h).</summary>
public static class NetifExtraType
{
    public const byte None = 0;
    public const byte Gso = 1;
    public const byte McastAdd = 2;
    public const byte McastDel = 3;
    public const byte Hash = 4;
}

/// <summary>XEN_NETIF_EXTRA_FLAG_* (io/netif.h).</summary>
public static class NetifExtraFlags
{
    /// <summary>Another extra_info follows.</summary>
    public const byte More = 1;
}

/// <summary>XEN_NETIF_GSO_TYPE_* (io/netif.h).</summary>
public static class NetifGsoType
{
    public const byte None = 0;
    public const byte TcpV4 = 1;
    public const byte TcpV6 = 2;
}

/// <summary>Limits and ring sizes (io/netif.h, io/ring.h).</summary>
public static class NetifLimits
{
    /// <summary>XEN_NETIF_NR_SLOTS_MIN: every backend accepts packets of at least this many slots.</summary>
    public const int SlotsMin = 18;
    /// <summary>XEN_NETIF_MAX_TX_SIZE: largest packet a TX request may describe.</summary>
    public const int MaxTxSize = 0xFFFF;
    /// <summary>Default MTU when the backend writes no mtu key.</summary>
    public const int DefaultMtu = 1500;
    /// <summary>Slots of the TX ring: (4096 - 64) / 12 rounded down to a power of two.</summary>
    public const uint TxRingSize = 256;
    /// <summary>Slots of the RX ring: (4096 - 64) / 8 rounded down to a power of two.</summary>
    public const uint RxRingSize = 256;
    /// <summary>Slots of the control ring: (4096 - 64) / 16 rounded down to a power of two.</summary>
    public const uint CtrlRingSize = 128;
}
