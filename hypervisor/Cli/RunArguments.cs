// The words of `parakit run` as strings, before RunCommand checks them. Two readers fill it:
// ParakitCommands (System.CommandLine: every form, --help, the parser's errors) and Plain below,
// which takes only the everyday forms (`run IMAGE --stats --memory 128`) and declines the rest.
// Plain exists for start-up time: building System.CommandLine's tree and parsing with it cost
// ~0.15 ms of the ~1.7 ms from Main to the guest's first instruction (bench/README.md, "Fourth
// round"). A property test (RunArgumentsTests) holds the two equal wherever Plain answers.
namespace ParaKit.Hypervisor.Cli;

internal sealed record RunArguments
{
    public IReadOnlyList<string> Images { get; set; } = [];
    public string? Memory { get; set; }
    public string? Timeout { get; set; }
    public string? Name { get; set; }
    public bool Stats { get; set; }
    public string? Trace { get; set; }
    public string? TraceRecords { get; set; }
    public string? TraceEvents { get; set; }
    public bool NoSeccomp { get; set; }
    public string? Gdb { get; set; }

    /// <summary>The words after `run` (and before `--`) when each is an image, a known option
    /// followed by its value, or a known flag, each at most once; null for anything else (help,
    /// aliases, `--opt=value`, `@file`, a value that starts with '-' or '@', unknown or repeated
    /// options), which ParakitCommands then parses.</summary>
    public static RunArguments? Plain(ReadOnlySpan<string> words)
    {
        var a = new RunArguments();
        var images = new List<string>(1);
        for (int i = 0; i < words.Length; i++)
        {
            string w = words[i];
            if (w.Length == 0 || w[0] == '@')
                return null;
            if (w[0] != '-')
            {
                images.Add(w);
                continue;
            }
            if (w == "--stats" && !a.Stats)
            {
                a.Stats = true;
                continue;
            }
            if (w == "--no-seccomp" && !a.NoSeccomp)
            {
                a.NoSeccomp = true;
                continue;
            }
            if (++i >= words.Length || words[i] is not { Length: > 0 } v || v[0] is '-' or '@')
                return null;
            switch (w)
            {
                case "--memory" when a.Memory is null: a.Memory = v; break;
                case "--timeout" when a.Timeout is null: a.Timeout = v; break;
                case "--name" when a.Name is null: a.Name = v; break;
                case "--trace" when a.Trace is null: a.Trace = v; break;
                case "--trace-records" when a.TraceRecords is null: a.TraceRecords = v; break;
                case "--trace-events" when a.TraceEvents is null: a.TraceEvents = v; break;
                case "--gdb" when a.Gdb is null: a.Gdb = v; break;
                default: return null;
            }
        }
        a.Images = images;
        return a;
    }
}
