using System.Text.Json;
using LambdaRecon.Core.Reconciliation;
using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

public sealed record SuggestionView(Guid SuggestionId, Guid RunId, string AccountId, int SuggestionNo, JsonElement Candidates, string Status,
    int? AcceptedCandidate, string? ResolvedBy, DateTimeOffset? ResolvedAt, string? ResolutionNote);

/// <summary>What accepting or rejecting did: the suggestion's status after it, or why nothing changed.</summary>
/// <param name="Problem">null when done; "not-pending" (already decided or superseded), "no-such-candidate", "already-matched".</param>
public sealed record SuggestionDecision(string Status, string? Problem = null);

/// <summary>An account's auto-match settings (see <see cref="MatchOptions"/>).</summary>
public sealed record MatchSettings(int AutoMatchThreshold, int AmbiguityMargin);

/// <summary>
/// Suggestions of runs, and the per-account settings that decide what is only suggested. A suggestion
/// holds its proposal's items in its run: they are neither matched nor breaks there. Accepting writes
/// the chosen candidate's match rows (and closes open breaks of its items, which a rival's may have);
/// rejecting turns the proposal's items into open breaks of the run, and no later run of the account
/// proposes any of its candidates again (<see cref="MatchOptions.Rejected"/>). Both are recorded in the account's
/// audit trail with who, when and the note, like break resolutions. A later run of the account reads
/// the held items again, so it supersedes the pending suggestions of earlier runs.
/// </summary>
public sealed class SuggestionStore(NpgsqlDataSource dataSource)
{
    public async Task<MatchSettings?> SettingsAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT auto_match_threshold, ambiguity_margin FROM account_match_settings WHERE account_id = @account");
        command.Parameters.AddWithValue("account", accountId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new MatchSettings(reader.GetInt32(0), reader.GetInt32(1)) : null;
    }

    /// <summary>The account's settings over the defaults; what a request names wins over both (the caller's choice).</summary>
    public async Task<MatchOptions> OptionsAsync(string accountId, MatchOptions options, CancellationToken cancellationToken) =>
        await SettingsAsync(accountId, cancellationToken) is { } settings
            ? options with { AutoMatchThreshold = settings.AutoMatchThreshold, AmbiguityMargin = settings.AmbiguityMargin }
            : options;

    public async Task SetSettingsAsync(string accountId, MatchSettings settings, string actor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH saved AS (
                INSERT INTO account_match_settings (account_id, auto_match_threshold, ambiguity_margin, updated_by)
                VALUES (@account, @threshold, @margin, @actor)
                ON CONFLICT (account_id) DO UPDATE
                   SET auto_match_threshold = excluded.auto_match_threshold, ambiguity_margin = excluded.ambiguity_margin,
                       updated_by = excluded.updated_by, updated_at = now()
                RETURNING account_id
            )
            INSERT INTO account_events (account_id, event, actor, detail)
            SELECT account_id, 'match_settings.updated', @actor, jsonb_build_object('auto_match_threshold', @threshold, 'ambiguity_margin', @margin)
              FROM saved
            """);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("threshold", settings.AutoMatchThreshold);
        command.Parameters.AddWithValue("margin", settings.AmbiguityMargin);
        command.Parameters.AddWithValue("actor", actor);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Inside the run's transaction: earlier pending suggestions of the account give way to this run's.</summary>
    public static async Task InsertAsync(NpgsqlConnection connection, Guid runId, string accountId, IReadOnlyList<MatchSuggestion> suggestions, CancellationToken cancellationToken)
    {
        await using (var supersede = new NpgsqlCommand(
            "UPDATE reconciliation_suggestions SET status = 'superseded', resolved_at = now(), resolved_by = 'run ' || @run WHERE account_id = @account AND status = 'pending' AND run_id <> @run",
            connection))
        {
            supersede.Parameters.AddWithValue("account", accountId);
            supersede.Parameters.AddWithValue("run", runId);
            await supersede.ExecuteNonQueryAsync(cancellationToken);
        }

        if (suggestions.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand(
            """
            INSERT INTO reconciliation_suggestions (id, run_id, account_id, suggestion_no, candidates)
            SELECT gen_random_uuid(), @run, @account, no, candidates::jsonb FROM unnest(@nos, @candidates) AS s(no, candidates)
            """, connection);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("nos", Enumerable.Range(1, suggestions.Count).ToArray());
        command.Parameters.AddWithValue("candidates", suggestions.Select(s => JsonSerializer.Serialize(s.Candidates.Select(Describe))).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A candidate as stored and shown.</summary>
    public static object Describe(MatchCandidate candidate) => new Dictionary<string, object>
    {
        ["transaction_ids"] = candidate.Internal.Select(i => i.Id).ToArray(),
        ["line_ids"] = candidate.External.Select(e => e.LineId).ToArray(),
        ["rule"] = candidate.Rule.ToString(),
        ["confidence"] = candidate.Confidence,
        ["fee_minor"] = candidate.Fee.Minor,
    };

    /// <summary>A run's suggestions in order, <paramref name="limit"/> after number <paramref name="after"/>; none for another tenant's run.</summary>
    public async Task<IReadOnlyList<SuggestionView>> ListAsync(string tenantId, Guid runId, int after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {Columns} FROM reconciliation_suggestions s JOIN accounts a ON a.id = s.account_id
             WHERE s.run_id = @run AND a.tenant_id = @tenant AND s.suggestion_no > @after
             ORDER BY s.suggestion_no LIMIT @limit
            """);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", limit);
        var views = new List<SuggestionView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            views.Add(Read(reader));
        }

        return views;
    }

    /// <returns>Null for an unknown suggestion, and for another tenant's.</returns>
    public async Task<SuggestionView?> GetAsync(string tenantId, Guid suggestionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM reconciliation_suggestions s JOIN accounts a ON a.id = s.account_id WHERE s.id = @id AND a.tenant_id = @tenant");
        command.Parameters.AddWithValue("id", suggestionId);
        command.Parameters.AddWithValue("tenant", tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Accepts one candidate (0 is the proposal): its items are matched in the suggestion's run, all or nothing.</summary>
    /// <returns>Null for an unknown suggestion, and for another tenant's.</returns>
    public async Task<SuggestionDecision?> AcceptAsync(string tenantId, Guid suggestionId, int candidate, string note, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockAsync(connection, tenantId, suggestionId, cancellationToken) is not { } held)
        {
            return null;
        }

        if (held.Status != "pending")
        {
            return new SuggestionDecision(held.Status, "not-pending");
        }

        if (candidate < 0 || candidate >= held.Candidates.GetArrayLength())
        {
            return new SuggestionDecision(held.Status, "no-such-candidate");
        }

        await using var command = new NpgsqlCommand(
            """
            WITH chosen AS (
                SELECT c FROM reconciliation_suggestions s, jsonb_array_element(s.candidates, @candidate) AS c WHERE s.id = @id
            ), next_no AS (
                SELECT coalesce(max(match_no), 0) + 1 AS no FROM reconciliation_matches WHERE run_id = @run
            ), matched AS (
                INSERT INTO reconciliation_matches (run_id, account_id, match_no, rule, confidence, fee, transaction_id, line_id)
                SELECT @run, @account, n.no, c->>'rule', (c->>'confidence')::int, (c->>'fee_minor')::bigint, t::uuid, NULL
                  FROM chosen, next_no n, jsonb_array_elements_text(c->'transaction_ids') AS t
                UNION ALL
                SELECT @run, @account, n.no, c->>'rule', (c->>'confidence')::int, (c->>'fee_minor')::bigint, NULL, l
                  FROM chosen, next_no n, jsonb_array_elements_text(c->'line_ids') AS l
                RETURNING transaction_id, line_id
            ), closed AS (
                -- A rival's items may be open breaks of the run: matched now, they are settled.
                UPDATE reconciliation_breaks b
                   SET status = 'explained', resolved_by = @actor, resolved_at = now(),
                       resolution_note = 'matched by accepting suggestion ' || @id || ': ' || @note
                  FROM matched m
                 WHERE b.account_id = @account AND b.status = 'open'
                   AND (b.transaction_id = m.transaction_id OR b.line_id = m.line_id)
            ), decided AS (
                UPDATE reconciliation_suggestions
                   SET status = 'accepted', accepted_candidate = @candidate, resolved_by = @actor, resolved_at = now(), resolution_note = @note
                 WHERE id = @id
            )
            INSERT INTO account_events (account_id, event, actor, detail)
            SELECT @account, 'suggestion.accepted', @actor,
                   jsonb_build_object('suggestion_id', @id, 'run_id', @run, 'candidate', @candidate, 'note', @note, 'match', (SELECT c FROM chosen))
            """, connection, transaction);
        Bind(command, held, note, actor);
        command.Parameters.AddWithValue("candidate", candidate);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // An item of the candidate was matched since (by a later run or another suggestion): nothing is written.
            return new SuggestionDecision(held.Status, "already-matched");
        }

        await transaction.CommitAsync(cancellationToken);
        return new SuggestionDecision("accepted");
    }

    /// <summary>
    /// Rejects the suggestion — every candidate it lists, not only the proposal: the person saw them all and took none.
    /// Its proposal's items become open breaks of its run, for a person or the next run, which pairs them only with other counterparts.
    /// </summary>
    /// <returns>Null for an unknown suggestion, and for another tenant's.</returns>
    public async Task<SuggestionDecision?> RejectAsync(string tenantId, Guid suggestionId, string note, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockAsync(connection, tenantId, suggestionId, cancellationToken) is not { } held)
        {
            return null;
        }

        if (held.Status != "pending")
        {
            return new SuggestionDecision(held.Status, "not-pending");
        }

        await using var command = new NpgsqlCommand(
            """
            WITH proposal AS (
                SELECT s.candidates->0 AS c FROM reconciliation_suggestions s WHERE s.id = @id
            ), breaks AS (
                INSERT INTO reconciliation_breaks (id, run_id, account_id, kind, transaction_id, line_id, amount, currency, detail)
                SELECT gen_random_uuid(), @run, @account, 'unmatched_internal', e.transaction_id, NULL, e.amount, e.currency,
                       jsonb_build_object('rejected_suggestion_id', @id)
                  FROM proposal CROSS JOIN LATERAL jsonb_array_elements_text(c->'transaction_ids') AS t
                  JOIN ledger_entries e ON e.transaction_id = t::uuid AND e.account_id = @account
                UNION ALL
                SELECT gen_random_uuid(), @run, @account, 'unmatched_external', NULL, r.line_id, r.amount, r.currency,
                       jsonb_build_object('rejected_suggestion_id', @id, 'value_date', r.value_date, 'reference', r.reference, 'source_line', r.source_line)
                  FROM proposal CROSS JOIN LATERAL jsonb_array_elements_text(c->'line_ids') AS l
                  JOIN external_records r ON r.line_id = l AND r.account_id = @account
            ), decided AS (
                UPDATE reconciliation_suggestions
                   SET status = 'rejected', resolved_by = @actor, resolved_at = now(), resolution_note = @note
                 WHERE id = @id
            )
            INSERT INTO account_events (account_id, event, actor, detail)
            SELECT @account, 'suggestion.rejected', @actor, jsonb_build_object('suggestion_id', @id, 'run_id', @run, 'note', @note)
            """, connection, transaction);
        Bind(command, held, note, actor);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SuggestionDecision("rejected");
    }

    private const string Columns =
        "s.id, s.run_id, s.account_id, s.suggestion_no, s.candidates::text, s.status, s.accepted_candidate, s.resolved_by, s.resolved_at, s.resolution_note";

    private static async Task<SuggestionView?> LockAsync(NpgsqlConnection connection, string tenantId, Guid suggestionId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM reconciliation_suggestions s JOIN accounts a ON a.id = s.account_id WHERE s.id = @id AND a.tenant_id = @tenant FOR UPDATE OF s",
            connection);
        command.Parameters.AddWithValue("id", suggestionId);
        command.Parameters.AddWithValue("tenant", tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static void Bind(NpgsqlCommand command, SuggestionView held, string note, string actor)
    {
        command.Parameters.AddWithValue("id", held.SuggestionId);
        command.Parameters.AddWithValue("run", held.RunId);
        command.Parameters.AddWithValue("account", held.AccountId);
        command.Parameters.AddWithValue("note", note);
        command.Parameters.AddWithValue("actor", actor);
    }

    private static SuggestionView Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt32(3), JsonDocument.Parse(reader.GetString(4)).RootElement.Clone(),
        reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetString(9));
}
