using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace LambdaRecon.Api.Tests.Accounts;

public sealed class AccountsApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "c" + Guid.NewGuid().ToString("N")[..8];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Creating_an_account_is_201_the_same_again_200_and_other_settings_409()
    {
        using var client = api.Client();
        var body = $$$"""{"account_id":"{{{_p}}}-1","currency":"KWD","overdraft_limit":"1.250","metadata":{"owner":"acme","tier":2}}""";

        using var created = await client.PostAsync("/api/v1/accounts", Json(body));
        using var again = await client.PostAsync("/api/v1/accounts", Json($$$"""{"metadata":{"tier":2,"owner":"acme"},"account_id":"{{{_p}}}-1","currency":"KWD","overdraft_limit":"1.25"}"""));
        using var other = await client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{_p}}-1","currency":"USD"}"""));
        var account = await ApiFixture.JsonAsync(created);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/accounts/{_p}-1", created.Headers.Location?.ToString());
        Assert.Equal("1.250", account.GetProperty("overdraft_limit").GetString());
        Assert.Equal("0.000", account.GetProperty("balance").GetString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("""{"account_id":"has space","currency":"USD"}""", "account_id")]
    [InlineData("""{"account_id":"x","currency":"usd"}""", "currency")]
    [InlineData("""{"account_id":"x","currency":"USD","overdraft_limit":"0.001"}""", "overdraft_limit")]
    [InlineData("""{"account_id":"x","currency":"USD","overdraft_limit":5}""", "overdraft_limit")]
    [InlineData("""{"account_id":"x","currency":"USD","kind":"piggy-bank"}""", "kind")]
    [InlineData("""{"account_id":"x","currency":"USD","colour":"blue"}""", "colour")]
    public async Task Invalid_accounts_are_refused_naming_the_field_and_nothing_is_created(string body, string field)
    {
        using var client = api.Client();
        var before = await api.CountAsync("SELECT count(*) FROM accounts");

        using var response = await client.PostAsync("/api/v1/accounts", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await ApiFixture.JsonAsync(response)).GetProperty("field").GetString());
        Assert.Equal(before, await api.CountAsync("SELECT count(*) FROM accounts"));
    }

    [Fact]
    public async Task An_account_id_of_64_allowed_characters_works_and_65_does_not()
    {
        using var client = api.Client();
        var longest = (_p + "-" + new string('a', 64))[..64];

        using var ok = await client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{longest}}","currency":"JPY"}"""));
        using var tooLong = await client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{longest}}x","currency":"JPY"}"""));
        using var read = await client.GetAsync($"/api/v1/accounts/{longest}");

        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("JPY", (await ApiFixture.JsonAsync(read)).GetProperty("currency").GetString());
    }

    [Fact]
    public async Task Balance_ledger_pages_and_audit_trail_follow_the_postings()
    {
        var from = await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        var to = await api.OpenAccountAsync(_p + "-to");
        await api.DrainQueueAsync();
        using var client = api.Client();
        for (var i = 1; i <= 5; i++)
        {
            await client.PostAsync("/api/v1/transactions", Json(
                $$"""{"transaction":{"source_account_id":"{{from}}","destination_account_id":"{{to}}","amount":"{{i}}.00"},"idempotencyKey":"{{_p}}-{{i}}"}"""));
        }

        await api.PostQueuedAsync();
        var balance = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{to}/balance"));
        var past = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{to}/balance?at=2000-01-01T00:00:00Z"));
        var first = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{to}/ledger?limit=3"));
        var cursor = first.GetProperty("next_cursor").GetString();
        var second = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{to}/ledger?limit=3&cursor={cursor}"));
        var trail = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{to}/audit-trail"));
        using var badLimit = await client.GetAsync($"/api/v1/accounts/{to}/ledger?limit=501");
        using var badCursor = await client.GetAsync($"/api/v1/accounts/{to}/ledger?cursor=nope");
        using var unknown = await client.GetAsync($"/api/v1/accounts/{_p}-nobody/balance");

        Assert.Equal(("15.00", 1500L), (balance.GetProperty("balance").GetString(), balance.GetProperty("balance_minor").GetInt64()));
        Assert.Equal("0.00", past.GetProperty("balance").GetString());
        Assert.Equal(["15.00", "10.00", "6.00", "3.00", "1.00"],
            first.GetProperty("entries").EnumerateArray().Concat(second.GetProperty("entries").EnumerateArray()).Select(e => e.GetProperty("balance_after").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
        Assert.Contains(trail.GetProperty("events").EnumerateArray(), e => e.GetProperty("event").GetString() == "account.created");
        Assert.Equal(5, trail.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("event").GetString() == "transaction.posted"));
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badCursor.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Queue_and_cache_stats_report_depths_and_the_idempotency_cache()
    {
        var from = await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        var to = await api.OpenAccountAsync(_p + "-to");
        await api.DrainQueueAsync();
        using var client = api.Client();
        await client.PostAsync("/api/v1/transactions", Json(
            $$"""{"transaction":{"source_account_id":"{{from}}","destination_account_id":"{{to}}","amount":"1"},"idempotencyKey":"{{_p}}-s"}"""));

        var queue = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/queue/stats");
        var cache = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/cache/stats");

        Assert.Equal(1, queue.GetProperty("queue").GetProperty("visible").GetInt64());
        Assert.Equal(0, queue.GetProperty("dead_letter_queue").GetProperty("visible").GetInt64());
        Assert.True(cache.GetProperty("reachable").GetBoolean());
        Assert.True(cache.GetProperty("keys").GetInt64() >= 1);
        Assert.Equal(86_400, cache.GetProperty("ttl_seconds").GetInt64());
    }
}
