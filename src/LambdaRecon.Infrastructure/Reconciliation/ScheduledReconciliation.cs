using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Tracing;
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
public sealed partial class ScheduledReconciliation(EngineResources resources, PipelineSweep sweep, ReconciliationService service)
{
    public async Task<ScheduledSummary> RunAsync(string triggeredBy, CancellationToken cancellationToken)
    {
        var dataSource = resources.DataSource;
        // The previous schedule's own row (account_id NULL), not the per-account runs it made; one that
        // failed reconciled nothing, so the next starts from the last that completed.
        await using var last = dataSource.CreateCommand(
            "SELECT coalesce(max(started_at), '-infinity') FROM reconciliation_runs WHERE kind = 'scheduled' AND account_id IS NULL AND state = 'completed'");
        var since = await last.ExecuteScalarAsync(cancellationToken) is DateTime d ? new DateTimeOffset(d, TimeSpan.Zero) : DateTimeOffset.MinValue;

        var runId = Guid.NewGuid();
        using var span = EngineTracing.Source.StartActivity("reconcile scheduled");
        span?.SetTag("lambdarecon.run_id", runId.ToString());
        await RunStore.StartAsync(dataSource, runId, "scheduled", null, since == DateTimeOffset.MinValue ? null : since, null, triggeredBy, cancellationToken);
        await using var lease = RunLease.Hold(dataSource, runId);
        RunLease? queued = null;
        var pending = new List<(Guid RunId, string AccountId)>();
        try
        {
            var differences = await LedgerIntegrity.CheckAsync(dataSource, null, cancellationToken);
            await RunStore.ProgressAsync(dataSource, runId, new { step = "sweeping", differences = differences.Count }, cancellationToken);
            var pipeline = await sweep.RunAsync(since == DateTimeOffset.MinValue ? DateTimeOffset.UnixEpoch : since, cancellationToken);

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
                    pending.Add((Guid.NewGuid(), reader.GetString(0)));
                }
            }

            // Each account's run is listed as pending at once, so its history shows it queued behind the others.
            pending.Sort((a, b) => string.CompareOrdinal(a.AccountId, b.AccountId));
            await RunStore.AddPendingAsync(dataSource, pending, "scheduled", triggeredBy, cancellationToken);
            // The accounts waiting their turn are renewed with the schedule: they are not stuck while it is alive.
            queued = RunLease.Hold(dataSource, [.. pending.Select(p => p.RunId)]);
            var counts = new
            {
                step = "accounts", differences = differences.Count, republished = pipeline.Republished.Count, dead_letters = pipeline.DeadLetters.Count,
                accounts_total = pending.Count, accounts_done = 0, account_differences = 0, open_breaks = 0,
            };
            await RunStore.ProgressAsync(dataSource, runId, counts, cancellationToken);

            var accounts = new List<RunSummary>();
            while (pending.Count > 0)
            {
                var (accountRunId, account) = pending[0];
                // Each account's own auto-match settings, when it has them.
                var options = await new SuggestionStore(dataSource).OptionsAsync(account, new MatchOptions(), cancellationToken);
                var run = await service.ReconcileAccountAsync(account, null, null, null, options, dryRun: false, "scheduled", triggeredBy,
                    cancellationToken, differences.Where(d => d.AccountId == account).ToArray(), accountRunId);
                pending.RemoveAt(0);
                accounts.Add(run.Summary);
                counts = counts with
                {
                    accounts_done = accounts.Count,
                    account_differences = counts.account_differences + run.Summary.Differences,
                    open_breaks = counts.open_breaks + run.Summary.UnmatchedInternal + run.Summary.UnmatchedExternal + run.Summary.AmountMismatches,
                };
                await RunStore.ProgressAsync(dataSource, runId, counts, cancellationToken);
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
            await RunStore.CompleteAsync(connection, runId,
                new
                {
                    differences = differences.Count,
                    republished = pipeline.Republished.Count,
                    dead_letters = pipeline.DeadLetters.Count,
                    status_counts = pipeline.StatusCounts,
                    accounts = accounts.Count,
                },
                counts with { step = "done" },
                cancellationToken);
            await RunStore.InsertDifferencesAsync(connection, runId, differences, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            span?.SetTag("lambdarecon.differences", differences.Count);
            span?.SetTag("lambdarecon.accounts", accounts.Count);
            return summary;
        }
        catch (Exception e)
        {
            // The account that threw has recorded its own failure; the ones after it never started.
            span.Failed(e);
            var reason = RunStore.ReasonOf(e);
            await RunStore.FailAsync(dataSource, [runId], reason);
            await RunStore.FailAsync(dataSource, pending.Select(p => p.RunId).ToArray(), $"not started: scheduled run {runId} failed: {reason}");
            throw;
        }
        finally
        {
            if (queued is not null)
            {
                await queued.DisposeAsync();
            }
        }
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
