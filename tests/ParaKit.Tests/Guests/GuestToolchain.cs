// Shared helpers for the guest tests: find the repository, build guest apps with
// guestkernel/build.sh, run images under out/bin/parakit, and read ELF symbol tables.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace ParaKit.Tests.Guests;

internal static class GuestToolchain
{
    private static readonly object BuildLock = new();
    private static readonly HashSet<string> Built = new();

    public static string RepoRoot => TestHost.RepoRoot;

    public static string ImagePath(string app) => Path.Combine(RepoRoot, "out", "guests", app + ".elf");

    public static ProcessResult Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null)
        => TestHost.Run(file, args, timeout, env);

    /// <summary>Builds an app once per test run (build.sh itself skips what is up to date).</summary>
    public static string Build(string app)
    {
        lock (BuildLock)
        {
            if (!Built.Contains(app))
            {
                var result = BuildNow(app);
                Assert.That(result.ExitCode, Is.EqualTo(0), $"guestkernel/build.sh {app} failed:\n{result.Output}");
                Built.Add(app);
            }
        }
        return ImagePath(app);
    }

    public static ProcessResult BuildNow(string app, string? appDir = null)
    {
        var env = appDir == null ? null : new Dictionary<string, string> { ["GUEST_APP_DIR"] = appDir };
        return Run(Path.Combine(RepoRoot, "guestkernel", "build.sh"), new[] { app }, TimeSpan.FromMinutes(5), env);
    }

    /// <summary>Runs an image under the real hypervisor. Fails (does not skip) without KVM.</summary>
    public static ProcessResult Boot(string image, params string[] extra) => BootWith(Array.Empty<string>(), image, extra);

    /// <summary>Like <see cref="Boot"/> with extra `parakit run` options (e.g. --memory 16).</summary>
    public static ProcessResult BootWith(string[] options, string image, params string[] extra)
    {
        TestHost.RequireKvm();
        TestHost.RequireParakit();
        var args = new List<string> { "run", "--timeout", "30" };
        args.AddRange(options);
        args.Add(image);
        if (extra.Length > 0)
        {
            args.Add("--");
            args.AddRange(extra);
        }
        return Run(TestHost.Parakit, args, TimeSpan.FromSeconds(60));
    }
}

/// <summary>Undefined and defined symbols of an ELF64 file, read straight from .symtab.</summary>
internal sealed class ElfSymbolTable
{
    public List<string> Defined { get; } = new();
    public List<string> Undefined { get; } = new();
    public Dictionary<string, ulong> Addresses { get; } = new();

    public static ElfSymbolTable Read(byte[] file)
    {
        var table = new ElfSymbolTable();
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(0x3A));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(0x3C));
        for (int i = 0; i < shnum; i++)
        {
            var sh = file.AsSpan((int)shoff + i * shentsize, shentsize);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]);
            if (type != 2) // SHT_SYMTAB
                continue;
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(sh[0x20..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            ulong entsize = BinaryPrimitives.ReadUInt64LittleEndian(sh[0x38..]);
            var strtabHeader = file.AsSpan((int)shoff + (int)link * shentsize, shentsize);
            ulong strtab = BinaryPrimitives.ReadUInt64LittleEndian(strtabHeader[0x18..]);
            for (ulong at = offset + entsize; at < offset + size; at += entsize)
            {
                var sym = file.AsSpan((int)at, (int)entsize);
                uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(sym);
                ushort shndx = BinaryPrimitives.ReadUInt16LittleEndian(sym[6..]);
                ulong value = BinaryPrimitives.ReadUInt64LittleEndian(sym[8..]);
                int start = (int)(strtab + nameOffset);
                int end = Array.IndexOf(file, (byte)0, start);
                string name = Encoding.UTF8.GetString(file, start, end - start);
                if (name.Length == 0)
                    continue;
                if (shndx == 0)
                {
                    table.Undefined.Add(name);
                }
                else
                {
                    table.Defined.Add(name);
                    table.Addresses[name] = value;
                }
            }
        }
        return table;
    }
}
