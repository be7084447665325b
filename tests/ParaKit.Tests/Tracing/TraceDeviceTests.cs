// Device register accesses: a device registers its register names once, its DeviceAccess records
// carry the id, the file's register table carries the names, and `trace analyze` counts reads and
// writes per device and per register name (an unnamed offset is printed in hex). Also: version 1
// files (no register table) are still read.
using System.Runtime.CompilerServices;
using ParaKit.Hypervisor.Tracing;

namespace ParaKit.Tests.Tracing;

[NonParallelizable]
public class TraceDeviceTests : TraceScratch
{
    private static readonly TraceRegister[] NicRegisters = [new(0x0000, "CTRL"), new(0x0008, "STATUS"), new(0x3818, "TDT"), new(0x00c0, "ICR")];

    [Test]
    public void The_register_entry_is_48_bytes() => Assert.That(Unsafe.SizeOf<TraceRegisterEntry>(), Is.EqualTo(48));

    [Test]
    public void Accesses_are_counted_per_device_and_register_name()
    {
        ushort nic = TraceDevices.Register("e1000 vif1.0", NicRegisters);
        ushort other = TraceDevices.Register("e1000 vif2.0", NicRegisters);
        Assert.That(other, Is.EqualTo(nic + 1), "ids are handed out in order");
        TraceCapture capture;
        using (var session = TraceSession.Start(1000))
        {
            for (int i = 0; i < 5; i++)
                TracePoint.DeviceAccess(1, nic, 0x3818, write: true, (ulong)i, 4);
            TracePoint.DeviceAccess(1, nic, 0x0008, write: false, 0x80080783, 4);
            TracePoint.DeviceAccess(1, nic, 0x00c0, write: false, 0x83, 4);
            TracePoint.DeviceAccess(1, nic, 0x5400, write: true, 0x12345678, 4);
            TracePoint.DeviceAccess(2, other, 0x0000, write: true, 0x04000000, 4);
            capture = session.Stop();
        }
        string path = TraceFileTests.WriteFile(Dir, capture, new TraceDomainName(1, "fv"), new TraceDomainName(2, "fv2"));
        using (var reader = TraceFileReader.Open(path))
        {
            var dev = reader.Devices.Single(d => d.Id == nic);
            Assert.Multiple(() =>
            {
                Assert.That(dev.Name, Is.EqualTo("e1000 vif1.0"));
                Assert.That(dev.Registers, Is.EqualTo(NicRegisters));
                var first = reader.Records().First();
                Assert.That((first.Event, first.A0, first.A1, first.Flags), Is.EqualTo((TraceEvent.DeviceAccess, ((ulong)nic << 48) | 0x3818, 0UL, (ushort)(1 | 4 << 1))));
            });
        }
        var a = TraceAnalysis.Of(path);
        var fv = a.Domains.Single(d => d.Id == 1);
        Assert.Multiple(() =>
        {
            Assert.That((fv.DeviceReads, fv.DeviceWrites), Is.EqualTo((2L, 6L)));
            Assert.That(fv.Registers[(nic, 0x3818)].Writes, Is.EqualTo(5));
            Assert.That(fv.Registers[(nic, 0x3818)].LastValue, Is.EqualTo(4));
            Assert.That(a.RegisterName(nic, 0x5400), Is.EqualTo("0x5400"));
        });
        string text = TraceReport.Format(a);
        TestContext.Out.WriteLine(text);
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("\n  device accesses: 8 (2 reads, 6 writes)\n    e1000 vif1.0: 2 reads, 6 writes\n"));
            Assert.That(text, Does.Match(@"\n      TDT\s+0x3818\s+0\s+5  0x4\n"), "busiest register first");
            Assert.That(text, Does.Match(@"\n      STATUS\s+0x8\s+1\s+0  0x80080783\n"));
            Assert.That(text, Does.Match(@"\n      0x5400\s+0x5400\s+0\s+1  0x12345678\n"));
            Assert.That(text, Does.Contain("    e1000 vif2.0: 0 reads, 1 writes\n"));
        });
    }

    [Test]
    public void Offsets_beyond_48_bits_and_empty_names_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TraceDevices.Register("big", [new(1UL << 48, "X")]));
        Assert.Throws<ArgumentException>(() => TraceDevices.Register("", []));
    }

    [Test]
    public void A_version_1_file_without_a_register_table_is_read()
    {
        string path = TraceFileTests.WriteFile(Dir, TraceFileTests.Capture(("t", [new TraceRecord(2000, TraceEvent.EventSend, 1, 0, 0, 3, 0)], 0)), new TraceDomainName(1, "a"));
        var bytes = File.ReadAllBytes(path);
        Assert.That(BitConverter.ToUInt32(bytes, 92), Is.Zero, "this capture names no device");
        bytes[8] = 1;            // version 1
        bytes[18] = bytes[19] = 0;   // reserved there
        File.WriteAllBytes(path, bytes);
        using var reader = TraceFileReader.Open(path);
        Assert.Multiple(() =>
        {
            Assert.That(reader.Header.Version, Is.EqualTo(1));
            Assert.That(reader.Devices, Is.Empty);
            Assert.That(reader.Records().Single().A0, Is.EqualTo(3));
        });
    }
}
