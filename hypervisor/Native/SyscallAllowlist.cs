// The system calls domain 0 may make once its domains are set up (Seccomp applies this list).
// Grouped by what needs them; everything else ends the process with a report naming the call.
// Deliberately left out: running programs (execve, execveat, fork, vfork), debugging or reading
// other processes (ptrace, process_vm_readv/writev, pidfd_getfd), changing identity (setuid and
// friends, capset), the system (mount, pivot_root, chroot, reboot, kexec, modules, swap, clock
// and host name setting, acct, quotactl), new kernel attack surface (bpf, perf_event_open,
// io_uring, userfaultfd, keyctl, add_key, request_key, unshare, setns, open_by_handle_at).
//
// To extend it (a new device that needs another call): add the call (its SyscallNumbers constant,
// Linux's name in PascalCase) to the group that needs it, with a word on why, and run the suite:
// every test runs under the filter. A call that is missing shows up as "domain 0 made system call
// N (name), which is not in its allowlist" from the process that made it.
using static ParaKit.Hypervisor.Native.SyscallNumbers;

namespace ParaKit.Hypervisor.Native;

internal static class SyscallAllowlist
{
    public static readonly (string Why, int[] Calls)[] Groups =
    [
        ("files and descriptors (images, configs, traces, pcap, sockets' files)",
        [
            Read, Write, Readv, Writev, Pread64, Pwrite64, Preadv, Pwritev, Preadv2, Pwritev2,
            Lseek, Close, CloseRange, Dup, Dup2, Dup3, Fcntl, Flock, Fsync, Fdatasync,
            Ftruncate, Fallocate, Open, Openat, Stat, Fstat, Lstat, Newfstatat, Statx,
            Access, Faccessat, Faccessat2, Readlink, Readlinkat, Getdents64, Getcwd,
            Mkdir, Mkdirat, Unlink, Unlinkat, Rename, Renameat, Renameat2, Chmod, Fchmod,
            Fchmodat, Statfs, Fstatfs, Umask, Sendfile, CopyFileRange,
        ]),
        ("memory: guest RAM (memfd), the GC heap, thread stacks, kvm_run",
        [
            Mmap, Munmap, Mprotect, Madvise, Mremap, Brk, MemfdCreate, Membarrier,
            Mincore, Msync, GetMempolicy,
        ]),
        ("KVM, TAP and network-device control (ioctl on /dev/kvm, VM and vCPU fds, /dev/net/tun, sockets)",
        [
            Ioctl,
        ]),
        ("threads, locks and the .NET runtime",
        [
            Clone3, Clone, Futex, FutexWaitv, SetRobustList, GetRobustList, Rseq, SetTidAddress,
            Gettid, Getpid, Getppid, Exit, ExitGroup, SchedYield, SchedGetaffinity,
            SchedSetaffinity, SchedGetparam, SchedGetscheduler, Prlimit64, Getrlimit, ArchPrctl,
            Prctl, Getrandom, Sysinfo, Uname, Getuid, Geteuid, Getgid, Getegid, Getgroups,
            Getrusage, Times,
        ]),
        ("time and sleeping (timers, timeouts, pvclock)",
        [
            ClockGettime, ClockGetres, ClockNanosleep, Nanosleep, Gettimeofday,
            TimerfdCreate, TimerfdSettime, TimerfdGettime,
        ]),
        ("signals: kicking vCPUs out of KVM_RUN, Ctrl-C, the runtime's own, this filter's report",
        [
            RtSigaction, RtSigprocmask, RtSigreturn, RtSigtimedwait, RtSigpending, RtSigsuspend,
            RtSigqueueinfo, RtTgsigqueueinfo, Sigaltstack, Tgkill, Tkill, Kill, Signalfd4,
        ]),
        ("waiting on descriptors (eventfds, sockets, the .NET socket engine)",
        [
            Eventfd2, EpollCreate1, EpollCtl, EpollWait, EpollPwait, EpollPwait2,
            Poll, Ppoll, Select, Pselect6, Pipe, Pipe2,
        ]),
        ("sockets: the XenStore and control sockets, TAP and bridge set-up (AF_INET, AF_NETLINK)",
        [
            Socket, Socketpair, Bind, Listen, Accept, Accept4, Connect, Shutdown,
            Sendto, Recvfrom, Sendmsg, Recvmsg, Sendmmsg, Recvmmsg, Setsockopt,
            Getsockopt, Getsockname, Getpeername,
        ]),
    ];

    /// <summary>Every allowed call's number, sorted (a plain loop: this runs as every domain 0 starts).</summary>
    public static int[] Numbers()
    {
        Span<bool> allowed = stackalloc bool[SyscallNames.Count];
        int count = 0;
        foreach (var (_, calls) in Groups)
        {
            foreach (int nr in calls)
            {
                if (!allowed[nr])
                {
                    allowed[nr] = true;
                    count++;
                }
            }
        }
        var numbers = new int[count];
        for (int nr = 0, i = 0; nr < allowed.Length; nr++)
        {
            if (allowed[nr])
                numbers[i++] = nr;
        }
        return numbers;
    }
}
