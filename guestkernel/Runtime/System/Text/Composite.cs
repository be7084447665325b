// Composite formatting: string.Format("{0,-8:F2} {1}", ...), Console.WriteLine(format, args)
// and StringBuilder.AppendFormat parse "{index[,alignment][:format]}" items as .NET does ("{{"
// and "}}" are braces) and format each argument with its IFormattable.ToString(format).
namespace System.Text;

internal static class Composite
{
    public static string Format(string format, object?[] args)
    {
        if (format == null)
            throw new ArgumentNullException("format");
        var sb = new StringBuilder(format.Length + args.Length * 8);
        int i = 0, n = format.Length;
        while (i < n)
        {
            char c = format[i];
            if (c == '}')
            {
                if (i + 1 < n && format[i + 1] == '}')
                {
                    sb.Append('}');
                    i += 2;
                    continue;
                }
                throw Bad(format);
            }
            if (c != '{')
            {
                sb.Append(c);
                i++;
                continue;
            }
            if (i + 1 < n && format[i + 1] == '{')
            {
                sb.Append('{');
                i += 2;
                continue;
            }
            i++;
            int index = 0;
            int digits = 0;
            while (i < n && format[i] >= '0' && format[i] <= '9')
            {
                index = index * 10 + (format[i++] - '0');
                digits++;
            }
            if (digits == 0)
                throw Bad(format);
            while (i < n && format[i] == ' ') i++;
            int alignment = 0;
            if (i < n && format[i] == ',')
            {
                i++;
                while (i < n && format[i] == ' ') i++;
                bool negative = false;
                if (i < n && format[i] == '-')
                {
                    negative = true;
                    i++;
                }
                int alignDigits = 0;
                while (i < n && format[i] >= '0' && format[i] <= '9')
                {
                    alignment = alignment * 10 + (format[i++] - '0');
                    alignDigits++;
                }
                if (alignDigits == 0)
                    throw Bad(format);
                if (negative)
                    alignment = -alignment;
                while (i < n && format[i] == ' ') i++;
            }
            string? itemFormat = null;
            if (i < n && format[i] == ':')
            {
                int start = ++i;
                while (i < n && format[i] != '}')
                {
                    if (format[i] == '{')
                        throw Bad(format);
                    i++;
                }
                itemFormat = format.Substring(start, i - start);
            }
            if (i >= n || format[i] != '}')
                throw Bad(format);
            i++;
            if (index >= args.Length)
                throw new FormatException("Index (zero based) must be greater than or equal to zero and less than the size of the argument list: {" + index.ToString() + "} with " + args.Length.ToString() + " arguments.");
            sb.Append(Align(NumberText.Format(args[index], itemFormat), alignment));
        }
        return sb.ToString();
    }

    private static FormatException Bad(string format) => new FormatException("Input string was not in a correct format: " + format);

    /// <summary>Pads to |alignment| characters: right-aligned when positive, left when negative.</summary>
    public static string Align(string? text, int alignment)
    {
        text ??= "";
        int width = alignment < 0 ? -alignment : alignment;
        if (text.Length >= width)
            return text;
        return alignment > 0 ? text.PadLeft(width) : text.PadRight(width);
    }
}
