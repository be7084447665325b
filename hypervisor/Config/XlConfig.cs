// Reads domain configuration files in the style of xl.cfg(5): `key = value` lines, strings in
// double or single quotes, whole numbers bare, `#` comments. Only the keys ParaKit understands
// are accepted; anything else is an error that names the file, the line, the key and what is
// allowed, because a silently ignored typo (`memroy = 512`) is worse than a refusal.
using System.Globalization;
using System.Text;
using ParaKit.Hypervisor.Devices.Vif;
using ParaKit.Hypervisor.Domains;

namespace ParaKit.Hypervisor.Config;

public static class XlConfig
{
    public static readonly string[] AllowedKeys = ["name", "kernel", "memory", "extra", "on_crash", "vcpus", "vif"];
    public static readonly string[] CrashActions = ["destroy", "preserve", "restart"];
    public const int MaxVifs = 8;

    public static DomainConfig Load(string path)
    {
        string text;
        if (Directory.Exists(path))
            throw new ConfigException($"{path}: is a directory, not a configuration file");
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException($"{path}: no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses the text of <paramref name="path"/>; a relative kernel path resolves
    /// against the folder of the file.</summary>
    public static DomainConfig Parse(string text, string path)
    {
        var values = new Dictionary<string, (object Value, int Line)>();
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            int lineNo = n + 1;
            string line = StripComment(lines[n], path, lineNo).Trim();
            if (line.Length == 0)
                continue;
            int eq = line.IndexOf('=');
            if (eq < 0)
                throw new ConfigException($"{path}:{lineNo}: expected 'key = value', got '{line}'");
            string key = line[..eq].Trim();
            string raw = line[(eq + 1)..].Trim();
            // A list may span lines, as xl users write vif = [ '...',\n '...' ].
            int startLine = lineNo;
            while (raw.StartsWith('[') && !raw.Contains(']') && n + 1 < lines.Length)
            {
                n++;
                raw += " " + StripComment(lines[n], path, n + 1).Trim();
            }
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new ConfigException($"{path}:{lineNo}: malformed key '{key}'");
            if (!AllowedKeys.Contains(key))
                throw new ConfigException($"{path}:{lineNo}: unknown key '{key}' (allowed: {string.Join(", ", AllowedKeys)})");
            if (values.ContainsKey(key))
                throw new ConfigException($"{path}:{lineNo}: key '{key}' is set twice (first on line {values[key].Line})");
            values[key] = (ParseValue(raw, path, startLine, key), startLine);
        }

        string Str(string key, string fallback)
        {
            if (!values.TryGetValue(key, out var v))
                return fallback;
            return v.Value as string ?? throw new ConfigException($"{path}:{v.Line}: {key} must be a quoted string, got {v.Value}");
        }

        long Int(string key, long fallback, long min, long max, string unit)
        {
            if (!values.TryGetValue(key, out var v))
                return fallback;
            if (v.Value is not long l)
                throw new ConfigException($"{path}:{v.Line}: {key} must be a whole number{unit}, got \"{v.Value}\"");
            if (l < min || l > max)
                throw new ConfigException($"{path}:{v.Line}: {key} must be between {min} and {max}{unit}, got {l}");
            return l;
        }

        if (!values.ContainsKey("kernel"))
            throw new ConfigException($"{path}: kernel is required (kernel = \"path/to/image.elf\")");
        string kernel = Str("kernel", "");
        if (kernel.Length == 0)
            throw new ConfigException($"{path}:{values["kernel"].Line}: kernel must not be empty");
        if (!Path.IsPathRooted(kernel))
            kernel = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", kernel));

        string name = Str("name", Path.GetFileNameWithoutExtension(path));
        if (name.Length == 0 || name.Length > 64 || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new ConfigException($"{path}:{values["name"].Line}: name must be 1-64 characters without spaces or control characters");

        int memory = (int)Int("memory", DomainConfig.DefaultMemoryMiB, (long)(MemoryLayout.MinMemoryBytes >> 20), DomainBuilder.MaxMemoryMiB, " of MiB");
        Int("vcpus", 1, 1, 1, " (ParaKit runs one vCPU per domain)");
        string onCrash = Str("on_crash", "destroy");
        CrashAction action = onCrash switch
        {
            "destroy" => CrashAction.Destroy,
            "preserve" => CrashAction.Preserve,
            "restart" => CrashAction.Restart,
            _ => throw new ConfigException($"{path}:{values["on_crash"].Line}: on_crash must be one of {string.Join(", ", CrashActions)}, got \"{onCrash}\""),
        };
        string extra = Str("extra", "");
        if (Encoding.UTF8.GetByteCount(extra) >= ParaKit.Protocols.Boot.StartInfo.CmdLineCapacity)
            throw new ConfigException($"{path}:{values["extra"].Line}: extra is longer than {ParaKit.Protocols.Boot.StartInfo.CmdLineCapacity - 1} bytes");

        var vifs = new List<VifConfig>();
        if (values.TryGetValue("vif", out var vifValue))
        {
            if (vifValue.Value is not string[] specs)
                throw new ConfigException($"{path}:{vifValue.Line}: vif must be a list of quoted strings, e.g. vif = [ 'mac=00:16:3e:00:00:01,bridge=sw0' ]");
            for (int i = 0; i < specs.Length; i++)
                vifs.Add(VifConfig.Parse(specs[i], i, $"{path}:{vifValue.Line}"));
            if (vifs.Count > MaxVifs)
                throw new ConfigException($"{path}:{vifValue.Line}: at most {MaxVifs} vifs per domain, got {vifs.Count}");
        }

        return new DomainConfig { Name = name, Kernel = kernel, MemoryMiB = memory, CommandLine = extra, OnCrash = action, Vifs = vifs };
    }

    /// <summary>Removes a trailing # comment, ignoring # inside quotes.</summary>
    private static string StripComment(string line, string path, int lineNo)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == '\\' && quote == '"')
                    i++;
                else if (c == quote)
                    quote = '\0';
            }
            else if (c is '"' or '\'')
                quote = c;
            else if (c == '#')
                return line[..i];
        }
        if (quote != '\0')
            throw new ConfigException($"{path}:{lineNo}: unterminated string");
        return line.TrimEnd('\r');
    }

    /// <summary>[ 'a', "b", ] -> the strings (a trailing comma is allowed, as in xl).</summary>
    private static string[] ParseList(string raw, string path, int lineNo, string key)
    {
        int close = raw.LastIndexOf(']');
        if (close < 0)
            throw new ConfigException($"{path}:{lineNo}: {key}: the list is not closed with ']'");
        if (close != raw.Length - 1)
            throw new ConfigException($"{path}:{lineNo}: unexpected text after the list for {key}: '{raw[(close + 1)..]}'");
        var items = new List<string>();
        string rest = raw[1..close].Trim();
        while (rest.Length > 0)
        {
            if (rest[0] is not ('"' or '\''))
                throw new ConfigException($"{path}:{lineNo}: {key}: list items must be quoted strings, got '{rest}'");
            int end = rest.IndexOf(rest[0], 1);
            if (end < 0)
                throw new ConfigException($"{path}:{lineNo}: unterminated string in the list for {key}");
            items.Add(rest[1..end]);
            rest = rest[(end + 1)..].TrimStart();
            if (rest.Length > 0 && rest[0] != ',')
                throw new ConfigException($"{path}:{lineNo}: {key}: expected ',' between list items, got '{rest}'");
            rest = rest.Length > 0 ? rest[1..].TrimStart() : rest;
        }
        return [.. items];
    }

    /// <summary>A quoted string (returned as string) or a whole number (returned as long).</summary>
    private static object ParseValue(string raw, string path, int lineNo, string key)
    {
        if (raw.EndsWith(';'))
            raw = raw[..^1].TrimEnd();
        if (raw.Length == 0)
            throw new ConfigException($"{path}:{lineNo}: {key} has no value");
        if (raw[0] == '[')
        {
            if (key != "vif")
                throw new ConfigException($"{path}:{lineNo}: {key} does not take a list");
            return ParseList(raw, path, lineNo, key);
        }
        char q = raw[0];
        if (q is '"' or '\'')
        {
            var sb = new StringBuilder();
            int i = 1;
            for (; i < raw.Length && raw[i] != q; i++)
            {
                if (raw[i] == '\\' && q == '"' && i + 1 < raw.Length)
                {
                    i++;
                    sb.Append(raw[i] switch { 'n' => '\n', 't' => '\t', _ => raw[i] });
                }
                else
                    sb.Append(raw[i]);
            }
            if (i >= raw.Length)
                throw new ConfigException($"{path}:{lineNo}: unterminated string for {key}");
            if (i != raw.Length - 1)
                throw new ConfigException($"{path}:{lineNo}: unexpected text after the string for {key}: '{raw[(i + 1)..]}'");
            return sb.ToString();
        }
        if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
            return v;
        throw new ConfigException($"{path}:{lineNo}: {key}: expected a quoted string or a whole number, got '{raw}'");
    }
}
