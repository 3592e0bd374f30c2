using LambdaRecon.Core.Reconciliation;

namespace LambdaRecon.Infrastructure.Reconciliation;

public sealed record ScheduledSummary(
    Guid RunId, DateTimeOffset Since, int Differences, IReadOnlyList<Guid> Republished, IReadOnlyList<DeadLetter> DeadLetters,
    IReadOnlyDictionary<string, long> StatusCounts, IReadOnlyList<RunSummary> Accounts);

/// <summary>
/// What the schedule runs: the whole ledger's integrity, the pipeline sweep, and a reconciliation of
/// every account with activity (postings or statement lines) since the last scheduled run.
/// </summary>
public sealed class ScheduledReconciliation(EngineResources resources, PipelineSweep sweep, ReconciliationService service)
{
    public async Task<ScheduledSummary> RunAsync(string triggeredBy, CancellationToken cancellationToken)
    {
        var dataSource = resources.DataSource;
        var startedAt = DateTimeOffset.UtcNow;
        // The previous schedule's own row (account_id NULL), not the per-account runs it made.
        await using var last = dataSource.CreateCommand(
            "SELECT coalesce(max(started_at), '-infinity') FROM reconciliation_runs WHERE kind = 'scheduled' AND account_id IS NULL");
        var since = await last.ExecuteScalarAsync(cancellationToken) is DateTime d ? new DateTimeOffset(d, TimeSpan.Zero) : DateTimeOffset.MinValue;

        var differences = await LedgerIntegrity.CheckAsync(dataSource, null, cancellationToken);
        var pipeline = await sweep.RunAsync(since == DateTimeOffset.MinValue ? DateTimeOffset.UnixEpoch : since, cancellationToken);

        var active = new List<string>();
        await using (var command = dataSource.CreateCommand(
            """
            SELECT DISTINCT account_id FROM ledger_entries WHERE posted_at >= @since
            UNION
            SELECT DISTINCT r.account_id FROM external_records r JOIN statements s ON s.id = r.statement_id WHERE s.imported_at >= @since
            """))
        {
            command.Parameters.AddWithValue("since", since);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                active.Add(reader.GetString(0));
            }
        }

        var accounts = new List<RunSummary>();
        foreach (var account in active.Order(StringComparer.Ordinal))
        {
            var run = await service.ReconcileAccountAsync(account, null, null, null, new MatchOptions(), dryRun: false, "scheduled", triggeredBy,
                cancellationToken, differences.Where(d => d.AccountId == account).ToArray());
            accounts.Add(run.Summary);
        }

        var runId = Guid.NewGuid();
        var summary = new ScheduledSummary(runId, since, differences.Count, pipeline.Republished, pipeline.DeadLetters, pipeline.StatusCounts, accounts);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await RunStore.InsertRunAsync(connection, runId, "scheduled", null, since == DateTimeOffset.MinValue ? null : since, null, triggeredBy,
            new
            {
                differences = differences.Count,
                republished = pipeline.Republished.Count,
                dead_letters = pipeline.DeadLetters.Count,
                status_counts = pipeline.StatusCounts,
                accounts = accounts.Count,
            },
            cancellationToken,
            startedAt);
        await RunStore.InsertDifferencesAsync(connection, runId, differences, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return summary;
    }
}
