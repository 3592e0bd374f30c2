using System.Net;
using System.Text;
using System.Text.Json;
using LambdaRecon.Infrastructure.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests.Transactions;

/// <summary>
/// Idempotency keys belong to the API client that sent them: two clients that happen to pick the same key
/// make two independent requests, each replayed and refused only against its own first request.
/// </summary>
public sealed class PerClientIdempotencyTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "idem" + Guid.NewGuid().ToString("N")[..8];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<HttpClient> ClientAsync(string name)
    {
        var key = $"k-{name}-{Guid.NewGuid():N}";
        await api.Factory.Services.GetRequiredService<ApiKeyStore>().RegisterAsync(key, $"{_p}-{name}", ApiScopes.All, CancellationToken.None);
        return api.Client(key);
    }

    /// <summary>A transfer between two accounts the client opens itself, so the test holds whatever accounts a key may reach.</summary>
    private async Task<string> TransferAsync(HttpClient client, string name, string amount)
    {
        foreach (var (id, limit) in new[] { ($"{_p}-{name}-from", "null"), ($"{_p}-{name}-to", "\"0\"") })
        {
            using var opened = await client.PostAsync("/api/v1/accounts", Json($$"""{"account_id":"{{id}}","currency":"USD","overdraft_limit":{{limit}}}"""));
            Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        }

        return $$"""{"transaction":{"source_account_id":"{{_p}}-{{name}}-from","destination_account_id":"{{_p}}-{{name}}-to","amount":"{{amount}}"},"idempotencyKey":"{{_p}}-shared"}""";
    }

    [Fact]
    public async Task Two_clients_with_the_same_key_and_different_payloads_are_both_accepted_and_each_replays_only_its_own()
    {
        using var alice = await ClientAsync("alice");
        using var bob = await ClientAsync("bob");
        var aliceBody = await TransferAsync(alice, "alice", "10.00");
        var bobBody = await TransferAsync(bob, "bob", "20.00");

        using var aliceFirst = await alice.PostAsync("/api/v1/transactions", Json(aliceBody));
        using var bobFirst = await bob.PostAsync("/api/v1/transactions", Json(bobBody));
        using var aliceReplay = await alice.PostAsync("/api/v1/transactions", Json(aliceBody));
        using var bobReplay = await bob.PostAsync("/api/v1/transactions", Json(bobBody));
        // Redis holds answers for a day but may vanish: PostgreSQL must keep the keys apart on its own.
        await (await api.Resources.RedisAsync()).GetServers()[0].FlushDatabaseAsync(ApiFixture.RedisDatabase);
        using var bobReplayWithoutCache = await bob.PostAsync("/api/v1/transactions", Json(bobBody));
        using var aliceWithBobsPayload = await alice.PostAsync("/api/v1/transactions", Json(bobBody.Replace("-bob-", "-alice-", StringComparison.Ordinal)));
        var aliceStatus = await ApiFixture.JsonAsync(await alice.GetAsync($"/api/v1/transactions/status/{_p}-shared"));
        var bobStatus = await ApiFixture.JsonAsync(await bob.GetAsync($"/api/v1/transactions/status/{_p}-shared"));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (aliceFirst.StatusCode, bobFirst.StatusCode));
        var (aliceId, bobId) = (await TransactionIdAsync(aliceFirst), await TransactionIdAsync(bobFirst));
        Assert.NotEqual(aliceId, bobId);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (aliceReplay.StatusCode, bobReplay.StatusCode, bobReplayWithoutCache.StatusCode));
        Assert.Equal(await aliceFirst.Content.ReadAsStringAsync(), await aliceReplay.Content.ReadAsStringAsync());
        Assert.Equal(await bobFirst.Content.ReadAsStringAsync(), await bobReplay.Content.ReadAsStringAsync());
        Assert.Equal(await bobFirst.Content.ReadAsStringAsync(), await bobReplayWithoutCache.Content.ReadAsStringAsync());
        // The key is still a key within one client: alice's own key with another payload is refused.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, aliceWithBobsPayload.StatusCode);
        Assert.Equal((aliceId, 1000L), (aliceStatus.GetProperty("transaction_id").GetGuid(), aliceStatus.GetProperty("amount_minor").GetInt64()));
        Assert.Equal((bobId, 2000L), (bobStatus.GetProperty("transaction_id").GetGuid(), bobStatus.GetProperty("amount_minor").GetInt64()));
        Assert.Equal(2L, await api.CountAsync($"SELECT count(DISTINCT client_id) FROM transactions WHERE idempotency_key = '{_p}-shared'"));
    }

    private static async Task<Guid> TransactionIdAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("transactionId").GetGuid();
}
