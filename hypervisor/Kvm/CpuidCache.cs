// KVM_GET_SUPPORTED_CPUID's answer kept between runs. Under nested KVM the query is the dearest
// single step of starting a domain (KVM executes every host leaf and each CPUID traps: ~0.45 ms
// here, and its traps slow the memory-slot and vCPU ioctls running beside it), yet the answer
// changes only with the kernel, the KVM module or the CPU. Like libvirt's capability cache it is
// kept under a run-time directory that a reboot empties (/run/parakit for root,
// $XDG_RUNTIME_DIR/parakit for others) and keyed by what a change would alter: the boot id, and
// the /dev/kvm node's inode and change time (reloading the module makes a new node).
// PARAKIT_CPUID_CACHE=off turns it off; a file that does not match its key is ignored.
using ParaKit.Hypervisor.Native;

namespace ParaKit.Hypervisor.Kvm;

internal static unsafe class CpuidCache
{
    public const string Variable = "PARAKIT_CPUID_CACHE";
    private const string FileName = "kvm-cpuid";
    private static ReadOnlySpan<byte> Magic => "PKCPUID1"u8;
    private const int KeyBytes = 72;              // boot id (40, nul-padded) + ino + rdev + ctime s + ns
    private const int HeaderBytes = 8 + KeyBytes + 4;
    private const int EntryBytes = 40;            // sizeof(kvm_cpuid_entry2)
    private const int MaxEntries = 4096;

    /// <summary>The cache file for this user, or null when there is no private run-time directory
    /// (or the cache is turned off).</summary>
    public static string? DefaultPath()
    {
        string? setting = Environment.GetEnvironmentVariable(Variable);
        if (setting == "off")
            return null;
        if (!string.IsNullOrEmpty(setting))
            return setting;
        if (Libc.Geteuid() == 0)
            return "/run/parakit/" + FileName;
        string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(runtime) ? null : runtime + "/parakit/" + FileName;
    }

    /// <summary>The key for the KVM device open as <paramref name="kvmFd"/>, or null if it cannot be read.</summary>
    public static byte[]? Key(int kvmFd)
    {
        byte* st = stackalloc byte[144];                  // struct stat (x86-64)
        if (Libc.Syscall(5, (nuint)kvmFd, (nuint)st, 0) != 0)   // fstat
            return null;
        var key = new byte[KeyBytes];
        int n = ReadSmallFile("/proc/sys/kernel/random/boot_id", key.AsSpan(0, 40));
        if (n <= 0)
            return null;
        new ReadOnlySpan<byte>(st + 8, 8).CopyTo(key.AsSpan(40));    // st_ino
        new ReadOnlySpan<byte>(st + 40, 8).CopyTo(key.AsSpan(48));   // st_rdev
        new ReadOnlySpan<byte>(st + 104, 16).CopyTo(key.AsSpan(56)); // st_ctim
        return key;
    }

    /// <summary>The kvm_cpuid2 stored under <paramref name="key"/>, or null (no file, another key,
    /// a damaged file).</summary>
    public static byte[]? TryLoad(string path, ReadOnlySpan<byte> key)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
            return null;
        try
        {
            if (ReadFully(fd, header) != HeaderBytes || !header[..8].SequenceEqual(Magic) || !header.Slice(8, KeyBytes).SequenceEqual(key))
                return null;
            int length = BitConverter.ToInt32(header[(8 + KeyBytes)..]);
            if (length < 8 || length > 8 + MaxEntries * EntryBytes || (length - 8) % EntryBytes != 0)
                return null;
            var cpuid = new byte[length];
            if (ReadFully(fd, cpuid) != length || BitConverter.ToUInt32(cpuid) != (uint)((length - 8) / EntryBytes))
                return null;
            Span<byte> extra = stackalloc byte[1];
            return ReadFully(fd, extra) == 0 ? cpuid : null;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Stores <paramref name="cpuid"/> (a kvm_cpuid2 as KVM filled it) under
    /// <paramref name="key"/>: written beside the file and renamed over it, so a reader never
    /// sees half of one. Best effort: a cache that cannot be written is simply not there.</summary>
    public static void TryStore(string path, ReadOnlySpan<byte> key, ReadOnlySpan<byte> cpuid)
    {
        if (cpuid.Length < 8 || OperatingSystem.IsWindows())
            return;
        uint entries = BitConverter.ToUInt32(cpuid);
        if (entries == 0 || entries > MaxEntries || 8 + entries * EntryBytes > cpuid.Length)
            return;
        int length = 8 + (int)entries * EntryBytes;
        try
        {
            string dir = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string temp = $"{path}.{Environment.ProcessId}";
            using (var f = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                f.Write(Magic);
                f.Write(key);
                Span<byte> len = stackalloc byte[4];
                BitConverter.TryWriteBytes(len, length);
                f.Write(len);
                f.Write(cpuid[..length]);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No cache: the next run asks KVM again.
        }
    }

    private static int ReadSmallFile(string path, Span<byte> into)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
            return -1;
        try
        {
            return ReadFully(fd, into);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static int ReadFully(int fd, Span<byte> into)
    {
        int total = 0;
        fixed (byte* p = into)
        {
            while (total < into.Length)
            {
                nint n = Libc.Read(fd, p + total, (nuint)(into.Length - total));
                if (n <= 0)
                    break;
                total += (int)n;
            }
        }
        return total;
    }
}
