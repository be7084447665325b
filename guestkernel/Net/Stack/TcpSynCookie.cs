// SYN cookies (RFC 4987 3.6, in Linux's layout): when the half-open table is full, a listener
// answers a SYN with a SYN-ACK whose ISN encodes the connection instead of remembering it, and
// rebuilds the handshake from the client's final ACK. So a flood of forged SYNs neither evicts a
// real client's entry nor keeps one from connecting. The ISN is
//   hash1(tuple) + client ISN + (count << 24) + ((hash2(tuple, client ISN, count) + MSS index) mod 2^24)
// where count is a coarse clock (one tick per period): a cookie is valid for the tick it was
// made in and the next one, for its own four-tuple and client ISN only (unlike Linux, hash2 also
// covers the client ISN, so an ACK whose SEG.SEQ is off fails instead of decoding another MSS). Window scaling is not
// kept (no timestamps to carry it), so cookie SYN-ACKs offer none and neither side scales.
namespace ParaKit.Net.Stack;

internal static class TcpSynCookie
{
    /// <summary>The MSS values a cookie can carry (Linux's msstab for IPv4); the peer's MSS is
    /// rounded down to one of them.</summary>
    private static readonly ushort[] MssTable = [536, 1300, 1440, 1460];

    /// <summary>Ticks of age a cookie may have: made in tick t, it is accepted in t and t+1.</summary>
    public const uint MaxAge = 2;

    /// <summary>The ISN of a cookie SYN-ACK for the connection (remote, local, client ISN, peer MSS).</summary>
    public static uint Make(ulong secret, uint remoteIp, ushort remotePort, uint localIp, ushort localPort, uint clientIsn,
        ushort peerMss, ulong now, ulong periodNs)
    {
        uint count = (uint)(now / periodNs);
        uint index = 0;
        for (uint i = 0; i < MssTable.Length; i++)
        {
            if (MssTable[i] <= (peerMss == 0 ? (ushort)536 : peerMss))
                index = i;
        }
        return Hash(secret, 1, remoteIp, remotePort, localIp, localPort, 0) + clientIsn + (count << 24)
            + ((Hash(secret, 2UL + clientIsn, remoteIp, remotePort, localIp, localPort, count) + index) & 0xFFFFFF);
    }

    /// <summary>Checks the final ACK of a handshake answered with a cookie: <paramref name="ack"/>
    /// is its SEG.ACK, <paramref name="seq"/> its SEG.SEQ. On success gives the MSS the cookie
    /// carried (the client's ISN is seq - 1, ours ack - 1).</summary>
    public static bool Check(ulong secret, uint remoteIp, ushort remotePort, uint localIp, ushort localPort, uint seq, uint ack,
        ulong now, ulong periodNs, out ushort mss)
    {
        mss = 0;
        uint cookie = ack - 1, clientIsn = seq - 1;
        uint v = cookie - Hash(secret, 1, remoteIp, remotePort, localIp, localPort, 0) - clientIsn;
        uint count = (uint)(now / periodNs);
        uint made = v >> 24;
        uint age = (count - made) & 0xFF;
        if (age >= MaxAge)
            return false;
        // The tick number is only 8 bits in the cookie: rebuild the full one it was made in.
        uint madeFull = count - age;
        uint index = (v - Hash(secret, 2UL + clientIsn, remoteIp, remotePort, localIp, localPort, madeFull)) & 0xFFFFFF;
        if (index >= (uint)MssTable.Length)
            return false;
        mss = MssTable[index];
        return true;
    }

    /// <summary>A keyed mix of the tuple (a good mixer, not a cryptographic PRF: the guest runtime
    /// has none; the secret is per boot).</summary>
    private static uint Hash(ulong secret, ulong which, uint remoteIp, ushort remotePort, uint localIp, ushort localPort, uint count)
    {
        ulong x = secret * (which * 2 + 1) ^ ((ulong)remoteIp << 32 | (ulong)remotePort << 16 | localPort);
        x ^= (ulong)localIp * 0x9E3779B97F4A7C15 ^ count;
        for (int i = 0; i < 2; i++)
        {
            x ^= x >> 33;
            x *= 0xFF51AFD7ED558CCD;
            x ^= x >> 33;
            x *= 0xC4CEB9FE1A85EC53;
            x ^= x >> 33;
        }
        return (uint)x;
    }
}
