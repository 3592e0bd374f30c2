using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace LambdaRecon.Core.Statements;

/// <summary>Chooses the parser for a statement file by its format name, as the API and the CLI receive it.</summary>
public static class StatementFile
{
    /// <summary>The format names a caller may give; "auto", the default, tells them apart by content.</summary>
    public static readonly string[] Formats = ["auto", "csv", "camt052", "camt053", "camt054", "mt940", "mt942", "bai2"];

    /// <summary>
    /// Parses a whole file into its statements: "csv" through a mapping (<see cref="CsvMapping.Generic"/> when
    /// null; the caller resolves a name, built-in or stored, see <see cref="CsvMapping.Named"/>),
    /// "camt052"/"camt053"/"camt054" (one reader, which refuses a file holding another message than the one
    /// named), "mt940"/"mt942" (one reader: a file may mix both), "bai2", or "auto" (see
    /// <see cref="Detect"/>). Unknown formats are an error like any fault of the file, and so
    /// is a file without a single line: a header-only export is a failed export, and recording it would
    /// hide that.
    /// </summary>
    /// <param name="detected">The format the file was read as (the given one, or what "auto" found).</param>
    /// <exception cref="OperationCanceledException">The caller gave up (the client left, the host is stopping).</exception>
    public static bool TryParse(
        byte[] content, string format, CsvMapping? mapping, out IReadOnlyList<BankStatement> statements, out string detected,
        out StatementError? error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(format);
        statements = [];
        detected = format.ToLowerInvariant();
        if (detected == "auto")
        {
            if (Unsupported(content) is { } kind)
            {
                error = new StatementError(0, null,
                    $"the file is {kind}, which is not a statement format read here: send camt.052/053/054, MT940/MT942, BAI2 or CSV");
                return false;
            }

            detected = Detect(content);
        }

        bool parsed;
        switch (detected)
        {
            case "csv":
                var csvMapping = mapping ?? CsvMapping.Generic;
                IReadOnlyList<StatementLine> lines = [];
                using (var reader = Text(content, csvMapping.Encoding, out error))
                {
                    parsed = reader is not null && CsvStatement.TryParse(reader, csvMapping, out lines, out error, cancellationToken);
                }

                statements = parsed ? [Unidentified(lines)] : [];
                break;

            case "camt" or "camt052" or "camt053" or "camt054":
                parsed = CamtStatement.TryParse(content, detected == "camt" ? null : detected, out statements, out var message, out error, cancellationToken);
                detected = message ?? detected;
                break;

            case "mt940" or "mt942":
                // German banks write MT940 in ISO-8859-1 or Windows-1252 (umlauts in names and purposes); a file
                // that is not UTF-8 is read as Windows-1252, which gives every such byte its character or is refused
                // (naming the first byte that is not UTF-8).
                using (var reader = Text(content, CsvEncoding.Utf8, out error) ?? Text(content, CsvEncoding.Windows1252, out _))
                {
                    parsed = reader is not null && Mt940Statement.TryParse(reader, out statements, out error, cancellationToken);
                }

                break;

            case "bai2":
                using (var reader = Text(content, CsvEncoding.Utf8, out error))
                {
                    parsed = reader is not null && Bai2Statement.TryParse(reader, out statements, out error, cancellationToken);
                }

                break;

            default:
                error = new StatementError(0, null, $"unknown format '{format}': use {string.Join(", ", Formats)}");
                return false;
        }

        // A day without movement is a statement too, when its balances say so (opening = closing, checked by
        // each reader); a file with neither a line nor a balance is a failed or empty export.
        if (parsed && statements.All(s => s.Lines.Count == 0 && s.Closing is null))
        {
            error = new StatementError(0, null, "the statement has no booked line and no balance: nothing to reconcile, so nothing is recorded");
            statements = [];
            return false;
        }

        return parsed;
    }

    /// <summary>
    /// Tells the formats apart by their first characters, after a byte order mark and blank space:
    /// XML ("&lt;") is camt, whose reader tells camt.052, camt.053 and camt.054 by the document's root; "01," a BAI2 file header; an MT940 file starts with a SWIFT block ("{1:"),
    /// a tag (":20:"), Rabobank's ":940:" or a short header line before its first tag; anything else is
    /// read as CSV, whose own errors then name what is wrong.
    /// </summary>
    public static string Detect(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            content = content[3..];
        }

        // SOH (0x01) opens a message as SWIFT interfaces frame it.
        content = content.TrimStart(" \t\r\n\u0001"u8);
        if (content.StartsWith("<"u8))
        {
            return "camt";
        }

        if (content.StartsWith("01,"u8))
        {
            return "bai2";
        }

        if (content.StartsWith("{1:"u8) || content.StartsWith(":20:"u8) || content.StartsWith(":940:"u8))
        {
            return "mt940";
        }

        // Some banks put short lines such as "0000 01INGBNL2AXXXX00001", or ABN AMRO's "ABNANL2A", "940",
        // "ABNANL2A", before the first tag.
        for (var headerLines = 0; headerLines < 3; headerLines++)
        {
            var lineEnd = content.IndexOfAny("\r\n"u8);
            if (lineEnd is <= 0 or > 40)
            {
                break;
            }

            content = content[lineEnd..].TrimStart("\r\n"u8);
            if (content.StartsWith(":20:"u8) || content.StartsWith("{1:"u8) || content.StartsWith(":940:"u8))
            {
                return "mt940";
            }
        }

        return "csv";
    }

    /// <summary>
    /// What a file is when it is plainly none of the formats read here, told by its first bytes, so that
    /// "auto" names it rather than reporting a CSV header it never had; null otherwise.
    /// </summary>
    private static string? Unsupported(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || content.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return "UTF-16 text (export it as UTF-8)";
        }

        var start = content.TrimStart(" \t\r\n"u8);
        return start.StartsWith("%PDF"u8) ? "a PDF document"
            : start.StartsWith("PK\x03\x04"u8) ? "a ZIP archive (unpack it and send each statement)"
            : start.StartsWith("OFXHEADER"u8) || start.StartsWith("<OFX>"u8) ? "OFX"
            : start.StartsWith("!Type:"u8) || start.StartsWith("!Account"u8) ? "QIF"
            : start.StartsWith("{"u8) && !start.StartsWith("{1:"u8) ? "JSON"
            : null;
    }

    /// <summary>A file that does not say which account it is for: one statement of all its lines.</summary>
    private static BankStatement Unidentified(IReadOnlyList<StatementLine> lines) =>
        new(1, null, null, null, null, null, null, IsInterim: false, lines);

    /// <summary>
    /// The file as text in the encoding given, or null with the fault: UTF-8 is read as it streams once
    /// checked (<see cref="NotText"/>), the single-byte encodings are decoded exactly (<see cref="CsvText"/>).
    /// </summary>
    private static TextReader? Text(byte[] content, CsvEncoding encoding, out StatementError? error)
    {
        if (encoding == CsvEncoding.Utf8)
        {
            error = NotText(content);
            return error is null ? new StreamReader(new MemoryStream(content), Encoding.UTF8, detectEncodingFromByteOrderMarks: false) : null;
        }

        return CsvText.TryDecode(content, encoding, out var decoded, out error) ? new StringReader(decoded) : null;
    }

    /// <summary>
    /// A statement in UTF-8 (a CSV mapping's default; a byte order mark is allowed): bytes that are not UTF-8 would be
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
        return new StatementError(CsvText.LineAt(content, at), null, at == nul
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
}
