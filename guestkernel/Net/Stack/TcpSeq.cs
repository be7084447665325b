// Sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4): a < b means a comes before b
// within half the number space, so comparisons stay right across wrap-around.
namespace ParaKit.Net.Stack;

internal static class TcpSeq
{
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;
    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;
    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;
    public static uint Max(uint a, uint b) => Gt(a, b) ? a : b;
    public static uint Min(uint a, uint b) => Lt(a, b) ? a : b;
}
