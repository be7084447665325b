// `parakit run`'s two readers agree: RunArguments.Plain (the start-up fast path) gives exactly
// what System.CommandLine's tree gives wherever it answers, and declines what it does not handle.
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Cli;

namespace ParaKit.Tests.Hypervisor;

[TestFixture]
public class RunArgumentsTests
{
    // Images, every option and flag, values, and what Plain must leave to the parser.
    private static readonly string[] Vocabulary =
    [
        "hello", "out/guests/echo.elf", "x y", "run", "create",
        "--memory", "--timeout", "--name", "--stats", "--trace", "--trace-records", "--trace-events", "--gdb", "--no-seccomp",
        "128", "0.5", "0", "t.nettrace", "exits,drops",
        "-m", "--memory=64", "--help", "-h", "-?", "--version", "--bogus", "-", "@args.rsp", "",
    ];

    private static void AssertSame(RunArguments plain, RunArguments? full, string words)
    {
        Assert.That(full, Is.Not.Null, $"Plain accepted [{words}] but the parser does not");
        Assert.That(plain.Images, Is.EqualTo(full!.Images), words);
        Assert.That(plain with { Images = full.Images }, Is.EqualTo(full), words);
    }

    [FsCheck.NUnit.Property(MaxTest = 400)]
    public Property Plain_agrees_with_the_parser_wherever_it_answers()
    {
        var lists = Gen.ListOf(Gen.Elements(Vocabulary)).Select(l => l.ToArray()).ToArbitrary();
        return Prop.ForAll(lists, words =>
        {
            if (RunArguments.Plain(words) is { } plain)
                AssertSame(plain, ParakitCommands.ParseRun(words), string.Join(' ', words));
        });
    }

    [TestCase("hello")]
    [TestCase("hello --stats")]
    [TestCase("--memory 128 hello --timeout 0.5 --name a")]
    [TestCase("hello --trace t.nettrace --trace-events exits,drops --trace-records 4096 --no-seccomp --gdb 0")]
    [TestCase("a b")]   // two images: RunCommand's own sentence, as before
    [TestCase("")]      // no image: RunCommand's own sentence
    public void Everyday_forms_take_the_fast_path(string line)
    {
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var plain = RunArguments.Plain(words);
        Assert.That(plain, Is.Not.Null, line);
        AssertSame(plain!, ParakitCommands.ParseRun(words), line);
    }

    [TestCase("hello -m 128")]
    [TestCase("hello --memory=128")]
    [TestCase("hello --help")]
    [TestCase("hello --memory")]
    [TestCase("hello --name --stats")]
    [TestCase("hello --stats --stats")]
    [TestCase("hello --memory 1 --memory 2")]
    [TestCase("hello --bogus")]
    [TestCase("@args.rsp")]
    [TestCase("hello --name @x")]
    public void Everything_else_is_left_to_the_parser(string line)
    {
        Assert.That(RunArguments.Plain(line.Split(' ')), Is.Null, line);
    }
}
