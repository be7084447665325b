// `parakit xenstore ls|read|write|rm|mkdir|perms|watch [PATH] [VALUE]`: talks to the store of a running
// `parakit create` through its Unix socket, with domain 0's rights, like Xen's xenstore-ls,
// xenstore-read, xenstore-write, xenstore-rm, xenstore-chmod (read side) and xenstore-watch.
using System.Text;
using ParaKit.Hypervisor.Store;
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Cli;

public static class XenstoreCommand
{
    private const string Help = """
        usage: parakit xenstore [--socket PATH] COMMAND ...

        Reads and changes the XenStore of a running hypervisor (`parakit create`).
          ls [PATH]             the tree below PATH (default /), one `name = "value"` per line
          read PATH...          print each value
          write PATH VALUE...   write one or more PATH VALUE pairs
          mkdir PATH            create an empty node
          rm PATH...            remove nodes and everything below them
          perms PATH...         print each node's permissions (owner and default first)
          watch [-n N] PATH     print the path of every change at or below PATH (it fires
                                once at once); stop after N events

        The socket is $PARAKIT_XENSTORE_SOCKET, else $XDG_RUNTIME_DIR/parakit/xenstored.sock,
        else /run/parakit/xenstored.sock. Exit status 1 when a node is missing or access fails,
        or when no hypervisor is running.
        """;

    internal const string HelpText = Help;

    public static readonly string[] Verbs = ["ls", "read", "write", "mkdir", "rm", "perms", "watch"];

    /// <summary>One store command against the socket at <paramref name="socket"/> (null: the default).</summary>
    public static int Execute(string? socketOption, string verb, string[] rest, string? countText)
    {
        string socket = socketOption ?? StoreSocketPath.Default();
        int? count = countText is null ? null : CommandLine.PositiveInt("-n", countText, 1_000_000);
        switch (verb)
        {
            case "ls" when rest.Length <= 1:
            case "read" or "rm" or "mkdir" or "perms" when rest.Length >= 1:
            case "watch" when rest.Length == 1:
            case "write" when rest.Length >= 2 && rest.Length % 2 == 0:
                break;
            case "ls" or "read" or "rm" or "mkdir" or "write" or "perms" or "watch":
                throw new UsageException($"xenstore {verb}: wrong arguments (try parakit xenstore --help)");
            default:
                throw new UsageException($"xenstore: unknown command '{verb}' (try parakit xenstore --help)");
        }
        foreach (string p in verb == "write" ? rest.Where((_, k) => k % 2 == 0) : rest)
        {
            if (!XsPaths.IsValid(Encoding.ASCII.GetBytes(p)) || p.Any(c => c > 127))
                throw new UsageException($"xenstore {verb}: '{p}' is not a valid store path");
        }

        using var client = StoreSocketClient.Connect(socket);
        switch (verb)
        {
            case "ls":
            {
                string root = rest.Length == 1 ? rest[0] : "/";
                var sb = new StringBuilder();
                if (!List(client, root, 0, sb, out string? failure))
                {
                    Console.Write(sb.ToString());
                    return Fail(verb, root, failure!);
                }
                Console.Write(sb.ToString());
                return ExitCodes.Ok;
            }
            case "read":
                foreach (string p in rest)
                {
                    var (t, v) = client.Request(XsdSockMsgType.Read, Path(p));
                    if (t == XsdSockMsgType.Error)
                        return Fail(verb, p, ErrorName(v));
                    Console.WriteLine(Encoding.UTF8.GetString(v));
                }
                return ExitCodes.Ok;
            case "write":
                for (int k = 0; k < rest.Length; k += 2)
                {
                    byte[] payload = [.. Encoding.ASCII.GetBytes(rest[k]), 0, .. Encoding.UTF8.GetBytes(rest[k + 1])];
                    if (payload.Length > XsLimits.PayloadMax)
                        throw new UsageException($"xenstore write: the value for {rest[k]} is too long ({payload.Length} > {XsLimits.PayloadMax} bytes with the path)");
                    var (t, v) = client.Request(XsdSockMsgType.Write, payload);
                    if (t == XsdSockMsgType.Error)
                        return Fail(verb, rest[k], ErrorName(v));
                }
                return ExitCodes.Ok;
            case "perms":
                foreach (string p in rest)
                {
                    var (t, v) = client.Request(XsdSockMsgType.GetPerms, Path(p));
                    if (t == XsdSockMsgType.Error)
                        return Fail(verb, p, ErrorName(v));
                    Console.WriteLine(string.Join(' ', Encoding.ASCII.GetString(v).Split('\0', StringSplitOptions.RemoveEmptyEntries)));
                }
                return ExitCodes.Ok;
            case "watch":
                return Watch(client, rest[0], count);
            default: // rm, mkdir
                foreach (string p in rest)
                {
                    var (t, v) = client.Request(verb == "rm" ? XsdSockMsgType.Rm : XsdSockMsgType.Mkdir, Path(p));
                    if (t == XsdSockMsgType.Error)
                        return Fail(verb, p, ErrorName(v));
                }
                return ExitCodes.Ok;
        }
    }

    private static int Watch(StoreSocketClient client, string path, int? count)
    {
        const string token = "parakit-xenstore-watch";
        var (t, v) = client.Request(XsdSockMsgType.Watch, [.. Encoding.ASCII.GetBytes(path), 0, .. Encoding.ASCII.GetBytes(token), 0]);
        if (t == XsdSockMsgType.Error)
            return Fail("watch", path, ErrorName(v));
        // Request skips events that arrive before its reply; the first one (the watch firing as
        // it is set) comes after the reply, so nothing is lost.
        for (int seen = 0; count is null || seen < count;)
        {
            var (h, body) = client.ReadMessage();
            if (h.Type != (uint)XsdSockMsgType.WatchEvent || XsCodec.TryParseWatch(body, out var p, out _) != XsDecodeStatus.Ok)
                continue;
            Console.WriteLine(Encoding.ASCII.GetString(p));
            Console.Out.Flush();
            seen++;
        }
        return ExitCodes.Ok;
    }

    private static byte[] Path(string p) => [.. Encoding.ASCII.GetBytes(p), 0];

    private static string ErrorName(byte[] payload) => Encoding.ASCII.GetString(payload).TrimEnd('\0');

    private static int Fail(string verb, string path, string error)
    {
        string why = error switch
        {
            "ENOENT" => "no such node",
            "EACCES" => "permission denied",
            "EINVAL" => "invalid request",
            _ => error,
        };
        Console.Error.WriteLine($"parakit: xenstore {verb} {path}: {why} ({error})");
        return ExitCodes.Environment;
    }

    /// <summary>xenstore-ls format: children indented one space per level, values quoted.</summary>
    private static bool List(StoreSocketClient client, string path, int depth, StringBuilder sb, out string? failure)
    {
        failure = null;
        var (t, dir) = client.Request(XsdSockMsgType.Directory, Path(path));
        if (t == XsdSockMsgType.Error && ErrorName(dir) == "E2BIG")
            (t, dir) = DirectoryInParts(client, path);
        if (t == XsdSockMsgType.Error)
        {
            failure = ErrorName(dir);
            return false;
        }
        foreach (string name in Encoding.ASCII.GetString(dir).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            string child = path == "/" ? "/" + name : path + "/" + name;
            var (rt, value) = client.Request(XsdSockMsgType.Read, Path(child));
            string shown = rt == XsdSockMsgType.Error ? ErrorName(value) : "\"" + Escape(value) + "\"";
            sb.Append(' ', depth).Append(name).Append(" = ").Append(shown).Append('\n');
            if (rt != XsdSockMsgType.Error && !List(client, child, depth + 1, sb, out _))
                continue;
        }
        return true;
    }

    /// <summary>A listing over one reply's 4 KiB, in DIRECTORY_PART pieces ("gen\0names...\0" and an
    /// extra nul at the end); starts over if the generation changes between pieces.</summary>
    private static (XsdSockMsgType, byte[]) DirectoryInParts(StoreSocketClient client, string path)
    {
        for (int restart = 0; restart < 8; restart++)
        {
            var all = new List<byte>();
            string? generation = null;
            while (true)
            {
                var (t, part) = client.Request(XsdSockMsgType.DirectoryPart, [.. Encoding.ASCII.GetBytes(path), 0, .. Encoding.ASCII.GetBytes(all.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)), 0]);
                if (t == XsdSockMsgType.Error)
                    return (t, part);
                int genEnd = Array.IndexOf(part, (byte)0);
                if (genEnd < 0)
                    return (XsdSockMsgType.Error, "EIO\0"u8.ToArray());
                string gen = Encoding.ASCII.GetString(part, 0, genEnd);
                if (generation is not null && gen != generation)
                    break;
                generation = gen;
                bool complete = part.Length >= 2 && part[^1] == 0 && part[^2] == 0;
                var names = part.AsSpan(genEnd + 1, part.Length - genEnd - 1 - (complete ? 1 : 0));
                all.AddRange(names.ToArray());
                if (complete)
                    return (XsdSockMsgType.Directory, [.. all]);
                if (names.Length == 0)
                    return (XsdSockMsgType.Error, "EIO\0"u8.ToArray());
            }
        }
        return (XsdSockMsgType.Error, "EAGAIN\0"u8.ToArray());
    }

    private static string Escape(byte[] value)
    {
        var sb = new StringBuilder();
        foreach (byte b in value)
        {
            if (b is >= 32 and < 127 && b != (byte)'"' && b != (byte)'\\')
                sb.Append((char)b);
            else
                sb.Append(b switch { (byte)'"' => "\\\"", (byte)'\\' => "\\\\", _ => $"\\x{b:x2}" });
        }
        return sb.ToString();
    }
}
