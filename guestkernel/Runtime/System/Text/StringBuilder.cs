// System.Text.StringBuilder: one growable char array. Append of numbers formats without a
// format string through the primitives' ToString (invariant culture), AppendFormat and
// Append($"...") go through string.Format's composite formatting.
namespace System.Text;

public sealed class StringBuilder
{
    private char[] _chars;
    private int _length;

    public StringBuilder() : this(16) { }

    public StringBuilder(int capacity)
    {
        _chars = new char[capacity < 4 ? 4 : capacity];
    }

    public StringBuilder(string? value) : this(value == null ? 16 : value.Length + 16)
    {
        Append(value);
    }

    public int Length
    {
        get => _length;
        set
        {
            if (value < 0)
                throw new ArgumentOutOfRangeException("value", "Length cannot be less than zero.");
            EnsureCapacity(value);
            for (int i = _length; i < value; i++)
                _chars[i] = '\0';
            _length = value;
        }
    }

    public int Capacity => _chars.Length;

    [System.Runtime.CompilerServices.IndexerName("Chars")]
    public char this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_length)
                throw new IndexOutOfRangeException();
            return _chars[index];
        }
        set
        {
            if ((uint)index >= (uint)_length)
                throw new IndexOutOfRangeException();
            _chars[index] = value;
        }
    }

    public StringBuilder Append(char value)
    {
        if (_length == _chars.Length)
            EnsureCapacity(_length + 1);
        _chars[_length++] = value;
        return this;
    }

    public StringBuilder Append(char value, int repeatCount)
    {
        EnsureCapacity(_length + repeatCount);
        for (int i = 0; i < repeatCount; i++)
            _chars[_length++] = value;
        return this;
    }

    public StringBuilder Append(string? value)
    {
        if (value == null)
            return this;
        EnsureCapacity(_length + value.Length);
        for (int i = 0; i < value.Length; i++)
            _chars[_length++] = value[i];
        return this;
    }

    public StringBuilder Append(string? value, int startIndex, int count) => Append(value?.Substring(startIndex, count));

    public StringBuilder Append(char[]? value)
    {
        if (value != null)
            for (int i = 0; i < value.Length; i++)
                Append(value[i]);
        return this;
    }

    public StringBuilder Append(ReadOnlySpan<char> value)
    {
        EnsureCapacity(_length + value.Length);
        for (int i = 0; i < value.Length; i++)
            _chars[_length++] = value[i];
        return this;
    }

    public StringBuilder Append(StringBuilder? value) => value == null ? this : Append(value.ToString());
    public StringBuilder Append(object? value) => Append(value?.ToString());
    public StringBuilder Append(bool value) => Append(value ? "True" : "False");
    public StringBuilder Append(int value) => Append(value.ToString());
    public StringBuilder Append(uint value) => Append(value.ToString());
    public StringBuilder Append(long value) => Append(value.ToString());
    public StringBuilder Append(ulong value) => Append(value.ToString());
    public StringBuilder Append(short value) => Append(value.ToString());
    public StringBuilder Append(ushort value) => Append(value.ToString());
    public StringBuilder Append(byte value) => Append(value.ToString());
    public StringBuilder Append(sbyte value) => Append(value.ToString());
    public StringBuilder Append(double value) => Append(value.ToString());
    public StringBuilder Append(float value) => Append(value.ToString());

    public StringBuilder Append([System.Runtime.CompilerServices.InterpolatedStringHandlerArgument("")] ref AppendInterpolatedStringHandler handler) => this;

    public StringBuilder AppendLine() => Append('\n');
    public StringBuilder AppendLine(string? value) => Append(value).Append('\n');

    public StringBuilder AppendLine([System.Runtime.CompilerServices.InterpolatedStringHandlerArgument("")] ref AppendInterpolatedStringHandler handler) => Append('\n');

    public StringBuilder AppendFormat(string format, params object?[] args) => Append(string.Format(format, args));

    public StringBuilder AppendJoin(string separator, params string?[] values) => Append(string.Join(separator, values));

    public StringBuilder Insert(int index, string? value)
    {
        if ((uint)index > (uint)_length)
            throw new ArgumentOutOfRangeException("index", "Index was out of range.");
        if (value == null || value.Length == 0)
            return this;
        EnsureCapacity(_length + value.Length);
        Array.Copy(_chars, index, _chars, index + value.Length, _length - index);
        for (int i = 0; i < value.Length; i++)
            _chars[index + i] = value[i];
        _length += value.Length;
        return this;
    }

    public StringBuilder Insert(int index, char value) => Insert(index, value.ToString());
    public StringBuilder Insert(int index, int value) => Insert(index, value.ToString());
    public StringBuilder Insert(int index, long value) => Insert(index, value.ToString());
    public StringBuilder Insert(int index, object? value) => Insert(index, value?.ToString());

    public StringBuilder Remove(int startIndex, int length)
    {
        if (startIndex < 0 || length < 0 || startIndex > _length - length)
            throw new ArgumentOutOfRangeException("startIndex", "startIndex and length do not denote a range of the builder.");
        Array.Copy(_chars, startIndex + length, _chars, startIndex, _length - startIndex - length);
        _length -= length;
        return this;
    }

    public StringBuilder Replace(char oldChar, char newChar)
    {
        for (int i = 0; i < _length; i++)
            if (_chars[i] == oldChar)
                _chars[i] = newChar;
        return this;
    }

    public StringBuilder Replace(string oldValue, string? newValue)
    {
        string replaced = ToString().Replace(oldValue, newValue);
        _length = 0;
        return Append(replaced);
    }

    public StringBuilder Clear()
    {
        _length = 0;
        return this;
    }

    public int EnsureCapacity(int capacity)
    {
        if (capacity > _chars.Length)
        {
            int size = _chars.Length * 2;
            if (size < capacity)
                size = capacity;
            char[] larger = new char[size];
            Array.Copy(_chars, larger, _length);
            _chars = larger;
        }
        return _chars.Length;
    }

    public override string ToString() => _length == 0 ? "" : new string(_chars, 0, _length);

    public string ToString(int startIndex, int length)
    {
        if (startIndex < 0 || length < 0 || startIndex > _length - length)
            throw new ArgumentOutOfRangeException("startIndex", "startIndex and length do not denote a range of the builder.");
        return new string(_chars, startIndex, length);
    }

    /// <summary>What `sb.Append($"...")` compiles to: the pieces go straight into the builder.</summary>
    [System.Runtime.CompilerServices.InterpolatedStringHandler]
    public ref struct AppendInterpolatedStringHandler
    {
        private readonly StringBuilder _sb;

        public AppendInterpolatedStringHandler(int literalLength, int formattedCount, StringBuilder stringBuilder)
        {
            _sb = stringBuilder;
        }

        public void AppendLiteral(string value) => _sb.Append(value);
        public void AppendFormatted<T>(T value) => _sb.Append(value?.ToString());
        public void AppendFormatted<T>(T value, string? format) => _sb.Append(NumberText.Format(value, format));
        public void AppendFormatted<T>(T value, int alignment) => AppendFormatted(value, alignment, null);
        public void AppendFormatted<T>(T value, int alignment, string? format)
            => _sb.Append(Composite.Align(NumberText.Format(value, format), alignment));
        public void AppendFormatted(string? value) => _sb.Append(value);
    }
}
