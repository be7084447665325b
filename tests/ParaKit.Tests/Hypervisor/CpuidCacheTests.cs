// The CPUID cache (hypervisor/Kvm/CpuidCache.cs): what is stored under a key comes back only
// under that key, whole; anything else in the file (another key, a short or long file, a count
// that does not match the length) reads as no cache, and a missing directory is created private.
using ParaKit.Hypervisor.Kvm;

namespace ParaKit.Tests.Hypervisor;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class CpuidCacheTests
{
    private static byte[] Key(byte seed) => Enumerable.Range(0, 72).Select(i => (byte)(i * 7 + seed)).ToArray();

    private static byte[] Cpuid(int entries, byte fill = 0x5A)
    {
        var b = new byte[8 + entries * 40];
        Array.Fill(b, fill);
        BitConverter.TryWriteBytes(b, (uint)entries);
        BitConverter.TryWriteBytes(b.AsSpan(4), 0u);
        return b;
    }

    [Test]
    public void What_is_stored_comes_back_only_under_its_key()
    {
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string path = Path.Combine(dir, "sub", "kvm-cpuid");
            var cpuid = Cpuid(74);
            CpuidCache.TryStore(path, Key(1), cpuid);
            Assert.That(CpuidCache.TryLoad(path, Key(1)), Is.EqualTo(cpuid));
            Assert.That(CpuidCache.TryLoad(path, Key(2)), Is.Null, "another boot or another /dev/kvm");
            Assert.That(File.GetUnixFileMode(Path.Combine(dir, "sub")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            Assert.That(File.GetUnixFileMode(path) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.OtherRead), Is.EqualTo((UnixFileMode)0));
            // A buffer as KVM fills it (room for 256 entries, 74 used) is stored trimmed.
            var big = Cpuid(256);
            BitConverter.TryWriteBytes(big, 74u);
            CpuidCache.TryStore(path, Key(3), big);
            Assert.That(CpuidCache.TryLoad(path, Key(3)), Is.EqualTo(big[..(8 + 74 * 40)]));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void A_damaged_file_reads_as_no_cache()
    {
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            string path = Path.Combine(dir, "kvm-cpuid");
            CpuidCache.TryStore(path, Key(1), Cpuid(10));
            byte[] good = File.ReadAllBytes(path);
            foreach (var bad in new[]
            {
                good[..^1],                                 // cut short
                [.. good, 0],                              // a byte too many
                [],                                        // empty
                Flip(good, 0),                             // magic
                Flip(good, 8 + 72),                        // length
                Flip(good, 8 + 72 + 4),                    // entry count
            })
            {
                File.WriteAllBytes(path, bad);
                Assert.That(CpuidCache.TryLoad(path, Key(1)), Is.Null, $"{bad.Length} bytes");
            }
            Assert.That(CpuidCache.TryLoad(Path.Combine(dir, "none"), Key(1)), Is.Null);
            CpuidCache.TryStore(path, Key(1), Cpuid(0));   // nothing to keep: no file written
            Assert.That(CpuidCache.TryLoad(path, Key(1)), Is.Null);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static byte[] Flip(byte[] b, int at)
    {
        var c = (byte[])b.Clone();
        c[at] ^= 0x01;
        return c;
    }

    [Test]
    public void The_environment_can_turn_it_off_or_move_it()
    {
        string? saved = Environment.GetEnvironmentVariable(CpuidCache.Variable);
        try
        {
            Environment.SetEnvironmentVariable(CpuidCache.Variable, "off");
            Assert.That(CpuidCache.DefaultPath(), Is.Null);
            Environment.SetEnvironmentVariable(CpuidCache.Variable, "/some/where/cpuid");
            Assert.That(CpuidCache.DefaultPath(), Is.EqualTo("/some/where/cpuid"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(CpuidCache.Variable, saved);
        }
    }

    [Test]
    public void A_domain_boots_from_the_cache_and_without_it()
    {
        HypervisorHarness.RequireKvm();
        string dir = HypervisorHarness.ScratchDir();
        try
        {
            var env = new Dictionary<string, string> { [CpuidCache.Variable] = Path.Combine(dir, "kvm-cpuid") };
            DateTime? written = null;
            for (int i = 0; i < 2; i++)   // the first run asks KVM and fills the cache, the second only reads it
            {
                var r = HypervisorHarness.RunParakit(["run", HypervisorHarness.CsGuest("hello")], TimeSpan.FromSeconds(30), env);
                Assert.That(r.ExitCode, Is.EqualTo(0), r.Output);
                Assert.That(r.Stdout, Does.Contain("Hello from a ParaKit C# unikernel!"));
                var stamp = File.GetLastWriteTimeUtc(env[CpuidCache.Variable]);
                if (written is { } w)
                    Assert.That(stamp, Is.EqualTo(w), "the second run wrote the cache again instead of reading it");
                written = stamp;
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
