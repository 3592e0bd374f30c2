using System.Text.Json;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Reconciliation;
using Npgsql;

namespace LambdaRecon.Infrastructure.Webhooks;

/// <summary>What processing made of one stored event, as appended to webhook_event_outcomes.</summary>
public sealed record WebhookOutcome(string Status, string? AccountId = null, string? Reason = null, Guid? RunId = null, int Imported = 0);

/// <summary>
/// Turns one stored Stripe event into an external record of the tenant's Stripe clearing account and
/// reconciles that account at once, then appends the outcome. Idempotent: the record's line id is the
/// event id and its statement the event's bytes, so running it again adds no record (docs/webhooks.md).
/// </summary>
public sealed class WebhookEventProcessor(NpgsqlDataSource dataSource, StatementStore statements, ReconciliationService reconciliation, SuggestionStore suggestions)
{
    /// <summary>Never throws for the event's sake: whatever goes wrong is appended as outcome 'failed' with its reason.</summary>
    public async Task<WebhookOutcome> ProcessAsync(Guid webhookEventId, CancellationToken cancellationToken)
    {
        // A redelivery of an event already applied (or already ignored) changes nothing, not even a new empty run: a
        // provider retries for days. One whose processing failed, or never ran, is processed again.
        await using (var last = dataSource.CreateCommand(
            "SELECT status FROM webhook_event_outcomes WHERE event_id = @id ORDER BY id DESC LIMIT 1"))
        {
            last.Parameters.AddWithValue("id", webhookEventId);
            if (await last.ExecuteScalarAsync(cancellationToken) is "processed" or "ignored")
            {
                return new WebhookOutcome("already-final", Reason: "a redelivery of an event already processed");
            }
        }

        WebhookOutcome outcome;
        try
        {
            outcome = await OutcomeAsync(webhookEventId, cancellationToken);
        }
        catch (Exception e) when (e is FormatException or JsonException or PostgresException or NpgsqlException or InvalidOperationException)
        {
            outcome = new WebhookOutcome("failed", Reason: e is PostgresException pg ? $"database error {pg.SqlState}" : e.Message);
        }

        await AppendAsync(webhookEventId, outcome, cancellationToken);
        return outcome;
    }

    private async Task<WebhookOutcome> OutcomeAsync(Guid webhookEventId, CancellationToken cancellationToken)
    {
        string tenantId, provider;
        byte[] body;
        await using (var command = dataSource.CreateCommand("SELECT tenant_id, provider, body FROM webhook_events WHERE id = @id"))
        {
            command.Parameters.AddWithValue("id", webhookEventId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException($"webhook event {webhookEventId} is not stored");
            }

            (tenantId, provider, body) = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2));
        }

        if (provider != WebhookProvider.Stripe.Name)
        {
            return new WebhookOutcome("ignored", Reason: $"events of provider '{provider}' are stored, not processed");
        }

        var stripe = StripeEvent.Read(body);
        if (stripe.Line is not { } line)
        {
            return new WebhookOutcome("ignored", Reason: "the event type moves no money on the clearing account");
        }

        if (StatementLine.TooLong(("event id", line.LineId), ("reference", line.Reference), ("metadata.transaction_id", line.EndToEndId)) is { } tooLong)
        {
            return new WebhookOutcome("failed", Reason: tooLong);
        }

        if (await ClearingAccountAsync(tenantId, stripe.Account, cancellationToken) is not { } account)
        {
            return new WebhookOutcome("no-clearing-account", Reason: stripe.Account is null
                ? "no account of the tenant holds a STRIPE external id, or several do"
                : $"no account of the tenant holds the STRIPE external id {stripe.Account}");
        }

        // One statement per event: its bytes are the file, so a second run finds it and copies nothing.
        var statement = new BankStatement(1, line.LineId, null, null, line.Amount.Currency, null, null, IsInterim: true, [line]);
        var import = await statements.ImportAsync(
            "stripe-webhook", body, [new RoutedStatement(0, statement, account)], $"webhook:{WebhookProvider.Stripe.Name}", cancellationToken);
        var options = await suggestions.OptionsAsync(account, new MatchOptions(), cancellationToken);
        var run = await reconciliation.ReconcileAccountAsync(
            account, null, null, null, options, dryRun: false, "on_demand", $"webhook:{WebhookProvider.Stripe.Name}", cancellationToken);
        return new WebhookOutcome("processed", account, RunId: run.Summary.RunId, Imported: import.Imported);
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
        command.Parameters.AddWithValue("detail", JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["account_id"] = outcome.AccountId, ["reason"] = outcome.Reason, ["run_id"] = outcome.RunId, ["records_added"] = outcome.Imported,
        }));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
