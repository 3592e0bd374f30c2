using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LambdaRecon.Core.Webhooks;
using LambdaRecon.Infrastructure.Webhooks;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace LambdaRecon.Api.Tests.Webhooks;

/// <summary>
/// POST /api/v1/webhooks/{provider} with Stripe's scheme and with a provider that exists only as
/// configuration (an Adyen-like base64 HMAC-SHA256 with a hex key), and what GET /webhooks/events reads back.
/// </summary>
public sealed class WebhookIntakeTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private const string DefaultSecret = "whsec_default_" + "0123456789";
    private const string TenantSecret = "whsec_tenant_" + "abcdef";
    private const string AdyenKeyHex = "00112233445566778899aabbccddeeff";
    private readonly string _tenant = "wh" + Guid.NewGuid().ToString("N")[..8];
    private WebApplicationFactory<Program> _factory = null!;

    private static readonly WebhookProvider AdyenLike = new()
    {
        Name = "adyenlike", SignatureHeader = "HmacSignature", SignatureEncoding = ByteEncoding.Base64, KeyEncoding = ByteEncoding.Hex,
        EventIdPointer = "/notificationItems/0/NotificationRequestItem/pspReference",
        EventTypePointer = "/notificationItems/0/NotificationRequestItem/eventCode",
    };

    public async Task InitializeAsync()
    {
        await api.Database.ExecuteAsync($"INSERT INTO tenants (id, name) VALUES ('{_tenant}', 'webhooks')");
        _factory = api.CreateFactory(
            ("STRIPE_WEBHOOK_SECRET", $"{DefaultSecret}, {_tenant}@{TenantSecret}"),
            ("LAMBDARECON_WEBHOOK_PROVIDERS", """
                {"adyenlike": {"signature_header": "HmacSignature", "digest": "sha256", "encoding": "base64", "key_encoding": "hex",
                               "event_id": "/notificationItems/0/NotificationRequestItem/pspReference",
                               "event_type": "/notificationItems/0/NotificationRequestItem/eventCode"}}
                """),
            ("ADYENLIKE_WEBHOOK_SECRET", AdyenKeyHex));
        await Task.CompletedTask;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Event(string id, string type = "charge.succeeded", long amount = 2000) =>
        "{\"id\":\"" + id + "\",\"object\":\"event\",\"type\":\"" + type + "\",\"created\":1700000000,\"data\":{\"object\":{\"id\":\"ch_" + id
        + "\",\"object\":\"charge\",\"amount\":" + amount.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",\"currency\":\"usd\"}}}";

    private static string Signature(string body, string secret = DefaultSecret, DateTimeOffset? at = null) =>
        WebhookSignature.Sign(WebhookProvider.Stripe, Encoding.UTF8.GetBytes(secret),
            (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetBytes(body));

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] body, params (string Name, string Value)[] headers)
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(request);
    }

    private Task<HttpResponseMessage> StripeAsync(string body, string? signature) =>
        signature is null
            ? PostAsync("/api/v1/webhooks/stripe", Encoding.UTF8.GetBytes(body))
            : PostAsync("/api/v1/webhooks/stripe", Encoding.UTF8.GetBytes(body), ("Stripe-Signature", signature));

    private Task<long> StoredAsync(string eventId) =>
        api.CountAsync($"SELECT count(*) FROM webhook_events WHERE event_id = '{eventId}'");

    private static string NewId() => "evt_" + Guid.NewGuid().ToString("N")[..16];

    [Fact]
    public async Task A_signed_event_is_stored_with_its_bytes_and_the_same_event_sent_three_times_is_one_record()
    {
        var id = NewId();
        var body = Event(id);
        string[] statuses = new string[3];
        for (var i = 0; i < 3; i++)
        {
            using var response = await StripeAsync(body, Signature(body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            statuses[i] = (await ApiFixture.JsonAsync(response)).GetProperty("status").GetString()!;
        }

        Assert.Equal(["stored", "duplicate", "duplicate"], statuses);
        Assert.Equal(1, await StoredAsync(id));
        Assert.Equal(body, await api.Database.ScalarAsync<string>($"SELECT convert_from(body, 'UTF8') FROM webhook_events WHERE event_id = '{id}'"));
        Assert.Equal("default", await api.Database.ScalarAsync<string>($"SELECT tenant_id FROM webhook_events WHERE event_id = '{id}'"));
        Assert.Equal(0, await api.CountAsync($"SELECT count(*) FROM webhook_event_conflicts c JOIN webhook_events e ON e.id = c.event_id WHERE e.event_id = '{id}'"));
    }

    [Fact]
    public async Task A_stored_event_and_its_redeliveries_are_one_message_grouped_by_tenant_and_provider_deduplicated_by_the_stored_id()
    {
        await api.DrainWebhookQueueAsync();
        var id = NewId();
        var body = Event(id);
        for (var i = 0; i < 3; i++)
        {
            using var response = await StripeAsync(body, Signature(body, TenantSecret));
            response.EnsureSuccessStatusCode();
        }

        var messages = await api.DrainWebhookQueueAsync();

        var stored = await api.Database.ScalarAsync<Guid>($"SELECT id FROM webhook_events WHERE event_id = '{id}'");
        var message = Assert.Single(messages);
        Assert.Equal($$"""{"webhook_event_id":"{{stored}}"}""", message.Body);
        Assert.Equal($"{_tenant}:stripe", message.Attributes["MessageGroupId"]);
        Assert.Equal(stored.ToString("N"), message.Attributes["MessageDeduplicationId"]);
    }

    [Fact]
    public async Task A_send_that_fails_still_answers_200_and_the_sweep_processes_the_event_once_it_is_old_enough()
    {
        await api.DrainWebhookQueueAsync();
        var id = NewId();
        var body = Event(id, type: "customer.created");
        await using var sqsDown = api.CreateFactory(("STRIPE_WEBHOOK_SECRET", DefaultSecret), ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1"));
        using var client = sqsDown.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks/stripe") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", Signature(body));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("stored", (await ApiFixture.JsonAsync(response)).GetProperty("status").GetString());
        Assert.Empty(await api.DrainWebhookQueueAsync());
        var stored = await api.Database.ScalarAsync<Guid>($"SELECT id FROM webhook_events WHERE event_id = '{id}'");
        var services = api.Factory.Services;
        WebhookSweep Sweep(TimeSpan after) => new(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<WebhookEventProcessor>(),
            NullLogger<WebhookSweep>.Instance) { StuckAfter = after };
        // Under the default minute the queue is presumed on its way: the sweep leaves a fresh event alone.
        Assert.DoesNotContain(stored, (await services.GetRequiredService<WebhookSweep>().ProcessStuckAsync(CancellationToken.None)).Select(p => p.Id));
        var swept = await Sweep(TimeSpan.Zero).ProcessStuckAsync(CancellationToken.None);
        var again = await Sweep(TimeSpan.Zero).ProcessStuckAsync(CancellationToken.None);

        Assert.Equal("ignored", Assert.Single(swept, p => p.Id == stored).Outcome.Status);
        Assert.DoesNotContain(stored, again.Select(p => p.Id));
        Assert.Equal(1L, await api.CountAsync($"SELECT count(*) FROM webhook_event_outcomes WHERE event_id = '{stored}'"));
    }

    [Fact]
    public async Task The_same_event_id_with_other_bytes_is_kept_as_a_conflict_and_reported_on_the_event()
    {
        var id = NewId();
        var first = Event(id, amount: 2000);
        var second = Event(id, amount: 9999);
        using var stored = await StripeAsync(first, Signature(first));
        using var conflict = await StripeAsync(second, Signature(second));
        using var again = await StripeAsync(second, Signature(second));

        Assert.Equal("conflict", (await ApiFixture.JsonAsync(conflict)).GetProperty("status").GetString());
        Assert.Equal("conflict", (await ApiFixture.JsonAsync(again)).GetProperty("status").GetString());
        var eventId = (await ApiFixture.JsonAsync(stored)).GetProperty("id").GetGuid();
        using var reader = api.Client();
        var view = await ApiFixture.JsonAsync(await reader.GetAsync($"/api/v1/webhooks/events/{eventId}"));
        Assert.Equal(1, view.GetProperty("conflicts").GetInt64());
        Assert.Single(view.GetProperty("conflict_list").EnumerateArray());
        Assert.Equal(2000, view.GetProperty("payload").GetProperty("data").GetProperty("object").GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task An_unknown_event_type_is_stored_and_acknowledged()
    {
        var id = NewId();
        var body = Event(id, type: "issuing_card.something_new");
        using var response = await StripeAsync(body, Signature(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await StoredAsync(id));
    }

    [Fact]
    public async Task The_secret_that_verified_an_event_names_its_tenant()
    {
        var id = NewId();
        var body = Event(id);
        using var response = await StripeAsync(body, Signature(body, TenantSecret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_tenant, await api.Database.ScalarAsync<string>($"SELECT tenant_id FROM webhook_events WHERE event_id = '{id}'"));
        // The default tenant's key does not see it.
        using var reader = api.Client();
        var list = await ApiFixture.JsonAsync(await reader.GetAsync("/api/v1/webhooks/events?limit=500"));
        Assert.DoesNotContain(list.GetProperty("events").EnumerateArray(), e => e.GetProperty("event_id").GetString() == id);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static TheoryData<string, string?> BadSignatures() => new()
    {
        { "unsigned", null },
        { "wrong secret", "wrong" },
        { "stale", "stale" },
        { "future", "future" },
        { "re-serialised", "reserialised" },
        { "garbage header", "t=abc,v1=xyz" },
    };

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task A_bad_signature_is_a_400_problem_that_echoes_nothing_of_the_body_and_stores_nothing(string why, string? kind)
    {
        var id = NewId();
        var body = Event(id);
        var signature = kind switch
        {
            null => null,
            "wrong" => Signature(body, "whsec_wrong"),
            "stale" => Signature(body, at: DateTimeOffset.UtcNow.AddMinutes(-6)),
            "future" => Signature(body, at: DateTimeOffset.UtcNow.AddMinutes(6)),
            "reserialised" => Signature(JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement, Indented)),
            _ => kind,
        };

        using var response = await StripeAsync(body, signature);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("webhook-signature", text, StringComparison.Ordinal);
        Assert.DoesNotContain(id, text, StringComparison.Ordinal);
        Assert.DoesNotContain("charge", text, StringComparison.Ordinal);
        Assert.True(await StoredAsync(id) == 0, why);
    }

    [Fact]
    public async Task Malformed_JSON_is_a_400_only_once_its_signature_holds()
    {
        const string body = """{"id":"evt_broken","type": secret-card-4242""";
        using var unsigned = await StripeAsync(body, Signature(body, "whsec_wrong"));
        using var signed = await StripeAsync(body, Signature(body));

        Assert.Contains("webhook-signature", await unsigned.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, signed.StatusCode);
        var text = await signed.Content.ReadAsStringAsync();
        Assert.Contains("malformed-json", text, StringComparison.Ordinal);
        Assert.DoesNotContain("4242", text, StringComparison.Ordinal);
        Assert.Equal(0, await StoredAsync("evt_broken"));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413()
    {
        var body = Event(NewId()) + new string(' ', LambdaRecon.Api.Webhooks.WebhooksApi.MaxBodyBytes);
        using var response = await StripeAsync(body, Signature(body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("body-too-large", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_that_is_not_configured_is_a_404_and_needs_no_API_key_to_be_told_so()
    {
        using var response = await PostAsync("/api/v1/webhooks/paypal", Encoding.UTF8.GetBytes("{}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_provider_given_only_as_configuration_verifies_stores_and_deduplicates()
    {
        var reference = "PSP" + Guid.NewGuid().ToString("N")[..12];
        var body = Encoding.UTF8.GetBytes(
            "{\"live\":\"false\",\"notificationItems\":[{\"NotificationRequestItem\":{\"pspReference\":\"" + reference
            + "\",\"eventCode\":\"AUTHORISATION\",\"amount\":{\"value\":1000,\"currency\":\"EUR\"}}}]}");
        var signature = WebhookSignature.Sign(AdyenLike, Convert.FromHexString(AdyenKeyHex), null, body);

        using var first = await PostAsync("/api/v1/webhooks/adyenlike", body, ("HmacSignature", signature));
        using var second = await PostAsync("/api/v1/webhooks/adyenlike", body, ("HmacSignature", signature));
        using var forged = await PostAsync("/api/v1/webhooks/adyenlike", body, ("HmacSignature", Convert.ToBase64String(new byte[32])));

        var ack = await ApiFixture.JsonAsync(first);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("AUTHORISATION", ack.GetProperty("event_type").GetString());
        Assert.Equal("duplicate", (await ApiFixture.JsonAsync(second)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(1, await api.CountAsync($"SELECT count(*) FROM webhook_events WHERE provider = 'adyenlike' AND event_id = '{reference}'"));
    }

    [Fact]
    public async Task Events_are_listed_newest_first_by_filter_and_paged_by_cursor()
    {
        var type = "test.type_" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = NewId();
            var body = Event(id, type: type);
            using var response = await StripeAsync(body, Signature(body));
            response.EnsureSuccessStatusCode();
            ids.Add(id);
        }

        // Received, not processed, until the queue's message is: then a type that moves no money is 'ignored'.
        using var reader = api.Client();
        var received = await ApiFixture.JsonAsync(await reader.GetAsync($"/api/v1/webhooks/events?type={type}&status=received"));
        Assert.Equal(3, received.GetProperty("events").GetArrayLength());
        await api.ProcessQueuedWebhooksAsync();
        var first = await ApiFixture.JsonAsync(await reader.GetAsync($"/api/v1/webhooks/events?provider=stripe&type={type}&status=ignored&limit=2"));
        var cursor = first.GetProperty("next_cursor").GetString();
        var second = await ApiFixture.JsonAsync(await reader.GetAsync($"/api/v1/webhooks/events?type={type}&limit=2&cursor={cursor}"));
        var none = await ApiFixture.JsonAsync(await reader.GetAsync($"/api/v1/webhooks/events?type={type}&status=processed"));
        var later = await ApiFixture.JsonAsync(await reader.GetAsync(
            $"/api/v1/webhooks/events?type={type}&since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}"));

        var seen = first.GetProperty("events").EnumerateArray().Concat(second.GetProperty("events").EnumerateArray())
            .Select(e => e.GetProperty("event_id").GetString()).ToList();
        Assert.Equal([ids[2], ids[1], ids[0]], seen);
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
        // A last page that is exactly full says so: no cursor to an empty page.
        var whole = await ApiFixture.JsonAsync(await reader.GetAsync($"/api/v1/webhooks/events?type={type}&limit=3"));
        Assert.Equal((3, JsonValueKind.Null), (whole.GetProperty("events").GetArrayLength(), whole.GetProperty("next_cursor").ValueKind));
        Assert.Empty(none.GetProperty("events").EnumerateArray());
        Assert.Empty(later.GetProperty("events").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await reader.GetAsync("/api/v1/webhooks/events?status=nonsense")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.CreateClient().GetAsync("/api/v1/webhooks/events")).StatusCode);
    }

    [Fact]
    public async Task Stored_events_cannot_be_changed_or_removed()
    {
        var id = NewId();
        var body = Event(id);
        using var response = await StripeAsync(body, Signature(body));
        response.EnsureSuccessStatusCode();

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => api.Database.ExecuteAsync($"UPDATE webhook_events SET event_type = 'x' WHERE event_id = '{id}'"));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => api.Database.ExecuteAsync($"DELETE FROM webhook_events WHERE event_id = '{id}'"));
    }
}
