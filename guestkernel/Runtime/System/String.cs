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
    public String(ReadOnlySpan<char> value) : this() { }

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

    private static string Ctor(ReadOnlySpan<char> value)
    {
        if (value.Length == 0)
            return Empty;
        string s = FastAllocateString(value.Length);
        fixed (char* dst = &s._firstChar)
            for (int i = 0; i < value.Length; i++)
                dst[i] = value[i];
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

    // ---- what students type: formatting, joining, splitting, searching, casing, padding ----

    public static string Format(string format, object? arg0) => System.Text.Composite.Format(format, new[] { arg0 });
    public static string Format(string format, object? arg0, object? arg1) => System.Text.Composite.Format(format, new[] { arg0, arg1 });
    public static string Format(string format, object? arg0, object? arg1, object? arg2) => System.Text.Composite.Format(format, new[] { arg0, arg1, arg2 });
    public static string Format(string format, params object?[] args) => System.Text.Composite.Format(format, args);
    public static string Format(IFormatProvider? provider, string format, params object?[] args) => System.Text.Composite.Format(format, args);

    public static string Join(string? separator, params string?[] values)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
                sb.Append(separator);
            sb.Append(values[i]);
        }
        return sb.ToString();
    }

    public static string Join(char separator, params string?[] values) => Join(FromChar(separator), values);

    public static string Join(string? separator, params object?[] values)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
                sb.Append(separator);
            sb.Append(values[i]?.ToString());
        }
        return sb.ToString();
    }

    public static string Join<T>(string? separator, System.Collections.Generic.IEnumerable<T> values)
    {
        var sb = new System.Text.StringBuilder();
        bool first = true;
        foreach (T value in values)
        {
            if (!first)
                sb.Append(separator);
            first = false;
            sb.Append(value?.ToString());
        }
        return sb.ToString();
    }

    public static string Join<T>(char separator, System.Collections.Generic.IEnumerable<T> values) => Join(FromChar(separator), values);

    public static string Concat(System.Collections.Generic.IEnumerable<string?> values) => Join("", values);

    public static bool IsNullOrWhiteSpace(string? value)
    {
        if (value == null)
            return true;
        for (int i = 0; i < value._stringLength; i++)
            if (!char.IsWhiteSpace(value[i]))
                return false;
        return true;
    }

    public char[] ToCharArray()
    {
        char[] chars = new char[_stringLength];
        for (int i = 0; i < _stringLength; i++)
            chars[i] = this[i];
        return chars;
    }

    public int IndexOf(char c, int startIndex)
    {
        if ((uint)startIndex > (uint)_stringLength)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        for (int i = startIndex; i < _stringLength; i++)
            if (this[i] == c)
                return i;
        return -1;
    }

    public int IndexOf(string value) => IndexOf(value, 0);

    public int IndexOf(string value, int startIndex)
    {
        if ((uint)startIndex > (uint)_stringLength)
            ThrowHelpers.ThrowArgumentOutOfRangeException();
        for (int i = startIndex; i + value._stringLength <= _stringLength; i++)
            if (MatchesAt(i, value))
                return i;
        return -1;
    }

    public int IndexOf(string value, StringComparison comparison)
    {
        if (comparison != StringComparison.OrdinalIgnoreCase)
            return IndexOf(value);
        return ToUpperInvariant().IndexOf(value.ToUpperInvariant());
    }

    public int LastIndexOf(string value)
    {
        for (int i = _stringLength - value._stringLength; i >= 0; i--)
            if (MatchesAt(i, value))
                return i;
        return -1;
    }

    public int IndexOfAny(char[] anyOf)
    {
        for (int i = 0; i < _stringLength; i++)
            if (Array.IndexOf(anyOf, this[i]) >= 0)
                return i;
        return -1;
    }

    private bool MatchesAt(int index, string value)
    {
        for (int j = 0; j < value._stringLength; j++)
            if (this[index + j] != value[j])
                return false;
        return true;
    }

    public bool Contains(char value) => IndexOf(value) >= 0;
    public bool StartsWith(char value) => _stringLength > 0 && this[0] == value;
    public bool EndsWith(char value) => _stringLength > 0 && this[_stringLength - 1] == value;

    public bool StartsWith(string value, StringComparison comparison)
        => comparison == StringComparison.OrdinalIgnoreCase ? ToUpperInvariant().StartsWith(value.ToUpperInvariant()) : StartsWith(value);

    public bool EndsWith(string value, StringComparison comparison)
        => comparison == StringComparison.OrdinalIgnoreCase ? ToUpperInvariant().EndsWith(value.ToUpperInvariant()) : EndsWith(value);

    public bool Equals(string? value, StringComparison comparison) => Equals(this, value, comparison);

    public static bool Equals(string? a, string? b, StringComparison comparison)
    {
        if (comparison != StringComparison.OrdinalIgnoreCase || a is null || b is null)
            return Equals(a, b);
        return Equals(a.ToUpperInvariant(), b.ToUpperInvariant());
    }

    public static int Compare(string? a, string? b) => CompareOrdinal(a, b);

    public static int Compare(string? a, string? b, StringComparison comparison)
        => comparison == StringComparison.OrdinalIgnoreCase && a is not null && b is not null
            ? CompareOrdinal(a.ToUpperInvariant(), b.ToUpperInvariant()) : CompareOrdinal(a, b);

    public static int CompareOrdinal(string? a, string? b)
    {
        if ((object?)a == b)
            return 0;
        if (a is null)
            return -1;
        return a.CompareTo(b);
    }

    public string Replace(string oldValue, string? newValue)
    {
        if (oldValue == null)
            throw new ArgumentNullException("oldValue");
        if (oldValue._stringLength == 0)
            throw new ArgumentException("String cannot be of zero length.", "oldValue");
        int at = IndexOf(oldValue);
        if (at < 0)
            return this;
        var sb = new System.Text.StringBuilder(_stringLength);
        int start = 0;
        while (at >= 0)
        {
            sb.Append(this, start, at - start);
            sb.Append(newValue);
            start = at + oldValue._stringLength;
            at = IndexOf(oldValue, start);
        }
        sb.Append(this, start, _stringLength - start);
        return sb.ToString();
    }

    public string Insert(int startIndex, string value) => Concat(Substring(0, startIndex), value, Substring(startIndex));
    public string Remove(int startIndex) => Substring(0, startIndex);
    public string Remove(int startIndex, int count) => Concat(Substring(0, startIndex), Substring(startIndex + count));

    /// <summary>Removes leading and trailing white space.</summary>
    public string Trim() => TrimWhere(null, true, true);
    public string TrimStart() => TrimWhere(null, true, false);
    public string TrimEnd() => TrimWhere(null, false, true);
    public string Trim(char trimChar) => TrimWhere(new[] { trimChar }, true, true);
    public string Trim(params char[]? trimChars) => TrimWhere(trimChars, true, true);
    public string TrimStart(char trimChar) => TrimWhere(new[] { trimChar }, true, false);
    public string TrimStart(params char[]? trimChars) => TrimWhere(trimChars, true, false);
    public string TrimEnd(char trimChar) => TrimWhere(new[] { trimChar }, false, true);
    public string TrimEnd(params char[]? trimChars) => TrimWhere(trimChars, false, true);

    private string TrimWhere(char[]? chars, bool start, bool end)
    {
        int from = 0, to = _stringLength;
        bool empty = chars == null || chars.Length == 0;
        if (start)
            while (from < to && (empty ? char.IsWhiteSpace(this[from]) : Array.IndexOf(chars!, this[from]) >= 0))
                from++;
        if (end)
            while (to > from && (empty ? char.IsWhiteSpace(this[to - 1]) : Array.IndexOf(chars!, this[to - 1]) >= 0))
                to--;
        return from == 0 && to == _stringLength ? this : Substring(from, to - from);
    }

    /// <summary>ASCII letters change case (guests carry no Unicode tables; other chars stay).</summary>
    public string ToUpper() => MapChars(true);
    public string ToLower() => MapChars(false);
    public string ToUpperInvariant() => MapChars(true);
    public string ToLowerInvariant() => MapChars(false);

    private string MapChars(bool upper)
    {
        string s = FastAllocateString(_stringLength);
        if (_stringLength == 0)
            return s;
        fixed (char* src = &_firstChar)
        fixed (char* dst = &s._firstChar)
            for (int i = 0; i < _stringLength; i++)
                dst[i] = upper ? char.ToUpper(src[i]) : char.ToLower(src[i]);
        return s;
    }

    public string PadLeft(int totalWidth) => PadLeft(totalWidth, ' ');
    public string PadLeft(int totalWidth, char paddingChar)
    {
        if (totalWidth < 0)
            throw new ArgumentOutOfRangeException("totalWidth", "Non-negative number required.");
        return totalWidth <= _stringLength ? this : Concat(new string(paddingChar, totalWidth - _stringLength), this);
    }

    public string PadRight(int totalWidth) => PadRight(totalWidth, ' ');
    public string PadRight(int totalWidth, char paddingChar)
    {
        if (totalWidth < 0)
            throw new ArgumentOutOfRangeException("totalWidth", "Non-negative number required.");
        return totalWidth <= _stringLength ? this : Concat(this, new string(paddingChar, totalWidth - _stringLength));
    }

    public string[] Split(char separator, StringSplitOptions options = StringSplitOptions.None) => SplitCore(new[] { separator }, null, int.MaxValue, options);
    public string[] Split(char separator, int count, StringSplitOptions options = StringSplitOptions.None) => SplitCore(new[] { separator }, null, count, options);
    public string[] Split(params char[]? separator) => SplitCore(separator, null, int.MaxValue, StringSplitOptions.None);
    public string[] Split(char[]? separator, StringSplitOptions options) => SplitCore(separator, null, int.MaxValue, options);
    public string[] Split(char[]? separator, int count) => SplitCore(separator, null, count, StringSplitOptions.None);
    public string[] Split(string? separator, StringSplitOptions options = StringSplitOptions.None)
        => separator == null || separator._stringLength == 0 ? new[] { this } : SplitCore(null, separator, int.MaxValue, options);

    // Separators: any of `chars` (white space when empty), or the string `text`.
    private string[] SplitCore(char[]? chars, string? text, int count, StringSplitOptions options)
    {
        bool removeEmpty = (options & StringSplitOptions.RemoveEmptyEntries) != 0;
        bool trim = (options & StringSplitOptions.TrimEntries) != 0;
        var parts = new System.Collections.Generic.List<string>();
        if (count <= 0)
            return new string[0];
        int start = 0, i = 0;
        while (i <= _stringLength)
        {
            int sepLength = 0;
            if (i < _stringLength && parts.Count < count - 1)
            {
                if (text != null)
                    sepLength = i + text._stringLength <= _stringLength && MatchesAt(i, text) ? text._stringLength : 0;
                else if (chars == null || chars.Length == 0)
                    sepLength = char.IsWhiteSpace(this[i]) ? 1 : 0;
                else
                    sepLength = Array.IndexOf(chars, this[i]) >= 0 ? 1 : 0;
            }
            if (i == _stringLength || sepLength > 0)
            {
                string part = Substring(start, i - start);
                if (trim)
                    part = part.Trim();
                if (!(removeEmpty && part._stringLength == 0))
                    parts.Add(part);
                if (i == _stringLength)
                    break;
                i += sepLength;
                start = i;
                continue;
            }
            i++;
        }
        return parts.ToArray();
    }
}

public enum StringComparison
{
    CurrentCulture = 0,
    CurrentCultureIgnoreCase = 1,
    InvariantCulture = 2,
    InvariantCultureIgnoreCase = 3,
    Ordinal = 4,
    OrdinalIgnoreCase = 5,
}

[Flags]
public enum StringSplitOptions
{
    None = 0,
    RemoveEmptyEntries = 1,
    TrimEntries = 2,
}
