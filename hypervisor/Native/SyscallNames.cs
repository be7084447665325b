// The x86-64 system-call numbers by name (Linux's arch/x86/entry/syscalls/syscall_64.tbl, as in
// asm/unistd_64.h, up to mseal): the allowlist is written with names and the report of a
// forbidden call says which call it was. Data only.
namespace ParaKit.Hypervisor.Native;

internal static class SyscallNames
{
    /// <summary>Name of x86-64 system call <c>n</c> ("" for unused numbers).</summary>
    public static readonly string[] ByNumber =
    [
        "read", "write", "open", "close", "stat", "fstat", "lstat", "poll",  // 0-7
        "lseek", "mmap", "mprotect", "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",  // 8-15
        "ioctl", "pread64", "pwrite64", "readv", "writev", "access", "pipe", "select",  // 16-23
        "sched_yield", "mremap", "msync", "mincore", "madvise", "shmget", "shmat", "shmctl",  // 24-31
        "dup", "dup2", "pause", "nanosleep", "getitimer", "alarm", "setitimer", "getpid",  // 32-39
        "sendfile", "socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg",  // 40-47
        "shutdown", "bind", "listen", "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt",  // 48-55
        "clone", "fork", "vfork", "execve", "exit", "wait4", "kill", "uname",  // 56-63
        "semget", "semop", "semctl", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl",  // 64-71
        "fcntl", "flock", "fsync", "fdatasync", "truncate", "ftruncate", "getdents", "getcwd",  // 72-79
        "chdir", "fchdir", "rename", "mkdir", "rmdir", "creat", "link", "unlink",  // 80-87
        "symlink", "readlink", "chmod", "fchmod", "chown", "fchown", "lchown", "umask",  // 88-95
        "gettimeofday", "getrlimit", "getrusage", "sysinfo", "times", "ptrace", "getuid", "syslog",  // 96-103
        "getgid", "setuid", "setgid", "geteuid", "getegid", "setpgid", "getppid", "getpgrp",  // 104-111
        "setsid", "setreuid", "setregid", "getgroups", "setgroups", "setresuid", "getresuid", "setresgid",  // 112-119
        "getresgid", "getpgid", "setfsuid", "setfsgid", "getsid", "capget", "capset", "rt_sigpending",  // 120-127
        "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack", "utime", "mknod", "uselib", "personality",  // 128-135
        "ustat", "statfs", "fstatfs", "sysfs", "getpriority", "setpriority", "sched_setparam", "sched_getparam",  // 136-143
        "sched_setscheduler", "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "mlock", "munlock", "mlockall",  // 144-151
        "munlockall", "vhangup", "modify_ldt", "pivot_root", "_sysctl", "prctl", "arch_prctl", "adjtimex",  // 152-159
        "setrlimit", "chroot", "sync", "acct", "settimeofday", "mount", "umount2", "swapon",  // 160-167
        "swapoff", "reboot", "sethostname", "setdomainname", "iopl", "ioperm", "create_module", "init_module",  // 168-175
        "delete_module", "get_kernel_syms", "query_module", "quotactl", "nfsservctl", "getpmsg", "putpmsg", "afs_syscall",  // 176-183
        "tuxcall", "security", "gettid", "readahead", "setxattr", "lsetxattr", "fsetxattr", "getxattr",  // 184-191
        "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",  // 192-199
        "tkill", "time", "futex", "sched_setaffinity", "sched_getaffinity", "set_thread_area", "io_setup", "io_destroy",  // 200-207
        "io_getevents", "io_submit", "io_cancel", "get_thread_area", "lookup_dcookie", "epoll_create", "epoll_ctl_old", "epoll_wait_old",  // 208-215
        "remap_file_pages", "getdents64", "set_tid_address", "restart_syscall", "semtimedop", "fadvise64", "timer_create", "timer_settime",  // 216-223
        "timer_gettime", "timer_getoverrun", "timer_delete", "clock_settime", "clock_gettime", "clock_getres", "clock_nanosleep", "exit_group",  // 224-231
        "epoll_wait", "epoll_ctl", "tgkill", "utimes", "vserver", "mbind", "set_mempolicy", "get_mempolicy",  // 232-239
        "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "kexec_load", "waitid",  // 240-247
        "add_key", "request_key", "keyctl", "ioprio_set", "ioprio_get", "inotify_init", "inotify_add_watch", "inotify_rm_watch",  // 248-255
        "migrate_pages", "openat", "mkdirat", "mknodat", "fchownat", "futimesat", "newfstatat", "unlinkat",  // 256-263
        "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "pselect6", "ppoll",  // 264-271
        "unshare", "set_robust_list", "get_robust_list", "splice", "tee", "sync_file_range", "vmsplice", "move_pages",  // 272-279
        "utimensat", "epoll_pwait", "signalfd", "timerfd_create", "eventfd", "fallocate", "timerfd_settime", "timerfd_gettime",  // 280-287
        "accept4", "signalfd4", "eventfd2", "epoll_create1", "dup3", "pipe2", "inotify_init1", "preadv",  // 288-295
        "pwritev", "rt_tgsigqueueinfo", "perf_event_open", "recvmmsg", "fanotify_init", "fanotify_mark", "prlimit64", "name_to_handle_at",  // 296-303
        "open_by_handle_at", "clock_adjtime", "syncfs", "sendmmsg", "setns", "getcpu", "process_vm_readv", "process_vm_writev",  // 304-311
        "kcmp", "finit_module", "sched_setattr", "sched_getattr", "renameat2", "seccomp", "getrandom", "memfd_create",  // 312-319
        "kexec_file_load", "bpf", "execveat", "userfaultfd", "membarrier", "mlock2", "copy_file_range", "preadv2",  // 320-327
        "pwritev2", "pkey_mprotect", "pkey_alloc", "pkey_free", "statx", "io_pgetevents", "rseq", "",  // 328-335
        "", "", "", "", "", "", "", "",  // 336-343
        "", "", "", "", "", "", "", "",  // 344-351
        "", "", "", "", "", "", "", "",  // 352-359
        "", "", "", "", "", "", "", "",  // 360-367
        "", "", "", "", "", "", "", "",  // 368-375
        "", "", "", "", "", "", "", "",  // 376-383
        "", "", "", "", "", "", "", "",  // 384-391
        "", "", "", "", "", "", "", "",  // 392-399
        "", "", "", "", "", "", "", "",  // 400-407
        "", "", "", "", "", "", "", "",  // 408-415
        "", "", "", "", "", "", "", "",  // 416-423
        "pidfd_send_signal", "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree", "move_mount", "fsopen", "fsconfig",  // 424-431
        "fsmount", "fspick", "pidfd_open", "clone3", "close_range", "openat2", "pidfd_getfd", "faccessat2",  // 432-439
        "process_madvise", "epoll_pwait2", "mount_setattr", "quotactl_fd", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret",  // 440-447
        "process_mrelease", "futex_waitv", "set_mempolicy_home_node", "cachestat", "fchmodat2", "map_shadow_stack", "futex_wake", "futex_wait",  // 448-455
        "futex_requeue", "statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "mseal",
    ];

    public static string Of(int nr) => nr >= 0 && nr < ByNumber.Length && ByNumber[nr].Length > 0 ? ByNumber[nr] : "unknown";

    /// <summary>The number of <paramref name="name"/>; throws for a name that is not a system call
    /// (a typo in the allowlist is a bug found at the first start, by every test).</summary>
    public static int Number(string name) =>
        name.Length > 0 && ByName.TryGetValue(name, out int nr) ? nr : throw new ArgumentException($"'{name}' is not an x86-64 system call", nameof(name));

    private static Dictionary<string, int>? s_byName;

    /// <summary>Built on first use (the allowlist looks up ~150 names as domain 0 starts; a linear
    /// search each would compare ~35,000 strings).</summary>
    private static Dictionary<string, int> ByName
    {
        get
        {
            if (s_byName is { } map)
                return map;
            map = new Dictionary<string, int>(ByNumber.Length, StringComparer.Ordinal);
            for (int nr = 0; nr < ByNumber.Length; nr++)
                map.TryAdd(ByNumber[nr], nr);
            return s_byName = map;
        }
    }
}
