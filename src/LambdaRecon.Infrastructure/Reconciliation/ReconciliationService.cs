using System.Text.Json;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;
using LambdaRecon.Infrastructure.Tracing;
using Npgsql;
using NpgsqlTypes;

namespace LambdaRecon.Infrastructure.Reconciliation;

public sealed record RunSummary(
    Guid? RunId, string? AccountId, int Matched, int UnmatchedInternal, int UnmatchedExternal, int AmountMismatches, int Differences, int Suggestions = 0);

public sealed record AccountRun(RunSummary Summary, MatchResult Matches, IReadOnlyList<Difference> Differences);

/// <summary>
/// One account's reconciliation: its ledger against itself, and against the statement lines not yet
/// matched by an earlier run. The matching is Core's; this class reads its inputs and stores its
/// outputs (unless it is a dry run) in one database transaction.
/// </summary>
public sealed class ReconciliationService(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// How long a record that came from a payment provider's webhook waits for its counterpart before an unmatched
    /// one is a break: a charge's event may arrive before its transfer is posted. Until then it is unmatched, not a
    /// break; the first run after the window writes the break. Zero (the default here) waits for nothing; the
    /// composition root sets <see cref="Webhooks.WebhookEventProcessor.Window"/>.
    /// </summary>
    public TimeSpan WebhookWindow { get; init; }

    /// <summary>
    /// Lists an on-demand run as pending, then starts it on the thread pool: the caller answers with the id while the
    /// returned task works. <paramref name="stopping"/> is the host's, not a request's: the run outlives the request.
    /// </summary>
    public async Task<(Guid RunId, Task<AccountRun> Work)> StartAsync(
        string accountId, DateTimeOffset? from, DateTimeOffset? to, IReadOnlyList<Guid>? statementIds, MatchOptions options, string triggeredBy,
        CancellationToken stopping)
    {
        var runId = Guid.NewGuid();
        await RunStore.AddPendingAsync(dataSource, runId, "on_demand", accountId, from, to, triggeredBy, stopping);
        var work = Task.Run(
            () => ReconcileAccountAsync(accountId, from, to, statementIds, options, dryRun: false, "on_demand", triggeredBy, stopping, pendingRunId: runId),
            CancellationToken.None);
        return (runId, work);
    }

    /// <param name="pendingRunId">The pending run a scheduled run listed for this account; null to start a new one.</param>
    /// <param name="onArrival">
    /// A run on a provider's events (webhooks), whose records are the lines of <paramref name="statementIds"/>: it reads
    /// those lines and the account's other unmatched lines of the same amounts (their rivals), and only the postings
    /// that could match them (named by their end-to-end id, reference or payout id, or of the same amount within the
    /// date window); it writes the matches, mismatches and suggestions it finds, but no break for what is still
    /// unmatched and no ledger integrity check (its differences are not counted). The rest is the scheduled run's, every
    /// 15 minutes: a run per batch of events that read the account's whole ledger and wrote a break per open item would
    /// do both dozens of times a second, at a cost growing with the account's history.
    /// </param>
    public async Task<AccountRun> ReconcileAccountAsync(
        string accountId, DateTimeOffset? from, DateTimeOffset? to, IReadOnlyList<Guid>? statementIds, MatchOptions options,
        bool dryRun, string kind, string triggeredBy, CancellationToken cancellationToken,
        IReadOnlyList<Difference>? knownDifferences = null, Guid? pendingRunId = null, bool onArrival = false)
    {
        Guid? runId = dryRun ? null : pendingRunId ?? Guid.NewGuid();
        using var span = EngineTracing.Source.StartActivity("reconcile account");
        span?.SetTag("lambdarecon.account_id", accountId);
        span?.SetTag("lambdarecon.run_id", runId?.ToString());
        span?.SetTag("lambdarecon.run_kind", kind);
        // Renewed while this method works: a run whose process dies is reported failed once its lease lapses.
        await using var lease = runId is { } held ? RunLease.Hold(dataSource, held) : null;
        try
        {
            if (runId is { } id)
            {
                await (pendingRunId is null
                    ? RunStore.StartAsync(dataSource, id, kind, accountId, from, to, triggeredBy, cancellationToken)
                    : RunStore.ProgressAsync(dataSource, id, new { step = "reading" }, cancellationToken));
            }

            options = options with { Rejected = await RejectedPairingsAsync(accountId, cancellationToken) };
            var (lines, waiting) = await StatementLinesAsync(accountId, from, to, options.DateWindowDays, statementIds, onArrival, cancellationToken);
            var ledger = await LedgerItemsAsync(accountId, from, to, onArrival ? lines : null, options.DateWindowDays, cancellationToken);
            await ProgressAsync(runId, new { step = "matching", ledger_items = ledger.Count, statement_lines = lines.Count }, cancellationToken);
            var result = Matcher.Match(ledger, lines, options);
            // A caller that has just checked the whole ledger passes the account's share instead of checking again.
            var differences = knownDifferences ?? (onArrival ? [] : await LedgerIntegrity.CheckAsync(dataSource, accountId, cancellationToken));
            var matched = result.Pairs.Count + result.Groups.Count;
            var summary = new RunSummary(runId, accountId, matched, result.UnmatchedInternal.Count, result.UnmatchedExternal.Count, result.Mismatches.Count,
                differences.Count, result.Suggestions.Count);
            span?.SetTag("lambdarecon.matched", matched);
            span?.SetTag("lambdarecon.differences", differences.Count);
            if (runId is not { } runToWrite)
            {
                return new AccountRun(summary, result, differences);
            }

            var counts = new
            {
                step = "writing", ledger_items = ledger.Count, statement_lines = lines.Count, matched, unmatched_internal = result.UnmatchedInternal.Count,
                unmatched_external = result.UnmatchedExternal.Count, amount_mismatches = result.Mismatches.Count, differences = differences.Count,
                suggestions = result.Suggestions.Count,
            };
            await ProgressAsync(runId, counts, cancellationToken);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await RunStore.CompleteAsync(connection, runToWrite, summary, counts with { step = "done" }, cancellationToken);
            await RunStore.InsertDifferencesAsync(connection, runToWrite, differences, cancellationToken);
            await InsertMatchesAsync(connection, runToWrite, accountId, result, cancellationToken);
            await InsertBreaksAsync(connection, runToWrite, accountId, result, onArrival ? null : waiting, cancellationToken);
            await SuggestionStore.InsertAsync(connection, runToWrite, accountId, result.Suggestions, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new AccountRun(summary, result, differences);
        }
        catch (Exception e)
        {
            span.Failed(e);
            if (runId is { } failed)
            {
                await RunStore.FailAsync(dataSource, [failed], RunStore.ReasonOf(e));
            }

            throw;
        }
    }

    private Task ProgressAsync(Guid? runId, object progress, CancellationToken cancellationToken) =>
        runId is { } id ? RunStore.ProgressAsync(dataSource, id, progress, cancellationToken) : Task.CompletedTask;

    // Every candidate of every suggestion a person rejected: they saw the proposal and its rivals and took none
    // (accepting a rival is how to take one), so no run of the account proposes any of those pairings again.
    private async Task<List<RejectedPairing>> RejectedPairingsAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT ARRAY(SELECT jsonb_array_elements_text(c->'transaction_ids')), ARRAY(SELECT jsonb_array_elements_text(c->'line_ids'))
              FROM reconciliation_suggestions s CROSS JOIN LATERAL jsonb_array_elements(s.candidates) AS c
             WHERE s.account_id = @account AND s.status = 'rejected'
            """);
        command.Parameters.AddWithValue("account", accountId);
        var rejected = new List<RejectedPairing>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rejected.Add(new RejectedPairing(reader.GetFieldValue<string[]>(0), reader.GetFieldValue<string[]>(1)));
        }

        return rejected;
    }

    // "Not matched before" is a probe of the matches' (account, id) index per item: the OFFSET 0 keeps PostgreSQL from
    // turning it into an anti join, which, for an account younger than the table's statistics (a new clearing account
    // filling at hundreds of events a second), it planned as a scan of all the account's matches per item: 110 ms
    // instead of 2 ms at a thousand records (docs/benchmarks.md, webhooks). The same holds for the statement lines below.
    // The account's postings not matched before and not settled by a resolved break, signed from its side. A refund
    // or an adjustment may settle a statement's reversal line; metadata payout_id names the payout that paid it out.
    /// <param name="candidatesFor">Not null: only the postings that could match one of these lines (an on-arrival run).</param>
    private async Task<List<LedgerItem>> LedgerItemsAsync(
        string accountId, DateTimeOffset? from, DateTimeOffset? to, IReadOnlyList<StatementLine>? candidatesFor, int windowDays,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT t.id, e.amount, e.currency, (e.posted_at AT TIME ZONE 'UTC')::date, t.idempotency_key, t.description,
                   CASE WHEN t.source_account_id = @account THEN t.destination_account_id ELSE t.source_account_id END,
                   t.metadata->>'payout_id', t.type IN ('refund', 'adjustment')
              FROM ledger_entries e JOIN transactions t ON t.id = e.transaction_id
             WHERE e.account_id = @account
               AND (@from::timestamptz IS NULL OR e.posted_at >= @from) AND (@to::timestamptz IS NULL OR e.posted_at < @to)
               AND (NOT @arrival OR t.id = ANY(@ids) OR t.idempotency_key = ANY(@keys) OR t.metadata->>'payout_id' = ANY(@payouts)
                    OR (e.amount = ANY(@amounts) AND e.posted_at >= @since))
               AND NOT EXISTS (SELECT 1 FROM reconciliation_matches m WHERE m.account_id = @account AND m.transaction_id = t.id OFFSET 0)
               AND NOT EXISTS (SELECT 1 FROM reconciliation_breaks b
                                WHERE b.account_id = @account AND b.transaction_id = t.id AND b.status <> 'open')
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("from", from) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("to", to) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var lines = candidatesFor ?? [];
        command.Parameters.AddWithValue("arrival", candidatesFor is not null);
        // The identifier rule pairs a line's end-to-end id or reference with a posting's id or idempotency key.
        var named = lines.SelectMany(l => new[] { l.EndToEndId, l.Reference }).OfType<string>().Distinct().ToArray();
        command.Parameters.AddWithValue("ids", named.Select(n => Guid.TryParse(n, out var id) ? id : (Guid?)null).OfType<Guid>().ToArray());
        command.Parameters.AddWithValue("keys", named);
        command.Parameters.AddWithValue("payouts", lines.Select(l => l.PayoutId).OfType<string>().Distinct().ToArray());
        command.Parameters.AddWithValue("amounts", lines.Select(l => l.Amount.Minor).Distinct().ToArray());
        var earliest = lines.Count == 0 ? DateOnly.MaxValue : lines.Min(l => l.BookingDate < l.ValueDate ? l.BookingDate : l.ValueDate);
        command.Parameters.AddWithValue("since", lines.Count == 0
            ? DateTimeOffset.MaxValue
            : new DateTimeOffset(earliest.AddDays(-windowDays).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
        var items = new List<LedgerItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            items.Add(new LedgerItem(
                id.ToString(), new Money(reader.GetInt64(1), Currency.Of(reader.GetString(2))), reader.GetFieldValue<DateOnly>(3),
                Reference: reader.IsDBNull(4) ? null : reader.GetString(4),
                EndToEndId: id.ToString(),
                Counterparty: reader.GetString(6),
                Description: reader.IsDBNull(5) ? null : reader.GetString(5),
                PayoutId: reader.IsDBNull(7) ? null : reader.GetString(7),
                Reverses: reader.GetBoolean(8)));
        }

        return items;
    }

    /// <returns>The lines, and the ids of those still within <see cref="WebhookWindow"/> (no break yet when unmatched).</returns>
    private async Task<(List<StatementLine> Lines, HashSet<string> Waiting)> StatementLinesAsync(
        string accountId, DateTimeOffset? from, DateTimeOffset? to, int windowDays, IReadOnlyList<Guid>? statementIds, bool withRivals,
        CancellationToken cancellationToken)
    {
        // The window widens the period on both sides: a payment posted on the 31st may be booked on the 2nd.
        // A batch line (a camt.053 entry booked as one line, batch_count > 0) whose payments came as lines of
        // interim statements (a camt.054) carrying its entry reference is reconciled through those lines: while
        // they sum to its amount the batch line is left out (settled through them, it never becomes a break);
        // while they do not, they are left out instead, so that no payment is counted twice.
        await using var command = dataSource.CreateCommand(
            """
            WITH batches AS (
                SELECT b.line_id, b.entry_ref,
                       b.amount = (SELECT coalesce(sum(d.amount), 0) FROM external_records d JOIN statements ds ON ds.id = d.statement_id
                                    WHERE d.account_id = @account AND d.entry_ref = b.entry_ref AND d.batch_count = 0 AND ds.is_interim) AS detailed
                  FROM external_records b
                 WHERE b.account_id = @account AND b.batch_count > 0 AND b.entry_ref IS NOT NULL
            )
            SELECT r.line_id, r.source_line, r.amount, r.currency, r.booking_date, r.value_date, r.reference, r.end_to_end_id,
                   r.counterparty, r.description, r.fee, r.net, r.is_reversal, r.entry_ref, r.batch_count, r.payout_id, r.category,
                   EXISTS (SELECT 1 FROM statements s
                            WHERE s.id = r.statement_id AND s.imported_by LIKE 'webhook:%' AND s.imported_at > now() - @webhook_window)
              FROM external_records r
             WHERE r.account_id = @account
               AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.line_id = r.line_id AND b.detailed)
               AND NOT (r.entry_ref IS NOT NULL AND r.batch_count = 0
                        AND EXISTS (SELECT 1 FROM batches b WHERE b.entry_ref = r.entry_ref AND NOT b.detailed)
                        AND EXISTS (SELECT 1 FROM statements s WHERE s.id = r.statement_id AND s.is_interim))
               AND (@from::date IS NULL OR r.value_date >= @from::date - @window)
               AND (@to::date IS NULL OR r.value_date <= @to::date + @window)
               AND (@statements::uuid[] IS NULL OR r.statement_id = ANY(@statements)
                    OR (@rivals AND r.amount IN (SELECT x.amount FROM external_records x WHERE x.account_id = @account AND x.statement_id = ANY(@statements))))
               AND NOT EXISTS (SELECT 1 FROM reconciliation_matches m WHERE m.account_id = @account AND m.line_id = r.line_id OFFSET 0)
               AND NOT EXISTS (SELECT 1 FROM reconciliation_breaks b
                                WHERE b.account_id = @account AND b.line_id = r.line_id AND b.status <> 'open')
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.Add(new NpgsqlParameter<DateTime?>("from", from?.UtcDateTime) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTime?>("to", to?.UtcDateTime) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.AddWithValue("window", windowDays);
        command.Parameters.Add(new NpgsqlParameter<Guid[]?>("statements", statementIds?.ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue("webhook_window", WebhookWindow);
        command.Parameters.AddWithValue("rivals", withRivals);
        var lines = new List<StatementLine>();
        var waiting = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var currency = Currency.Of(reader.GetString(3));
            lines.Add(new StatementLine(
                reader.GetString(0), reader.GetInt32(1), new Money(reader.GetInt64(2), currency),
                reader.GetFieldValue<DateOnly>(4), reader.GetFieldValue<DateOnly>(5),
                Text(reader, 6), Text(reader, 7), Text(reader, 8), Text(reader, 9),
                reader.IsDBNull(10) ? null : new Money(reader.GetInt64(10), currency),
                reader.IsDBNull(11) ? null : new Money(reader.GetInt64(11), currency),
                IsReversal: reader.GetBoolean(12), EntryRef: Text(reader, 13), BatchCount: reader.GetInt32(14), PayoutId: Text(reader, 15),
                Category: Text(reader, 16)));
            if (reader.GetBoolean(17))
            {
                waiting.Add(reader.GetString(0));
            }
        }

        return (lines, waiting);
    }

    private static async Task InsertMatchesAsync(NpgsqlConnection connection, Guid runId, string accountId, MatchResult result, CancellationToken cancellationToken)
    {
        var rows = new List<(int No, string Rule, int Confidence, long Fee, Guid? Transaction, string? Line)>();
        var no = 0;
        foreach (var pair in result.Pairs)
        {
            no++;
            rows.Add((no, pair.Rule.ToString(), pair.Confidence, 0, Guid.Parse(pair.Internal.Id), null));
            rows.Add((no, pair.Rule.ToString(), pair.Confidence, 0, null, pair.External.LineId));
        }

        foreach (var group in result.Groups)
        {
            no++;
            rows.AddRange(group.Internal.Select(i => (no, group.Rule.ToString(), group.Confidence, group.Fee.Minor, (Guid?)Guid.Parse(i.Id), (string?)null)));
            rows.AddRange(group.External.Select(e => (no, group.Rule.ToString(), group.Confidence, group.Fee.Minor, (Guid?)null, (string?)e.LineId)));
        }

        await using var command = new NpgsqlCommand(
            """
            INSERT INTO reconciliation_matches (run_id, account_id, match_no, rule, confidence, fee, transaction_id, line_id)
            SELECT @run, @account, * FROM unnest(@nos, @rules, @confidences, @fees, @transactions, @lines)
            """, connection);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("nos", rows.Select(r => r.No).ToArray());
        command.Parameters.AddWithValue("rules", rows.Select(r => r.Rule).ToArray());
        command.Parameters.AddWithValue("confidences", rows.Select(r => r.Confidence).ToArray());
        command.Parameters.AddWithValue("fees", rows.Select(r => r.Fee).ToArray());
        command.Parameters.Add(new NpgsqlParameter<Guid?[]>("transactions", rows.Select(r => r.Transaction).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("lines", rows.Select(r => r.Line).ToArray()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <param name="waiting">The webhook records still within their window; null writes no break for anything unmatched (an on-arrival run).</param>
    private static async Task InsertBreaksAsync(
        NpgsqlConnection connection, Guid runId, string accountId, MatchResult result, HashSet<string>? waiting, CancellationToken cancellationToken)
    {
        var rows = new List<(string Kind, Guid? Transaction, string? Line, long Amount, string Currency, string Detail)>();
        if (waiting is not null)
        {
            rows.AddRange(result.UnmatchedInternal.Select(i =>
                ("unmatched_internal", (Guid?)Guid.Parse(i.Id), (string?)null, i.Amount.Minor, i.Amount.Currency.Code,
                 JsonSerializer.Serialize(new { date = i.Date, reference = i.Reference, counterparty = i.Counterparty }))));
            // A reversal line that no refund or adjustment settled is its own kind of break: money taken back.
            // A webhook's record still within its window is waiting for its counterpart, not yet a break.
            rows.AddRange(result.UnmatchedExternal.Where(e => !waiting.Contains(e.LineId)).Select(e =>
                (e.IsReversal ? "reversal" : "unmatched_external", (Guid?)null, (string?)e.LineId, e.Amount.Minor, e.Amount.Currency.Code,
                 JsonSerializer.Serialize(new { value_date = e.ValueDate, reference = e.Reference, end_to_end_id = e.EndToEndId, source_line = e.SourceLine, description = e.Description }))));
        }

        // A mismatch's amount is what the statement says beyond the ledger: the adjustment that would settle it.
        rows.AddRange(result.Mismatches.Select(m =>
            ("amount_mismatch", (Guid?)Guid.Parse(m.Internal.Id), (string?)m.External.LineId, m.External.Amount.Minor - m.Internal.Amount.Minor,
             m.Internal.Amount.Currency.Code,
             JsonSerializer.Serialize(new { ledger_amount = m.Internal.Amount.Minor, statement_amount = m.External.Amount.Minor, statement_currency = m.External.Amount.Currency.Code, rule = m.Rule.ToString() }))));

        await using var command = new NpgsqlCommand(
            """
            INSERT INTO reconciliation_breaks (id, run_id, account_id, kind, transaction_id, line_id, amount, currency, detail)
            SELECT gen_random_uuid(), @run, @account, kind, transaction_id, line_id, amount, currency, detail::jsonb
              FROM unnest(@kinds, @transactions, @lines, @amounts, @currencies, @details) AS v(kind, transaction_id, line_id, amount, currency, detail)
            """, connection);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("kinds", rows.Select(r => r.Kind).ToArray());
        command.Parameters.Add(new NpgsqlParameter<Guid?[]>("transactions", rows.Select(r => r.Transaction).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("lines", rows.Select(r => r.Line).ToArray()));
        command.Parameters.AddWithValue("amounts", rows.Select(r => r.Amount).ToArray());
        command.Parameters.AddWithValue("currencies", rows.Select(r => r.Currency).ToArray());
        command.Parameters.AddWithValue("details", rows.Select(r => r.Detail).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string? Text(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
}
