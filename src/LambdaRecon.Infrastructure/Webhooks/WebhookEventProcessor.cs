using System.Text.Json;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Reconciliation;
using Npgsql;

namespace LambdaRecon.Infrastructure.Webhooks;

/// <summary>What processing made of one stored event, as appended to webhook_event_outcomes (docs/webhooks.md, "Processing").</summary>
/// <param name="WaitingFor">For 'held' and 'orphaned': the charge the event waits for, or <see cref="WebhookEventProcessor.Balance"/> for a payout.</param>
/// <param name="Charge">For 'processed': the charge the event recorded, which events held for it wait for.</param>
/// <param name="Shortfall">For a payout held: the minor units the clearing account's records lack to cover it.</param>
public sealed record WebhookOutcome(
    string Status, string? AccountId = null, string? Reason = null, Guid? RunId = null, int Imported = 0, string? WaitingFor = null,
    string? Charge = null, long? Shortfall = null);

/// <summary>
/// Turns stored Stripe events into external records of the tenant's Stripe clearing account, appends each
/// outcome, and reconciles each account a batch of events recorded to once (<see cref="Batch"/>). Idempotent: a record's line id is Stripe's
/// balance transaction (else the event id) and its statement the event's bytes, so running it again, or
/// another event about the same money, adds no record. Events that arrive before what they depend on are
/// held and applied when it comes, or by <see cref="ReleaseExpiredAsync"/> after a window (docs/webhooks.md).
/// </summary>
public sealed class WebhookEventProcessor(NpgsqlDataSource dataSource, StatementStore statements, ReconciliationService reconciliation, SuggestionStore suggestions)
{
    /// <summary>What a held payout waits for: records of the clearing account that cover it.</summary>
    public const string Balance = "balance";

    /// <summary>
    /// How long an event waits for its counterpart, LAMBDARECON_WEBHOOK_WINDOW_SECONDS (an hour unless set): a held event
    /// for its predecessor (then <see cref="ReleaseExpiredAsync"/> applies it), a record for its ledger match (until
    /// then an unmatched one is no break: <see cref="ReconciliationService.WebhookWindow"/>). Zero waits for nothing.
    /// </summary>
    /// <exception cref="FormatException">The setting is not a whole number of seconds.</exception>
    public static TimeSpan Window(Func<string, string?> lookup) =>
        lookup("LAMBDARECON_WEBHOOK_WINDOW_SECONDS") is not { Length: > 0 } text ? TimeSpan.FromHours(1)
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : throw new FormatException($"LAMBDARECON_WEBHOOK_WINDOW_SECONDS must be a whole number of seconds, not '{text}'");

    /// <summary>How long a held event waits for its predecessor: the window a webhook's record waits for its match.</summary>
    public TimeSpan HoldWindow => reconciliation.WebhookWindow;

    /// <summary>
    /// The clearing accounts a batch of events touched, each with the run that will reconcile it once the batch is
    /// recorded (<see cref="ReconcileAsync"/>): one run per account and batch instead of one per event, which is
    /// what lets one tenant's events, processed one at a time, keep up with hundreds a second.
    /// </summary>
    public sealed class Batch
    {
        internal Dictionary<string, (Guid RunId, List<Guid> Statements)> Runs { get; } = new(StringComparer.Ordinal);

        /// <summary>The clearing account of each (tenant, connected account) the batch met: one look-up per batch, not per event.</summary>
        internal Dictionary<(string Tenant, string? StripeAccount), string?> ClearingAccounts { get; } = [];
    }

    /// <summary>One event, then its clearing account's run: a batch of one.</summary>
    public async Task<WebhookOutcome> ProcessAsync(Guid webhookEventId, CancellationToken cancellationToken)
    {
        var batch = new Batch();
        var outcome = await ProcessAsync(webhookEventId, batch, cancellationToken);
        await ReconcileAsync(batch, cancellationToken);
        return outcome;
    }

    /// <summary>
    /// Records the event; its clearing account is reconciled by <see cref="ReconcileAsync"/> for the whole
    /// <paramref name="batch"/>, in the run the outcome already names (pending until then). Never throws for the
    /// event's sake: whatever goes wrong is appended as outcome 'failed' with its reason.
    /// </summary>
    /// <param name="force">
    /// Process it even when its last outcome is final ('processed', 'ignored', 'orphaned'): a replay, which must
    /// apply what a newer version reads in events an older one ignored. Its records are keyed as before, so it adds
    /// none that is there; it appends a new outcome (records_added 0 for what was recorded).
    /// </param>
    public async Task<WebhookOutcome> ProcessAsync(Guid webhookEventId, Batch batch, CancellationToken cancellationToken, bool force = false)
    {
        // A redelivery of an event already applied (or already ignored) changes nothing, not even a new empty run: a
        // provider retries for days. One whose processing failed, never ran, or is held, is processed again.
        var last = await LastOutcomeAsync(webhookEventId, cancellationToken);
        if (!force && last.Status is "processed" or "ignored" or "orphaned")
        {
            return new WebhookOutcome("already-final", Reason: "a redelivery of an event already processed");
        }

        return await ApplyAsync(webhookEventId, last, orphanedWaitingFor: null, batch, cancellationToken);
    }

    /// <summary>
    /// Reconciles each account the batch recorded to, once, in the run its outcomes name. A run that fails is logged by
    /// the reconciliation and reported failed; the records stay, and the account's next run (the next event's, or the
    /// schedule's) matches them.
    /// </summary>
    /// <returns>The runs, by account.</returns>
    public async Task<IReadOnlyList<AccountRun>> ReconcileAsync(Batch batch, CancellationToken cancellationToken)
    {
        var runs = new List<AccountRun>();
        foreach (var (account, (runId, statementIds)) in batch.Runs)
        {
            var options = await suggestions.OptionsAsync(account, new MatchOptions(), cancellationToken);
            runs.Add(await reconciliation.ReconcileAccountAsync(
                account, null, null, statementIds, options, dryRun: false, "on_demand", TriggeredBy, cancellationToken, pendingRunId: runId, onArrival: true));
        }

        batch.Runs.Clear();
        return runs;
    }

    private static readonly string TriggeredBy = $"webhook:{WebhookProvider.Stripe.Name}";

    /// <summary>
    /// Applies every event held longer than <paramref name="window"/> (by receipt time) without its predecessor: the
    /// money did move at Stripe, so it is recorded, as outcome 'orphaned' naming in <c>waiting_for</c> what never came;
    /// left unmatched, it is a break in the account's next run.
    /// </summary>
    public async Task<IReadOnlyList<(Guid EventId, WebhookOutcome Outcome)>> ReleaseExpiredAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        var expired = new List<(Guid Id, string? WaitingFor)>();
        await using (var command = dataSource.CreateCommand(
            """
            SELECT o.event_id, o.detail->>'waiting_for'
              FROM webhook_event_outcomes o JOIN webhook_events e ON e.id = o.event_id
             WHERE o.status = 'held' AND e.received_at < now() - @window
               AND NOT EXISTS (SELECT 1 FROM webhook_event_outcomes later WHERE later.event_id = o.event_id AND later.id > o.id)
             ORDER BY e.id
            """))
        {
            command.Parameters.AddWithValue("window", window);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                expired.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
        }

        var released = new List<(Guid, WebhookOutcome)>();
        var batch = new Batch();
        foreach (var (id, waitingFor) in expired)
        {
            // An earlier release in this loop may have applied it (its charge, released first, let it go).
            var last = await LastOutcomeAsync(id, cancellationToken);
            if (last.Status == "held")
            {
                released.Add((id, await ApplyAsync(id, last, waitingFor ?? "unknown", batch, cancellationToken)));
            }
        }

        await ReconcileAsync(batch, cancellationToken);
        return released;
    }

    private async Task<(string? Status, string? WaitingFor)> LastOutcomeAsync(Guid webhookEventId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT status, detail->>'waiting_for' FROM webhook_event_outcomes WHERE event_id = @id ORDER BY id DESC LIMIT 1");
        command.Parameters.AddWithValue("id", webhookEventId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)) : (null, null);
    }

    /// <param name="orphanedWaitingFor">Not null when releasing a held event: apply it without its predecessor.</param>
    private async Task<WebhookOutcome> ApplyAsync(
        Guid webhookEventId, (string? Status, string? WaitingFor) last, string? orphanedWaitingFor, Batch batch, CancellationToken cancellationToken)
    {
        WebhookOutcome outcome;
        try
        {
            outcome = await OutcomeAsync(
                webhookEventId, hold: orphanedWaitingFor is null, recordedBefore: last.Status is "processed" or "orphaned", batch, cancellationToken);
            if (orphanedWaitingFor is not null && outcome.Status == "processed")
            {
                outcome = outcome with
                {
                    Status = "orphaned", WaitingFor = orphanedWaitingFor,
                    Reason = orphanedWaitingFor == Balance
                        ? "held too long: the clearing account's records never covered this payout; recorded anyway"
                        : $"held too long: charge {orphanedWaitingFor} never came; recorded anyway",
                };
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or PostgresException { SqlState: ['2', '2' or '3', ..] })
        {
            // The event's own fault (a field missing, a value the schema refuses: SQLSTATE classes 22 and 23) is its outcome.
            // Any other database error (the connection lost, a deadlock, a serialization failure) is thrown: nothing is
            // appended, the message comes again, and the sweep takes the event if it does not.
            outcome = new WebhookOutcome("failed", Reason: e is PostgresException pg ? $"database error {pg.SqlState}" : e.Message);
        }

        // Held again for the same thing: the outcome already says so; a re-check that changes nothing appends nothing.
        if (outcome.Status == "held" && last.Status == "held" && last.WaitingFor == outcome.WaitingFor)
        {
            return outcome;
        }

        await AppendAsync(webhookEventId, outcome, cancellationToken);
        if (outcome.Status is "processed" or "orphaned")
        {
            await ReleaseHeldAsync(webhookEventId, outcome, batch, cancellationToken);
        }
        else if (outcome.Status == "held")
        {
            // Its predecessor, processed concurrently, may have looked for held events before this hold was appended:
            // checking once more after appending means one of the two always sees the other. Still held, it appends nothing.
            return await ProcessAsync(webhookEventId, batch, cancellationToken);
        }

        return outcome;
    }

    /// <summary>
    /// What the event just recorded may let held events go: those waiting for the charge it recorded, and, when it
    /// added a record to the clearing account, the account's held payouts (re-checked in order of receipt).
    /// </summary>
    private async Task ReleaseHeldAsync(Guid webhookEventId, WebhookOutcome outcome, Batch batch, CancellationToken cancellationToken)
    {
        var waiting = new List<Guid>();
        await using (var command = dataSource.CreateCommand(
            """
            SELECT o.event_id
              FROM webhook_event_outcomes o JOIN webhook_events e ON e.id = o.event_id
             WHERE o.status = 'held'
               AND e.tenant_id = (SELECT tenant_id FROM webhook_events WHERE id = @event)
               AND (o.detail->>'waiting_for' = @charge OR (o.detail->>'waiting_for' = @balance AND o.detail->>'account_id' = @account))
               AND NOT EXISTS (SELECT 1 FROM webhook_event_outcomes later WHERE later.event_id = o.event_id AND later.id > o.id)
             ORDER BY e.id
            """))
        {
            command.Parameters.AddWithValue("event", webhookEventId);
            command.Parameters.Add(new NpgsqlParameter<string?>("charge", outcome.Charge) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.AddWithValue("balance", Balance);
            command.Parameters.Add(new NpgsqlParameter<string?>("account", outcome.Imported > 0 ? outcome.AccountId : null)
            {
                NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
            });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                waiting.Add(reader.GetGuid(0));
            }
        }

        foreach (var held in waiting)
        {
            await ProcessAsync(held, batch, cancellationToken);
        }
    }

    /// <param name="recordedBefore">The event was applied before (a replay): it may have left its record under its event id (<see cref="KeptLineIdsAsync"/>).</param>
    private async Task<WebhookOutcome> OutcomeAsync(Guid webhookEventId, bool hold, bool recordedBefore, Batch batch, CancellationToken cancellationToken)
    {
        string tenantId, provider, eventId;
        byte[] body;
        await using (var command = dataSource.CreateCommand("SELECT tenant_id, provider, body, event_id FROM webhook_events WHERE id = @id"))
        {
            command.Parameters.AddWithValue("id", webhookEventId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException($"webhook event {webhookEventId} is not stored");
            }

            (tenantId, provider, body, eventId) = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2), reader.GetString(3));
        }

        if (provider != WebhookProvider.Stripe.Name)
        {
            return new WebhookOutcome("ignored", Reason: $"events of provider '{provider}' are stored, not processed");
        }

        var stripe = StripeEvent.Read(body);
        if (stripe.Lines.Count == 0)
        {
            return new WebhookOutcome("ignored", Reason: stripe.NothingBecause ?? "the event type moves no money on the clearing account");
        }

        foreach (var each in stripe.Lines)
        {
            if (StatementLine.TooLong(("line id", each.LineId), ("reference", each.Reference), ("metadata.transaction_id", each.EndToEndId)) is { } tooLong)
            {
                return new WebhookOutcome("failed", Reason: tooLong);
            }
        }

        if (!batch.ClearingAccounts.TryGetValue((tenantId, stripe.Account), out var clearing))
        {
            clearing = await ClearingAccountAsync(tenantId, stripe.Account, cancellationToken);
            batch.ClearingAccounts.Add((tenantId, stripe.Account), clearing);
        }

        if (clearing is not { } account)
        {
            return new WebhookOutcome("no-clearing-account", Reason: stripe.Account is null
                ? "no account of the tenant holds a STRIPE external id, or several do"
                : $"no account of the tenant holds the STRIPE external id {stripe.Account}");
        }

        if (hold && stripe.After is { } after && !await ChargeRecordedAsync(tenantId, after, cancellationToken))
        {
            return new WebhookOutcome("held", account, Reason: $"charge {after} has not been processed yet", WaitingFor: after);
        }

        var lines = recordedBefore ? await KeptLineIdsAsync(account, eventId, stripe.Lines, cancellationToken) : stripe.Lines;
        if (hold && stripe.IsPayout && await ShortfallAsync(account, lines[0], cancellationToken) is > 0 and var shortfall)
        {
            return new WebhookOutcome("held", account, Reason: "the clearing account's records do not cover the payout yet",
                WaitingFor: Balance, Shortfall: shortfall);
        }

        // One statement per event: its bytes are the file, so a second run finds it and copies nothing.
        var statement = new BankStatement(1, lines[0].LineId, null, null, lines[0].Amount.Currency, null, null, IsInterim: true, lines);
        var import = await statements.ImportAsync(
            "stripe-webhook", body, [new RoutedStatement(0, statement, account)], TriggeredBy, cancellationToken);
        var statementIds = import.Statements.Select(s => s.StatementId).ToList();
        Guid runId;
        if (batch.Runs.TryGetValue(account, out var pending))
        {
            runId = pending.RunId;
            pending.Statements.AddRange(statementIds);
        }
        else
        {
            runId = Guid.NewGuid();
            await RunStore.AddPendingAsync(dataSource, runId, "on_demand", account, null, null, TriggeredBy, cancellationToken);
            batch.Runs[account] = (runId, statementIds);
        }

        return new WebhookOutcome("processed", account, RunId: runId, Imported: import.Imported, Charge: stripe.Charge);
    }

    /// <summary>Whether an event of the tenant recording <paramref name="charge"/> was processed (its outcome's <c>charge_id</c>).</summary>
    private async Task<bool> ChargeRecordedAsync(string tenantId, string charge, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT EXISTS (SELECT 1 FROM webhook_event_outcomes o JOIN webhook_events e ON e.id = o.event_id
                            WHERE o.detail->>'charge_id' = @charge AND e.tenant_id = @tenant)
            """);
        command.Parameters.AddWithValue("charge", charge);
        command.Parameters.AddWithValue("tenant", tenantId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Stripe pays out only an available balance: a payout larger than what the clearing account's records add up to
    /// (credits less debits, earlier payouts included, in its currency, this payout's own record aside) means we lack
    /// records of the money it pays. The lack, in minor units; 0 or less when covered.
    /// </summary>
    private async Task<long> ShortfallAsync(string account, StatementLine payout, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT coalesce(sum(amount), 0)::bigint FROM external_records
             WHERE account_id = @account AND currency = @currency AND line_id <> @line
            """);
        command.Parameters.AddWithValue("account", account);
        command.Parameters.AddWithValue("currency", payout.Amount.Currency.Code);
        command.Parameters.AddWithValue("line", payout.LineId);
        var balance = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return -payout.Amount.Minor - balance;
    }

    /// <summary>
    /// An event processed before records were keyed by balance transaction (migration 15) left its record under the
    /// event id: a one-line event whose record is there keeps that id, so a replay does not record the money twice.
    /// </summary>
    private async Task<IReadOnlyList<StatementLine>> KeptLineIdsAsync(
        string account, string eventId, IReadOnlyList<StatementLine> lines, CancellationToken cancellationToken)
    {
        if (lines.Count != 1 || lines[0].LineId == eventId)
        {
            return lines;
        }

        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM external_records WHERE account_id = @account AND line_id = @event)");
        command.Parameters.AddWithValue("account", account);
        command.Parameters.AddWithValue("event", eventId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))! ? [lines[0] with { LineId = eventId }] : lines;
    }

    /// <summary>
    /// The tenant's account holding the event's connected account (acct_…) as a STRIPE id; for a platform
    /// event (no <c>account</c>), the tenant's one account holding any STRIPE id, none when several do.
    /// </summary>
    private async Task<string?> ClearingAccountAsync(string tenantId, string? stripeAccount, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT DISTINCT account_id FROM account_external_ids
             WHERE tenant_id = @tenant AND scheme = 'STRIPE' AND (@stripe::text IS NULL OR external_id = @stripe)
             LIMIT 2
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.Add(new NpgsqlParameter<string?>("stripe", stripeAccount) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var found = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add(reader.GetString(0));
        }

        return found.Count == 1 ? found[0] : null;
    }

    private async Task AppendAsync(Guid webhookEventId, WebhookOutcome outcome, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO webhook_event_outcomes (event_id, status, detail) VALUES (@event, @status, @detail::jsonb)");
        command.Parameters.AddWithValue("event", webhookEventId);
        command.Parameters.AddWithValue("status", outcome.Status);
        var detail = new Dictionary<string, object?>
        {
            ["account_id"] = outcome.AccountId, ["reason"] = outcome.Reason, ["run_id"] = outcome.RunId, ["records_added"] = outcome.Imported,
        };
        // Only the keys an outcome has: the indexes of migration 15 look events up by charge_id and waiting_for.
        if (outcome.Charge is not null)
        {
            detail["charge_id"] = outcome.Charge;
        }

        if (outcome.WaitingFor is not null)
        {
            detail["waiting_for"] = outcome.WaitingFor;
        }

        if (outcome.Shortfall is not null)
        {
            detail["shortfall"] = outcome.Shortfall;
        }

        command.Parameters.AddWithValue("detail", JsonSerializer.Serialize(detail));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
