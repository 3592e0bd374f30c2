using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Webhooks;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests.Webhooks;

/// <summary>
/// A signed Stripe event becomes an external record of the tenant's Stripe clearing account, and that
/// account is reconciled once the queue's message is processed (WebhookFunction's work, done here by
/// <see cref="ApiFixture.ProcessQueuedWebhooksAsync"/>): a charge carrying our transaction id in its metadata matches it.
/// </summary>
public sealed class WebhookProcessingTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private const string DefaultSecret = "whsec_process_" + "0123456789";
    private const string OtherSecret = "whsec_other_" + "abcdef";
    private readonly string _p = "wp" + Guid.NewGuid().ToString("N")[..8];
    private WebApplicationFactory<Program> _factory = null!;

    public async Task InitializeAsync()
    {
        await api.Database.ExecuteAsync($"INSERT INTO tenants (id, name) VALUES ('{_p}', 'no clearing account')");
        _factory = api.CreateFactory(("STRIPE_WEBHOOK_SECRET", $"{DefaultSecret},{_p}@{OtherSecret}"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Charge(string eventId, string? account, long amount, string transactionId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var connected = account is null ? "" : $"\"account\":\"{account}\",";
        return $$$"""
            {"id":"{{{eventId}}}","object":"event","type":"charge.succeeded","created":{{{now}}},{{{connected}}}
             "data":{"object":{"id":"ch_{{{eventId[4..]}}}","object":"charge","amount":{{{amount}}},"currency":"usd","created":{{{now}}},
                               "metadata":{"transaction_id":"{{{transactionId}}}"} } } }
            """;
    }

    private async Task<(HttpStatusCode Status, string Intake)> SendAsync(string body, string secret = DefaultSecret)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var signature = WebhookSignature.Sign(WebhookProvider.Stripe, Encoding.UTF8.GetBytes(secret),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), bytes);
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks/stripe") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, (await ApiFixture.JsonAsync(response)).GetProperty("status").GetString()!);
    }

    private Task<long> OutcomesAsync(string eventId) =>
        api.CountAsync($"SELECT count(*) FROM webhook_event_outcomes o JOIN webhook_events e ON e.id = o.event_id WHERE e.event_id = '{eventId}'");

    private Task<string> StatusAsync(string eventId) =>
        api.Database.ScalarAsync<string>(
            $"SELECT o.status FROM webhook_event_outcomes o JOIN webhook_events e ON e.id = o.event_id WHERE e.event_id = '{eventId}' ORDER BY o.id DESC LIMIT 1");

    [Fact]
    public async Task A_charge_carrying_our_transaction_id_matches_its_posted_transfer_on_arrival_and_a_redelivery_adds_nothing()
    {
        var customer = await api.OpenAccountAsync(_p + "-customer", overdraftLimit: null);
        var clearing = await api.OpenAccountAsync(_p + "-stripe");
        var stripeAccount = "acct_" + _p;
        using var client = api.Client();
        using (var put = await client.PutAsJsonAsync($"/api/v1/accounts/{clearing}/external-ids",
            new { external_ids = new[] { new { scheme = "STRIPE", id = stripeAccount } } }))
        {
            put.EnsureSuccessStatusCode();
        }

        await api.DrainQueueAsync();
        using var accepted = await client.PostAsync("/api/v1/transactions", new StringContent(
            $$"""{"transaction":{"source_account_id":"{{customer}}","destination_account_id":"{{clearing}}","amount":"20.00"},"idempotencyKey":"{{_p}}-order-1"}""",
            Encoding.UTF8, "application/json"));
        var transactionId = (await ApiFixture.JsonAsync(accepted)).GetProperty("transactionId").GetGuid();
        await api.PostQueuedAsync();

        var eventId = "evt_" + _p + "charge";
        var body = Charge(eventId, stripeAccount, 2000, transactionId.ToString());
        await api.ProcessQueuedWebhooksAsync();
        var first = await SendAsync(body);
        var second = await SendAsync(body);
        var processedBeforeTheQueue = await OutcomesAsync(eventId);
        var queued = await api.ProcessQueuedWebhooksAsync();

        Assert.Equal((HttpStatusCode.OK, "stored"), first);
        Assert.Equal((HttpStatusCode.OK, "duplicate"), second);
        // Nothing is processed in the request; the redelivery's message is the same message (its deduplication id is the stored id).
        Assert.Equal(0L, processedBeforeTheQueue);
        Assert.Equal([await api.Database.ScalarAsync<Guid>($"SELECT id FROM webhook_events WHERE event_id = '{eventId}'")], queued);
        Assert.Equal(1L, await api.CountAsync($"SELECT count(*) FROM external_records WHERE account_id = '{clearing}'"));
        Assert.Equal(2000L, await api.Database.ScalarAsync<long>(
            $"SELECT amount FROM external_records WHERE account_id = '{clearing}' AND line_id = '{eventId}' AND end_to_end_id = '{transactionId}'"));
        Assert.Equal(1L, await api.CountAsync(
            $"SELECT count(*) FROM reconciliation_matches WHERE account_id = '{clearing}' AND transaction_id = '{transactionId}' AND rule = 'EndToEndId'"));
        Assert.Equal(1L, await api.CountAsync($"SELECT count(*) FROM reconciliation_matches WHERE account_id = '{clearing}' AND line_id = '{eventId}'"));
        Assert.Equal("processed", await StatusAsync(eventId));
        // The redelivery was not processed again: one outcome, one run; nor is it when it comes once more, past the queue's deduplication.
        Assert.Equal("already-final", (await _factory.Services.GetRequiredService<WebhookEventProcessor>().ProcessAsync(queued[0], CancellationToken.None)).Status);
        Assert.Equal(1L, await OutcomesAsync(eventId));

        // The run the event started, as a person reads it: one pair, nothing left open.
        var runId = await api.Database.ScalarAsync<Guid>(
            $"SELECT (o.detail->>'run_id')::uuid FROM webhook_event_outcomes o JOIN webhook_events e ON e.id = o.event_id WHERE e.event_id = '{eventId}' ORDER BY o.id LIMIT 1");
        var run = (await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/reconciliations/{runId}"))).GetProperty("run");
        Assert.Equal((1, 0, 0), (run.GetProperty("progress").GetProperty("matched").GetInt32(),
            run.GetProperty("progress").GetProperty("unmatched_internal").GetInt32(), run.GetProperty("progress").GetProperty("unmatched_external").GetInt32()));
    }

    [Fact]
    public async Task An_event_for_a_tenant_without_a_Stripe_clearing_account_is_acknowledged_and_recorded_as_such()
    {
        var eventId = "evt_" + _p + "orphan";
        var result = await SendAsync(Charge(eventId, null, 500, Guid.NewGuid().ToString()), OtherSecret);
        await api.ProcessQueuedWebhooksAsync();

        Assert.Equal((HttpStatusCode.OK, "stored"), result);
        Assert.Equal("no-clearing-account", await StatusAsync(eventId));
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM external_records WHERE line_id = '{eventId}'"));
    }

    [Fact]
    public async Task An_event_type_that_moves_no_money_is_ignored_and_a_broken_charge_is_failed_yet_both_are_acknowledged()
    {
        var ignored = "evt_" + _p + "customer";
        var broken = "evt_" + _p + "broken";
        var customerCreated = $$$"""{"id":"{{{ignored}}}","object":"event","type":"customer.created","created":1700000000,"data":{"object":{"id":"cus_1"} } }""";
        var noAmount = $$$"""{"id":"{{{broken}}}","object":"event","type":"charge.succeeded","created":1700000000,"data":{"object":{"id":"ch_1","currency":"usd"} } }""";

        Assert.Equal((HttpStatusCode.OK, "stored"), await SendAsync(customerCreated));
        Assert.Equal((HttpStatusCode.OK, "stored"), await SendAsync(noAmount));
        await api.ProcessQueuedWebhooksAsync();
        Assert.Equal("ignored", await StatusAsync(ignored));
        Assert.Equal("failed", await StatusAsync(broken));
    }
}
