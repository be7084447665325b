// The system calls domain 0 may make once its domains are set up (Seccomp applies this list).
// Grouped by what needs them; everything else ends the process with a report naming the call.
// Deliberately left out: running programs (execve, execveat, fork, vfork), debugging or reading
// other processes (ptrace, process_vm_readv/writev, pidfd_getfd), changing identity (setuid and
// friends, capset), the system (mount, pivot_root, chroot, reboot, kexec, modules, swap, clock
// and host name setting, acct, quotactl), new kernel attack surface (bpf, perf_event_open,
// io_uring, userfaultfd, keyctl, add_key, request_key, unshare, setns, open_by_handle_at).
//
// To extend it (a new device that needs another call): add the name to the group that needs it,
// with a word on why, and run the suite: every test runs under the filter. A call that is
// missing shows up as "forbidden system call N (name)" from the process that made it.
namespace ParaKit.Hypervisor.Native;

internal static class SyscallAllowlist
{
    public static readonly (string Why, string[] Calls)[] Groups =
    [
        ("files and descriptors (images, configs, traces, pcap, sockets' files)",
        [
            "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
            "lseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "flock", "fsync", "fdatasync",
            "ftruncate", "fallocate", "open", "openat", "stat", "fstat", "lstat", "newfstatat", "statx",
            "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64", "getcwd",
            "mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "chmod", "fchmod",
            "fchmodat", "statfs", "fstatfs", "umask", "sendfile", "copy_file_range",
        ]),
        ("memory: guest RAM (memfd), the GC heap, thread stacks, kvm_run",
        [
            "mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "memfd_create", "membarrier",
            "mincore", "msync", "get_mempolicy",
        ]),
        ("KVM, TAP and network-device control (ioctl on /dev/kvm, VM and vCPU fds, /dev/net/tun, sockets)",
        [
            "ioctl",
        ]),
        ("threads, locks and the .NET runtime",
        [
            "clone3", "clone", "futex", "futex_waitv", "set_robust_list", "get_robust_list", "rseq", "set_tid_address",
            "gettid", "getpid", "getppid", "exit", "exit_group", "sched_yield", "sched_getaffinity",
            "sched_setaffinity", "sched_getparam", "sched_getscheduler", "prlimit64", "getrlimit", "arch_prctl",
            "prctl", "getrandom", "sysinfo", "uname", "getuid", "geteuid", "getgid", "getegid", "getgroups",
            "getrusage", "times",
        ]),
        ("time and sleeping (timers, timeouts, pvclock)",
        [
            "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
            "timerfd_create", "timerfd_settime", "timerfd_gettime",
        ]),
        ("signals: kicking vCPUs out of KVM_RUN, Ctrl-C, the runtime's own, this filter's report",
        [
            "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigpending", "rt_sigsuspend",
            "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "tgkill", "tkill", "kill", "signalfd4",
        ]),
        ("waiting on descriptors (eventfds, sockets, the .NET socket engine)",
        [
            "eventfd2", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
            "poll", "ppoll", "select", "pselect6", "pipe", "pipe2",
        ]),
        ("sockets: the XenStore and control sockets, TAP and bridge set-up (AF_INET, AF_NETLINK)",
        [
            "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "shutdown",
            "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "setsockopt",
            "getsockopt", "getsockname", "getpeername",
        ]),
    ];

    /// <summary>Every allowed call's number, sorted (a plain loop: this runs as every domain 0 starts).</summary>
    public static int[] Numbers()
    {
        var allowed = new bool[SyscallNames.ByNumber.Length];
        int count = 0;
        foreach (var (_, calls) in Groups)
        {
            foreach (string name in calls)
            {
                int nr = SyscallNames.Number(name);
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
