// XenStore key names of the netif handshake (io/netif.h), as UTF-8 literals so a guest can
// write them to the store without any string handling at run time.
using System;

namespace ParaKit.Protocols.Net;

/// <summary>Keys under the backend's directory (written by netback).</summary>
public static class NetifBackendKeys
{
    public static ReadOnlySpan<byte> FeatureRxCopy => "feature-rx-copy"u8;
    public static ReadOnlySpan<byte> FeatureRxFlip => "feature-rx-flip"u8;
    public static ReadOnlySpan<byte> FeatureSg => "feature-sg"u8;
    public static ReadOnlySpan<byte> FeatureGsoTcpV4 => "feature-gso-tcpv4"u8;
    public static ReadOnlySpan<byte> FeatureGsoTcpV6 => "feature-gso-tcpv6"u8;
    public static ReadOnlySpan<byte> FeatureIpv6CsumOffload => "feature-ipv6-csum-offload"u8;
    public static ReadOnlySpan<byte> FeatureSplitEventChannels => "feature-split-event-channels"u8;
    public static ReadOnlySpan<byte> FeatureCtrlRing => "feature-ctrl-ring"u8;
    public static ReadOnlySpan<byte> MultiQueueMaxQueues => "multi-queue-max-queues"u8;
    /// <summary>"aa:bb:cc:dd:ee:ff".</summary>
    public static ReadOnlySpan<byte> Mac => "mac"u8;
    /// <summary>Decimal; 1500 when absent.</summary>
    public static ReadOnlySpan<byte> Mtu => "mtu"u8;
    public static ReadOnlySpan<byte> Handle => "handle"u8;
}

/// <summary>Keys under the frontend's directory (written by netfront, in one transaction).</summary>
public static class NetifFrontendKeys
{
    public static ReadOnlySpan<byte> TxRingRef => "tx-ring-ref"u8;
    public static ReadOnlySpan<byte> RxRingRef => "rx-ring-ref"u8;
    /// <summary>One channel for both rings.</summary>
    public static ReadOnlySpan<byte> EventChannel => "event-channel"u8;
    /// <summary>Split channels (when the backend offers feature-split-event-channels).</summary>
    public static ReadOnlySpan<byte> EventChannelTx => "event-channel-tx"u8;
    public static ReadOnlySpan<byte> EventChannelRx => "event-channel-rx"u8;
    public static ReadOnlySpan<byte> RequestRxCopy => "request-rx-copy"u8;
    public static ReadOnlySpan<byte> FeatureRxNotify => "feature-rx-notify"u8;
    public static ReadOnlySpan<byte> FeatureSg => "feature-sg"u8;
    public static ReadOnlySpan<byte> FeatureGsoTcpV4 => "feature-gso-tcpv4"u8;
    public static ReadOnlySpan<byte> FeatureNoCsumOffload => "feature-no-csum-offload"u8;
    public static ReadOnlySpan<byte> CtrlRingRef => "ctrl-ring-ref"u8;
    public static ReadOnlySpan<byte> EventChannelCtrl => "event-channel-ctrl"u8;
}
