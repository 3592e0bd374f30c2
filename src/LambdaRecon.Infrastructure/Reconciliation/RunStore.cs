using System.Text.Json;
using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

/// <summary>The states a run goes through, as GET /api/v1/reconciliations/{runId} shows them.</summary>
public static class RunStates
{
    /// <summary>An account a scheduled run has listed and not reached yet.</summary>
    public const string Pending = "pending";

    public const string InProgress = "in_progress";

    public const string Completed = "completed";

    public const string Failed = "failed";
}

/// <summary>
/// Writes of reconciliation runs and their integrity differences, shared by account and scheduled runs.
/// A run's row is written when it starts and updated at each step, each in a statement of its own, so
/// that its state can be read while it runs; its results are written with its completion, all or nothing.
/// </summary>
public static class RunStore
{
    public static async Task StartAsync(
        NpgsqlDataSource dataSource, Guid runId, string kind, string? accountId, DateTimeOffset? from, DateTimeOffset? to,
        string triggeredBy, CancellationToken cancellationToken) =>
        await InsertAsync(dataSource, [runId], kind, [accountId], from, to, triggeredBy, RunStates.InProgress, cancellationToken);

    /// <summary>An on-demand run accepted and about to start: listed first, so that its id can be answered before it finishes.</summary>
    public static async Task AddPendingAsync(
        NpgsqlDataSource dataSource, Guid runId, string kind, string accountId, DateTimeOffset? from, DateTimeOffset? to, string triggeredBy,
        CancellationToken cancellationToken) =>
        await InsertAsync(dataSource, [runId], kind, [accountId], from, to, triggeredBy, RunStates.Pending, cancellationToken);

    /// <summary>The accounts a scheduled run is about to reconcile, one pending run each, in one statement.</summary>
    public static async Task AddPendingAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<(Guid RunId, string AccountId)> runs, string kind, string triggeredBy, CancellationToken cancellationToken) =>
        await InsertAsync(dataSource, runs.Select(r => r.RunId).ToArray(), kind, runs.Select(r => (string?)r.AccountId).ToArray(), null, null,
            triggeredBy, RunStates.Pending, cancellationToken);

    /// <summary>The counts so far of a run that is working; a pending run becomes in_progress.</summary>
    public static async Task ProgressAsync(NpgsqlDataSource dataSource, Guid runId, object progress, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE reconciliation_runs
               SET state = 'in_progress', progress = @progress::jsonb, updated_at = clock_timestamp(),
                   started_at = CASE WHEN state = 'pending' THEN clock_timestamp() ELSE started_at END
             WHERE id = @id AND state IN ('pending', 'in_progress')
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("progress", JsonSerializer.Serialize(progress, JsonOptions));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Completes the run inside the transaction that writes its results.</summary>
    public static async Task CompleteAsync(NpgsqlConnection connection, Guid runId, object summary, object progress, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE reconciliation_runs
               SET state = 'completed', summary = @summary::jsonb, progress = @progress::jsonb, finished_at = clock_timestamp(), updated_at = clock_timestamp()
             WHERE id = @id AND state = 'in_progress'
            """, connection);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("summary", JsonSerializer.Serialize(summary, JsonOptions));
        command.Parameters.AddWithValue("progress", JsonSerializer.Serialize(progress, JsonOptions));
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new InvalidOperationException($"reconciliation run {runId} is no longer in progress: its results are not written");
        }
    }

    /// <summary>
    /// Records why runs stopped. Their work was rolled back with them; what they counted so far stays.
    /// Never cancelled: the reason must be written even when the caller gave up.
    /// </summary>
    public static async Task FailAsync(NpgsqlDataSource dataSource, IReadOnlyList<Guid> runIds, string reason)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE reconciliation_runs SET state = 'failed', failure_reason = @reason, finished_at = clock_timestamp(), updated_at = clock_timestamp()
             WHERE id = ANY(@ids) AND state IN ('pending', 'in_progress')
            """);
        command.Parameters.AddWithValue("ids", runIds.ToArray());
        command.Parameters.AddWithValue("reason", reason);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>
    /// How long a pending or in_progress run may go without a heartbeat (<see cref="RunLease"/>) or a step before it is
    /// reported failed: its process stopped without saying so.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    /// <summary>Fails the run if its lease has lapsed, so that a crashed run is read as failed rather than in_progress forever.</summary>
    public static NpgsqlBatchCommand Lapse(Guid runId) => new(
            """
            UPDATE reconciliation_runs
               SET state = 'failed', finished_at = clock_timestamp(), updated_at = clock_timestamp(),
                   failure_reason = format('lease lapsed: no heartbeat since %s (lease %s s); the process running it stopped',
                                           to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), @lease)
             WHERE id = @id AND state IN ('pending', 'in_progress') AND updated_at < clock_timestamp() - make_interval(secs => @lease)
            """)
    {
        Parameters = { new NpgsqlParameter("id", runId), new NpgsqlParameter("lease", (int)Lease.TotalSeconds) },
    };

    /// <summary>What a failed run records: the exception's type and message, without the stack.</summary>
    public static string ReasonOf(Exception exception) => exception is OperationCanceledException
        ? "cancelled before it finished"
        : $"{exception.GetType().Name}: {exception.Message}";

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

    private static async Task InsertAsync(
        NpgsqlDataSource dataSource, Guid[] runIds, string kind, string?[] accountIds, DateTimeOffset? from, DateTimeOffset? to,
        string triggeredBy, string state, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO reconciliation_runs (id, kind, account_id, period_from, period_to, triggered_by, state)
            SELECT id, @kind, account_id, @from, @to, @by, @state FROM unnest(@ids, @accounts) AS r(id, account_id)
            """);
        command.Parameters.AddWithValue("ids", runIds);
        command.Parameters.Add(new NpgsqlParameter<string?[]>("accounts", accountIds));
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("from", from) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("to", to) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.AddWithValue("by", triggeredBy);
        command.Parameters.AddWithValue("state", state);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
