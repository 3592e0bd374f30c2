using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Infrastructure.Transactions;
using StackExchange.Redis;

namespace LambdaRecon.Api.Tests.Transactions;

public sealed class TransactionsApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "a" + Guid.NewGuid().ToString("N")[..8];

    private async Task<(string From, string To)> AccountsAsync()
    {
        var from = await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        var to = await api.OpenAccountAsync(_p + "-to");
        return (from, to);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Transfer(string from, string to, string amount, string key, string extra = "") =>
        $$"""{"transaction":{"source_account_id":"{{from}}","destination_account_id":"{{to}}","amount":{{amount}}{{extra}}},"idempotencyKey":"{{key}}"}""";

    private Task<long> TransactionsOf(string account) =>
        api.CountAsync($"SELECT count(*) FROM transactions WHERE source_account_id = '{account}' OR destination_account_id = '{account}'");

    [Fact]
    public async Task The_seed_readme_request_is_accepted_unchanged_with_the_demo_token()
    {
        await api.OpenAccountAsync("account-123", overdraftLimit: null);
        await api.OpenAccountAsync("account-456");
        using var client = api.Client("demo-token");

        using var response = await client.PostAsync("/api/v1/transactions", Json("""
            {
              "transaction": {
                "source_account_id": "account-123",
                "destination_account_id": "account-456",
                "amount": 100.00
              },
              "idempotencyKey": "unique-key-12345"
            }
            """));
        var body = await ApiFixture.JsonAsync(response);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("ACCEPTED", body.GetProperty("status").GetString());
        Assert.Equal("unique-key-12345", body.GetProperty("idempotencyKey").GetString());
        Assert.Equal("/api/v1/transactions/status/unique-key-12345", body.GetProperty("pollUrl").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("messageId").GetString()));
        Assert.Equal(10000L, await api.CountAsync($"SELECT amount FROM transactions WHERE id = '{body.GetProperty("transactionId").GetGuid()}'"));
    }

    [Fact]
    public async Task A_repeat_with_the_same_key_and_payload_replays_the_original_answer_and_queues_nothing_more()
    {
        var (from, to) = await AccountsAsync();
        using var client = api.Client();
        await api.DrainQueueAsync();

        using var first = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "\"12.50\"", _p + "-k")));
        // The same request written differently: a number instead of a string, another spacing.
        using var second = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "12.5", _p + "-k").Replace(",", " , ", StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(1, await TransactionsOf(from));
        Assert.Single(await api.DrainQueueAsync(), m => m.Body.Contains(from, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_key_with_another_payload_is_refused_with_422_naming_the_key()
    {
        var (from, to) = await AccountsAsync();
        using var client = api.Client();

        await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")));
        using var other = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "11", _p + "-k")));
        var problem = await ApiFixture.JsonAsync(other);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        Assert.Contains(_p + "-k", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("idempotencyKey", problem.GetProperty("field").GetString());
        Assert.Equal(1, await TransactionsOf(from));
    }

    [Fact]
    public async Task A_repeat_while_the_first_request_holds_the_key_gets_409_with_retry_after()
    {
        var (from, to) = await AccountsAsync();
        using var client = api.Client();
        using var first = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")));
        // Put the key back in the state of a request still at work: lease held, no answer yet, nothing cached.
        await api.Database.ExecuteAsync($"UPDATE idempotency_keys SET response_status = NULL, response_body = NULL, lease_until = now() + interval '1 minute' WHERE key = '{_p}-k'");
        var redis = await api.Resources.RedisAsync();
        await foreach (var key in redis.GetServers()[0].KeysAsync(ApiFixture.RedisDatabase, pattern: $"{IdempotencyCache.KeyPrefix}*{_p}-k"))
        {
            await redis.GetDatabase().KeyDeleteAsync(key);
        }

        using var repeat = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")));

        Assert.Equal(HttpStatusCode.Conflict, repeat.StatusCode);
        Assert.Equal("1", repeat.Headers.GetValues("Retry-After").Single());
        Assert.Equal(1, await TransactionsOf(from));
    }

    [Fact]
    public async Task Flushing_redis_between_two_retries_does_not_make_a_second_transaction()
    {
        var (from, to) = await AccountsAsync();
        using var client = api.Client();

        using var first = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")));
        await (await api.Resources.RedisAsync()).GetServers()[0].FlushDatabaseAsync(ApiFixture.RedisDatabase);
        using var second = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(1, await TransactionsOf(from));
    }

    [Fact]
    public async Task When_sqs_is_unreachable_the_client_gets_503_and_its_retry_publishes_once()
    {
        var (from, to) = await AccountsAsync();
        await api.DrainQueueAsync();
        await using var sqsDown = api.CreateFactory(("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1"));
        using var downClient = api.Client(factory: sqsDown);
        using var client = api.Client();

        using var refused = await downClient.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")));
        var recorded = await api.CountAsync($"SELECT count(*) FROM transactions WHERE source_account_id = '{from}' AND published_at IS NULL");
        using var retried = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.Contains("Retry-After"));
        Assert.Equal(1, recorded);
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        Assert.Equal(1, await TransactionsOf(from));
        Assert.Single(await api.DrainQueueAsync(), m => m.Body.Contains(from, StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_sqs_is_unreachable_the_503_is_a_queue_unavailable_problem_and_queue_stats_say_so_too()
    {
        var (from, to) = await AccountsAsync();
        await using var sqsDown = api.CreateFactory(("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1"));
        using var downClient = api.Client(factory: sqsDown);

        using var refused = await downClient.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")));
        using var stats = await downClient.GetAsync("/api/v1/queue/stats");

        foreach (var response in new[] { refused, stats })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.EndsWith("/queue-unavailable", (await ApiFixture.JsonAsync(response)).GetProperty("type").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("2", refused.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public void The_api_assembly_references_no_aws_sdk_so_queue_failures_reach_it_only_as_infrastructure_exceptions()
    {
        var referenced = typeof(TransactionsApi).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "");

        Assert.DoesNotContain(referenced, name => name.StartsWith("AWSSDK", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_hundred_simultaneous_requests_with_one_key_make_one_transaction_one_message_and_one_202()
    {
        var (from, to) = await AccountsAsync();
        await api.DrainQueueAsync();
        using var client = api.Client();

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ =>
            client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "10", _p + "-k")))));
        var statuses = responses.Select(r => r.StatusCode).ToArray();

        Assert.Single(statuses, s => s == HttpStatusCode.Accepted);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.Accepted, HttpStatusCode.OK, HttpStatusCode.Conflict }));
        Assert.Equal(1, await TransactionsOf(from));
        Assert.Single(await api.DrainQueueAsync(), m => m.Body.Contains(from, StringComparison.Ordinal));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_posted_transaction_polls_as_posted_with_its_entries_and_balances()
    {
        var (from, to) = await AccountsAsync();
        await api.DrainQueueAsync();
        using var client = api.Client();
        await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "70", _p + "-k")));

        await api.PostQueuedAsync();
        var status = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/transactions/status/{_p}-k"));
        var balance = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{to}/balance"));

        Assert.Equal("POSTED", status.GetProperty("status").GetString());
        Assert.Equal(["-70.00", "70.00"], status.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("amount").GetString()));
        Assert.Equal("70.00", balance.GetProperty("balance").GetString());
        Assert.Equal(7000, balance.GetProperty("balance_minor").GetInt64());
    }

    [Fact]
    public async Task A_refund_goes_back_the_way_it_came_and_the_ledger_caps_it()
    {
        var (from, to) = await AccountsAsync();
        await api.DrainQueueAsync();
        using var client = api.Client();
        using var paid = await client.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "50", _p + "-pay")));
        var id = (await ApiFixture.JsonAsync(paid)).GetProperty("transactionId").GetGuid();
        await api.PostQueuedAsync();

        using var partial = await client.PostAsync($"/api/v1/transactions/{id}/refund", Json($$"""{"amount":"20.00","reason":"damaged","idempotencyKey":"{{_p}}-r1"}"""));
        using var tooMuch = await client.PostAsync($"/api/v1/transactions/{id}/refund", Json($$"""{"amount":"40.00","reason":"again","idempotencyKey":"{{_p}}-r2"}"""));
        await api.PostQueuedAsync();
        using var rest = await client.PostAsync($"/api/v1/transactions/{id}/refund", Json($$"""{"reason":"the rest","idempotencyKey":"{{_p}}-r3"}"""));
        await api.PostQueuedAsync();

        Assert.Equal(HttpStatusCode.Accepted, partial.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, tooMuch.StatusCode);
        var over = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/transactions/status/{_p}-r2"));
        Assert.Equal("FAILED", over.GetProperty("status").GetString());
        Assert.Equal("refund_exceeds_original", over.GetProperty("failure").GetProperty("code").GetString());
        Assert.Equal("POSTED", (await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/transactions/status/{_p}-r3"))).GetProperty("status").GetString());
        Assert.Equal("0.00", (await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{to}/balance"))).GetProperty("balance").GetString());
    }

    [Fact]
    public async Task A_refund_of_an_unposted_failed_unknown_or_fully_refunded_transaction_is_refused_and_writes_nothing()
    {
        var (from, to) = await AccountsAsync();
        await api.DrainQueueAsync();
        using var client = api.Client();
        async Task<Guid> SubmitAsync(string json)
        {
            using var response = await client.PostAsync("/api/v1/transactions", Json(json));
            return (await ApiFixture.JsonAsync(response)).GetProperty("transactionId").GetGuid();
        }

        Task<HttpResponseMessage> RefundAsync(Guid id, string key) =>
            client.PostAsync($"/api/v1/transactions/{id}/refund", Json($$"""{"reason":"r","idempotencyKey":"{{_p}}-{{key}}"}"""));

        var pending = await SubmitAsync(Transfer(from, to, "5", _p + "-pending"));
        using var unposted = await RefundAsync(pending, "r1");
        await api.PostQueuedAsync();
        // The customer account has no overdraft: sending more than it holds FAILS in the ledger.
        var failed = await SubmitAsync(Transfer(to, from, "500", _p + "-failed"));
        await api.PostQueuedAsync();
        using var ofFailed = await RefundAsync(failed, "r2");
        using var unknown = await RefundAsync(Guid.NewGuid(), "r3");
        using var whole = await RefundAsync(pending, "r4");
        await api.PostQueuedAsync();
        var before = await TransactionsOf(from);
        using var nothingLeft = await RefundAsync(pending, "r5");

        Assert.Equal(HttpStatusCode.Conflict, unposted.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ofFailed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, whole.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, nothingLeft.StatusCode);
        Assert.Equal("application/problem+json", nothingLeft.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await TransactionsOf(from));
        Assert.Equal("0.00", (await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{to}/balance"))).GetProperty("balance").GetString());
    }

    public static TheoryData<string, HttpStatusCode, string?> Refusals => new()
    {
        { "{not json", HttpStatusCode.BadRequest, null },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":"1.001"},"idempotencyKey":"k"}""", HttpStatusCode.BadRequest, "transaction.amount" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":-5},"idempotencyKey":"k"}""", HttpStatusCode.BadRequest, "transaction.amount" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":"ten"},"idempotencyKey":"k"}""", HttpStatusCode.BadRequest, "transaction.amount" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":1e2},"idempotencyKey":"k"}""", HttpStatusCode.BadRequest, "transaction.amount" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":"1","currency":"USD"},"idempotencyKey":"k","extra":1}""", HttpStatusCode.BadRequest, "extra" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":"1","memo":"x"},"idempotencyKey":"k"}""", HttpStatusCode.BadRequest, "transaction.memo" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":"1","currency":"XYZ"},"idempotencyKey":"k"}""", HttpStatusCode.BadRequest, "transaction.currency" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"FROM","amount":"1"},"idempotencyKey":"k"}""", HttpStatusCode.BadRequest, "transaction.destination_account_id" },
        { """{"transaction":{"source_account_id":"bad id!","destination_account_id":"TO","amount":"1"},"idempotencyKey":"k"}""", HttpStatusCode.BadRequest, "transaction.source_account_id" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":"1"}}""", HttpStatusCode.BadRequest, "idempotencyKey" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":"1"},"idempotencyKey":"clé"}""", HttpStatusCode.BadRequest, "idempotencyKey" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"NOBODY","amount":"1"},"idempotencyKey":"k"}""", HttpStatusCode.UnprocessableEntity, "transaction.destination_account_id" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"EUROS","amount":"1"},"idempotencyKey":"k"}""", HttpStatusCode.UnprocessableEntity, "transaction.destination_account_id" },
        { """{"transaction":{"source_account_id":"FROM","destination_account_id":"TO","amount":"1","currency":"EUR"},"idempotencyKey":"k"}""", HttpStatusCode.UnprocessableEntity, "transaction.source_account_id" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Every_refusal_is_problem_json_naming_the_field_and_writes_nothing(string body, HttpStatusCode status, string? field)
    {
        var (from, to) = await AccountsAsync();
        await api.OpenAccountAsync(_p + "-euros", "EUR");
        var json = body.Replace("\"FROM\"", $"\"{from}\"", StringComparison.Ordinal).Replace("\"TO\"", $"\"{to}\"", StringComparison.Ordinal)
            .Replace("\"EUROS\"", $"\"{_p}-euros\"", StringComparison.Ordinal).Replace("\"k\"", $"\"{_p}-k\"", StringComparison.Ordinal);
        using var client = api.Client();
        var before = await api.CountAsync("SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM idempotency_keys)");

        using var response = await client.PostAsync("/api/v1/transactions", Json(json));
        var problem = await ApiFixture.JsonAsync(response);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("https://lambdarecon.dev/problems/", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }

        Assert.Equal(before, await api.CountAsync("SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM idempotency_keys)"));
    }

    [Fact]
    public async Task A_body_over_64_kib_is_refused_with_413()
    {
        var (from, to) = await AccountsAsync();
        using var client = api.Client();

        using var response = await client.PostAsync("/api/v1/transactions",
            Json(Transfer(from, to, "1", _p + "-k", $",\"description\":\"{new string('x', 70_000)}\"")));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await TransactionsOf(from));
    }

    [Fact]
    public async Task Header_and_body_keys_that_differ_are_refused_and_a_header_key_alone_works()
    {
        var (from, to) = await AccountsAsync();
        using var client = api.Client();
        using var differ = new HttpRequestMessage(HttpMethod.Post, "/api/v1/transactions") { Content = Json(Transfer(from, to, "1", _p + "-body")) };
        differ.Headers.Add("Idempotency-Key", _p + "-header");
        using var headerOnly = new HttpRequestMessage(HttpMethod.Post, "/api/v1/transactions")
        {
            Content = Json($$$"""{"transaction":{"source_account_id":"{{{from}}}","destination_account_id":"{{{to}}}","amount":"1"}}"""),
        };
        headerOnly.Headers.Add("Idempotency-Key", _p + "-header");

        using var refused = await client.SendAsync(differ);
        using var accepted = await client.SendAsync(headerOnly);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    [Fact]
    public async Task No_key_or_an_unknown_key_is_401_and_a_key_without_the_scope_is_403()
    {
        var (from, to) = await AccountsAsync();
        using var anonymous = api.Factory.CreateClient();
        using var unknown = api.Client("not-a-key");
        using var reader = api.Client(api.ReaderKey);

        using var none = await anonymous.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "1", _p + "-k")));
        using var wrong = await unknown.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "1", _p + "-k")));
        using var forbidden = await reader.PostAsync("/api/v1/transactions", Json(Transfer(from, to, "1", _p + "-k")));
        using var allowed = await reader.GetAsync($"/api/v1/accounts/{from}/balance");

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(0, await TransactionsOf(from));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_endpoints()
    {
        using var client = api.Factory.CreateClient();

        // Served without a key; the reference page over it is off by default (OpenApi/ApiReferenceTests).
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        Assert.True(document.GetProperty("paths").TryGetProperty("/api/v1/transactions", out _));
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/v1/accounts/{accountId}/balance", out _));
    }
}
