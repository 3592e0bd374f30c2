using System.Text;

namespace LambdaRecon.Core.Statements;

/// <summary>Chooses the parser for a statement file by its format name, as the API and the CLI receive it.</summary>
public static class StatementFile
{
    public static readonly string[] Formats = ["csv", "camt053"];

    /// <summary>
    /// Parses a whole file: "csv" with a named mapping (generic when none is given) or "camt053".
    /// Unknown formats and mappings are an error like any fault of the file.
    /// </summary>
    public static bool TryParse(byte[] content, string format, string? mapping, out IReadOnlyList<StatementLine> lines, out StatementError? error)
    {
        lines = [];
        switch (format.ToUpperInvariant())
        {
            case "CSV":
                var csvMapping = CsvMapping.Named(mapping ?? "generic");
                if (csvMapping is null)
                {
                    error = new StatementError(0, null, $"unknown mapping '{mapping}': use generic or stripe");
                    return false;
                }

                using (var reader = new StreamReader(new MemoryStream(content), Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
                {
                    return CsvStatement.TryParse(reader, csvMapping, out lines, out error);
                }

            case "CAMT053":
                using (var stream = new MemoryStream(content))
                {
                    return Camt053Statement.TryParse(stream, out lines, out error);
                }

            default:
                error = new StatementError(0, null, $"unknown format '{format}': use {string.Join(" or ", Formats)}");
                return false;
        }
    }
}
