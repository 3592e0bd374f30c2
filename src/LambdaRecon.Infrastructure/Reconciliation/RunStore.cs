using System.Text.Json;
using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

/// <summary>Writes of reconciliation runs and their integrity differences, shared by account and scheduled runs.</summary>
public static class RunStore
{
    public static async Task InsertRunAsync(
        NpgsqlConnection connection, Guid runId, string kind, string? accountId, DateTimeOffset? from, DateTimeOffset? to,
        string triggeredBy, object summary, CancellationToken cancellationToken, DateTimeOffset? startedAt = null)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO reconciliation_runs (id, kind, account_id, period_from, period_to, triggered_by, started_at, finished_at, summary)
            VALUES (@id, @kind, @account, @from, @to, @by, coalesce(@started, now()), clock_timestamp(), @summary::jsonb)
            """, connection);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("account", (object?)accountId ?? DBNull.Value);
        command.Parameters.AddWithValue("from", (object?)from ?? DBNull.Value);
        command.Parameters.AddWithValue("to", (object?)to ?? DBNull.Value);
        command.Parameters.AddWithValue("by", triggeredBy);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("started", startedAt) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.AddWithValue("summary", JsonSerializer.Serialize(summary, JsonOptions));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task InsertDifferencesAsync(NpgsqlConnection connection, Guid runId, IReadOnlyList<Difference> differences, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO reconciliation_differences (run_id, kind, account_id, transaction_id, currency, expected, actual, difference, first_entry_id)
            SELECT @run, * FROM unnest(@kinds, @accounts, @transactions, @currencies, @expected, @actual, @differences, @entries)
            """, connection);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("kinds", differences.Select(d => d.Kind).ToArray());
        command.Parameters.Add(new NpgsqlParameter<string?[]>("accounts", differences.Select(d => d.AccountId).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<Guid?[]>("transactions", differences.Select(d => d.TransactionId).ToArray()));
        command.Parameters.AddWithValue("currencies", differences.Select(d => d.Currency).ToArray());
        command.Parameters.AddWithValue("expected", differences.Select(d => d.Expected).ToArray());
        command.Parameters.AddWithValue("actual", differences.Select(d => d.Actual).ToArray());
        command.Parameters.AddWithValue("differences", differences.Select(d => d.Amount).ToArray());
        command.Parameters.Add(new NpgsqlParameter<long?[]>("entries", differences.Select(d => d.FirstEntryId).ToArray()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
