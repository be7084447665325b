// System.String: UTF-16, immutable, laid out as ILC expects ([MT*][int length][chars...], the
// field names _stringLength and _firstChar are part of that contract). Concatenation, equality
// and hashing cover what csc emits for `+`, `==` and switch on strings.
using Internal.Runtime;
using System.Runtime.CompilerServices;

namespace System;

public sealed unsafe class String : IEquatable<string>, IComparable<string>
{
    // ILC and the JIT read these by name/offset: keep them first and in this order.
    private readonly int _stringLength;
    private char _firstChar;

    public static readonly string Empty = "";

    public int Length => _stringLength;

    [IndexerName("Chars")]
    public char this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_stringLength)
                ThrowHelpers.ThrowIndexOutOfRangeException();
            fixed (char* p = &_firstChar)
                return p[index];
        }
    }

    // Lets `fixed (char* p = s)` work.
    public ref readonly char GetPinnableReference() => ref _firstChar;

    internal ref char FirstChar => ref _firstChar;

    public CharEnumerator GetEnumerator() => new CharEnumerator(this);

    /// <summary>foreach over a string's chars without allocating.</summary>
    public struct CharEnumerator
    {
        private readonly string _text;
        private int _index;

        internal CharEnumerator(string text)
        {
            _text = text;
            _index = -1;
        }

        public bool MoveNext() => ++_index < _text.Length;
        public char Current => _text[_index];
    }

    internal static string FastAllocateString(int length)
    {
        if (length == 0)
            return Empty;
        return Allocator.NewString(length);
    }

    public static string FromChar(char c)
    {
        string s = FastAllocateString(1);
        s._firstChar = c;
        return s;
    }

    /// <summary>Builds a string from ASCII/UTF-8 bytes (each byte one char; non-ASCII bytes become '?').</summary>
    public static string FromAscii(byte* bytes, int length)
    {
        if (length <= 0)
            return Empty;
        string s = FastAllocateString(length);
        fixed (char* dst = &s._firstChar)
        {
            for (int i = 0; i < length; i++)
                dst[i] = bytes[i] < 0x80 ? (char)bytes[i] : '?';
        }
        return s;
    }

    public String(char[] value) : this() { }
    public String(char* value, int start, int length) : this() { }
    public String(char c, int count) : this() { }
    public String(char[] value, int startIndex, int length) : this() { }

    // csc compiles `new string(...)` to these ctors; the runtime redirects them to Ctor methods
    // (ILC replaces string constructors by the static Ctor of the same signature).
    private String() { }

    private static string Ctor(char[] value)
    {
        if (value == null || value.Length == 0)
            return Empty;
        string s = FastAllocateString(value.Length);
        fixed (char* src = value)
        fixed (char* dst = &s._firstChar)
            Buffer.Memmove((byte*)dst, (byte*)src, (nuint)value.Length * 2);
        return s;
    }

    private static string Ctor(char* value, int start, int length)
    {
        if (length <= 0)
            return Empty;
        string s = FastAllocateString(length);
        fixed (char* dst = &s._firstChar)
            Buffer.Memmove((byte*)dst, (byte*)(value + start), (nuint)length * 2);
        return s;
    }

    private static string Ctor(char[] value, int startIndex, int length)
    {
        if (startIndex < 0 || length < 0 || startIndex > value.Length - length)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        if (length == 0)
            return Empty;
        string s = FastAllocateString(length);
        fixed (char* src = value)
        fixed (char* dst = &s._firstChar)
            Buffer.Memmove((byte*)dst, (byte*)(src + startIndex), (nuint)length * 2);
        return s;
    }

    private static string Ctor(char c, int count)
    {
        if (count <= 0)
            return Empty;
        string s = FastAllocateString(count);
        fixed (char* dst = &s._firstChar)
            for (int i = 0; i < count; i++)
                dst[i] = c;
        return s;
    }

    public static bool IsNullOrEmpty(string? value) => value == null || value._stringLength == 0;

    public static string Concat(string? a, string? b)
    {
        a ??= Empty;
        b ??= Empty;
        int length = a._stringLength + b._stringLength;
        if (length == 0)
            return Empty;
        string s = FastAllocateString(length);
        fixed (char* dst = &s._firstChar)
        {
            CopyInto(dst, a);
            CopyInto(dst + a._stringLength, b);
        }
        return s;
    }

    public static string Concat(string? a, string? b, string? c) => Concat(Concat(a, b), c);

    public static string Concat(string? a, string? b, string? c, string? d) => Concat(Concat(a, b), Concat(c, d));

    public static string Concat(params string?[] values)
    {
        int length = 0;
        for (int i = 0; i < values.Length; i++)
            length += values[i] is string v ? v._stringLength : 0;
        if (length == 0)
            return Empty;
        string s = FastAllocateString(length);
        fixed (char* dst = &s._firstChar)
        {
            int at = 0;
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] is string v)
                {
                    CopyInto(dst + at, v);
                    at += v._stringLength;
                }
            }
        }
        return s;
    }

    public static string Concat(object? a, object? b) => Concat(a?.ToString(), b?.ToString());
    public static string Concat(object? a, object? b, object? c) => Concat(a?.ToString(), b?.ToString(), c?.ToString());

    private static void CopyInto(char* dst, string src)
    {
        fixed (char* p = &src._firstChar)
            Buffer.Memmove((byte*)dst, (byte*)p, (nuint)src._stringLength * 2);
    }

    public string Substring(int start) => Substring(start, _stringLength - start);

    public string Substring(int start, int length)
    {
        if (start < 0 || length < 0 || start > _stringLength - length)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        if (length == 0)
            return Empty;
        string s = FastAllocateString(length);
        fixed (char* src = &_firstChar)
        fixed (char* dst = &s._firstChar)
            Buffer.Memmove((byte*)dst, (byte*)(src + start), (nuint)length * 2);
        return s;
    }

    public int IndexOf(char c)
    {
        for (int i = 0; i < _stringLength; i++)
            if (this[i] == c)
                return i;
        return -1;
    }

    public bool EndsWith(string value)
    {
        if (value._stringLength > _stringLength)
            return false;
        int offset = _stringLength - value._stringLength;
        for (int i = 0; i < value._stringLength; i++)
            if (this[offset + i] != value[i])
                return false;
        return true;
    }

    public int LastIndexOf(char c)
    {
        for (int i = _stringLength - 1; i >= 0; i--)
            if (this[i] == c)
                return i;
        return -1;
    }

    /// <summary>Splits on a separator character; empty parts are kept (as String.Split does).</summary>
    public string[] Split(char separator)
    {
        int parts = 1;
        for (int i = 0; i < _stringLength; i++)
            if (this[i] == separator)
                parts++;
        string[] result = new string[parts];
        int start = 0, index = 0;
        for (int i = 0; i <= _stringLength; i++)
        {
            if (i == _stringLength || this[i] == separator)
            {
                result[index++] = Substring(start, i - start);
                start = i + 1;
            }
        }
        return result;
    }

    /// <summary>Removes leading and trailing spaces, tabs, CR and LF.</summary>
    public string Trim()
    {
        int start = 0, end = _stringLength;
        while (start < end && char.IsWhiteSpace(this[start]))
            start++;
        while (end > start && char.IsWhiteSpace(this[end - 1]))
            end--;
        return start == 0 && end == _stringLength ? this : Substring(start, end - start);
    }

    public string Replace(char oldChar, char newChar)
    {
        if (IndexOf(oldChar) < 0)
            return this;
        string s = FastAllocateString(_stringLength);
        fixed (char* src = &_firstChar)
        fixed (char* dst = &s._firstChar)
            for (int i = 0; i < _stringLength; i++)
                dst[i] = src[i] == oldChar ? newChar : src[i];
        return s;
    }

    public static string Join(string separator, string[] values)
    {
        if (values.Length == 0)
            return Empty;
        string result = values[0] ?? Empty;
        for (int i = 1; i < values.Length; i++)
            result = Concat(result, separator, values[i]);
        return result;
    }

    public bool StartsWith(string value)
    {
        if (value._stringLength > _stringLength)
            return false;
        for (int i = 0; i < value._stringLength; i++)
            if (this[i] != value[i])
                return false;
        return true;
    }

    public bool Contains(string value)
    {
        for (int i = 0; i + value._stringLength <= _stringLength; i++)
        {
            int j = 0;
            while (j < value._stringLength && this[i + j] == value[j])
                j++;
            if (j == value._stringLength)
                return true;
        }
        return false;
    }

    public static bool Equals(string? a, string? b)
    {
        if ((object?)a == b)
            return true;
        if (a is null || b is null || a._stringLength != b._stringLength)
            return false;
        fixed (char* pa = &a._firstChar)
        fixed (char* pb = &b._firstChar)
        {
            for (int i = 0; i < a._stringLength; i++)
                if (pa[i] != pb[i])
                    return false;
        }
        return true;
    }

    public static bool operator ==(string? a, string? b) => Equals(a, b);
    public static bool operator !=(string? a, string? b) => !Equals(a, b);

    public override bool Equals(object? obj) => obj is string s && Equals(this, s);

    public bool Equals(string? other) => Equals(this, other);

    public override int GetHashCode()
    {
        // FNV-1a over the UTF-16 code units: deterministic, which guests and tests rely on.
        uint hash = 2166136261;
        fixed (char* p = &_firstChar)
        {
            for (int i = 0; i < _stringLength; i++)
            {
                hash = (hash ^ p[i]) * 16777619;
            }
        }
        return (int)hash;
    }

    public override string ToString() => this;

    /// <summary>Ordinal comparison (UTF-16 code units).</summary>
    public int CompareTo(string? other)
    {
        if (other is null)
            return 1;
        int n = _stringLength < other._stringLength ? _stringLength : other._stringLength;
        for (int i = 0; i < n; i++)
        {
            int d = this[i] - other[i];
            if (d != 0)
                return d;
        }
        return _stringLength - other._stringLength;
    }
}
