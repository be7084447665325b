// The Linux calls behind TAP devices and bridge membership (what `ip tuntap`, `ip link` and
// brctl do): /dev/net/tun's TUNSETIFF, and interface ioctls on a plain AF_UNIX datagram socket
// (index, MTU, flags, hardware address, SIOCBRADDIF/SIOCBRDELIF). Source-generated interop (socket here, the
// rest from Native.Libc); numbers from linux/if_tun.h, linux/sockios.h, linux/if.h (x86-64).
using System.Runtime.InteropServices;

namespace ParaKit.Hypervisor.Net.Tap;

internal static unsafe partial class LinuxNet
{
    private const string Lib = "libc.so.6";

    public const int AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    public const int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    // linux/if_tun.h: _IOW('T', 202, int) and friends.
    public const nuint TUNSETIFF = 0x400454ca;
    public const short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000, IFF_TUN_EXCL = unchecked((short)0x8000);
    // _IOW('T', 208, unsigned int) and _IOW('T', 216, int); the TUN_F_* offload bits.
    public const nuint TUNSETOFFLOAD = 0x400454d0, TUNSETVNETHDRSZ = 0x400454d8;
    public const uint TUN_F_CSUM = 0x01, TUN_F_TSO4 = 0x02;

    // linux/sockios.h.
    public const nuint SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCGIFMTU = 0x8921, SIOCSIFMTU = 0x8922,
        SIOCSIFHWADDR = 0x8924, SIOCGIFINDEX = 0x8933, SIOCBRADDIF = 0x89a2, SIOCBRDELIF = 0x89a3;
    public const short IFF_UP = 0x1;
    public const ushort ARPHRD_ETHER = 1;

    public const int EINTR = 4, EAGAIN = 11, EBUSY = 16, ENODEV = 19, EPERM = 1, EIO = 5, EBADF = 9, EBADFD = 77;

    // The rest (open, close, read, write, ioctl, eventfd, ppoll) comes from Native.Libc.
    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    /// <summary>writev(2): the vnet header and the frame in one call, without copying them together.</summary>
    [LibraryImport(Lib, EntryPoint = "writev", SetLastError = true)]
    public static partial nint Writev(int fd, IoVec* iov, int count);

    /// <summary>readv(2): the vnet header and the frame, each where it belongs.</summary>
    [LibraryImport(Lib, EntryPoint = "readv", SetLastError = true)]
    public static partial nint Readv(int fd, IoVec* iov, int count);
}

/// <summary>struct iovec.</summary>
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

/// <summary>struct virtio_net_hdr (linux/virtio_net.h), 10 bytes, little-endian fields (x86-64):
/// what a TAP with IFF_VNET_HDR puts before each frame it reads and expects before each it takes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1, Size = 10)]
internal struct VirtioNetHeader
{
    public const byte FlagNeedsChecksum = 1, FlagDataValid = 2;
    public const byte GsoNone = 0, GsoTcpV4 = 1, GsoEcn = 0x80;

    public byte Flags;
    public byte GsoType;
    /// <summary>Ethernet + IP + TCP header bytes (a hint).</summary>
    public ushort HeaderLength;
    /// <summary>Payload bytes per segment.</summary>
    public ushort GsoSize;
    public ushort ChecksumStart;
    public ushort ChecksumOffset;
}

/// <summary>struct ifreq (linux/if.h), 40 bytes: the interface name, then a union.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct IfReq
{
    [FieldOffset(0)] public fixed byte Name[16];
    /// <summary>ifr_flags.</summary>
    [FieldOffset(16)] public short Flags;
    /// <summary>ifr_ifindex / ifr_mtu.</summary>
    [FieldOffset(16)] public int Value;
    /// <summary>ifr_hwaddr.sa_family.</summary>
    [FieldOffset(16)] public ushort HwFamily;
    /// <summary>ifr_hwaddr.sa_data.</summary>
    [FieldOffset(18)] public fixed byte HwData[14];

    public static IfReq For(string name)
    {
        var r = default(IfReq);
        for (int i = 0; i < name.Length && i < 15; i++)
            r.Name[i] = (byte)name[i];
        return r;
    }

    public string NameText()
    {
        var chars = new char[16];
        int n = 0;
        while (n < 16 && Name[n] != 0)
        {
            chars[n] = (char)Name[n];
            n++;
        }
        return new string(chars, 0, n);
    }
}
