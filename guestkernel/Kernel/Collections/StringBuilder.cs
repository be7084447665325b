// A growable character buffer for building strings piece by piece (the BCL's StringBuilder,
// reduced to what guests use).
namespace ParaKit.Kernel;

public sealed class StringBuilder : ICharSink
{
    private char[] _chars;
    private int _length;

    public StringBuilder(int capacity = 32)
    {
        _chars = new char[capacity < 4 ? 4 : capacity];
    }

    public int Length => _length;

    public char this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_length)
                throw new System.IndexOutOfRangeException();
            return _chars[index];
        }
    }

    public void Put(char c) => Append(c);

    public StringBuilder Append(char c)
    {
        if (_length == _chars.Length)
            Grow(1);
        _chars[_length++] = c;
        return this;
    }

    public StringBuilder Append(string? text)
    {
        if (text == null)
            return this;
        if (_length + text.Length > _chars.Length)
            Grow(text.Length);
        for (int i = 0; i < text.Length; i++)
            _chars[_length++] = text[i];
        return this;
    }

    public StringBuilder Append(long value)
    {
        Format.Decimal(value, this);
        return this;
    }

    public StringBuilder Append(ulong value)
    {
        Format.Decimal(value, this);
        return this;
    }

    public StringBuilder Append(int value) => Append((long)value);

    public StringBuilder AppendHex(ulong value, int minDigits = 1)
    {
        Format.Hex(value, minDigits, this);
        return this;
    }

    public StringBuilder AppendLine(string? text = null)
    {
        Append(text);
        return Append('\n');
    }

    public void Clear() => _length = 0;

    private void Grow(int extra)
    {
        int size = _chars.Length * 2;
        if (size < _length + extra)
            size = _length + extra;
        char[] larger = new char[size];
        System.Array.Copy(_chars, larger, _length);
        _chars = larger;
    }

    public override string ToString()
    {
        if (_length == 0)
            return "";
        return new string(_chars, 0, _length);
    }
}
