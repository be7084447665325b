// The x86-64 system-call names by number (Linux's arch/x86/entry/syscalls/syscall_64.tbl, as in
// asm/unistd_64.h, up to mseal): the report of a forbidden call and `parakit seccomp` say which
// call it was. Data only. The names are one block of UTF-8 in the executable's read-only data,
// because the report is written by a few bytes of machine code in a signal handler (Seccomp.cs),
// which can read them there but can run no managed code, and because nothing has to be built
// from them as domain 0 starts.
using System.Text;

namespace ParaKit.Hypervisor.Native;

internal static class SyscallNames
{
    /// <summary>How many numbers <see cref="Packed"/> names (0 .. Count - 1).</summary>
    public const int Count = 463;

    /// <summary>Each number's name followed by a NUL, in number order; unused numbers have an
    /// empty name.</summary>
    public static ReadOnlySpan<byte> Packed =>
        "read\0write\0open\0close\0stat\0fstat\0lstat\0poll\0"u8 +  // 0-7
        "lseek\0mmap\0mprotect\0munmap\0brk\0rt_sigaction\0rt_sigprocmask\0rt_sigreturn\0"u8 +  // 8-15
        "ioctl\0pread64\0pwrite64\0readv\0writev\0access\0pipe\0select\0"u8 +  // 16-23
        "sched_yield\0mremap\0msync\0mincore\0madvise\0shmget\0shmat\0shmctl\0"u8 +  // 24-31
        "dup\0dup2\0pause\0nanosleep\0getitimer\0alarm\0setitimer\0getpid\0"u8 +  // 32-39
        "sendfile\0socket\0connect\0accept\0sendto\0recvfrom\0sendmsg\0recvmsg\0"u8 +  // 40-47
        "shutdown\0bind\0listen\0getsockname\0getpeername\0socketpair\0setsockopt\0getsockopt\0"u8 +  // 48-55
        "clone\0fork\0vfork\0execve\0exit\0wait4\0kill\0uname\0"u8 +  // 56-63
        "semget\0semop\0semctl\0shmdt\0msgget\0msgsnd\0msgrcv\0msgctl\0"u8 +  // 64-71
        "fcntl\0flock\0fsync\0fdatasync\0truncate\0ftruncate\0getdents\0getcwd\0"u8 +  // 72-79
        "chdir\0fchdir\0rename\0mkdir\0rmdir\0creat\0link\0unlink\0"u8 +  // 80-87
        "symlink\0readlink\0chmod\0fchmod\0chown\0fchown\0lchown\0umask\0"u8 +  // 88-95
        "gettimeofday\0getrlimit\0getrusage\0sysinfo\0times\0ptrace\0getuid\0syslog\0"u8 +  // 96-103
        "getgid\0setuid\0setgid\0geteuid\0getegid\0setpgid\0getppid\0getpgrp\0"u8 +  // 104-111
        "setsid\0setreuid\0setregid\0getgroups\0setgroups\0setresuid\0getresuid\0setresgid\0"u8 +  // 112-119
        "getresgid\0getpgid\0setfsuid\0setfsgid\0getsid\0capget\0capset\0rt_sigpending\0"u8 +  // 120-127
        "rt_sigtimedwait\0rt_sigqueueinfo\0rt_sigsuspend\0sigaltstack\0utime\0mknod\0uselib\0personality\0"u8 +  // 128-135
        "ustat\0statfs\0fstatfs\0sysfs\0getpriority\0setpriority\0sched_setparam\0sched_getparam\0"u8 +  // 136-143
        "sched_setscheduler\0sched_getscheduler\0sched_get_priority_max\0sched_get_priority_min\0sched_rr_get_interval\0mlock\0munlock\0mlockall\0"u8 +  // 144-151
        "munlockall\0vhangup\0modify_ldt\0pivot_root\0_sysctl\0prctl\0arch_prctl\0adjtimex\0"u8 +  // 152-159
        "setrlimit\0chroot\0sync\0acct\0settimeofday\0mount\0umount2\0swapon\0"u8 +  // 160-167
        "swapoff\0reboot\0sethostname\0setdomainname\0iopl\0ioperm\0create_module\0init_module\0"u8 +  // 168-175
        "delete_module\0get_kernel_syms\0query_module\0quotactl\0nfsservctl\0getpmsg\0putpmsg\0afs_syscall\0"u8 +  // 176-183
        "tuxcall\0security\0gettid\0readahead\0setxattr\0lsetxattr\0fsetxattr\0getxattr\0"u8 +  // 184-191
        "lgetxattr\0fgetxattr\0listxattr\0llistxattr\0flistxattr\0removexattr\0lremovexattr\0fremovexattr\0"u8 +  // 192-199
        "tkill\0time\0futex\0sched_setaffinity\0sched_getaffinity\0set_thread_area\0io_setup\0io_destroy\0"u8 +  // 200-207
        "io_getevents\0io_submit\0io_cancel\0get_thread_area\0lookup_dcookie\0epoll_create\0epoll_ctl_old\0epoll_wait_old\0"u8 +  // 208-215
        "remap_file_pages\0getdents64\0set_tid_address\0restart_syscall\0semtimedop\0fadvise64\0timer_create\0timer_settime\0"u8 +  // 216-223
        "timer_gettime\0timer_getoverrun\0timer_delete\0clock_settime\0clock_gettime\0clock_getres\0clock_nanosleep\0exit_group\0"u8 +  // 224-231
        "epoll_wait\0epoll_ctl\0tgkill\0utimes\0vserver\0mbind\0set_mempolicy\0get_mempolicy\0"u8 +  // 232-239
        "mq_open\0mq_unlink\0mq_timedsend\0mq_timedreceive\0mq_notify\0mq_getsetattr\0kexec_load\0waitid\0"u8 +  // 240-247
        "add_key\0request_key\0keyctl\0ioprio_set\0ioprio_get\0inotify_init\0inotify_add_watch\0inotify_rm_watch\0"u8 +  // 248-255
        "migrate_pages\0openat\0mkdirat\0mknodat\0fchownat\0futimesat\0newfstatat\0unlinkat\0"u8 +  // 256-263
        "renameat\0linkat\0symlinkat\0readlinkat\0fchmodat\0faccessat\0pselect6\0ppoll\0"u8 +  // 264-271
        "unshare\0set_robust_list\0get_robust_list\0splice\0tee\0sync_file_range\0vmsplice\0move_pages\0"u8 +  // 272-279
        "utimensat\0epoll_pwait\0signalfd\0timerfd_create\0eventfd\0fallocate\0timerfd_settime\0timerfd_gettime\0"u8 +  // 280-287
        "accept4\0signalfd4\0eventfd2\0epoll_create1\0dup3\0pipe2\0inotify_init1\0preadv\0"u8 +  // 288-295
        "pwritev\0rt_tgsigqueueinfo\0perf_event_open\0recvmmsg\0fanotify_init\0fanotify_mark\0prlimit64\0name_to_handle_at\0"u8 +  // 296-303
        "open_by_handle_at\0clock_adjtime\0syncfs\0sendmmsg\0setns\0getcpu\0process_vm_readv\0process_vm_writev\0"u8 +  // 304-311
        "kcmp\0finit_module\0sched_setattr\0sched_getattr\0renameat2\0seccomp\0getrandom\0memfd_create\0"u8 +  // 312-319
        "kexec_file_load\0bpf\0execveat\0userfaultfd\0membarrier\0mlock2\0copy_file_range\0preadv2\0"u8 +  // 320-327
        "pwritev2\0pkey_mprotect\0pkey_alloc\0pkey_free\0statx\0io_pgetevents\0rseq\0\0"u8 +  // 328-335
        "\0\0\0\0\0\0\0\0"u8 +  // 336-343
        "\0\0\0\0\0\0\0\0"u8 +  // 344-351
        "\0\0\0\0\0\0\0\0"u8 +  // 352-359
        "\0\0\0\0\0\0\0\0"u8 +  // 360-367
        "\0\0\0\0\0\0\0\0"u8 +  // 368-375
        "\0\0\0\0\0\0\0\0"u8 +  // 376-383
        "\0\0\0\0\0\0\0\0"u8 +  // 384-391
        "\0\0\0\0\0\0\0\0"u8 +  // 392-399
        "\0\0\0\0\0\0\0\0"u8 +  // 400-407
        "\0\0\0\0\0\0\0\0"u8 +  // 408-415
        "\0\0\0\0\0\0\0\0"u8 +  // 416-423
        "pidfd_send_signal\0io_uring_setup\0io_uring_enter\0io_uring_register\0open_tree\0move_mount\0fsopen\0fsconfig\0"u8 +  // 424-431
        "fsmount\0fspick\0pidfd_open\0clone3\0close_range\0openat2\0pidfd_getfd\0faccessat2\0"u8 +  // 432-439
        "process_madvise\0epoll_pwait2\0mount_setattr\0quotactl_fd\0landlock_create_ruleset\0landlock_add_rule\0landlock_restrict_self\0memfd_secret\0"u8 +  // 440-447
        "process_mrelease\0futex_waitv\0set_mempolicy_home_node\0cachestat\0fchmodat2\0map_shadow_stack\0futex_wake\0futex_wait\0"u8 +  // 448-455
        "futex_requeue\0statmount\0listmount\0lsm_get_self_attr\0lsm_set_self_attr\0lsm_list_modules\0mseal\0"u8;  // 456-462

    private static string[]? s_byNumber;
    private static Dictionary<string, int>? s_byName;

    /// <summary>The names as strings, decoded on first use (the CLI and tests ask; domain 0's
    /// start does not).</summary>
    private static string[] ByNumber
    {
        get
        {
            if (s_byNumber is { } names)
                return names;
            names = new string[Count];
            var rest = Packed;
            for (int nr = 0; nr < Count; nr++)
            {
                int nul = rest.IndexOf((byte)0);
                names[nr] = Encoding.ASCII.GetString(rest[..nul]);
                rest = rest[(nul + 1)..];
            }
            return s_byNumber = names;
        }
    }

    public static string Of(int nr) => nr >= 0 && nr < Count && ByNumber[nr].Length > 0 ? ByNumber[nr] : "unknown";

    /// <summary>The number of <paramref name="name"/>; throws for a name that is not a system call.</summary>
    public static int Number(string name) =>
        name.Length > 0 && ByName.TryGetValue(name, out int nr) ? nr : throw new ArgumentException($"'{name}' is not an x86-64 system call", nameof(name));

    private static Dictionary<string, int> ByName
    {
        get
        {
            if (s_byName is { } map)
                return map;
            map = new Dictionary<string, int>(Count, StringComparer.Ordinal);
            for (int nr = 0; nr < Count; nr++)
                map.TryAdd(ByNumber[nr], nr);
            return s_byName = map;
        }
    }
}
