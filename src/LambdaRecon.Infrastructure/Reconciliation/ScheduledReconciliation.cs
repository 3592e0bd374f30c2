using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Infrastructure.Observability;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Infrastructure.Reconciliation;

public sealed record ScheduledSummary(
    Guid RunId, DateTimeOffset Since, int Differences, IReadOnlyList<Guid> Republished, IReadOnlyList<DeadLetter> DeadLetters,
    IReadOnlyDictionary<string, long> StatusCounts, IReadOnlyList<RunSummary> Accounts, long OpenBreaks)
{
    /// <summary>
    /// The run's metrics: ReconciliationDifferences counts the ledger integrity differences (the alarm's
    /// metric), the unmatched and mismatched items are summed over the accounts reconciled, OpenBreaks counts
    /// every break still open after the run, StuckRepublished the transactions sent to the queue again, and
    /// DlqDepth the messages seen in the DLQ.
    /// </summary>
    public IReadOnlyList<Metric> Metrics() =>
    [
        Metric.Count("ReconciliationDifferences", Differences),
        Metric.Count("UnmatchedInternal", Accounts.Sum(a => (long)a.UnmatchedInternal)),
        Metric.Count("UnmatchedExternal", Accounts.Sum(a => (long)a.UnmatchedExternal)),
        Metric.Count("AmountMismatches", Accounts.Sum(a => (long)a.AmountMismatches)),
        Metric.Count("OpenBreaks", OpenBreaks),
        Metric.Count("StuckRepublished", Republished.Count),
        Metric.Count("DlqDepth", DeadLetters.Count),
        Metric.Count("AccountsReconciled", Accounts.Count),
    ];
}

/// <summary>
/// What the schedule runs: the whole ledger's integrity, the pipeline sweep, and a reconciliation of
/// every account with activity (postings or statement lines) since the last scheduled run.
/// </summary>
public sealed partial class ScheduledReconciliation(EngineResources resources)
{
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(5);

    public async Task<ScheduledSummary> RunAsync(string triggeredBy, CancellationToken cancellationToken)
    {
        var dataSource = resources.DataSource;
        var runId = Guid.NewGuid();
        var startedAt = DateTimeOffset.UtcNow;
        // The previous schedule's own row (account_id NULL), not the per-account runs it made.
        await using var last = dataSource.CreateCommand(
            "SELECT coalesce(max(started_at), '-infinity') FROM reconciliation_runs WHERE kind = 'scheduled' AND account_id IS NULL");
        var since = await last.ExecuteScalarAsync(cancellationToken) is DateTime d ? new DateTimeOffset(d, TimeSpan.Zero) : DateTimeOffset.MinValue;

        var differences = await LedgerIntegrity.CheckAsync(dataSource, null, cancellationToken);
        var pipeline = await new PipelineSweep(resources).RunAsync(
            StuckAfter, since == DateTimeOffset.MinValue ? DateTimeOffset.UnixEpoch : since, $"reconciliation:{runId}", cancellationToken);

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

        var service = new ReconciliationService(dataSource);
        var accounts = new List<RunSummary>();
        foreach (var account in active.Order(StringComparer.Ordinal))
        {
            var run = await service.ReconcileAccountAsync(account, null, null, null, new MatchOptions(), dryRun: false, "scheduled", triggeredBy,
                cancellationToken, differences.Where(d => d.AccountId == account).ToArray());
            accounts.Add(run.Summary);
        }

        long openBreaks;
        await using (var count = dataSource.CreateCommand("SELECT count(*) FROM reconciliation_breaks WHERE status = 'open'"))
        {
            openBreaks = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        var summary = new ScheduledSummary(
            runId, since, differences.Count, pipeline.Republished, pipeline.DeadLetters, pipeline.StatusCounts, accounts, openBreaks);
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

    /// <summary>One line per run and one per account the run left something to look at, each with the run id; then the run's metrics.</summary>
    public static void Report(ScheduledSummary summary, string? eventId, ILogger logger, EmbeddedMetrics metrics)
    {
        Finished(logger, summary.RunId, eventId, summary.Differences, summary.Accounts.Count, summary.Republished.Count, summary.DeadLetters.Count,
            summary.OpenBreaks);
        foreach (var account in summary.Accounts.Where(a => a.UnmatchedInternal + a.UnmatchedExternal + a.AmountMismatches + a.Differences > 0))
        {
            AccountDifferences(logger, summary.RunId, account.AccountId, account.RunId, account.UnmatchedInternal, account.UnmatchedExternal,
                account.AmountMismatches, account.Differences);
        }

        metrics.Emit(summary.Metrics(), [new("run_id", summary.RunId.ToString())]);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Reconciliation {RunId} finished (event {EventId}): {Differences} ledger differences, {Accounts} accounts reconciled, {Republished} stuck transactions republished, {DeadLetters} in the DLQ, {OpenBreaks} breaks open")]
    private static partial void Finished(
        ILogger logger, Guid runId, string? eventId, int differences, int accounts, int republished, int deadLetters, long openBreaks);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Reconciliation {RunId}: account {AccountId} (run {AccountRunId}) has {UnmatchedInternal} unmatched ledger items, {UnmatchedExternal} unmatched statement lines, {AmountMismatches} amount mismatches, {Differences} ledger differences")]
    private static partial void AccountDifferences(
        ILogger logger, Guid runId, string? accountId, Guid? accountRunId, int unmatchedInternal, int unmatchedExternal, int amountMismatches, int differences);
}
