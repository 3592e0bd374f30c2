using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace LambdaRecon.Core.Statements;

/// <summary>Chooses the parser for a statement file by its format name, as the API and the CLI receive it.</summary>
public static class StatementFile
{
    public static readonly string[] Formats = ["csv", "camt053"];

    /// <summary>
    /// Parses a whole file: "csv" with a named mapping (generic when none is given) or "camt053".
    /// Unknown formats and mappings are an error like any fault of the file, and so is a file without a
    /// single line: a header-only export is a failed export, and recording it would hide that.
    /// </summary>
    /// <exception cref="OperationCanceledException">The caller gave up (the client left, the host is stopping).</exception>
    public static bool TryParse(
        byte[] content, string format, string? mapping, out IReadOnlyList<StatementLine> lines, out StatementError? error,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(format);
        lines = [];
        bool parsed;
        switch (format.ToUpperInvariant())
        {
            case "CSV":
                var csvMapping = CsvMapping.Named(mapping ?? "generic");
                if (csvMapping is null)
                {
                    error = new StatementError(0, null, $"unknown mapping '{mapping}': use generic or stripe");
                    return false;
                }

                if (NotText(content) is { } fault)
                {
                    error = fault;
                    return false;
                }

                using (var reader = new StreamReader(new MemoryStream(content), Encoding.UTF8, detectEncodingFromByteOrderMarks: false))
                {
                    parsed = CsvStatement.TryParse(reader, csvMapping, out lines, out error, cancellationToken);
                }

                break;

            case "CAMT053":
                using (var stream = new MemoryStream(content))
                {
                    parsed = Camt053Statement.TryParse(stream, out lines, out error, cancellationToken);
                }

                break;

            default:
                error = new StatementError(0, null, $"unknown format '{format}': use {string.Join(" or ", Formats)}");
                return false;
        }

        if (parsed && lines.Count == 0)
        {
            error = new StatementError(0, null, "the statement has no booked line: nothing to reconcile, so nothing is recorded");
            return false;
        }

        return parsed;
    }

    /// <summary>
    /// A CSV statement is UTF-8 text (a byte order mark is allowed): bytes that are not UTF-8 would be
    /// replaced by U+FFFD when decoded, silently changing a name or a reference, and PostgreSQL text
    /// cannot hold U+0000. Names the line of the first such byte.
    /// </summary>
    private static StatementError? NotText(ReadOnlySpan<byte> content)
    {
        var nul = content.IndexOf((byte)0);
        var invalid = Utf8.IsValid(content) ? -1 : FirstInvalidUtf8(content);
        if (nul < 0 && invalid < 0)
        {
            return null;
        }

        var at = nul < 0 ? invalid : invalid < 0 ? nul : Math.Min(nul, invalid);
        return new StatementError(LineAt(content, at), null, at == nul
            ? "the file holds a NUL byte: a statement is text"
            : $"byte {at + 1} (0x{content[at]:X2}) is not UTF-8: export the statement as UTF-8");
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> content)
    {
        for (var i = 0; i < content.Length;)
        {
            if (Rune.DecodeFromUtf8(content[i..], out _, out var consumed) != OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return -1;
    }

    /// <summary>The 1-based physical line of a byte, counting CRLF, LF and CR as the CSV reader does.</summary>
    private static int LineAt(ReadOnlySpan<byte> content, int offset)
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
