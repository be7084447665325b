// A small JSON reader for what a guest is told in JSON (iperf3's parameters and results): it
// checks that a text is one well-formed value and finds the members of its top-level object.
// Peer-controlled input: every path returns false on bad or truncated text, nesting is bounded,
// nothing is allocated and nothing throws.
using System;

namespace ParaKit.Net.Json;

public enum JsonKind : byte
{
    None,
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>Where one value lies in the text (its raw bytes, quotes included for a string).</summary>
public readonly struct JsonValue
{
    public JsonValue(JsonKind kind, int start, int length)
    {
        Kind = kind;
        Start = start;
        Length = length;
    }

    public JsonKind Kind { get; }
    public int Start { get; }
    public int Length { get; }
}

public static class JsonReader
{
    public const int MaxDepth = 32;

    /// <summary>True when <paramref name="text"/> is exactly one JSON value (whitespace around it allowed).</summary>
    public static bool IsValid(ReadOnlySpan<byte> text)
    {
        int at = SkipSpace(text, 0);
        if (!SkipValue(text, ref at, 0, out _))
            return false;
        return SkipSpace(text, at) == text.Length;
    }

    /// <summary>Finds member <paramref name="key"/> of the top-level object (the first one if it
    /// repeats). False when the text is not a valid object or has no such member.</summary>
    public static bool TryGetMember(ReadOnlySpan<byte> text, string key, out JsonValue value)
    {
        value = default;
        if (!IsValid(text))
            return false;
        int at = SkipSpace(text, 0);
        if (at >= text.Length || text[at] != (byte)'{')
            return false;
        at = SkipSpace(text, at + 1);
        if (at < text.Length && text[at] == (byte)'}')
            return false;
        while (true)
        {
            int keyStart = at;
            if (!SkipString(text, ref at))
                return false;
            bool match = RawStringEquals(text.Slice(keyStart + 1, at - keyStart - 2), key);
            at = SkipSpace(text, at);
            at++;   // ':' (IsValid checked the shape)
            at = SkipSpace(text, at);
            int valueStart = at;
            if (!SkipValue(text, ref at, 1, out JsonKind kind))
                return false;
            if (match)
            {
                value = new JsonValue(kind, valueStart, at - valueStart);
                return true;
            }
            at = SkipSpace(text, at);
            if (text[at] == (byte)'}')
                return false;
            at = SkipSpace(text, at + 1);   // ','
        }
    }

    /// <summary>Member <paramref name="key"/> as a number (an integer or a decimal fraction;
    /// an exponent is accepted for integers only when it keeps them whole).</summary>
    public static bool TryGetNumber(ReadOnlySpan<byte> text, string key, out double number)
    {
        number = 0;
        return TryGetMember(text, key, out JsonValue v) && v.Kind == JsonKind.Number
            && TryParseNumber(text.Slice(v.Start, v.Length), out number);
    }

    /// <summary>Member <paramref name="key"/> is present (with any value).</summary>
    public static bool Has(ReadOnlySpan<byte> text, string key) => TryGetMember(text, key, out _);

    /// <summary>Member <paramref name="key"/> is true, or a non-zero number (cJSON's valueint).</summary>
    public static bool IsTrue(ReadOnlySpan<byte> text, string key) =>
        TryGetMember(text, key, out JsonValue v)
        && (v.Kind == JsonKind.True || (v.Kind == JsonKind.Number && TryParseNumber(text.Slice(v.Start, v.Length), out double d) && d != 0));

    /// <summary>Parses a JSON number token.</summary>
    public static bool TryParseNumber(ReadOnlySpan<byte> token, out double number)
    {
        number = 0;
        int i = 0;
        bool negative = false;
        if (i < token.Length && token[i] == (byte)'-')
        {
            negative = true;
            i++;
        }
        if (i >= token.Length || !IsDigit(token[i]))
            return false;
        double v = 0;
        while (i < token.Length && IsDigit(token[i]))
            v = v * 10 + (token[i++] - '0');
        if (i < token.Length && token[i] == (byte)'.')
        {
            i++;
            double scale = 0.1;
            if (i >= token.Length || !IsDigit(token[i]))
                return false;
            while (i < token.Length && IsDigit(token[i]))
            {
                v += (token[i++] - '0') * scale;
                scale /= 10;
            }
        }
        if (i < token.Length && (token[i] == (byte)'e' || token[i] == (byte)'E'))
        {
            i++;
            bool negExp = false;
            if (i < token.Length && (token[i] == (byte)'+' || token[i] == (byte)'-'))
                negExp = token[i++] == (byte)'-';
            if (i >= token.Length || !IsDigit(token[i]))
                return false;
            int exp = 0;
            while (i < token.Length && IsDigit(token[i]))
            {
                exp = exp * 10 + (token[i++] - '0');
                if (exp > 400)
                    return false;
            }
            for (int k = 0; k < exp; k++)
                v = negExp ? v / 10 : v * 10;
        }
        if (i != token.Length)
            return false;
        number = negative ? -v : v;
        return true;
    }

    private static bool SkipValue(ReadOnlySpan<byte> t, ref int at, int depth, out JsonKind kind)
    {
        kind = JsonKind.None;
        if (at >= t.Length || depth > MaxDepth)
            return false;
        byte c = t[at];
        switch (c)
        {
            case (byte)'{':
                kind = JsonKind.Object;
                return SkipContainer(t, ref at, depth, isObject: true);
            case (byte)'[':
                kind = JsonKind.Array;
                return SkipContainer(t, ref at, depth, isObject: false);
            case (byte)'"':
                kind = JsonKind.String;
                return SkipString(t, ref at);
            case (byte)'t':
                kind = JsonKind.True;
                return SkipWord(t, ref at, "true");
            case (byte)'f':
                kind = JsonKind.False;
                return SkipWord(t, ref at, "false");
            case (byte)'n':
                kind = JsonKind.Null;
                return SkipWord(t, ref at, "null");
            default:
                kind = JsonKind.Number;
                int start = at;
                while (at < t.Length && (IsDigit(t[at]) || t[at] == (byte)'-' || t[at] == (byte)'+' || t[at] == (byte)'.' || t[at] == (byte)'e' || t[at] == (byte)'E'))
                    at++;
                return at > start && TryParseNumber(t.Slice(start, at - start), out _);
        }
    }

    private static bool SkipContainer(ReadOnlySpan<byte> t, ref int at, int depth, bool isObject)
    {
        byte close = isObject ? (byte)'}' : (byte)']';
        at = SkipSpace(t, at + 1);
        if (at < t.Length && t[at] == close)
        {
            at++;
            return true;
        }
        while (true)
        {
            if (isObject)
            {
                if (at >= t.Length || t[at] != (byte)'"' || !SkipString(t, ref at))
                    return false;
                at = SkipSpace(t, at);
                if (at >= t.Length || t[at] != (byte)':')
                    return false;
                at = SkipSpace(t, at + 1);
            }
            if (!SkipValue(t, ref at, depth + 1, out _))
                return false;
            at = SkipSpace(t, at);
            if (at >= t.Length)
                return false;
            if (t[at] == close)
            {
                at++;
                return true;
            }
            if (t[at] != (byte)',')
                return false;
            at = SkipSpace(t, at + 1);
        }
    }

    private static bool SkipString(ReadOnlySpan<byte> t, ref int at)
    {
        if (at >= t.Length || t[at] != (byte)'"')
            return false;
        at++;
        while (at < t.Length)
        {
            byte c = t[at++];
            if (c == (byte)'"')
                return true;
            if (c < 0x20)
                return false;
            if (c == (byte)'\\')
            {
                if (at >= t.Length)
                    return false;
                byte e = t[at++];
                if (e == (byte)'u')
                {
                    for (int k = 0; k < 4; k++, at++)
                        if (at >= t.Length || !IsHex(t[at]))
                            return false;
                }
                else if (e != (byte)'"' && e != (byte)'\\' && e != (byte)'/' && e != (byte)'b' && e != (byte)'f' && e != (byte)'n' && e != (byte)'r' && e != (byte)'t')
                {
                    return false;
                }
            }
        }
        return false;
    }

    private static bool SkipWord(ReadOnlySpan<byte> t, ref int at, string word)
    {
        if (t.Length - at < word.Length)
            return false;
        for (int i = 0; i < word.Length; i++)
            if (t[at + i] != (byte)word[i])
                return false;
        at += word.Length;
        return true;
    }

    private static int SkipSpace(ReadOnlySpan<byte> t, int at)
    {
        while (at < t.Length && (t[at] == (byte)' ' || t[at] == (byte)'\t' || t[at] == (byte)'\n' || t[at] == (byte)'\r'))
            at++;
        return at;
    }

    // Keys we look for are plain ASCII, so a key with escapes never matches one.
    private static bool RawStringEquals(ReadOnlySpan<byte> raw, string key)
    {
        if (raw.Length != key.Length)
            return false;
        for (int i = 0; i < raw.Length; i++)
            if (raw[i] != (byte)key[i])
                return false;
        return true;
    }

    private static bool IsDigit(byte c) => c >= (byte)'0' && c <= (byte)'9';

    private static bool IsHex(byte c) => IsDigit(c) || (c >= (byte)'a' && c <= (byte)'f') || (c >= (byte)'A' && c <= (byte)'F');
}
