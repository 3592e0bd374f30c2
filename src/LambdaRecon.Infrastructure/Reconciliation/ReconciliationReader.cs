using System.Text.Json;
using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

/// <summary>
/// A run as stored: <see cref="State"/> is pending, in_progress (with its counts so far in <see cref="Progress"/>),
/// completed (<see cref="Summary"/> holds its results) or failed (<see cref="FailureReason"/> says why).
/// </summary>
public sealed record RunView(Guid RunId, string Kind, string? AccountId, DateTimeOffset? PeriodFrom, DateTimeOffset? PeriodTo,
    string TriggeredBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, JsonElement Summary,
    string State, JsonElement Progress, string? FailureReason, DateTimeOffset UpdatedAt);

/// <param name="StatementId">The statement of the break's line, if it has one.</param>
/// <param name="ItemDate">The date of the item left over: the line's value date, else the posting's date (what ageing counts from).</param>
/// <param name="Counterparty">The posting's other account, or the line's counterparty.</param>
public sealed record BreakView(Guid BreakId, string Kind, string AccountId, Guid? TransactionId, string? LineId, long Amount, string Currency,
    JsonElement Detail, string Status, string? ResolvedBy, DateTimeOffset? ResolvedAt, string? ResolutionNote, Guid? AdjustmentTransactionId,
    Guid? StatementId, DateOnly? ItemDate, string? Counterparty);

/// <summary>What one matching rule settled in a run: matches, and the postings and statement lines in them (their total, signed).</summary>
public sealed record RuleTotal(string Rule, int Matches, int Transactions, int Lines, long LinesAmount);

public sealed record DifferenceView(Guid RunId, string Kind, string? AccountId, Guid? TransactionId, string Currency, long Expected, long Actual,
    long Difference, long? FirstEntryId);

/// <summary>
/// Reconciliation runs as a tenant sees them. A run for an account, and its breaks, belong to the account's
/// tenant; a run without an account (the schedule's whole-ledger check) belongs to none and is shown only
/// to admin keys (<c>withUnowned</c>), since its differences may name any tenant's accounts.
/// </summary>
public sealed class ReconciliationReader(NpgsqlDataSource dataSource)
{
    private const string RunColumns = "r.id, r.kind, r.account_id, r.period_from, r.period_to, r.triggered_by, r.started_at, r.finished_at, r.summary::text, r.state, r.progress::text, r.failure_reason, r.updated_at";

    public async Task<IReadOnlyList<RunView>> HistoryAsync(string tenantId, string accountId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {RunColumns} FROM reconciliation_runs r
             WHERE r.account_id = @account AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = @account AND a.tenant_id = @tenant)
             ORDER BY r.started_at DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("limit", limit);
        var runs = new List<RunView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(ReadRun(reader));
        }

        return runs;
    }

    /// <returns>Null for an unknown run, another tenant's, and (unless <paramref name="withUnowned"/>) one without an account.</returns>
    public async Task<RunView?> RunAsync(string tenantId, bool withUnowned, Guid runId, CancellationToken cancellationToken)
    {
        // A run whose lease lapsed is marked failed first, in the same round trip as the read.
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(RunStore.Lapse(runId));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"""
            SELECT {RunColumns} FROM reconciliation_runs r
             WHERE r.id = @id
               AND (EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.account_id AND a.tenant_id = @tenant)
                    OR (@unowned AND r.account_id IS NULL))
            """)
        {
            Parameters = { new NpgsqlParameter("id", runId), new NpgsqlParameter("tenant", tenantId), new NpgsqlParameter("unowned", withUnowned) },
        });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRun(reader) : null;
    }

    /// <summary>A run's breaks in id order, <paramref name="limit"/> after <paramref name="after"/>.</summary>
    public async Task<IReadOnlyList<BreakView>> BreaksAsync(string tenantId, Guid runId, Guid? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT b.id, b.kind, b.account_id, b.transaction_id, b.line_id, b.amount, b.currency, b.detail::text, b.status, b.resolved_by,
                   b.resolved_at, b.resolution_note, b.adjustment_transaction_id, r.statement_id,
                   coalesce(r.value_date, (b.detail->>'date')::date), coalesce(b.detail->>'counterparty', r.counterparty)
              FROM reconciliation_breaks b
              LEFT JOIN external_records r ON r.account_id = b.account_id AND r.line_id = b.line_id
             WHERE b.run_id = @run AND (@after::uuid IS NULL OR b.id > @after)
               AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = b.account_id AND a.tenant_id = @tenant)
             ORDER BY b.id LIMIT @limit
            """);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.Add(new NpgsqlParameter<Guid?>("after", after) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue("limit", limit);
        var breaks = new List<BreakView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            breaks.Add(new BreakView(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetGuid(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5), reader.GetString(6),
                JsonDocument.Parse(reader.GetString(7)).RootElement.Clone(), reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.IsDBNull(11) ? null : reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetGuid(12),
                reader.IsDBNull(13) ? null : reader.GetGuid(13), reader.IsDBNull(14) ? null : reader.GetFieldValue<DateOnly>(14),
                reader.IsDBNull(15) ? null : reader.GetString(15)));
        }

        return breaks;
    }

    /// <summary>Every break of the run, a page at a time from the database, for exports that must not hold them all.</summary>
    public async IAsyncEnumerable<BreakView> AllBreaksAsync(
        string tenantId, Guid runId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int page = 500;
        Guid? after = null;
        while (true)
        {
            var breaks = await BreaksAsync(tenantId, runId, after, page, cancellationToken);
            foreach (var b in breaks)
            {
                yield return b;
            }

            if (breaks.Count < page)
            {
                yield break;
            }

            after = breaks[^1].BreakId;
        }
    }

    /// <summary>The run's matches by rule, in rule order; none for another tenant's run.</summary>
    public async Task<IReadOnlyList<RuleTotal>> MatchedByRuleAsync(string tenantId, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT m.rule, count(DISTINCT m.match_no)::int, count(m.transaction_id)::int, count(m.line_id)::int, coalesce(sum(r.amount), 0)::bigint
              FROM reconciliation_matches m
              LEFT JOIN external_records r ON r.account_id = m.account_id AND r.line_id = m.line_id
             WHERE m.run_id = @run AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = m.account_id AND a.tenant_id = @tenant)
             GROUP BY m.rule ORDER BY m.rule
            """);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("tenant", tenantId);
        var totals = new List<RuleTotal>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            totals.Add(new RuleTotal(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt64(4)));
        }

        return totals;
    }

    /// <summary>
    /// The differences the latest completed run that checked this account found for it (none when it was clean): the
    /// account's own runs, and for admin keys (<paramref name="withUnowned"/>) the whole-ledger runs too.
    /// </summary>
    public async Task<(Guid? RunId, IReadOnlyList<DifferenceView> Differences)> LatestDifferencesAsync(
        string tenantId, bool withUnowned, string accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH latest AS (
                SELECT r.id FROM reconciliation_runs r
                 WHERE (r.account_id = @account OR (@unowned AND r.account_id IS NULL)) AND r.state = 'completed'
                   AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = @account AND a.tenant_id = @tenant)
                 ORDER BY r.started_at DESC LIMIT 1
            )
            SELECT latest.id, d.kind, d.account_id, d.transaction_id, d.currency, d.expected, d.actual, d.difference, d.first_entry_id
              FROM latest
              LEFT JOIN reconciliation_differences d ON d.run_id = latest.id
                    AND (d.account_id = @account
                         OR d.transaction_id IN (SELECT e.transaction_id FROM ledger_entries e WHERE e.account_id = @account))
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("unowned", withUnowned);
        Guid? runId = null;
        var differences = new List<DifferenceView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runId = reader.GetGuid(0);
            if (!reader.IsDBNull(1))
            {
                differences.Add(new DifferenceView(
                    runId.Value, reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetGuid(3),
                    reader.GetString(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetInt64(8)));
            }
        }

        return (runId, differences);
    }

    private static RunView ReadRun(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
        reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
        JsonDocument.Parse(reader.GetString(8)).RootElement.Clone(), reader.GetString(9), JsonDocument.Parse(reader.GetString(10)).RootElement.Clone(),
        reader.IsDBNull(11) ? null : reader.GetString(11), reader.GetFieldValue<DateTimeOffset>(12));
}
