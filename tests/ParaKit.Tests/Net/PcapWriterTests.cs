// The switch's capture file: libpcap's global header and one record per frame, byte for byte
// what tcpdump -w writes (tshark reading a real capture is checked by the make-run KVM test).
using System.Buffers.Binary;
using ParaKit.Hypervisor.Net.Pcap;
using ParaKit.Hypervisor.Net.Switch;

namespace ParaKit.Tests.Net;

public class PcapWriterTests
{
    [Test]
    public void Writes_the_global_header_and_a_record_per_frame()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms))
        {
            w.Deliver(new byte[60]);
            w.Deliver(Enumerable.Range(0, 1514).Select(i => (byte)i).ToArray());
            Assert.That(w.Frames, Is.EqualTo(2));
        }
        byte[] b = ms.ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(b), Is.EqualTo(0xA1B2C3D4u));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(4)), Is.EqualTo(2));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(6)), Is.EqualTo(4));
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(20)), Is.EqualTo(1u), "LINKTYPE_ETHERNET");
            Assert.That(b.Length, Is.EqualTo(24 + 16 + 60 + 16 + 1514));
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(24 + 8)), Is.EqualTo(60u), "incl_len");
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(24 + 12)), Is.EqualTo(60u), "orig_len");
            long secs = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(24));
            Assert.That(Math.Abs(secs - DateTimeOffset.UtcNow.ToUnixTimeSeconds()), Is.LessThan(60), "a wall-clock timestamp");
            Assert.That(b.AsSpan(24 + 16 + 60 + 16, 1514).ToArray(), Is.EqualTo(Enumerable.Range(0, 1514).Select(i => (byte)i).ToArray()));
        });
    }

    [Test]
    public void A_switch_captures_every_frame_that_enters_it_even_dropped_ones()
    {
        var ms = new MemoryStream();
        using var w = new PcapWriter(ms);
        var sw = new VirtualSwitch { Capture = w };
        var a = sw.AddPort("a", new RecordingSink());
        var frame = new byte[60];
        frame[0] = 0xff;   // broadcast, but no other port: counted as no_peer
        frame[6] = 0x02;
        a.Deliver(frame);
        a.Deliver(new byte[10]);   // runt
        Assert.That(w.Frames, Is.EqualTo(2));
        Assert.That((a.Counters.DropNoPeer, a.Counters.DropRunt), Is.EqualTo((1L, 1L)));
    }
}
