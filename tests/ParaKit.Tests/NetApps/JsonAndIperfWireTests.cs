// The guest's JSON writer and reader (guestkernel/Net/Json) checked against System.Text.Json, the
// /stats object naming every stack counter, and iperf3's wire facts (Net/Iperf): UDP header,
// stream ids, and the loss/jitter arithmetic of iperf_udp_recv.
using System.Reflection;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using ParaKit.Drivers;
using ParaKit.Net.Iperf;
using ParaKit.Net.Json;
using ParaKit.Net.Stack;

namespace ParaKit.Tests.NetApps;

public class JsonAndIperfWireTests
{
    [Test]
    public void The_writer_places_commas_and_escapes_and_system_text_json_reads_it_back()
    {
        var w = new JsonWriter(new byte[512]);
        w.BeginObject()
            .Member("a", 1UL).Member("neg", -42L).Member("pi", 3.25).Member("tiny", 0.000001).Member("t", true)
            .Member("s", "q\"uo\\te\n")
            .Key("arr").BeginArray().Value(1).Value(2).BeginObject().EndObject().BeginArray().EndArray().EndArray()
            .Key("o").BeginObject().Member("x", 0.0).EndObject()
            .EndObject();
        string text = Encoding.ASCII.GetString(w.Written);
        Assert.That(w.Overflowed, Is.False);
        Assert.That(text, Is.EqualTo("{\"a\":1,\"neg\":-42,\"pi\":3.25,\"tiny\":0.000001,\"t\":true,\"s\":\"q\\\"uo\\\\te\\u000a\",\"arr\":[1,2,{},[]],\"o\":{\"x\":0}}"));
        using var doc = JsonDocument.Parse(text);
        Assert.That(doc.RootElement.GetProperty("s").GetString(), Is.EqualTo("q\"uo\\te\n"));
        Assert.That(JsonReader.IsValid(w.Written), Is.True);
    }

    [Test]
    public void A_full_buffer_is_reported_not_thrown()
    {
        var w = new JsonWriter(new byte[8]);
        w.BeginObject().Member("long-name", 123456789UL).EndObject();
        Assert.That(w.Overflowed, Is.True);
        Assert.That(w.Length, Is.EqualTo(8));
    }

    [Test]
    public void The_reader_finds_iperf3_parameters()
    {
        byte[] p = Encoding.ASCII.GetBytes("{\"tcp\":true,\"omit\":0,\"time\":2,\"num\":0,\"blockcount\":0,\"parallel\":1,\"reverse\":true,\"len\":131072,"
            + "\"pacing_timer\":1000,\"title\":\"a \\\"b\\\"\",\"nested\":{\"len\":5},\"client_version\":\"3.12\",\"bw\":1.5e3}");
        Assert.Multiple(() =>
        {
            Assert.That(JsonReader.IsValid(p), Is.True);
            Assert.That(JsonReader.Has(p, "tcp"), Is.True);
            Assert.That(JsonReader.Has(p, "udp"), Is.False);
            Assert.That(JsonReader.IsTrue(p, "reverse"), Is.True);
            Assert.That(JsonReader.TryGetNumber(p, "len", out double len) ? len : -1, Is.EqualTo(131072), "top level, not nested.len");
            Assert.That(JsonReader.TryGetNumber(p, "time", out double t) ? t : -1, Is.EqualTo(2));
            Assert.That(JsonReader.TryGetNumber(p, "bw", out double bw) ? bw : -1, Is.EqualTo(1500));
            Assert.That(JsonReader.TryGetNumber(p, "title", out _), Is.False, "a string is not a number");
        });
    }

    [TestCase("")]
    [TestCase("{")]
    [TestCase("{\"a\":}")]
    [TestCase("{\"a\":1,}")]
    [TestCase("{\"a\" 1}")]
    [TestCase("[1 2]")]
    [TestCase("{\"a\":tru}")]
    [TestCase("{\"a\":\"\\x\"}")]
    [TestCase("{\"a\":1} x")]
    [TestCase("{\"a\":01.}")]
    public void Bad_json_is_rejected(string text)
    {
        Assert.That(JsonReader.IsValid(Encoding.ASCII.GetBytes(text)), Is.False);
        Assert.That(JsonReader.Has(Encoding.ASCII.GetBytes(text), "a"), Is.False);
    }

    [Test]
    public void Nesting_beyond_the_limit_is_rejected_without_recursing_forever()
    {
        string deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.That(JsonReader.IsValid(Encoding.ASCII.GetBytes(deep)), Is.False);
    }

    [FsCheck.NUnit.Property(MaxTest = 300, Replay = "(77,99)")]
    public Property Whatever_the_writer_writes_both_readers_accept() =>
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(0, 7)).ToArbitrary(), Gen.ArrayOf(Gen.Choose(-1_000_000, 1_000_000)).ToArbitrary(), (ops, numbers) =>
        {
            var w = new JsonWriter(new byte[1 << 16]);
            w.BeginObject();
            int depth = 0, n = 0;
            var kinds = new Stack<bool>();   // true = object
            kinds.Push(true);
            foreach (int op in ops)
            {
                bool closes = op == 6 && depth > 0;
                if (kinds.Peek() && !closes)
                    w.Key("k" + n++);
                int v = numbers.Length == 0 ? n : numbers[n % numbers.Length];
                switch (op)
                {
                    case 0: w.Value((long)v); break;
                    case 1: w.Value(v / 1000.0); break;
                    case 2: w.Value("s" + v); break;
                    case 3: w.Value(v % 2 == 0); break;
                    case 4 when depth < 20: w.BeginObject(); kinds.Push(true); depth++; break;
                    case 5 when depth < 20: w.BeginArray(); kinds.Push(false); depth++; break;
                    case 6 when depth > 0: if (kinds.Pop()) w.EndObject(); else w.EndArray(); depth--; break;
                    default: w.Value((ulong)n); break;
                }
            }
            while (kinds.Count > 0)
            {
                if (kinds.Pop())
                    w.EndObject();
                else
                    w.EndArray();
            }
            using var doc = JsonDocument.Parse(w.Written.ToArray());
            return JsonReader.IsValid(w.Written) && !w.Overflowed && doc.RootElement.ValueKind == JsonValueKind.Object;
        });

    [Test]
    public void Stats_name_every_stack_counter_and_parse_as_json()
    {
        var c = new NetStackCounters();
        ulong v = 1;
        foreach (FieldInfo f in typeof(NetStackCounters).GetFields())
            f.SetValue(c, v++);
        var nic = new NetDeviceCounters { RxFrames = 7, TxBytes = 9 };
        var w = new JsonWriter(new byte[16384]);
        w.BeginObject();
        NetCountersJson.WriteMembers(w, c, nic, tcpConnections: 3, tcpHalfOpen: 1);
        w.EndObject();
        using var doc = JsonDocument.Parse(w.Written.ToArray());
        var seen = new HashSet<ulong>();
        foreach (string section in new[] { "stack", "tcp" })
            foreach (JsonProperty p in doc.RootElement.GetProperty(section).EnumerateObject())
                seen.Add(p.Value.GetUInt64());
        // Every field got a distinct value above, so every field must appear exactly by its value.
        for (ulong i = 1; i < v; i++)
            Assert.That(seen, Does.Contain(i), $"counter #{i} ({typeof(NetStackCounters).GetFields()[i - 1].Name}) is missing from /stats");
        Assert.That(doc.RootElement.GetProperty("nic").GetProperty("rx_frames").GetUInt64(), Is.EqualTo(7));
        Assert.That(doc.RootElement.GetProperty("tcp").GetProperty("connections").GetInt32(), Is.EqualTo(3));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void The_udp_header_round_trips_in_network_order(bool counters64)
    {
        var b = new byte[64];
        IperfWire.WriteUdpHeader(b, 1_700_000_123_456_789_000UL, 0x1_0000_0002UL, counters64);
        Assert.That(b[0..4], Is.EqualTo(new byte[] { 0x65, 0x53, 0xF1, 0x7B }), "1700000123 s, big-endian");
        Assert.That(IperfWire.TryReadUdpHeader(b, counters64, out ulong us, out ulong packet), Is.True);
        Assert.That(us, Is.EqualTo(1_700_000_123_456_789UL));
        Assert.That(packet, Is.EqualTo(counters64 ? 0x1_0000_0002UL : 2UL));
        Assert.That(IperfWire.TryReadUdpHeader(b.AsSpan(0, IperfWire.UdpHeaderSize(counters64) - 1), counters64, out _, out _), Is.False);
    }

    [Test]
    public void Stream_ids_skip_two_as_iperf3_does_and_the_connect_reply_is_9876_in_memory_order()
    {
        Assert.That(Enumerable.Range(0, 4).Select(IperfWire.StreamId), Is.EqualTo(new[] { 1, 3, 4, 5 }));
        var b = new byte[4];
        IperfWire.PutLe32(b, IperfWire.UdpConnectReply);
        Assert.That(Encoding.ASCII.GetString(b), Is.EqualTo("6789"));
        IperfWire.PutLe32(b, IperfWire.UdpConnectMessage);
        Assert.That(Encoding.ASCII.GetString(b), Is.EqualTo("9876"));
    }

    [Test]
    public void Udp_loss_and_reordering_are_counted_as_iperf_udp_recv_counts_them()
    {
        var s = new UdpReceiveStats();
        ulong t = 1_000_000;
        foreach (ulong p in new ulong[] { 1, 2, 5, 3, 6 })
            s.Add(100, sentUs: p * 1000, packet: p, arrivalUs: t + p * 1000);
        Assert.Multiple(() =>
        {
            Assert.That(s.HighestPacket, Is.EqualTo(6));
            Assert.That(s.Lost, Is.EqualTo(1), "3 and 4 missing at 5, then 3 came late");
            Assert.That(s.OutOfOrder, Is.EqualTo(1));
            Assert.That(s.Bytes, Is.EqualTo(500));
            Assert.That(s.Jitter, Is.EqualTo(0).Within(1e-12), "constant transit, no jitter");
        });
        var j = new UdpReceiveStats();
        j.Add(10, 0, 1, 0);
        j.Add(10, 1000, 2, 1016);   // transit changes by 16 us
        Assert.That(j.Jitter, Is.EqualTo(16e-6 / 16).Within(1e-12));
    }
}
