// A Linux TAP interface held by domain 0: opened through /dev/net/tun (IFF_TAP | IFF_NO_PI, so
// each read or write is exactly one Ethernet frame; with IFF_VNET_HDR each is preceded by a
// struct virtio_net_hdr and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4) lets both sides exchange
// 64 KiB TCP super-frames with partial checksums instead of 1500-byte frames), configured like Xen's vif-bridge script does
// it (MTU, fe:ff:ff:ff:ff:ff, up, enslaved to a bridge) and undone on Dispose: it leaves the bridge
// and, unless it was a persistent TAP made beforehand with `ip tuntap add`, disappears with its fd.
// The kernel closes the fd if parakit dies, so even a killed domain 0 leaves no TAP behind.
using ParaKit.Hypervisor.Native;
using ParaKit.Hypervisor.Net.Offload;

namespace ParaKit.Hypervisor.Net.Tap;

/// <summary>A TAP or bridge operation failed: says which interface, what and why.</summary>
public sealed class HostNetworkException(string message) : IOException(message);

public sealed unsafe class TapDevice : IFramePipe, IDisposable
{
    private int _fd;
    private string? _bridge;

    private TapDevice(int fd, string name, bool vnetHeader)
    {
        _fd = fd;
        Name = name;
        CarriesOffload = vnetHeader;
    }

    /// <summary>Frames are read and written with a virtio_net_hdr (TSO4 and checksum offload on).</summary>
    public bool CarriesOffload { get; }

    /// <summary>The interface's name (vif1.0, or the uplink's name).</summary>
    public string Name { get; }

    /// <summary>The non-blocking file descriptor frames are read from and written to.</summary>
    public int Fd => _fd;

    /// <summary>The Linux bridge it is in now, if any.</summary>
    public string? Bridge => _bridge;

    /// <summary>The Linux bridge it was put in (kept after it left, for reports).</summary>
    public string? JoinedBridge { get; private set; }

    /// <summary>True if this process made the interface (it goes away with the fd); false when it
    /// attached to a persistent TAP someone made beforehand (that one stays, as they left it).</summary>
    public bool CreatedHere { get; private set; }

    /// <summary>Is <paramref name="name"/> an existing Linux bridge in this network namespace?</summary>
    public static bool IsLinuxBridge(string name) => Directory.Exists($"/sys/class/net/{name}/bridge");

    /// <summary>Does an interface called <paramref name="name"/> exist in this network namespace?</summary>
    public static bool InterfaceExists(string name) => Directory.Exists($"/sys/class/net/{name}");

    /// <summary>Opens TAP <paramref name="name"/>. With <paramref name="mustBeNew"/> an existing
    /// interface of that name is an error (a vif's name belongs to one domain); otherwise an
    /// existing persistent TAP is attached to (an uplink the user prepared).</summary>
    public static TapDevice Open(string name, bool mustBeNew, bool offload = true)
    {
        if (name.Length is 0 or > 15)
            throw new HostNetworkException($"TAP name '{name}' must be 1-15 characters");
        bool existed = InterfaceExists(name);
        if (existed && mustBeNew)
            throw new HostNetworkException($"cannot create TAP {name}: an interface with that name already exists in this network namespace (another domain 0 here? set vifname= to pick another name)");
        int fd = Libc.Open("/dev/net/tun", LinuxNet.O_RDWR | LinuxNet.O_NONBLOCK | LinuxNet.O_CLOEXEC);
        if (fd < 0)
        {
            int e = Libc.LastErrno;
            throw new HostNetworkException($"cannot open /dev/net/tun for TAP {name}: {Libc.StrError(e)}"
                + (e is Libc.EACCES or Libc.EPERM ? " (run as root, or with CAP_NET_ADMIN)" : e == Libc.ENOENT ? " (load the tun module: modprobe tun)" : ""));
        }
        var req = IfReq.For(name);
        req.Flags = (short)(LinuxNet.IFF_TAP | LinuxNet.IFF_NO_PI | (offload ? LinuxNet.IFF_VNET_HDR : 0) | (mustBeNew ? LinuxNet.IFF_TUN_EXCL : 0));
        if (Libc.Ioctl(fd, LinuxNet.TUNSETIFF, (nint)(&req)) != 0)
        {
            int e = Libc.LastErrno;
            Libc.Close(fd);
            throw new HostNetworkException($"cannot create TAP {name} (TUNSETIFF): {Libc.StrError(e)}"
                + (e == LinuxNet.EBUSY ? " (the name is taken by another interface or an open TAP)" : e == LinuxNet.EPERM ? " (needs CAP_NET_ADMIN)" : e == 22 ? " (an interface of that name exists and is not a TAP)" : ""));
        }
        if (offload)
        {
            int size = sizeof(VirtioNetHeader);
            // Without the offload bits the kernel still frames every read and write with the
            // header; it just never hands us a super-frame or a partial checksum.
            if (Libc.Ioctl(fd, LinuxNet.TUNSETVNETHDRSZ, (nint)(&size)) != 0
                || Libc.Ioctl(fd, LinuxNet.TUNSETOFFLOAD, (nint)(LinuxNet.TUN_F_CSUM | LinuxNet.TUN_F_TSO4)) != 0)
            {
                int e = Libc.LastErrno;
                Libc.Close(fd);
                throw new HostNetworkException($"cannot turn on the vnet header and TSO/checksum offload of TAP {name} (TUNSETVNETHDRSZ/TUNSETOFFLOAD): {Libc.StrError(e)}");
            }
        }
        return new TapDevice(fd, name, offload) { CreatedHere = !existed };
    }

    /// <summary>Sets the MTU (as vif-bridge does from the vif's mtu).</summary>
    public void SetMtu(int mtu)
    {
        var req = IfReq.For(Name);
        req.Value = mtu;
        Control(LinuxNet.SIOCSIFMTU, ref req, $"set the MTU of {Name} to {mtu}");
    }

    public int Mtu
    {
        get
        {
            var req = IfReq.For(Name);
            Control(LinuxNet.SIOCGIFMTU, ref req, $"read the MTU of {Name}");
            return req.Value;
        }
    }

    /// <summary>Sets the interface's own MAC. Xen gives every backend vif fe:ff:ff:ff:ff:ff so a
    /// bridge never takes a vif's address as its own (a bridge uses its lowest port MAC).</summary>
    public void SetHardwareAddress(ReadOnlySpan<byte> mac)
    {
        var req = IfReq.For(Name);
        req.HwFamily = LinuxNet.ARPHRD_ETHER;
        for (int i = 0; i < 6; i++)
            req.HwData[i] = mac[i];
        Control(LinuxNet.SIOCSIFHWADDR, ref req, $"set the MAC of {Name}");
    }

    /// <summary>`ip link set NAME up`.</summary>
    public void SetUp()
    {
        var req = IfReq.For(Name);
        Control(LinuxNet.SIOCGIFFLAGS, ref req, $"read the flags of {Name}");
        req.Flags |= LinuxNet.IFF_UP;
        Control(LinuxNet.SIOCSIFFLAGS, ref req, $"bring {Name} up");
    }

    /// <summary>`ip link set NAME master BRIDGE` (SIOCBRADDIF, what brctl addif does).</summary>
    public void JoinBridge(string bridge)
    {
        var idx = IfReq.For(Name);
        Control(LinuxNet.SIOCGIFINDEX, ref idx, $"find the index of {Name}");
        var req = IfReq.For(bridge);
        req.Value = idx.Value;
        Control(LinuxNet.SIOCBRADDIF, ref req, $"add {Name} to bridge {bridge}");
        _bridge = bridge;
        JoinedBridge = bridge;
    }

    /// <summary>Takes the TAP out of its bridge; false (and the reason) if the kernel refused.
    /// Never throws: it runs during teardown.</summary>
    public bool LeaveBridge(out string? problem)
    {
        problem = null;
        if (_bridge is not { } bridge)
            return true;
        _bridge = null;
        try
        {
            var idx = IfReq.For(Name);
            Control(LinuxNet.SIOCGIFINDEX, ref idx, $"find the index of {Name}");
            var req = IfReq.For(bridge);
            req.Value = idx.Value;
            Control(LinuxNet.SIOCBRDELIF, ref req, $"remove {Name} from bridge {bridge}");
            return true;
        }
        catch (HostNetworkException e)
        {
            problem = e.Message;
            return false;
        }
    }

    private static void Control(nuint request, ref IfReq req, string what)
    {
        int s = LinuxNet.Socket(LinuxNet.AF_UNIX, LinuxNet.SOCK_DGRAM | LinuxNet.SOCK_CLOEXEC, 0);
        if (s < 0)
            throw new HostNetworkException($"cannot {what}: socket: {Libc.StrError(Libc.LastErrno)}");
        try
        {
            fixed (IfReq* p = &req)
            {
                if (Libc.Ioctl(s, request, (nint)p) != 0)
                    throw new HostNetworkException($"cannot {what}: {Libc.StrError(Libc.LastErrno)}");
            }
        }
        finally
        {
            Libc.Close(s);
        }
    }

    /// <summary>One frame from the host (the TAP's transmit queue): its length, 0 when none is
    /// waiting, or a negative errno.</summary>
    public int Read(byte* buffer, int capacity)
    {
        if (CarriesOffload)
            return Read(buffer, capacity, out _);
        nint n = Libc.Read(_fd, buffer, (nuint)capacity);
        if (n >= 0)
            return (int)n;
        int e = Libc.LastErrno;
        return e is Libc.EAGAIN or Libc.EINTR ? 0 : -e;
    }

    /// <summary>Bad offload descriptions from the kernel (never expected): dropped, counted by the caller as an error.</summary>
    public const int BadVnetHeader = -74;   // -EBADMSG

    /// <summary>One frame and its offload: a GSO super-frame (TCP/IPv4) or a partial checksum,
    /// from the kernel's virtio_net_hdr. A header we cannot honour gives <see cref="BadVnetHeader"/>.</summary>
    public int Read(byte* buffer, int capacity, out FrameOffload offload)
    {
        offload = default;
        if (!CarriesOffload)
            return Read(buffer, capacity);
        VirtioNetHeader h;
        var iov = stackalloc IoVec[2];
        iov[0] = new IoVec { Base = &h, Length = (nuint)sizeof(VirtioNetHeader) };
        iov[1] = new IoVec { Base = buffer, Length = (nuint)capacity };
        nint n = LinuxNet.Readv(_fd, iov, 2);
        if (n < 0)
        {
            int e = Libc.LastErrno;
            return e is Libc.EAGAIN or Libc.EINTR ? 0 : -e;
        }
        int length = (int)n - sizeof(VirtioNetHeader);
        if (length <= 0)
            return 0;
        byte gso = (byte)(h.GsoType & ~VirtioNetHeader.GsoEcn);
        bool partial = (h.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0;
        if (gso == VirtioNetHeader.GsoNone && !partial)
            return length;
        if ((gso != VirtioNetHeader.GsoNone && (gso != VirtioNetHeader.GsoTcpV4 || h.GsoSize == 0 || !partial))
            || (partial && (h.ChecksumStart < FrameOffloads.EthernetHeader || h.ChecksumStart + h.ChecksumOffset + 2 > length)))
            return BadVnetHeader;
        offload = new FrameOffload(gso == VirtioNetHeader.GsoNone ? (ushort)0 : h.GsoSize, h.ChecksumStart, h.ChecksumOffset,
            dataValidated: true);
        return length;
    }

    /// <summary>One frame to the host (it enters the kernel as if received on the TAP): 0, or a
    /// negative errno (the frame is then lost; the caller counts it).</summary>
    public int Write(ReadOnlySpan<byte> frame) => Write(frame, default);

    /// <summary>One frame with its offload (a super-frame the kernel segments or receives whole, a
    /// checksum it completes): 0 or a negative errno.</summary>
    public int Write(ReadOnlySpan<byte> frame, in FrameOffload offload)
    {
        fixed (byte* p = frame)
        {
            if (!CarriesOffload)
            {
                if (offload.NeedsWork)
                    return -95;   // EOPNOTSUPP: the caller should have made plain frames
                nint w = Libc.Write(_fd, p, (nuint)frame.Length);
                return w >= 0 ? 0 : -Libc.LastErrno;
            }
            VirtioNetHeader h = default;
            if (offload.ChecksumPartial)
            {
                h.Flags = VirtioNetHeader.FlagNeedsChecksum;
                h.ChecksumStart = offload.ChecksumStart;
                h.ChecksumOffset = offload.ChecksumOffset;
                h.HeaderLength = (ushort)(offload.ChecksumStart + offload.ChecksumOffset + 2);
            }
            if (offload.IsGso)
            {
                h.GsoType = VirtioNetHeader.GsoTcpV4;
                h.GsoSize = offload.GsoSize;
                int tcp = offload.ChecksumStart;
                h.HeaderLength = (ushort)(tcp + (frame[tcp + 12] >> 4) * 4);
            }
            var iov = stackalloc IoVec[2];
            iov[0] = new IoVec { Base = &h, Length = (nuint)sizeof(VirtioNetHeader) };
            iov[1] = new IoVec { Base = p, Length = (nuint)frame.Length };
            nint n = LinuxNet.Writev(_fd, iov, 2);
            return n >= 0 ? 0 : -Libc.LastErrno;
        }
    }

    /// <summary>Reads a counter of the interface from sysfs (e.g. rx_dropped), -1 if unavailable.</summary>
    public long KernelCounter(string name)
    {
        try
        {
            return long.TryParse(File.ReadAllText($"/sys/class/net/{Name}/statistics/{name}").Trim(), out long v) ? v : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>Leaves the bridge and closes the fd (a TAP made here disappears). Later calls do nothing.</summary>
    public void Dispose()
    {
        LeaveBridge(out _);
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
