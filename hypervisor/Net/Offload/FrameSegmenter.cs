// Domain 0's software offload, for a receiver that cannot take a frame as it is (an e1000, a
// frontend without feature-gso-tcpv4, a test pipe): a TCP/IPv4 GSO super-frame is cut into
// segments of GsoSize payload bytes, each with its own IP length, id and checksum and TCP sequence
// number, flags and checksum (what Linux's tcp_gso_segment produces); a partial checksum is
// completed. The frames are built in a per-thread scratch buffer (no allocation per frame) and
// handed to the sink one by one.
using System.Buffers.Binary;
using ParaKit.Protocols.Net;

namespace ParaKit.Hypervisor.Net.Offload;

public static class FrameSegmenter
{
    private const int Eth = FrameOffloads.EthernetHeader;
    // TCP flags that belong to the last segment only (FIN, PSH) and to the first only (CWR).
    private const byte Fin = 0x01, Psh = 0x08, Cwr = 0x80;

    [ThreadStatic] private static byte[]? t_scratch;

    private static byte[] Scratch => t_scratch ??= new byte[ushort.MaxValue + 1];

    /// <summary>Hands <paramref name="frame"/> to <paramref name="sink"/> as plain frames. Returns the
    /// number of frames delivered (0 if the description does not fit the frame; the caller counts it).</summary>
    public static int DeliverPlain(ReadOnlySpan<byte> frame, in FrameOffload offload, IFrameSink sink)
    {
        if (!offload.NeedsWork)
        {
            sink.Deliver(frame);
            return 1;
        }
        if (offload.IsGso)
            return Segment(frame, offload.GsoSize, sink);
        byte[] scratch = Scratch;
        if (frame.Length > scratch.Length || !CompleteChecksum(frame, offload, scratch))
            return 0;
        sink.Deliver(scratch.AsSpan(0, frame.Length));
        return 1;
    }

    /// <summary>Copies the frame to <paramref name="into"/> and completes its partial checksum there.</summary>
    public static bool CompleteChecksum(ReadOnlySpan<byte> frame, in FrameOffload offload, Span<byte> into)
    {
        int start = offload.ChecksumStart, field = start + offload.ChecksumOffset;
        if (field + 2 > frame.Length || frame.Length > into.Length)
            return false;
        frame.CopyTo(into);
        ushort sum = InternetChecksum.Checksum(into.Slice(start, frame.Length - start));
        if (sum == 0 && offload.ChecksumOffset == 6)
            sum = 0xFFFF;   // UDP sends a computed 0 as all ones (RFC 768)
        BinaryPrimitives.WriteUInt16BigEndian(into[field..], sum);
        return true;
    }

    /// <summary>Cuts a TCP/IPv4 super-frame into segments of at most <paramref name="gsoSize"/> payload bytes.</summary>
    public static int Segment(ReadOnlySpan<byte> frame, int gsoSize, IFrameSink sink)
    {
        if (FrameOffloads.Locate(frame, tcpOnly: true, out int l4, out _, out int headers) != OffloadCheck.Ok || gsoSize <= 0)
            return 0;
        byte[] scratch = Scratch;
        int payload = frame.Length - headers;
        if (headers + Math.Min(gsoSize, payload) > scratch.Length)
            return 0;
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(frame[(Eth + 4)..]);
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(frame[(l4 + 4)..]);
        byte flags = frame[l4 + 13];
        int sent = 0;
        int at = 0;
        do
        {
            int len = Math.Min(gsoSize, payload - at);
            bool first = at == 0, last = at + len >= payload;
            Span<byte> s = scratch.AsSpan(0, headers + len);
            frame[..headers].CopyTo(s);
            frame.Slice(headers + at, len).CopyTo(s[headers..]);
            // IP: this segment's length and id (consecutive ids, as Linux's GSO gives), new header checksum.
            BinaryPrimitives.WriteUInt16BigEndian(s[(Eth + 2)..], (ushort)(s.Length - Eth));
            BinaryPrimitives.WriteUInt16BigEndian(s[(Eth + 4)..], (ushort)(id + sent));
            s[Eth + 10] = 0;
            s[Eth + 11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(s[(Eth + 10)..], InternetChecksum.Checksum(s[Eth..l4]));
            // TCP: sequence number, flags, full checksum over the pseudo-header and the segment.
            BinaryPrimitives.WriteUInt32BigEndian(s[(l4 + 4)..], seq + (uint)at);
            byte f = flags;
            if (!last)
                f &= unchecked((byte)~(Fin | Psh));
            if (!first)
                f &= unchecked((byte)~Cwr);
            s[l4 + 13] = f;
            s[l4 + 16] = 0;
            s[l4 + 17] = 0;
            ulong sum = InternetChecksum.PseudoHeaderSum(BinaryPrimitives.ReadUInt32BigEndian(s[(Eth + 12)..]), BinaryPrimitives.ReadUInt32BigEndian(s[(Eth + 16)..]), 6, s.Length - l4);
            BinaryPrimitives.WriteUInt16BigEndian(s[(l4 + 16)..], InternetChecksum.Complete(InternetChecksum.Sum(s[l4..], sum)));
            sink.Deliver(s);
            sent++;
            at += len;
        }
        while (at < payload);
        return sent;
    }
}
