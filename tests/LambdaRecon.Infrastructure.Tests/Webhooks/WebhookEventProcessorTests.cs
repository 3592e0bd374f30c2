using System.Text;
using Npgsql;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Webhooks;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Infrastructure.Tests.Webhooks;

/// <summary>
/// Stripe events processed against a real database, in the orders Stripe delivers them in: records converge
/// on Stripe's balance transactions, and events that come before what they depend on wait for it.
/// </summary>
public sealed class WebhookEventProcessorTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private WebhookEventStore _events = null!;
    private WebhookEventProcessor _processor = null!;
    private readonly string _t = "wh" + Guid.NewGuid().ToString("N")[..8];
    private string Clearing => _t + "-stripe";
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        var data = _db.DataSource;
        _events = new WebhookEventStore(data);
        _processor = new WebhookEventProcessor(data, new StatementStore(data), new ReconciliationService(data), new SuggestionStore(data));
        await _db.ExecuteAsync($"""
            INSERT INTO tenants (id, name) VALUES ('{_t}', 'webhook processing');
            INSERT INTO accounts (id, currency, tenant_id) VALUES ('{Clearing}', 'USD', '{_t}');
            INSERT INTO account_external_ids (tenant_id, scheme, external_id, account_id) VALUES ('{_t}', 'STRIPE', 'acct_{_t}', '{Clearing}');
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<(Guid Id, WebhookOutcome Outcome)> DeliverAsync(string eventId, string type, string dataObject)
    {
        var body = $$$"""{"id":"{{{eventId}}}","object":"event","type":"{{{type}}}","created":{{{Now}}},"data":{"object":{{{dataObject}}}}}""";
        var receipt = await _events.StoreAsync(new WebhookDelivery(_t, "stripe", eventId, type, null, Encoding.UTF8.GetBytes(body)), CancellationToken.None);
        return (receipt.Id, await _processor.ProcessAsync(receipt.Id, CancellationToken.None));
    }

    private static string Charge(string charge, long amount, string txn) =>
        $$"""{"id":"{{charge}}","object":"charge","amount":{{amount}},"currency":"usd","created":{{Now}},"balance_transaction":"{{txn}}","status":"succeeded"}""";

    private static string Refund(string refund, string charge, long amount, string txn) =>
        $$"""{"id":"{{refund}}","object":"refund","amount":{{amount}},"charge":"{{charge}}","currency":"usd","created":{{Now}},"balance_transaction":"{{txn}}","status":"succeeded"}""";

    private static string Dispute(string charge, long amount, string txn) =>
        $$"""
        {"id":"dp_{{charge}}","object":"dispute","amount":{{amount}},"charge":"{{charge}}","currency":"usd","created":{{Now}},"status":"needs_response",
         "balance_transactions":[{"id":"{{txn}}","object":"balance_transaction","amount":-{{amount}},"available_on":{{Now}},"created":{{Now}},
           "currency":"usd","fee":1500,"net":-{{amount + 1500}},"reporting_category":"dispute","source":"dp_{{charge}}","type":"adjustment"}]}
        """;

    private static string Payout(string payout, long amount, string txn) =>
        $$"""{"id":"{{payout}}","object":"payout","amount":{{amount}},"arrival_date":{{Now}},"balance_transaction":"{{txn}}","created":{{Now}},"currency":"usd","status":"paid"}""";

    private Task<long> RecordsAsync() => _db.ScalarAsync<long>($"SELECT count(*) FROM external_records WHERE account_id = '{Clearing}'");

    private Task<long> OutcomesAsync(Guid id) => _db.ScalarAsync<long>($"SELECT count(*) FROM webhook_event_outcomes WHERE event_id = '{id}'");

    private Task<string> LastAsync(Guid id, string field = "status") => _db.ScalarAsync<string>(
        $"SELECT {(field == "status" ? "status" : $"detail->>'{field}'")} FROM webhook_event_outcomes WHERE event_id = '{id}' ORDER BY id DESC LIMIT 1");

    [Fact]
    public async Task A_batch_records_each_event_at_once_and_reconciles_its_clearing_account_once_in_the_run_their_outcomes_name()
    {
        var ids = new List<Guid>();
        foreach (var (eventId, charge) in new[] { ("evt_b1", "ch_b1"), ("evt_b2", "ch_b2"), ("evt_b3", "ch_b3") })
        {
            var body = $$$"""{"id":"{{{eventId}}}","object":"event","type":"charge.succeeded","created":{{{Now}}},"data":{"object":{{{Charge(charge, 1000, "txn_" + charge)}}}}}""";
            ids.Add((await _events.StoreAsync(new WebhookDelivery(_t, "stripe", eventId, "charge.succeeded", null, Encoding.UTF8.GetBytes(body)), CancellationToken.None)).Id);
        }

        var batch = new WebhookEventProcessor.Batch();
        var outcomes = new List<WebhookOutcome>();
        foreach (var id in ids)
        {
            outcomes.Add(await _processor.ProcessAsync(id, batch, CancellationToken.None));
        }

        // Recorded, not yet reconciled: the one run they all name is pending.
        var runId = Assert.Single(outcomes.Select(o => o.RunId).Distinct());
        Assert.All(outcomes, o => Assert.Equal(("processed", 1), (o.Status, o.Imported)));
        Assert.Equal(3, await RecordsAsync());
        Assert.Equal("pending", await _db.ScalarAsync<string>($"SELECT state FROM reconciliation_runs WHERE id = '{runId}'"));

        var runs = await _processor.ReconcileAsync(batch, CancellationToken.None);

        Assert.Equal(runId, Assert.Single(runs).Summary.RunId);
        Assert.Equal(("completed", 1L), (await _db.ScalarAsync<string>($"SELECT state FROM reconciliation_runs WHERE id = '{runId}'"),
            await _db.ScalarAsync<long>($"SELECT count(*) FROM reconciliation_runs WHERE account_id = '{Clearing}'")));
        Assert.Empty(await _processor.ReconcileAsync(batch, CancellationToken.None));
    }

    [Fact]
    public async Task A_passing_database_error_is_thrown_and_leaves_no_outcome_so_the_event_is_processed_when_it_comes_again()
    {
        var body = $$$"""{"id":"evt_s1","object":"event","type":"charge.succeeded","created":{{{Now}}},"data":{"object":{{{Charge("ch_s1", 1000, "txn_s1")}}}}}""";
        var id = (await _events.StoreAsync(new WebhookDelivery(_t, "stripe", "evt_s1", "charge.succeeded", null, Encoding.UTF8.GetBytes(body)), CancellationToken.None)).Id;
        // What a concurrent writer can cause mid-way: a serialization failure (SQLSTATE 40001) on the record's statement.
        await _db.ExecuteAsync("""
            CREATE FUNCTION refuse_statement() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure'; END $$;
            CREATE TRIGGER refuse_statement BEFORE INSERT ON statements FOR EACH ROW EXECUTE FUNCTION refuse_statement();
            """);

        var failure = await Assert.ThrowsAsync<PostgresException>(() => _processor.ProcessAsync(id, CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.SerializationFailure, failure.SqlState);
        Assert.Equal(0, await OutcomesAsync(id));
        await _db.ExecuteAsync("DROP TRIGGER refuse_statement ON statements; DROP FUNCTION refuse_statement();");
        var again = await _processor.ProcessAsync(id, CancellationToken.None);
        Assert.Equal(("processed", 1), (again.Status, again.Imported));
        Assert.Equal(1, await RecordsAsync());
    }

    [Fact]
    public async Task A_refund_and_its_charge_in_one_batch_in_the_wrong_order_are_both_recorded_and_reconciled_in_the_batchs_one_run()
    {
        async Task<Guid> StoreAsync(string eventId, string type, string dataObject) =>
            (await _events.StoreAsync(new WebhookDelivery(_t, "stripe", eventId, type, null, Encoding.UTF8.GetBytes(
                $$$"""{"id":"{{{eventId}}}","object":"event","type":"{{{type}}}","created":{{{Now}}},"data":{"object":{{{dataObject}}}}}""")),
                CancellationToken.None)).Id;
        var refund = await StoreAsync("evt_o1", "refund.created", Refund("re_o1", "ch_o1", 300, "txn_ro1"));
        var charge = await StoreAsync("evt_o2", "charge.succeeded", Charge("ch_o1", 1000, "txn_co1"));
        var batch = new WebhookEventProcessor.Batch();

        Assert.Equal("held", (await _processor.ProcessAsync(refund, batch, CancellationToken.None)).Status);
        var chargeOutcome = await _processor.ProcessAsync(charge, batch, CancellationToken.None);
        await _processor.ReconcileAsync(batch, CancellationToken.None);

        // The charge let the refund go within the batch: both recorded, both naming the batch's one run, which ran.
        Assert.Equal("processed", await LastAsync(refund));
        Assert.Equal(chargeOutcome.RunId.ToString(), await LastAsync(refund, "run_id"));
        Assert.Equal(2, await RecordsAsync());
        Assert.Equal("completed", await _db.ScalarAsync<string>($"SELECT state FROM reconciliation_runs WHERE id = '{chargeOutcome.RunId}'"));
    }

    [Fact]
    public async Task A_dispute_created_and_its_funds_withdrawn_make_one_record_keyed_by_the_balance_transaction()
    {
        await DeliverAsync("evt_c1", "charge.succeeded", Charge("ch_1", 2000, "txn_c1"));

        var created = await DeliverAsync("evt_d1", "charge.dispute.created", Dispute("ch_1", 2000, "txn_d1"));
        var withdrawn = await DeliverAsync("evt_d2", "charge.dispute.funds_withdrawn", Dispute("ch_1", 2000, "txn_d1"));

        Assert.Equal(("processed", 1), (created.Outcome.Status, created.Outcome.Imported));
        Assert.Equal(("processed", 0), (withdrawn.Outcome.Status, withdrawn.Outcome.Imported));
        Assert.Equal("0", await LastAsync(withdrawn.Id, "records_added"));
        Assert.Equal(2, await RecordsAsync());
        Assert.Equal("-2000|1500|-3500|ch_1|dispute", await _db.ScalarAsync<string>(
            $"SELECT concat_ws('|', amount, fee, net, reference, category) FROM external_records WHERE account_id = '{Clearing}' AND line_id = 'txn_d1'"));
    }

    [Fact]
    public async Task A_refund_before_its_charge_is_held_and_recorded_nowhere_then_applied_when_the_charge_comes()
    {
        var refund = await DeliverAsync("evt_r2", "refund.created", Refund("re_2", "ch_2", 500, "txn_r2"));

        Assert.Equal(("held", "ch_2"), (refund.Outcome.Status, refund.Outcome.WaitingFor));
        Assert.Equal(("held", "ch_2"), (await LastAsync(refund.Id), await LastAsync(refund.Id, "waiting_for")));
        Assert.Equal(0, await RecordsAsync());

        var again = await _processor.ProcessAsync(refund.Id, CancellationToken.None);
        Assert.Equal("held", again.Status);
        Assert.Equal(1, await OutcomesAsync(refund.Id));

        var charge = await DeliverAsync("evt_c2", "charge.succeeded", Charge("ch_2", 2000, "txn_c2"));

        Assert.Equal(("processed", "ch_2"), (charge.Outcome.Status, await LastAsync(charge.Id, "charge_id")));
        Assert.Equal(("processed", "1"), (await LastAsync(refund.Id), await LastAsync(refund.Id, "records_added")));
        Assert.Equal("-500|ch_2|refund", await _db.ScalarAsync<string>(
            $"SELECT concat_ws('|', amount, reference, category) FROM external_records WHERE account_id = '{Clearing}' AND line_id = 'txn_r2'"));
        Assert.Equal(2, await RecordsAsync());
        Assert.True(await _db.ScalarAsync<long>($"SELECT count(*) FROM webhook_event_outcomes WHERE event_id = '{charge.Id}'") == 1);
    }

    [Fact]
    public async Task A_payout_is_held_until_the_clearing_accounts_records_cover_it_and_rechecked_with_each_record()
    {
        var payout = await DeliverAsync("evt_p3", "payout.paid", Payout("po_3", 1500, "txn_p3"));

        Assert.Equal(("held", WebhookEventProcessor.Balance, 1500L), (payout.Outcome.Status, payout.Outcome.WaitingFor, payout.Outcome.Shortfall));

        await DeliverAsync("evt_c3a", "charge.succeeded", Charge("ch_3a", 1000, "txn_c3a"));
        Assert.Equal(("held", 1L), (await LastAsync(payout.Id), await OutcomesAsync(payout.Id)));

        await DeliverAsync("evt_c3b", "charge.succeeded", Charge("ch_3b", 1000, "txn_c3b"));
        Assert.Equal("processed", await LastAsync(payout.Id));
        Assert.Equal(500L, await _db.ScalarAsync<long>($"SELECT sum(amount)::bigint FROM external_records WHERE account_id = '{Clearing}'"));
    }

    [Fact]
    public async Task An_event_held_past_the_window_is_recorded_as_orphaned_naming_what_never_came()
    {
        var refund = await DeliverAsync("evt_r4", "refund.created", Refund("re_4", "ch_never", 700, "txn_r4"));

        Assert.DoesNotContain(await _processor.ReleaseExpiredAsync(TimeSpan.FromDays(1), CancellationToken.None), r => r.EventId == refund.Id);
        Assert.Equal("held", await LastAsync(refund.Id));

        var released = await _processor.ReleaseExpiredAsync(TimeSpan.Zero, CancellationToken.None);

        var outcome = Assert.Single(released, r => r.EventId == refund.Id).Outcome;
        Assert.Equal(("orphaned", "ch_never", 1), (outcome.Status, outcome.WaitingFor, outcome.Imported));
        Assert.Equal(("orphaned", "ch_never"), (await LastAsync(refund.Id), await LastAsync(refund.Id, "waiting_for")));
        Assert.Equal(-700L, await _db.ScalarAsync<long>($"SELECT amount FROM external_records WHERE account_id = '{Clearing}' AND line_id = 'txn_r4'"));
        Assert.Equal("already-final", (await _processor.ProcessAsync(refund.Id, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_forced_replay_of_processed_events_adds_no_record_and_a_charge_event_and_its_balance_transaction_meet()
    {
        var charge = await DeliverAsync("evt_c5", "charge.succeeded", Charge("ch_5", 2000, "txn_c5"));
        var txn = await DeliverAsync("evt_b5", "balance_transaction.created",
            $$"""{"id":"txn_c5","object":"balance_transaction","amount":2000,"created":{{Now}},"currency":"usd","fee":88,"net":1912,"source":"ch_5","type":"charge","reporting_category":"charge"}""");

        Assert.Equal(("processed", 0), (txn.Outcome.Status, txn.Outcome.Imported));
        var replayed = await _processor.ProcessAsync(charge.Id, new WebhookEventProcessor.Batch(), CancellationToken.None, force: true);

        Assert.Equal(("processed", 0), (replayed.Status, replayed.Imported));
        Assert.Equal(1, await RecordsAsync());
        Assert.Equal(2, await OutcomesAsync(charge.Id));
    }

    [Fact]
    public void The_window_is_an_hour_unless_LAMBDARECON_WEBHOOK_WINDOW_SECONDS_says_otherwise_and_nonsense_is_refused()
    {
        Assert.Equal(TimeSpan.FromHours(1), WebhookEventProcessor.Window(_ => null));
        Assert.Equal(TimeSpan.FromSeconds(90), WebhookEventProcessor.Window(name => name == "LAMBDARECON_WEBHOOK_WINDOW_SECONDS" ? "90" : null));
        Assert.Equal(TimeSpan.Zero, WebhookEventProcessor.Window(_ => "0"));
        Assert.Throws<FormatException>(() => WebhookEventProcessor.Window(_ => "-5"));
        Assert.Throws<FormatException>(() => WebhookEventProcessor.Window(_ => "soon"));
    }
}
