// shared_info, vcpu_info and vcpu_time_info (xen/include/public/xen.h, arch-x86/xen.h):
// the page domain 0 and a guest share for event-channel bits and time.
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Events;

/// <summary>vcpu_time_info (xen.h), 32 bytes. Written by the hypervisor: version is made odd
/// before an update and even after, so a reader retries while it is odd or changed.
/// system_time(ns) = SystemTime + ((rdtsc - TscTimestamp) &lt;&lt; TscShift (or &gt;&gt; -TscShift)) * TscToSystemMul &gt;&gt; 32.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public struct VcpuTimeInfo
{
    [FieldOffset(0)] public uint Version;
    [FieldOffset(4)] public uint Pad0;
    [FieldOffset(8)] public ulong TscTimestamp;
    [FieldOffset(16)] public ulong SystemTime;
    [FieldOffset(24)] public uint TscToSystemMul;
    [FieldOffset(28)] public sbyte TscShift;
    [FieldOffset(29)] public byte Flags;
}

/// <summary>vcpu_info (xen.h), 64 bytes: per-vCPU upcall state and time.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct VcpuInfo
{
    /// <summary>Set by the hypervisor when any selected word has a pending, unmasked port.</summary>
    [FieldOffset(0)] public byte UpcallPending;
    /// <summary>Set by the guest to hold off upcalls (we have none yet; kept for ABI).</summary>
    [FieldOffset(1)] public byte UpcallMask;
    /// <summary>Bit w set = word w of evtchn_pending may have pending ports.</summary>
    [FieldOffset(8)] public ulong PendingSel;
    /// <summary>arch_vcpu_info: cr2 and pad (16 bytes).</summary>
    [FieldOffset(16)] public ulong ArchCr2;
    [FieldOffset(24)] public ulong ArchPad;
    [FieldOffset(32)] public VcpuTimeInfo Time;
}

/// <summary>shared_info (xen.h), 3136 bytes on x86-64.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct SharedInfo
{
    public const int Size = 3136;
    public const int MaxVcpus = 32;
    public const int EventChannelWords = 64;
    public const int EventChannelCount = EventChannelWords * 64;
    public const int VcpuInfoOffset = 0;
    public const int PendingOffset = 2048;
    public const int MaskOffset = 2560;

    /// <summary>vcpu_info[32], 64 bytes each; only vcpu 0 is used today.</summary>
    [FieldOffset(0)] public VcpuInfo Vcpu0;
    /// <summary>evtchn_pending[64]: bit p = port p is pending.</summary>
    [FieldOffset(PendingOffset)] public fixed ulong EvtchnPending[EventChannelWords];
    /// <summary>evtchn_mask[64]: bit p = port p is masked (no upcall on its 0->1 edge).</summary>
    [FieldOffset(MaskOffset)] public fixed ulong EvtchnMask[EventChannelWords];
    /// <summary>Wall clock: version (odd while updating), seconds and nanoseconds at system time 0.</summary>
    [FieldOffset(3072)] public uint WcVersion;
    [FieldOffset(3076)] public uint WcSec;
    [FieldOffset(3080)] public uint WcNsec;
    [FieldOffset(3084)] public uint WcSecHi;
    /// <summary>arch_shared_info (48 bytes): max_pfn, pfn_to_mfn_frame_list_list, nmi_reason, ...</summary>
    [FieldOffset(3088)] public ulong ArchMaxPfn;
}
