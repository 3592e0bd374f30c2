using System.Globalization;
using System.Text;
using System.Text.Json;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.Problems;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Infrastructure.Reconciliation;

namespace LambdaRecon.Api.Reconciliation;

public sealed record BreakPageResponse(Guid RunId, IReadOnlyList<BreakResponse> Breaks, string? NextCursor);

/// <summary>
/// A run's breaks: as JSON pages by default, or with <c>Accept: text/csv</c> (or <c>?format=csv</c>) every break as one
/// RFC 4180 CSV file, streamed a page at a time from the database.
/// </summary>
public static class BreaksExport
{
    public static readonly string[] Columns =
    [
        "break_id", "kind", "status", "account_id", "transaction_id", "line_id", "statement_id", "item_date", "amount", "amount_minor", "currency",
        "reference", "counterparty", "description", "resolved_by", "resolved_at", "resolution_note", "adjustment_transaction_id",
    ];

    public static async Task<IResult> BreaksAsync(
        Guid runId, int? limit, string? cursor, string? format, HttpContext http, ReconciliationReader reader, CancellationToken cancellationToken)
    {
        var client = http.Client();
        if (format is not (null or "json" or "csv"))
        {
            return Problem.Validation("format", "format is json (the default) or csv");
        }

        if (await reader.RunAsync(client.TenantId, client.IsAdmin, runId, cancellationToken) is null)
        {
            return Problem.NotFound("Reconciliation run", $"run {runId} does not exist");
        }

        var csv = format == "csv" || (format is null && http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)));
        if (csv)
        {
            http.Response.ContentType = "text/csv; charset=utf-8; header=present";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"breaks-{runId}.csv\"";
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), bufferSize: 16 * 1024);
            writer.NewLine = "\r\n";
            await writer.WriteLineAsync(string.Join(',', Columns));
            await foreach (var b in reader.AllBreaksAsync(client.TenantId, runId, cancellationToken))
            {
                await writer.WriteLineAsync(Row(b));
            }

            return Results.Empty;
        }

        if (limit is < 1 or > 500 || (cursor is not null && !Guid.TryParse(cursor, out _)))
        {
            return Problem.Validation(limit is < 1 or > 500 ? "limit" : "cursor", "limit is 1–500; cursor is the next_cursor of the previous page");
        }

        var size = limit ?? 100;
        var breaks = await reader.BreaksAsync(client.TenantId, runId, cursor is null ? null : Guid.Parse(cursor), size, cancellationToken);
        return TypedResults.Ok(new BreakPageResponse(runId, [.. breaks.Select(BreakResponse.From)], breaks.Count == size ? breaks[^1].BreakId.ToString() : null));
    }

    /// <summary>One break as a CSV record, in <see cref="Columns"/> order; text from files and people goes through <see cref="Text"/>.</summary>
    public static string Row(BreakView b) => string.Join(',',
        b.BreakId.ToString(), b.Kind, b.Status, Text(b.AccountId), b.TransactionId?.ToString() ?? "", Text(b.LineId), b.StatementId?.ToString() ?? "",
        b.ItemDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
        MoneyFields.Text(b.Amount, b.Currency), b.Amount.ToString(CultureInfo.InvariantCulture), b.Currency,
        Text(DetailText(b.Detail, "reference")), Text(b.Counterparty), Text(DetailText(b.Detail, "description")),
        Text(b.ResolvedBy), b.ResolvedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "", Text(b.ResolutionNote), b.AdjustmentTransactionId?.ToString() ?? "");

    /// <summary>
    /// A text field as RFC 4180 writes it: quoted, each quote written twice, when it holds a comma, a quote, CR or LF. Text that
    /// a spreadsheet would run as a formula (it starts with =, +, -, @, tab or CR) is prefixed with a single quote, as OWASP's
    /// "CSV Injection" advises; the amount columns are this API's own numbers and are written as they are.
    /// </summary>
    public static string Text(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }

    public static string? DetailText(JsonElement detail, string name) =>
        detail.ValueKind == JsonValueKind.Object && detail.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
