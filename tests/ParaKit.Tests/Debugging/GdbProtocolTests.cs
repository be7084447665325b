// The gdb stub's protocol logic without KVM: packet framing (checksums, escapes, run lengths,
// acks, interrupts, any split of the byte stream) and the session's answers against a fake
// stopped target (registers, memory, software breakpoints with RIP rewind, resume packets,
// target.xml), plus the x87 tag-word conversion.
using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Hypervisor.Debugging;

namespace ParaKit.Tests.Debugging;

/// <summary>A stopped vCPU in memory: 57 registers and one block of RAM at <see cref="Base"/>.</summary>
internal sealed class FakeTarget : IDebugTarget
{
    public const ulong Base = 0x100000;
    public readonly byte[][] Registers = GdbRegisters.All.Select(r => new byte[r.Size]).ToArray();
    public readonly byte[] Memory = new byte[4096];

    public ulong Rip
    {
        get => BinaryPrimitives.ReadUInt64LittleEndian(Registers[GdbRegisters.Rip]);
        set => BinaryPrimitives.WriteUInt64LittleEndian(Registers[GdbRegisters.Rip], value);
    }

    public bool ReadRegister(int number, Span<byte> value)
    {
        Registers[number].CopyTo(value);
        return true;
    }

    public bool WriteRegister(int number, ReadOnlySpan<byte> value)
    {
        if (number is >= GdbRegisters.Cs and <= GdbRegisters.Gs)
            return false;
        value.CopyTo(Registers[number]);
        return true;
    }

    public bool ReadMemory(ulong address, Span<byte> buffer)
    {
        if (address < Base || address - Base + (ulong)buffer.Length > (ulong)Memory.Length)
            return false;
        Memory.AsSpan((int)(address - Base), buffer.Length).CopyTo(buffer);
        return true;
    }

    public bool WriteMemory(ulong address, ReadOnlySpan<byte> data)
    {
        if (address < Base || address - Base + (ulong)data.Length > (ulong)Memory.Length)
            return false;
        data.CopyTo(Memory.AsSpan((int)(address - Base)));
        return true;
    }
}

public class GdbPacketTests
{
    private static List<GdbInput> Read(params byte[][] chunks)
    {
        var reader = new GdbPacketReader();
        var output = new List<GdbInput>();
        foreach (var c in chunks)
            reader.Feed(c, output);
        return output;
    }

    private static byte[] Ascii(string s) => Encoding.Latin1.GetBytes(s);

    [Test]
    public void Encodes_with_the_checksum_gdb_expects()
    {
        // "OK": 'O' + 'K' = 0x4f + 0x4b = 0x9a.
        Assert.That(Encoding.Latin1.GetString(GdbPackets.Encode("OK")), Is.EqualTo("$OK#9a"));
        Assert.That(Encoding.Latin1.GetString(GdbPackets.Encode("")), Is.EqualTo("$#00"));
    }

    [Test]
    public void Escapes_the_four_special_bytes_and_checksums_the_escaped_form()
    {
        string wire = Encoding.Latin1.GetString(GdbPackets.Encode(Ascii("a#b$c}d*")));
        Assert.That(wire, Does.StartWith("$a}\u0003b}\u0004c}]d}\n#"));
        byte sum = GdbPackets.Checksum(Ascii(wire[1..wire.IndexOf('#')]));
        Assert.That(wire[^2..], Is.EqualTo(sum.ToString("x2")));
    }

    [Test]
    public void Reads_acks_interrupts_and_packets_between_them()
    {
        var inputs = Read(Ascii("+-"), [0x03], Ascii("$g#67+"));
        Assert.That(inputs.Select(i => i.ToString()), Is.EqualTo(new[] { "Ack", "Nack", "Interrupt", "Packet g", "Ack" }));
    }

    [Test]
    public void A_bad_checksum_is_corrupt_and_counted()
    {
        var reader = new GdbPacketReader();
        var output = new List<GdbInput>();
        reader.Feed(Ascii("$g#68$g#zz"), output);
        Assert.That(output.Select(o => o.Kind), Is.EqualTo(new[] { GdbInputKind.Corrupt, GdbInputKind.Corrupt }));
        Assert.That(reader.CorruptPackets, Is.EqualTo(2));
    }

    [Test]
    public void A_packet_cut_short_by_a_new_one_is_corrupt_and_the_new_one_is_read()
    {
        var inputs = Read(Ascii("$m10$g#67"));
        Assert.That(inputs.Select(i => i.ToString()), Is.EqualTo(new[] { "Corrupt", "Packet g" }));
    }

    [Test]
    public void Run_lengths_expand()
    {
        // "0* " is '0' and 3 more ('  ' is 32, 32 - 29 = 3): "0000".
        byte[] body = Ascii("0* 1");
        byte[] wire = [.. Ascii("$"), .. body, .. Ascii("#"), .. Ascii(GdbPackets.Checksum(body).ToString("x2"))];
        var inputs = Read(wire);
        Assert.That(inputs.Single().ToString(), Is.EqualTo("Packet 00001"));
    }

    [Test]
    public void A_run_length_with_nothing_before_it_is_corrupt()
    {
        byte[] body = Ascii("* 1");
        byte[] wire = [.. Ascii("$"), .. body, .. Ascii("#"), .. Ascii(GdbPackets.Checksum(body).ToString("x2"))];
        Assert.That(Read(wire).Single().Kind, Is.EqualTo(GdbInputKind.Corrupt));
    }

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property Any_payload_survives_encoding_and_any_split_of_the_stream()
    {
        var gen = from payload in ArbMap.Default.GeneratorFor<byte[]>()
                  from cuts in Gen.Choose(0, 1000).ListOf()
                  select (payload, cuts);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (payload, cuts) = t;
            // Two packets back to back with an ack between them, cut anywhere.
            byte[] wire = [.. GdbPackets.Encode(payload), GdbPackets.Ack, .. GdbPackets.Encode(payload)];
            var positions = cuts.Select(c => c % (wire.Length + 1)).Append(0).Append(wire.Length).Distinct().Order().ToArray();
            var reader = new GdbPacketReader();
            var output = new List<GdbInput>();
            for (int i = 0; i + 1 < positions.Length; i++)
                reader.Feed(wire.AsSpan(positions[i], positions[i + 1] - positions[i]), output);
            return output.Count == 3
                && output[0].Kind == GdbInputKind.Packet && output[0].Payload!.AsSpan().SequenceEqual(payload)
                && output[1].Kind == GdbInputKind.Ack
                && output[2].Kind == GdbInputKind.Packet && output[2].Payload!.AsSpan().SequenceEqual(payload);
        });
    }

    [FsCheck.NUnit.Property(MaxTest = 500)]
    public Property A_flipped_byte_never_yields_a_different_packet()
    {
        var gen = from payload in ArbMap.Default.GeneratorFor<byte[]>()
                  from at in Gen.Choose(0, 10_000)
                  from flip in Gen.Choose(1, 255)
                  select (payload, at, flip);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (payload, at, flip) = t;
            byte[] wire = GdbPackets.Encode(payload);
            int i = at % wire.Length;
            wire[i] ^= (byte)flip;
            var output = new List<GdbInput>();
            new GdbPacketReader().Feed(wire, output);
            // Either it is noticed (corrupt, or no complete packet), or the byte did not matter.
            return output.All(o => o.Kind != GdbInputKind.Packet || o.Payload!.AsSpan().SequenceEqual(payload)
                || GdbPackets.Checksum(o.Payload!) == GdbPackets.Checksum(payload));
        });
    }
}

public class GdbSessionTests
{
    private static string Ask(GdbSession session, string packet)
    {
        var action = session.Handle(Encoding.Latin1.GetBytes(packet));
        Assert.That(action.Kind, Is.EqualTo(GdbActionKind.Reply), packet);
        return action.Reply;
    }

    private static (GdbSession, FakeTarget) Stopped()
    {
        var target = new FakeTarget();
        for (int i = 0; i < target.Memory.Length; i++)
            target.Memory[i] = (byte)(i * 7);
        target.Rip = FakeTarget.Base + 0x10;
        var session = new GdbSession(target);
        session.OnStop(DebugStopKind.Breakpoint);
        return (session, target);
    }

    [Test]
    public void The_register_block_is_gdbs_amd64_layout()
    {
        Assert.That(GdbRegisters.Count, Is.EqualTo(57));
        Assert.That(GdbRegisters.BlockSize, Is.EqualTo(16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4));
        Assert.That(GdbRegisters.Offsets[GdbRegisters.Rip], Is.EqualTo(128));
        Assert.That(GdbRegisters.Offsets[GdbRegisters.St0], Is.EqualTo(128 + 8 + 4 + 24));
        Assert.That(GdbRegisters.Offsets[GdbRegisters.Xmm0], Is.EqualTo(128 + 8 + 4 + 24 + 80 + 32));
    }

    [Test]
    public void Supported_features_name_target_xml_and_swbreak()
    {
        var (session, _) = Stopped();
        string reply = Ask(session, "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+");
        Assert.That(reply, Does.Contain("qXfer:features:read+").And.Contain("swbreak+").And.Contain("PacketSize="));
    }

    [Test]
    public void Target_xml_comes_in_chunks_and_names_both_features()
    {
        var (session, _) = Stopped();
        var xml = new StringBuilder();
        for (int offset = 0; ;)
        {
            string chunk = Ask(session, $"qXfer:features:read:target.xml:{offset:x},64");
            Assert.That(chunk[0], Is.AnyOf('m', 'l'));
            xml.Append(chunk[1..]);
            offset += chunk.Length - 1;
            if (chunk[0] == 'l')
                break;
        }
        Assert.That(xml.ToString(), Is.EqualTo(GdbRegisters.TargetXml()));
        Assert.That(xml.ToString(), Does.Contain("org.gnu.gdb.i386.core").And.Contain("org.gnu.gdb.i386.sse").And.Contain("i386:x86-64"));
        Assert.That(Ask(session, "qXfer:features:read:other.xml:0,10"), Does.StartWith("E"));
        _ = System.Xml.Linq.XDocument.Parse(xml.ToString()); // well-formed
    }

    [Test]
    public void Registers_read_and_write_one_at_a_time_and_all_at_once()
    {
        var (session, target) = Stopped();
        Assert.That(Ask(session, "P0=1122334455667788"), Is.EqualTo("OK"));
        Assert.That(Ask(session, "p0"), Is.EqualTo("1122334455667788"));
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(target.Registers[0]), Is.EqualTo(0x8877665544332211UL));
        string all = Ask(session, "g");
        Assert.That(all, Has.Length.EqualTo(GdbRegisters.BlockSize * 2));
        Assert.That(all[..16], Is.EqualTo("1122334455667788"));
        // Write the block back with rbx changed: accepted (the selectors did not change).
        string changed = all[..16] + "0100000000000000" + all[32..];
        Assert.That(Ask(session, "G" + changed), Is.EqualTo("OK"));
        Assert.That(target.Registers[1][0], Is.EqualTo(1));
        // Changing a selector is refused.
        int cs = GdbRegisters.Offsets[GdbRegisters.Cs] * 2;
        string badCs = changed[..cs] + "33000000" + changed[(cs + 8)..];
        Assert.That(Ask(session, "G" + badCs), Is.EqualTo("E01"));
        Assert.That(Ask(session, "P12=33000000"), Is.EqualTo("E01"));
        Assert.That(Ask(session, "p99"), Is.EqualTo("E01"));
        Assert.That(Ask(session, "G00"), Is.EqualTo("E01"));
    }

    [Test]
    public void Memory_reads_and_writes_in_hex_and_binary()
    {
        var (session, target) = Stopped();
        Assert.That(Ask(session, "m100000,4"), Is.EqualTo("00070e15"));
        Assert.That(Ask(session, "M100000,2:abcd"), Is.EqualTo("OK"));
        Assert.That(target.Memory[0..2], Is.EqualTo(new byte[] { 0xAB, 0xCD }));
        Assert.That(Ask(session, "X100002,0:"), Is.EqualTo("OK"));
        var x = session.Handle([.. Encoding.Latin1.GetBytes("X100002,3:"), 0x23, 0x00, 0xFF]);
        Assert.That(x.Reply, Is.EqualTo("OK"));
        Assert.That(target.Memory[2..5], Is.EqualTo(new byte[] { 0x23, 0x00, 0xFF }));
        Assert.That(Ask(session, "m0,4"), Is.EqualTo("E14"));
        Assert.That(Ask(session, "M100000,2:abc"), Is.EqualTo("E01"));
        Assert.That(Ask(session, "mzz,4"), Is.EqualTo("E01"));
    }

    [Test]
    public void A_breakpoint_writes_int3_hides_it_from_reads_and_restores_the_byte()
    {
        var (session, target) = Stopped();
        byte original = target.Memory[0x20];
        Assert.That(Ask(session, "Z0,100020,1"), Is.EqualTo("OK"));
        Assert.That(target.Memory[0x20], Is.EqualTo(GdbSession.Int3));
        Assert.That(Ask(session, "m100020,1"), Is.EqualTo(original.ToString("x2")), "gdb sees the program's byte");
        // Writing over it changes what is restored, and keeps the int3.
        Assert.That(Ask(session, "M10001f,2:5a5b"), Is.EqualTo("OK"));
        Assert.That(target.Memory[0x20], Is.EqualTo(GdbSession.Int3));
        Assert.That(Ask(session, "z0,100020,1"), Is.EqualTo("OK"));
        Assert.That(target.Memory[0x1F..0x21], Is.EqualTo(new byte[] { 0x5A, 0x5B }));
        Assert.That(Ask(session, "z0,100020,1"), Is.EqualTo("OK"), "removing twice is harmless");
        Assert.That(Ask(session, "Z0,50,1"), Is.EqualTo("E14"), "unmapped address");
        Assert.That(Ask(session, "Z1,100020,1"), Is.EqualTo(""), "hardware breakpoints are not supported");
    }

    [Test]
    public void A_stop_after_our_int3_rewinds_rip_onto_the_breakpoint()
    {
        var (session, target) = Stopped();
        Ask(session, "Z0,100040,1");
        target.Rip = FakeTarget.Base + 0x41; // the CPU's rip after executing the int3
        string reply = session.OnStop(DebugStopKind.Breakpoint);
        Assert.That(target.Rip, Is.EqualTo(FakeTarget.Base + 0x40));
        Assert.That(reply, Does.StartWith("T05swbreak:;").And.Contain("10:4000100000000000;").And.Contain("thread:1;"));
        Assert.That(Ask(session, "?"), Is.EqualTo(reply));
        // An int3 that is not ours (Debugger.Break, the stop before Main): rip stays after it.
        target.Rip = FakeTarget.Base + 0x81;
        Assert.That(session.OnStop(DebugStopKind.Breakpoint), Does.Not.Contain("swbreak"));
        Assert.That(target.Rip, Is.EqualTo(FakeTarget.Base + 0x81));
        Assert.That(session.OnStop(DebugStopKind.Interrupt), Does.StartWith("T02"));
        Assert.That(session.OnStop(DebugStopKind.Step), Does.StartWith("T05").And.Not.Contain("swbreak"));
    }

    [Test]
    public void Resume_packets_continue_or_step_and_may_move_rip()
    {
        var (session, target) = Stopped();
        Assert.That(session.Handle("c"u8), Is.EqualTo(new GdbAction(GdbActionKind.Resume, Step: false)));
        Assert.That(session.Handle("s"u8), Is.EqualTo(new GdbAction(GdbActionKind.Resume, Step: true)));
        Assert.That(session.Handle("s100080"u8), Is.EqualTo(new GdbAction(GdbActionKind.Resume, Step: true)));
        Assert.That(target.Rip, Is.EqualTo(0x100080UL));
        Assert.That(session.Handle("C05;100090"u8).Kind, Is.EqualTo(GdbActionKind.Resume));
        Assert.That(target.Rip, Is.EqualTo(0x100090UL));
        Assert.That(Ask(session, "vCont?"), Is.EqualTo("vCont;c;s"));
        Assert.That(session.Handle("vCont;s:1;c"u8), Is.EqualTo(new GdbAction(GdbActionKind.Resume, Step: true)));
        Assert.That(session.Handle("vCont;c"u8), Is.EqualTo(new GdbAction(GdbActionKind.Resume, Step: false)));
        Assert.That(session.Handle("vCont;s:2;c:1"u8), Is.EqualTo(new GdbAction(GdbActionKind.Resume, Step: false)), "thread 2 does not exist");
        Assert.That(Ask(session, "vCont;t"), Is.EqualTo("E01"));
    }

    [Test]
    public void Detach_and_kill_and_the_single_thread_queries()
    {
        var (session, target) = Stopped();
        Ask(session, "Z0,100020,1");
        Assert.That(session.Handle("D"u8).Kind, Is.EqualTo(GdbActionKind.Detach));
        Assert.That(session.RemoveAllBreakpoints(), Is.EqualTo(0));
        Assert.That(target.Memory[0x20], Is.EqualTo((byte)(0x20 * 7)));
        Assert.That(session.Handle("k"u8).Kind, Is.EqualTo(GdbActionKind.Kill));
        Assert.That(session.Handle("vKill;1"u8).Kind, Is.EqualTo(GdbActionKind.Kill));
        Assert.That(Ask(session, "qC"), Is.EqualTo("QC1"));
        Assert.That(Ask(session, "qfThreadInfo"), Is.EqualTo("m1"));
        Assert.That(Ask(session, "qsThreadInfo"), Is.EqualTo("l"));
        Assert.That(Ask(session, "qAttached"), Is.EqualTo("1"));
        Assert.That(Ask(session, "Hg0"), Is.EqualTo("OK"));
        Assert.That(Ask(session, "qTStatus"), Is.EqualTo(""), "unknown packets get the empty reply");
        Assert.That(Ask(session, "vMustReplyEmpty"), Is.EqualTo(""));
        Assert.That(GdbSession.Exited(0), Is.EqualTo("W00"));
        Assert.That(GdbSession.Exited(70), Is.EqualTo("W46"));
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Hostile_packets_never_throw()
    {
        var gen = ArbMap.Default.GeneratorFor<byte[]>().Select(b => b.Length > 0 ? b : [(byte)'m']);
        var prefixes = Gen.Elements("m", "M", "X", "g", "G", "p", "P", "Z0,", "z0,", "c", "s", "C", "vCont;", "qXfer:features:read:target.xml:", "q");
        return Prop.ForAll((from p in prefixes from b in gen select (p, b)).ToArbitrary(), t =>
        {
            var (session, _) = Stopped();
            session.Handle([.. Encoding.Latin1.GetBytes(t.p), .. t.b]);
            return true;
        });
    }
}

public class DebugFrameAbiTests
{
    [Test]
    public void The_trap_frame_matches_the_stub_that_builds_it()
    {
        // traps.S pushes rax first and r15 last, after the CPU's frame, the error code and the vector.
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<ParaKit.Protocols.Traps.GuestTrapFrame>(), Is.EqualTo(ParaKit.Protocols.Traps.GuestTrapFrame.Size));
        Assert.That(System.Runtime.InteropServices.Marshal.OffsetOf<ParaKit.Protocols.Traps.GuestTrapFrame>("R15").ToInt32(), Is.EqualTo(0));
        Assert.That(System.Runtime.InteropServices.Marshal.OffsetOf<ParaKit.Protocols.Traps.GuestTrapFrame>("Rax").ToInt32(), Is.EqualTo(ParaKit.Protocols.Traps.GuestTrapFrame.RaxOffset).And.EqualTo(14 * 8));
        Assert.That(System.Runtime.InteropServices.Marshal.OffsetOf<ParaKit.Protocols.Traps.GuestTrapFrame>("Rip").ToInt32(), Is.EqualTo(ParaKit.Protocols.Traps.GuestTrapFrame.RipOffset).And.EqualTo(17 * 8));
        Assert.That(System.Runtime.InteropServices.Marshal.OffsetOf<ParaKit.Protocols.Traps.GuestTrapFrame>("Ss").ToInt32(), Is.EqualTo(ParaKit.Protocols.Traps.GuestTrapFrame.SsOffset).And.EqualTo(21 * 8));
        Assert.That(System.Runtime.InteropServices.Marshal.OffsetOf<ParaKit.Protocols.Traps.GuestTrapFrame>("Rflags").ToInt32(), Is.EqualTo(ParaKit.Protocols.Traps.GuestTrapFrame.RflagsOffset));
    }
}

public class X87Tests
{
    [Test]
    public void Empty_registers_tag_as_3_and_values_by_their_class()
    {
        var fx = new byte[512];
        Assert.That(X87.FullTag(fx), Is.EqualTo(0xFFFFu), "fninit state: all empty");
        // TOP = 7, ST(0) = 1.0 (exponent 0x3FFF, integer bit set) in physical register 7.
        BinaryPrimitives.WriteUInt16LittleEndian(fx.AsSpan(2), 7 << 11);
        fx[4] = 0x80;
        BinaryPrimitives.WriteUInt64LittleEndian(fx.AsSpan(32), 1UL << 63);
        BinaryPrimitives.WriteUInt16LittleEndian(fx.AsSpan(40), 0x3FFF);
        Assert.That(X87.FullTag(fx), Is.EqualTo(0x3FFFu), "R7 valid (00), the rest empty");
        // ST(1) (physical 0) = +0.0: zero (01).
        fx[4] |= 0x01;
        Assert.That(X87.FullTag(fx), Is.EqualTo(0x3FFDu));
        Assert.That(X87.AbridgedTag(0x3FFD), Is.EqualTo(0x81));
        Span<byte> v = stackalloc byte[4];
        Assert.That(X87.Read(fx, GdbRegisters.Ftag, v), Is.True);
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(v), Is.EqualTo(0x3FFDu));
        Assert.That(X87.Write(fx, GdbRegisters.Ftag, [0xFF, 0xFF, 0, 0]), Is.True);
        Assert.That(fx[4], Is.Zero);
        Assert.That(X87.Write(fx, GdbRegisters.Rax, new byte[8]), Is.False);
    }

    [Test]
    public void Sse_registers_and_mxcsr_map_onto_the_fxsave_image()
    {
        var fx = new byte[512];
        byte[] xmm3 = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        Assert.That(X87.Write(fx, GdbRegisters.Xmm0 + 3, xmm3), Is.True);
        Assert.That(fx[(160 + 48)..(160 + 64)], Is.EqualTo(xmm3));
        Assert.That(X87.Write(fx, GdbRegisters.Mxcsr, [0x80, 0x1F, 0, 0]), Is.True);
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(fx.AsSpan(24)), Is.EqualTo(0x1F80u));
    }
}
