// The gdb stub under KVM: `parakit run --gdb 0` with the gdbdemo app built with DEBUG=1, driven
// by the real gdb in batch mode (breakpoint by file:line and by symbol, locals, arguments,
// next, finish, the exit reported to gdb), and by raw packets for what batch gdb cannot do
// (Ctrl-C of a spinning and of a blocked guest). Lines are looked up in GdbDemo.cs itself.
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ParaKit.Hypervisor.Debugging;
using ParaKit.Tests.Guests;

namespace ParaKit.Tests.Debugging;

public class GdbBootTests
{
    private static readonly DebugBuild s_build = new("gdbdemo", "GdbDemo.cs");
    private static string App => s_build.Name;

    private static string DebugImage() => s_build.Image();

    private static int LineOf(string code) => s_build.LineOf(code);

    /// <summary>`parakit run --gdb 0 IMAGE`, started and left running; its port read from stderr.</summary>
    private sealed class StubbedDomain : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stdout = new(), _stderr = new();
        private readonly TaskCompletionSource<int> _port = new();

        public StubbedDomain(string image, params string[] guestArgs)
        {
            TestHost.RequireKvm();
            TestHost.RequireParakit();
            var psi = new ProcessStartInfo(TestHost.Parakit) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestHost.RepoRoot };
            foreach (string a in (string[])["run", "--timeout", "60", "--gdb", "0", image])
                psi.ArgumentList.Add(a);
            if (guestArgs.Length > 0)
            {
                psi.ArgumentList.Add("--");
                foreach (string a in guestArgs)
                    psi.ArgumentList.Add(a);
            }
            _process = Process.Start(psi)!;
            _process.OutputDataReceived += (_, e) => { lock (_stdout) _stdout.AppendLine(e.Data); };
            _process.ErrorDataReceived += (_, e) =>
            {
                lock (_stderr) _stderr.AppendLine(e.Data);
                const string marker = "on 127.0.0.1:";
                if (e.Data is { } line && line.IndexOf(marker, StringComparison.Ordinal) is int at and >= 0)
                {
                    string rest = line[(at + marker.Length)..];
                    _port.TrySetResult(int.Parse(new string(rest.TakeWhile(char.IsAsciiDigit).ToArray())));
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            if (!_port.Task.Wait(TimeSpan.FromSeconds(20)))
                Assert.Fail("parakit did not print its gdb port:\n" + Output);
        }

        public int Port => _port.Task.Result;
        public string Output { get { lock (_stdout) lock (_stderr) return $"--- parakit stdout\n{_stdout}--- parakit stderr\n{_stderr}"; } }
        public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

        public int WaitForExit(TimeSpan timeout)
        {
            if (!_process.WaitForExit(timeout))
                Assert.Fail("parakit did not end:\n" + Output);
            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }

    private static ProcessResult Gdb(string image, int port, params string[] commands)
    {
        var args = new List<string> { "-nx", "-batch", "-ex", "set pagination off", "-ex", $"target remote 127.0.0.1:{port}" };
        foreach (string c in commands)
        {
            args.Add("-ex");
            args.Add(c);
        }
        args.Add(image);
        if (!File.Exists("/usr/bin/gdb"))
            Assert.Fail("gdb is missing: apt-get install gdb (.ci/run installs it)");
        return TestHost.Run("/usr/bin/gdb", args, TimeSpan.FromSeconds(60));
    }

    [Test]
    public void Gdb_breaks_at_a_line_reads_locals_and_sees_the_exit()
    {
        string image = DebugImage();
        using var domain = new StubbedDomain(image);
        int line = LineOf("total += square;");
        var gdb = Gdb(image, domain.Port, $"break GdbDemo.cs:{line}", "continue", "info locals", "continue", "print total", "print square", "delete", "continue");
        string o = gdb.Output;
        Assert.Multiple(() =>
        {
            Assert.That(gdb.Stdout, Does.Contain("in ParaKitDebugBreak"), "stopped before Main: " + o);
            Assert.That(gdb.Stdout, Does.Contain($"Breakpoint 1, {App}_GdbDemo__Main (args=").And.Contain($"GdbDemo.cs:{line}"), o);
            Assert.That(gdb.Stdout, Does.Contain("total = 0\nround = 1\nsquare = 1\n"), "first round's locals: " + o);
            Assert.That(gdb.Stdout, Does.Contain("$1 = 1\n$2 = 4\n"), "second round: total 1, square 4: " + o);
            Assert.That(gdb.Stdout, Does.Contain("exited normally"), o);
        });
        Assert.That(domain.WaitForExit(TimeSpan.FromSeconds(20)), Is.EqualTo(0), domain.Output);
        Assert.That(domain.Stdout, Does.Contain("gdbdemo: sum of squares 55"), domain.Output);
    }

    [Test]
    public void Gdb_breaks_on_a_method_reads_its_argument_steps_and_finishes()
    {
        string image = DebugImage();
        using var domain = new StubbedDomain(image);
        var gdb = Gdb(image, domain.Port, $"break {App}_GdbDemo__Square", "continue", "continue", "info args", "print $rdi",
            "bt 2", "stepi", "print $pc - (long)&" + App + "_GdbDemo__Square", "finish", "next", "info line", "kill");
        string o = gdb.Output;
        Assert.Multiple(() =>
        {
            Assert.That(gdb.Stdout, Does.Contain($"Breakpoint 1, {App}_GdbDemo__Square (value=2)"), "second call: " + o);
            Assert.That(gdb.Stdout, Does.Contain("value = 2\n$1 = 2\n"), o);
            Assert.That(gdb.Stdout, Does.Contain($"#1  0x").And.Contain($"in {App}_GdbDemo__Main"), "backtrace into Main: " + o);
            Assert.That(gdb.Stdout, Does.Match(@"\$2 = .*0x[1-9a-f][0-9a-f]*\n"), "stepi moved the pc into the method: " + o);
            Assert.That(gdb.Stdout, Does.Contain("Value returned is $3 = 4"), o);
            Assert.That(gdb.Stdout, Does.Contain($"Line {LineOf("total += square;")} of"), "next went to the following line: " + o);
        });
        // kill ends the domain.
        domain.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.That(domain.Output, Does.Contain("killed by gdb"));
    }

    [Test]
    public void A_local_changed_from_gdb_changes_what_the_guest_computes()
    {
        string image = DebugImage();
        using var domain = new StubbedDomain(image);
        var gdb = Gdb(image, domain.Port, $"break GdbDemo.cs:{LineOf("total += square;")}", "continue", "set var square = 100", "delete", "continue");
        Assert.That(gdb.Stdout, Does.Contain("exited with code 01"), gdb.Output);
        Assert.That(domain.WaitForExit(TimeSpan.FromSeconds(20)), Is.EqualTo(1), domain.Output);
        Assert.That(domain.Stdout, Does.Contain("round 1: square 100, total 100").And.Contain("sum of squares 154"), domain.Output);
    }

    [Test]
    public void A_breakpoint_in_the_kernel_library_is_hit_each_time()
    {
        // Hypervisor.ConsoleWrite (console_io, one per console line): a kernel method without
        // line info, reached while the #BP handler itself makes its own debug_stop hypercall.
        string image = DebugImage();
        using var domain = new StubbedDomain(image);
        var gdb = Gdb(image, domain.Port, "break ParaKit_Kernel_ParaKit_Kernel_Hypervisor__ConsoleWrite", "continue", "continue", "bt 1", "delete", "continue");
        Assert.That(Regex.Matches(gdb.Stdout, "Breakpoint 1, ").Count, Is.EqualTo(2), gdb.Output);
        Assert.That(gdb.Stdout, Does.Contain("exited normally"), gdb.Output);
        Assert.That(domain.WaitForExit(TimeSpan.FromSeconds(20)), Is.EqualTo(0), domain.Output);
    }

    [Test]
    public void Debugger_Break_stops_under_gdb_and_is_a_crash_without_it()
    {
        string image = DebugImage();
        var alone = GuestToolchain.Boot(image, "break");
        Assert.That(alone.ExitCode, Is.EqualTo(70), alone.Output);
        Assert.That(alone.Stderr, Does.Contain("crashed: breakpoint"), alone.Output);

        using var domain = new StubbedDomain(image, "break");
        var gdb = Gdb(image, domain.Port, "continue", "up", "continue");
        Assert.That(gdb.Stdout, Does.Contain("in ParaKitDebugBreak").And.Contain($"{App}_GdbDemo__Main"), gdb.Output);
        Assert.That(gdb.Stdout, Does.Contain("exited normally"), gdb.Output);
        Assert.That(domain.WaitForExit(TimeSpan.FromSeconds(20)), Is.EqualTo(0), domain.Output);
    }

    /// <summary>A raw protocol client: what gdb does on Ctrl-C, which batch gdb cannot send.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly GdbPacketReader _reader = new();
        private readonly List<GdbInput> _inputs = new();

        public RawClient(int port)
        {
            _socket.Connect("127.0.0.1", port);
            _socket.ReceiveTimeout = 10_000;
        }

        public void Send(string packet) => _socket.Send(GdbPackets.Encode(packet));
        public void Interrupt() => _socket.Send([GdbPackets.Interrupt]);

        /// <summary>The next packet from the stub (acks skipped).</summary>
        public string Receive()
        {
            var buffer = new byte[4096];
            while (true)
            {
                int i = _inputs.FindIndex(x => x.Kind == GdbInputKind.Packet);
                if (i >= 0)
                {
                    var p = _inputs[i];
                    _inputs.RemoveRange(0, i + 1);
                    _socket.Send([GdbPackets.Ack]);
                    return Encoding.Latin1.GetString(p.Payload!);
                }
                int n = _socket.Receive(buffer);
                if (n == 0)
                    throw new IOException("the stub closed the connection");
                _reader.Feed(buffer.AsSpan(0, n), _inputs);
            }
        }

        public void Dispose() => _socket.Dispose();
    }

    [TestCase("spin", "spin: spinning forever")]
    [TestCase("blocker", "blocking forever")]
    public void Ctrl_C_from_gdb_stops_a_running_guest(string app, string banner)
    {
        string image = GuestToolchain.Build(app);
        using var domain = new StubbedDomain(image);
        using var client = new RawClient(domain.Port);
        client.Send("?");
        Assert.That(client.Receive(), Does.StartWith("T05"), "stopped before Main");
        client.Send("c");
        var clock = Stopwatch.StartNew();
        while (!domain.Stdout.Contains(banner) && clock.Elapsed < TimeSpan.FromSeconds(10))
            Thread.Sleep(20);
        Assert.That(domain.Stdout, Does.Contain(banner), domain.Output);
        client.Interrupt();
        Assert.That(client.Receive(), Does.StartWith("T02"), "stopped by the interrupt (SIGINT)");
        client.Send("g");
        Assert.That(client.Receive(), Has.Length.EqualTo(GdbRegisters.BlockSize * 2));
        // Running on after the interrupt works; a second interrupt stops it again.
        client.Send("c");
        Thread.Sleep(100);
        client.Interrupt();
        Assert.That(client.Receive(), Does.StartWith("T02"));
        // Detach lets it run on; a gdb that connects later finds it stopped again.
        client.Send("D");
        Assert.That(client.Receive(), Is.EqualTo("OK"));
        client.Dispose();
        Thread.Sleep(100);
        using var again = new RawClient(domain.Port);
        again.Send("?");
        Assert.That(again.Receive(), Does.StartWith("T02"));
        again.Send("k");
        domain.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.That(domain.Output, Does.Contain("killed by gdb"));
    }
}
