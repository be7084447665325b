// What C# records compile to: EqualityComparer<T>.Default for member-wise equality, a
// StringBuilder for ToString's "Name { X = 1 }", and a stack-depth check.
using System.Runtime.CompilerServices;

namespace System.Collections.Generic
{
    public abstract class EqualityComparer<T> : IEqualityComparer<T>
    {
        public static EqualityComparer<T> Default { get; } = new DefaultEqualityComparer<T>();

        public abstract bool Equals(T? x, T? y);
        public abstract int GetHashCode(T obj);
    }

    // Uses the virtual Equals/GetHashCode of the values (boxing value types).
    internal sealed class DefaultEqualityComparer<T> : EqualityComparer<T>
    {
        public override bool Equals(T? x, T? y)
        {
            if (x is null)
                return y is null;
            if (y is null)
                return false;
            return x.Equals(y);
        }

        public override int GetHashCode(T obj) => obj is null ? 0 : obj.GetHashCode();
    }
}

namespace System.Text
{
    /// <summary>Minimal StringBuilder (what records' ToString uses); guests usually want
    /// ParaKit.Kernel.StringBuilder, which also formats hex.</summary>
    public sealed class StringBuilder
    {
        private char[] _chars = new char[32];
        private int _length;

        public int Length => _length;

        public StringBuilder Append(char c)
        {
            if (_length == _chars.Length)
            {
                char[] larger = new char[_chars.Length * 2];
                Array.Copy(_chars, larger, _length);
                _chars = larger;
            }
            _chars[_length++] = c;
            return this;
        }

        public StringBuilder Append(string? text)
        {
            if (text != null)
                for (int i = 0; i < text.Length; i++)
                    Append(text[i]);
            return this;
        }

        public StringBuilder Append(object? value) => Append(value?.ToString());
        public StringBuilder Append(int value) => Append(value.ToString());
        public StringBuilder Append(long value) => Append(value.ToString());
        public StringBuilder Append(bool value) => Append(value.ToString());

        public override string ToString() => _length == 0 ? "" : new string(_chars, 0, _length);
    }
}
