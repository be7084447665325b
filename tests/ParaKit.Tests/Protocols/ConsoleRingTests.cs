// The PV console page: guest output through the 2 KiB ring and input through the 1 KiB ring,
// with wraparound and a corrupt backend counter.
using System.Text;
using ParaKit.Protocols.Consoles;
using ParaKit.Protocols.Rings;

namespace ParaKit.Tests.Protocols;

public unsafe class ConsoleRingTests
{
    [Test]
    public void Output_streams_through_the_2k_ring_across_wraparound()
    {
        using var page = new TestPage();
        var c = page.As<XenconsInterface>();
        c->OutCons = c->OutProd = 0xFFFF_FF00;
        var sent = new StringBuilder();
        var got = new StringBuilder();
        var buf = new byte[700];
        for (int i = 0; i < 200; i++)
        {
            byte[] line = Encoding.ASCII.GetBytes($"line {i}: {new string((char)('a' + i % 26), i % 50)}\n");
            Assert.That(ConsoleRing.WriteOutput(c, line, out int w), Is.EqualTo(ByteRingStatus.Ok));
            sent.Append(Encoding.ASCII.GetString(line, 0, w));
            Assert.That(w, Is.EqualTo(line.Length), "the backend keeps up, so everything fits");
            if (i % 7 == 0)
            {
                Assert.That(ConsoleRing.ReadOutput(c, buf, out int r), Is.EqualTo(ByteRingStatus.Ok));
                got.Append(Encoding.ASCII.GetString(buf, 0, r));
                while (r == buf.Length)
                {
                    ConsoleRing.ReadOutput(c, buf, out r);
                    got.Append(Encoding.ASCII.GetString(buf, 0, r));
                }
            }
        }
        var tail = new byte[4096];
        ConsoleRing.ReadOutput(c, tail, out int rest);
        got.Append(Encoding.ASCII.GetString(tail, 0, rest));
        Assert.That(got.ToString(), Is.EqualTo(sent.ToString()), "the backend reads exactly what the guest wrote");
        Assert.That(ConsoleRing.WriteOutput(c, new byte[3000], out int full), Is.EqualTo(ByteRingStatus.Ok));
        Assert.That(full, Is.EqualTo(2048), "an empty output ring holds 2 KiB");
        Assert.That(ConsoleRing.WriteInput(c, new byte[3000], out int inFull) == ByteRingStatus.Ok && inFull == 1024, Is.True);
    }

    [Test]
    public void A_corrupt_backend_counter_is_reported()
    {
        using var page = new TestPage();
        var c = page.As<XenconsInterface>();
        c->OutCons = 5000; // consumer claims to be ahead of the producer
        Assert.That(ConsoleRing.WriteOutput(c, new byte[1], out int w), Is.EqualTo(ByteRingStatus.Corrupt));
        Assert.That((w, c->OutProd), Is.EqualTo((0, 0u)));
    }
}
