namespace LambdaRecon.Core.Statements;

/// <summary>
/// Decodes a CSV export written in a single-byte encoding, exactly: every byte is one known character or
/// the file is refused, naming the line, because a guessed character silently changes a name or a reference.
/// </summary>
internal static class CsvText
{
    /// <summary>
    /// Windows-1252's characters for bytes 0x80–0x9F ('\0' for the five it leaves undefined); every other
    /// byte is the Unicode character of the same number, as in ISO-8859-1.
    /// </summary>
    private const string Windows1252High =
        "\u20AC\0\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\0\u017D\0" +
        "\0\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\0\u017E\u0178";

    /// <param name="encoding"><see cref="CsvEncoding.Latin1"/> or <see cref="CsvEncoding.Windows1252"/>.</param>
    public static bool TryDecode(ReadOnlySpan<byte> content, CsvEncoding encoding, out string text, out StatementError? error)
    {
        text = "";
        var name = encoding == CsvEncoding.Latin1 ? "ISO-8859-1" : "Windows-1252";
        if (content.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            error = new StatementError(1, null, $"the file starts with a UTF-8 byte order mark, but the mapping says {name}: use encoding utf-8");
            return false;
        }

        var chars = new char[content.Length];
        for (var i = 0; i < content.Length; i++)
        {
            var b = content[i];
            var c = b is >= 0x80 and <= 0x9F
                ? encoding == CsvEncoding.Windows1252 ? Windows1252High[b - 0x80] : '\0'
                : (char)b;
            if (c == '\0')
            {
                // ISO-8859-1's 0x80-0x9F are control characters no statement holds: such a file is Windows-1252 or UTF-8.
                error = new StatementError(LineAt(content, i), null, b == 0
                    ? "the file holds a NUL byte: a statement is text"
                    : encoding == CsvEncoding.Latin1
                        ? $"byte {i + 1} (0x{b:X2}) is a control character in ISO-8859-1: the file is probably windows-1252 or utf-8"
                        : $"byte {i + 1} (0x{b:X2}) is not a Windows-1252 character");
                return false;
            }

            chars[i] = c;
        }

        text = new string(chars);
        error = null;
        return true;
    }

    /// <summary>The 1-based physical line of a byte, counting CRLF, LF and CR as the CSV reader does.</summary>
    public static int LineAt(ReadOnlySpan<byte> content, int offset)
    {
        var line = 1;
        for (var i = 0; i < offset; i++)
        {
            if (content[i] == '\n' || (content[i] == '\r' && (i + 1 >= content.Length || content[i + 1] != '\n')))
            {
                line++;
            }
        }

        return line;
    }
}
