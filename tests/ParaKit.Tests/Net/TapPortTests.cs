// A TAP port on a network worker, without KVM or the host's network: the host end is a
// socketpair(AF_UNIX, SOCK_SEQPACKET) (one frame per read and write, pollable, like a TAP) and the
// guest a netback over fake rings. Host frames reach the guest in order through the reader thread
// and the worker; the guest's frames reach the host one per datagram; a guest with no RX buffers
// holds the host's frames (nothing dropped while it is not stalled); oversize frames and failed
// writes are counted; and every frame the host sent is delivered, counted as dropped, or queued.
using System.Runtime.InteropServices;
using ParaKit.Hypervisor.Net;
using ParaKit.Hypervisor.Net.Tap;

namespace ParaKit.Tests.Net;

internal sealed unsafe partial class SeqPacketPipe : IFramePipe, IDisposable
{
    [LibraryImport("libc.so.6", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport("libc.so.6", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, byte* buf, nuint count);

    [LibraryImport("libc.so.6", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(int fd, byte* buf, nuint count);

    [LibraryImport("libc.so.6", EntryPoint = "close")]
    private static partial int CloseNative(int fd);

    private const int AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private int _host;
    private readonly int _port;

    public SeqPacketPipe(int mtu = 1500)
    {
        int* fds = stackalloc int[2];
        if (SocketPair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
            throw new InvalidOperationException("socketpair failed: " + Marshal.GetLastPInvokeError());
        _port = fds[0];
        _host = fds[1];
        Mtu = mtu;
    }

    public string Name => "tap-test";
    public int Fd => _port;
    public int Mtu { get; }

    public int Read(byte* buffer, int capacity)
    {
        nint n = ReadNative(_port, buffer, (nuint)capacity);
        if (n >= 0)
            return (int)n;
        int e = Marshal.GetLastPInvokeError();
        return e is 11 or 4 ? 0 : -e;
    }

    public int Write(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
            return WriteNative(_port, p, (nuint)frame.Length) >= 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    /// <summary>The host sends a frame into the port (waiting while the socket's buffer is full,
    /// as a TAP's queue would fill).</summary>
    public void HostSend(byte[] frame)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        fixed (byte* p = frame)
        {
            while (WriteNative(_host, p, (nuint)frame.Length) != frame.Length)
            {
                Assert.That(Marshal.GetLastPInvokeError(), Is.EqualTo(11), "host write failed");
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the port stopped reading");
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>Frames the port wrote to the host so far.</summary>
    public List<byte[]> HostReceive()
    {
        var list = new List<byte[]>();
        var buf = new byte[70000];
        fixed (byte* p = buf)
        {
            nint n;
            while ((n = ReadNative(_host, p, (nuint)buf.Length)) >= 0)
                list.Add(buf.AsSpan(0, (int)n).ToArray());
        }
        return list;
    }

    /// <summary>Closes the host's end: the port's writes then fail.</summary>
    public void CloseHost()
    {
        if (_host >= 0)
            CloseNative(_host);
        _host = -1;
    }

    public void Dispose()
    {
        CloseHost();
        CloseNative(_port);
    }
}

public class TapPortTests
{
    private static readonly byte[] GuestMac = [0x00, 0x16, 0x3e, 0, 0, 2];
    private static readonly byte[] HostMac = [0x02, 0, 0, 0, 0, 0x99];

    private static byte[] Frame(byte[] dst, byte[] src, int seq, int length = 60)
    {
        var f = new byte[length];
        dst.CopyTo(f, 0);
        src.CopyTo(f, 6);
        f[12] = 0x88;
        f[13] = 0xB5;
        f[14] = (byte)(seq >> 8);
        f[15] = (byte)seq;
        return f;
    }

    private static int Seq(byte[] f) => f[14] << 8 | f[15];

    private sealed class Rig : IDisposable
    {
        public readonly NetworkWorker Worker = new("sw-test");
        public readonly SeqPacketPipe Pipe = new();
        public readonly WorkerVif Vif;
        public readonly VifHarness Guest;
        public readonly TapPort Tap;

        public Rig()
        {
            Vif = Worker.AddVif("vif1.0");
            Guest = new VifHarness(sink: Vif.Port, rxNotify: true);
            Worker.Bind(Vif, Guest.Back);
            Worker.Start();
            Tap = Worker.AddTap(Pipe);
            // The guest announces itself so the switch sends it unicast (as its stack's gratuitous ARP would).
            Guest.Send(Frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], GuestMac, 0));
            Worker.Kick(Vif);
        }

        public void Until(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!condition())
            {
                if (DateTime.UtcNow > deadline)
                    Assert.Fail("timed out waiting for " + what);
                Thread.Sleep(1);
                Worker.Kick(Vif);   // the guest's "I posted buffers" kick
            }
        }

        public void Dispose()
        {
            Worker.Dispose();
            Pipe.Dispose();
            Guest.Dispose();
        }
    }

    [Test]
    public void Frames_cross_both_ways_in_order_and_are_counted()
    {
        using var rig = new Rig();
        rig.Guest.PostRx(64);
        rig.Until(() => rig.Pipe.HostReceive().Count > 0 || rig.Tap.Counters.ToHostFrames > 0, "the guest's announcement on the host");
        for (int i = 1; i <= 40; i++)
            rig.Pipe.HostSend(Frame(GuestMac, HostMac, i, 60 + i));
        rig.Until(() => { rig.Guest.ReapRx(); return rig.Guest.Received.Count == 40; }, "40 host frames in the guest");
        for (int i = 1; i <= 10; i++)
            rig.Guest.Send(Frame(HostMac, GuestMac, 100 + i));
        rig.Worker.Kick(rig.Vif);
        var toHost = new List<byte[]>();
        rig.Until(() => { toHost.AddRange(rig.Pipe.HostReceive()); return toHost.Count(f => Seq(f) > 100) == 10; }, "10 guest frames on the host");
        var c = rig.Tap.Counters;
        Assert.Multiple(() =>
        {
            Assert.That(rig.Guest.Received.Select(Seq), Is.EqualTo(Enumerable.Range(1, 40)));
            Assert.That(rig.Guest.Received.Select(f => f.Length), Is.EqualTo(Enumerable.Range(61, 40)));
            Assert.That(toHost.Where(f => Seq(f) > 100).Select(Seq), Is.EqualTo(Enumerable.Range(101, 10)));
            Assert.That((c.FromHostFrames, c.FromHostBytes), Is.EqualTo((40L, (long)Enumerable.Range(61, 40).Sum())));
            Assert.That(c.ToHostFrames, Is.EqualTo(11), "the announcement and 10 frames");
            Assert.That(c.Drops, Is.Zero);
            Assert.That(rig.Tap.Port.Counters.InFrames, Is.EqualTo(40));
        });
    }

    [Test]
    public void A_guest_without_rx_buffers_holds_the_hosts_frames_and_gets_them_all_later()
    {
        using var rig = new Rig();
        rig.Guest.PostRx(1);
        rig.Until(() => rig.Tap.Counters.ToHostFrames == 1, "the announcement");
        // The one buffer takes one frame, netback's queue (256) the next ones; the rest wait in
        // the port's ring (Held), not dropped, while the guest is not stalled (200 ms).
        const int sent = 400;
        for (int i = 1; i <= sent; i++)
            rig.Pipe.HostSend(Frame(GuestMac, HostMac, i));
        rig.Until(() => rig.Tap.Held, "the port holding frames for the guest");
        Assert.That(rig.Guest.Back.Counters.RxNoBuffer, Is.Zero);
        rig.Until(() => { rig.Guest.ReapRx(); rig.Guest.PostRx(256); return rig.Guest.Received.Count == sent; }, "all frames once buffers came");
        Assert.Multiple(() =>
        {
            Assert.That(rig.Guest.Received.Select(Seq), Is.EqualTo(Enumerable.Range(1, sent)));
            Assert.That(rig.Tap.Counters.FromHostHeld, Is.GreaterThan(0));
            Assert.That(rig.Tap.Counters.Drops + rig.Guest.Back.Counters.RxDrops, Is.Zero);
        });
    }

    [Test]
    public void A_guest_that_never_reads_fills_the_ring_and_every_host_frame_is_accounted_for()
    {
        using var rig = new Rig();
        rig.Guest.PostRx(1);
        rig.Until(() => rig.Tap.Counters.ToHostFrames == 1, "the announcement");
        const int sent = 1000;
        for (int i = 1; i <= sent; i++)
            rig.Pipe.HostSend(Frame(GuestMac, HostMac, i));
        // Past the stall time the switch stops holding the port for this guest: its netback drops
        // and counts; frames read from the host are delivered or dropped, never lost.
        rig.Until(() =>
        {
            rig.Guest.ReapRx();
            var c = rig.Tap.Counters;
            return c.FromHostFrames == sent && rig.Tap.Queued == 0;
        }, "every host frame forwarded");
        var back = rig.Guest.Back.Counters;
        Assert.Multiple(() =>
        {
            Assert.That(rig.Tap.Counters.RingFull, Is.GreaterThan(0), "the reader paused on a full ring");
            Assert.That(rig.Guest.Received.Count + back.RxNoBuffer + rig.Guest.Back.RxQueued, Is.EqualTo(sent), "delivered + dropped (rx_no_buffer) + waiting in netback's queue");
            Assert.That(back.RxNoBuffer, Is.GreaterThan(0), "a stalled guest's frames are dropped and counted");
            Assert.That(rig.Guest.Received.Select(Seq), Is.Ordered);
        });
    }

    [Test]
    public void Oversize_host_frames_and_failed_writes_are_counted()
    {
        using var rig = new Rig();
        rig.Guest.PostRx(16);
        rig.Until(() => rig.Tap.Counters.ToHostFrames == 1, "the announcement");
        rig.Pipe.HostSend(Frame(GuestMac, HostMac, 1, 1500 + 14 + 4 + 1));   // one byte over the slot
        rig.Pipe.HostSend(Frame(GuestMac, HostMac, 2, 1518));                // the largest that fits
        rig.Until(() => { rig.Guest.ReapRx(); return rig.Tap.Counters.FromHostOversize == 1 && rig.Tap.Counters.FromHostFrames == 1; }, "one oversize, one forwarded");
        rig.Pipe.CloseHost();
        rig.Guest.Send(Frame(HostMac, GuestMac, 3));
        rig.Worker.Kick(rig.Vif);
        rig.Until(() => rig.Tap.Counters.ToHostWriteErrors == 1, "the failed write counted");
        Assert.That(rig.Tap.Counters.LastErrno, Is.Not.Zero);
    }
}
