// How a blocked vCPU thread sleeps and is woken: an eventfd polled with a nanosecond timeout
// (Monitor.Wait only has millisecond resolution, too coarse for guest timers). The eventfd
// can later be handed to KVM_IOEVENTFD so a guest notification wakes the thread without an exit.
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Domains;

internal sealed unsafe class Waker : IDisposable
{
    private int _fd;

    public Waker()
    {
        _fd = Libc.Eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_fd < 0)
            throw new InvalidOperationException("eventfd failed: " + Libc.StrError(Libc.LastErrno));
    }

    public int Fd => _fd;

    public void Signal()
    {
        ulong one = 1;
        int fd = _fd;
        if (fd >= 0)
            Libc.Write(fd, &one, 8);
    }

    /// <summary>Sleeps until signalled or <paramref name="nanoseconds"/> pass (ulong.MaxValue = forever);
    /// consumes the signal.</summary>
    public void Wait(ulong nanoseconds)
    {
        var pfd = new PollFd { Fd = _fd, Events = Libc.POLLIN };
        if (nanoseconds == ulong.MaxValue)
        {
            Libc.Ppoll(&pfd, 1, null, null);
        }
        else
        {
            var ts = new Timespec { Seconds = (long)(nanoseconds / 1_000_000_000), Nanoseconds = (long)(nanoseconds % 1_000_000_000) };
            Libc.Ppoll(&pfd, 1, &ts, null);
        }
        ulong value;
        Libc.Read(_fd, &value, 8);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.Close(fd);
    }
}
