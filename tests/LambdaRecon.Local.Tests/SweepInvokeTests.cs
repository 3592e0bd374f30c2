using System.Text;
using System.Text.Json;
using LambdaRecon.Local.Template;
using LambdaRecon.TestSupport;
using Npgsql;

namespace LambdaRecon.Local.Tests;

/// <summary>
/// ReconcileFunction on the Sweep schedule's constant input: it republishes what is stuck, processes the webhook events
/// left without an outcome, applies those held past the window as orphaned, and nothing more.
/// </summary>
[Collection(SharedQueueDefinition.Name)]
public class SweepInvokeTests
{
    [Fact]
    public async Task The_sweep_input_republishes_a_transaction_stuck_in_accepted_and_processes_a_webhook_event_left_received_without_running_a_reconciliation()
    {
        var template = SamTemplate.Load(Path.Combine(TestEnvironment.RepositoryRoot, "template.yaml"));
        var reconciler = new FunctionInvoker(template.Function("ReconcileFunction"));
        await using var dataSource = NpgsqlDataSource.Create(TestEnvironment.Require("DATABASE_URL"));
        var id = Guid.NewGuid();
        await using (var insert = dataSource.CreateCommand(
            $"""
            INSERT INTO transactions (id, type, amount, currency, source_account_id, destination_account_id, accepted_at)
            VALUES ('{id}', 'transfer', 42, 'USD', 'sweep-from-{id:N}', 'sweep-to', now() - interval '10 minutes')
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var webhookEvent = Guid.CreateVersion7();
        await using (var insert = dataSource.CreateCommand(
            $$"""
            INSERT INTO webhook_events (id, tenant_id, provider, event_id, event_type, received_at, body, body_sha256)
            SELECT '{{webhookEvent}}', 'default', 'stripe', 'evt_sweep{{webhookEvent:N}}', 'customer.created', now() - interval '10 minutes', b, sha256(b)
              FROM (SELECT convert_to('{"id":"evt_sweep{{webhookEvent:N}}","type":"customer.created","data":{"object":{} } }', 'UTF8') AS b) body
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        // A refund held for a charge that never came, received two hours ago: past the window (an hour), the sweep applies it.
        var held = Guid.CreateVersion7();
        var n = held.ToString("N");
        await using (var insert = dataSource.CreateCommand(
            $$"""
            INSERT INTO accounts (id, currency) VALUES ('sweep-clearing-{{n}}', 'USD');
            INSERT INTO account_external_ids (tenant_id, scheme, external_id, account_id) VALUES ('default', 'STRIPE', 'acct_{{n}}', 'sweep-clearing-{{n}}');
            INSERT INTO webhook_events (id, tenant_id, provider, event_id, event_type, received_at, body, body_sha256)
            SELECT '{{held}}', 'default', 'stripe', 'evt_held{{n}}', 'refund.created', now() - interval '2 hours', b, sha256(b)
              FROM (SELECT convert_to('{"id":"evt_held{{n}}","type":"refund.created","account":"acct_{{n}}","created":1700000000,"data":{"object":{"id":"re_{{n}}","object":"refund","amount":700,"charge":"ch_never{{n}}","currency":"usd","created":1700000000,"balance_transaction":"txn_{{n}}","status":"succeeded"} } }', 'UTF8') AS b) body;
            INSERT INTO webhook_event_outcomes (event_id, status, detail)
            VALUES ('{{held}}', 'held', '{"account_id":"sweep-clearing-{{n}}","waiting_for":"ch_never{{n}}"}');
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        await using var output = await reconciler.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(template.Function("ReconcileFunction").Schedule("Sweep").Input!)));
        var result = (await JsonDocument.ParseAsync(output)).RootElement;
        await using var published = dataSource.CreateCommand($"SELECT message_id FROM transactions WHERE id = '{id}'");

        Assert.True(result.GetProperty("republished").GetInt32() >= 1);
        Assert.Equal(60, result.GetProperty("stuck_after_seconds").GetInt64());
        Assert.True(result.GetProperty("webhook_events_processed").GetInt32() >= 1);
        await using (var outcome = dataSource.CreateCommand($"SELECT status FROM webhook_event_outcomes WHERE event_id = '{webhookEvent}'"))
        {
            Assert.Equal("ignored", await outcome.ExecuteScalarAsync());
        }

        Assert.True(result.GetProperty("webhook_events_orphaned").GetInt32() >= 1);
        await using (var outcome = dataSource.CreateCommand(
            $"SELECT status || ' ' || (detail->>'waiting_for') FROM webhook_event_outcomes WHERE event_id = '{held}' ORDER BY id DESC LIMIT 1"))
        {
            Assert.Equal($"orphaned ch_never{n}", await outcome.ExecuteScalarAsync());
        }

        await using (var record = dataSource.CreateCommand($"SELECT amount FROM external_records WHERE account_id = 'sweep-clearing-{n}' AND line_id = 'txn_{n}'"))
        {
            Assert.Equal(-700L, await record.ExecuteScalarAsync());
        }

        Assert.IsType<string>(await published.ExecuteScalarAsync());
        // A reconciliation would have answered with its run's summary.
        Assert.False(result.TryGetProperty("run_id", out _));
    }
}
