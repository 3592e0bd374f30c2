using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Queue;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.Api.Tests.Hosting;

/// <summary>
/// What an operator finds for one request: its line (route, status, duration, client, key, transaction,
/// request id), the same request id in X-Request-Id, in a problem's trace_id and on the SQS message, and
/// one EMF document counting what the request was.
/// </summary>
public sealed class RequestLogTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "obs" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task An_accepted_a_replayed_and_a_refused_transfer_each_write_their_line_and_their_EMF_counts()
    {
        var (factory, logs, metrics) = Observed();
        await using var _ = factory;
        using var client = api.Client(factory: factory);
        await api.OpenAccountAsync(_p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(_p + "-to");
        var transfer = $$"""{"transaction":{"source_account_id":"{{_p}}-from","destination_account_id":"{{_p}}-to","amount":"100.00"},"idempotencyKey":"{{_p}}-1"}""";
        await api.DrainQueueAsync();

        using var accepted = await client.PostAsync("/api/v1/transactions", Json(transfer));
        using var replayed = await client.PostAsync("/api/v1/transactions", Json(transfer));
        using var refused = await client.PostAsync("/api/v1/transactions", Json(transfer.Replace("\"100.00\"", "\"1.001\",\"currency\":\"USD\"", StringComparison.Ordinal)
            .Replace("-1\"", "-2\"", StringComparison.Ordinal)));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.OK, HttpStatusCode.BadRequest), (accepted.StatusCode, replayed.StatusCode, refused.StatusCode));
        var transactionId = (await ApiFixture.JsonAsync(accepted)).GetProperty("transactionId").GetString();
        var requestIds = new[] { accepted, replayed, refused }.Select(r => Assert.Single(r.Headers.GetValues("X-Request-Id"))).ToArray();
        Assert.Equal(3, requestIds.Distinct().Count());

        var lines = RequestLines(logs);
        Assert.Equal(requestIds, lines.Select(l => l.GetProperty("request_id").GetString()));
        var first = lines[0];
        Assert.Equal(("POST", "/api/v1/transactions/", 202), (first.GetProperty("method").GetString(), first.GetProperty("route").GetString(), first.GetProperty("status").GetInt32()));
        Assert.StartsWith("admin-", first.GetProperty("client_id").GetString(), StringComparison.Ordinal);
        Assert.Equal(_p + "-1", first.GetProperty("idempotency_key").GetString());
        Assert.Equal(transactionId, first.GetProperty("transaction_id").GetString());
        Assert.True(first.GetProperty("duration_ms").GetDouble() > 0);
        // The replay names the transaction it replays; the refusal, the problem it answered.
        Assert.Equal(transactionId, lines[1].GetProperty("transaction_id").GetString());
        Assert.Equal("validation", lines[2].GetProperty("problem_type").GetString());
        // Never the key itself.
        Assert.DoesNotContain(api.AdminKey, logs.ToString(), StringComparison.Ordinal);

        var documents = Documents(metrics);
        Assert.Equal(3, documents.Count);
        Assert.Equal(["Accepted", "Latency"], MetricNames(documents[0]));
        Assert.Equal(["Latency", "Replayed"], MetricNames(documents[1]));
        Assert.Equal(["Latency", "Refused", "Refused.validation"], MetricNames(documents[2]));
        Assert.Equal((1, 1, 1, 1), (documents[0].GetProperty("Accepted").GetInt32(), documents[1].GetProperty("Replayed").GetInt32(),
            documents[2].GetProperty("Refused").GetInt32(), documents[2].GetProperty("Refused.validation").GetInt32()));
        Assert.All(documents, d => Assert.Equal(("ApiFunction", "test"), (d.GetProperty("FunctionName").GetString(), d.GetProperty("Environment").GetString())));
        Assert.All(documents, d => Assert.True(d.GetProperty("Latency").GetDouble() > 0));

        // The message carries the accepting request's id to the worker.
        var message = Assert.Single(await api.DrainQueueAsync());
        Assert.Equal(requestIds[0], message.MessageAttributes[TransactionPublisher.RequestIdAttribute].StringValue);
    }

    [Fact]
    public async Task Every_problem_names_its_request_in_trace_id_whatever_the_client_accepts()
    {
        using var client = api.Client();
        using var html = new HttpRequestMessage(HttpMethod.Post, "/api/v1/transactions") { Content = Json("{}") };
        html.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        using var validation = await client.PostAsync("/api/v1/transactions", Json("{}"));
        using var unknownRoute = await client.GetAsync("/api/v1/no-such-thing");
        using var unauthorized = await api.Client("not-a-key").GetAsync("/api/v1/accounts/x");
        using var textHtml = await client.SendAsync(html);

        foreach (var response in new[] { validation, unknownRoute, unauthorized, textHtml })
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var requestId = Assert.Single(response.Headers.GetValues("X-Request-Id"));
            var problem = await ApiFixture.JsonAsync(response);
            Assert.Equal(requestId, problem.GetProperty("trace_id").GetString());
            Assert.False(problem.TryGetProperty("traceId", out _));
        }

        Assert.Equal("https://lambdarecon.dev/problems/validation", (await ApiFixture.JsonAsync(textHtml)).GetProperty("type").GetString());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The fixture's API, with its log lines and its metrics documents written where the test reads them.</summary>
    private (WebApplicationFactory<Program> Factory, StringWriter Logs, StringWriter Metrics) Observed()
    {
        var logs = new StringWriter();
        var metrics = new StringWriter();
        var factory = api.Factory.WithWebHostBuilder(web =>
        {
            web.ConfigureLogging(logging => logging.AddProvider(new JsonLineLoggerProvider(() => logs)));
            web.ConfigureServices(services => services.AddSingleton(new EmbeddedMetrics("ApiFunction", "test", () => metrics)));
        });
        return (factory, logs, metrics);
    }

    // The transfers' lines only: the accounts were opened through the fixture's own app.
    private static List<JsonElement> RequestLines(StringWriter logs) => Lines(logs)
        .Where(l => l.GetProperty("category").GetString() == "LambdaRecon.Api.Hosting.RequestLog" && l.GetProperty("route").GetString() == "/api/v1/transactions/")
        .ToList();

    private static List<JsonElement> Documents(StringWriter metrics) => Lines(metrics);

    private static List<JsonElement> Lines(StringWriter writer) => writer.ToString()
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => JsonDocument.Parse(line).RootElement.Clone())
        .ToList();

    private static IEnumerable<string> MetricNames(JsonElement document) => Assert.Single(document.GetProperty("_aws").GetProperty("CloudWatchMetrics").EnumerateArray())
        .GetProperty("Metrics").EnumerateArray().Select(m => m.GetProperty("Name").GetString()!).Order(StringComparer.Ordinal);
}
