using System.Text;
using System.Text.Json;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Reconciliation;
using LambdaRecon.Infrastructure.Webhooks;
using LambdaRecon.TestSupport;

namespace LambdaRecon.Local.Tests.Webhooks;

/// <summary>
/// `webhooks replay`: stored events processed again, those an older version ignored included, adding no record
/// that is there; and the events generate-event prints are the shapes processing reads.
/// </summary>
public class WebhookReplayCommandTests
{
    [Fact]
    public async Task A_replay_finishes_an_event_an_older_version_ignored_and_a_second_replay_adds_nothing()
    {
        await using var db = await TestDatabase.CreateAsync();
        await db.ExecuteAsync("""
            INSERT INTO tenants (id, name) VALUES ('replay', 'replay');
            INSERT INTO accounts (id, currency, tenant_id) VALUES ('replay-stripe', 'USD', 'replay');
            INSERT INTO account_external_ids (tenant_id, scheme, external_id, account_id) VALUES ('replay', 'STRIPE', 'acct_replay', 'replay-stripe');
            """);
        var data = db.DataSource;
        var store = new WebhookEventStore(data);
        var processor = new WebhookEventProcessor(data, new StatementStore(data), new ReconciliationService(data), new SuggestionStore(data));
        var now = DateTimeOffset.UtcNow;
        var charge = StripeEvents.Event("charge.succeeded", 2000, "usd", new Dictionary<string, string>(), now, charge: "ch_replay");
        var dispute = StripeEvents.Event("charge.dispute.funds_withdrawn", 2000, "usd", new Dictionary<string, string>(), now, charge: "ch_replay");
        var chargeId = (await store.StoreAsync(Delivery(charge), CancellationToken.None)).Id;
        var disputeId = (await store.StoreAsync(Delivery(dispute), CancellationToken.None)).Id;
        await processor.ProcessAsync(chargeId, CancellationToken.None);
        await db.ExecuteAsync($"INSERT INTO webhook_event_outcomes (event_id, status, detail) VALUES ('{disputeId}', 'ignored', '{{}}')");

        string[] args = ["webhooks", "replay", "--since", now.AddMinutes(-5).ToString("O"), "--provider", "stripe", "--tenant", "replay"];
        var first = await LocalProcess.RunAsync(args, null, ("DATABASE_URL", db.ConnectionString));
        var second = await LocalProcess.RunAsync(args, null, ("DATABASE_URL", db.ConnectionString));

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal(["processed 0", "processed 1"], Lines(first.Stdout));
        Assert.Equal(["processed 0", "processed 0"], Lines(second.Stdout));
        Assert.Contains("replayed 2 events, processed 2", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM external_records WHERE account_id = 'replay-stripe'"));
        var none = await LocalProcess.RunAsync(["webhooks", "replay", "--since", now.AddMinutes(5).ToString("O")], null, ("DATABASE_URL", db.ConnectionString));
        Assert.Equal((0, ""), (none.ExitCode, none.Stdout.Trim()));
        var refused = await LocalProcess.RunAsync(["webhooks", "replay", "--since", "yesterday"], null, ("DATABASE_URL", db.ConnectionString));
        Assert.Equal(2, refused.ExitCode);
    }

    private static WebhookDelivery Delivery(System.Text.Json.Nodes.JsonObject stripeEvent) => new(
        "replay", "stripe", (string)stripeEvent["id"]!, (string)stripeEvent["type"]!, null, Encoding.UTF8.GetBytes(StripeEvents.Json(stripeEvent)));

    private static string[] Lines(string stdout) =>
        [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            return $"{json.RootElement.GetProperty("status").GetString()} {json.RootElement.GetProperty("records_added").GetInt32()}";
        })];

    [Theory]
    [InlineData("charge.succeeded", 1, 2000L, "txn_given")]
    [InlineData("charge.refunded", 1, -2000L, "txn_given")]
    [InlineData("refund.created", 1, -2000L, "txn_given")]
    [InlineData("charge.dispute.created", 1, -2000L, "txn_given")]
    [InlineData("charge.dispute.funds_reinstated", 2, 2000L, null)]
    [InlineData("payout.paid", 1, -2000L, "txn_given")]
    public void Each_generated_event_reads_as_the_lines_of_the_balance_transaction_it_names(string type, int lines, long lastAmount, string? lastLine)
    {
        var node = StripeEvents.Event(type, 2000, "usd", new Dictionary<string, string>(), DateTimeOffset.UtcNow, "ch_given", "acct_given", "txn_given");

        var read = StripeEvent.Read(Encoding.UTF8.GetBytes(StripeEvents.Json(node)));

        Assert.Equal(("acct_given", lines, lastAmount), (read.Account, read.Lines.Count, read.Lines[^1].Amount.Minor));
        Assert.Equal("txn_given", read.Lines[0].LineId);
        if (lastLine is not null)
        {
            Assert.Equal(lastLine, read.Lines[^1].LineId);
        }

        Assert.Equal(type.StartsWith("charge.succeeded", StringComparison.Ordinal) ? "ch_given" : null, read.Charge);
    }
}
