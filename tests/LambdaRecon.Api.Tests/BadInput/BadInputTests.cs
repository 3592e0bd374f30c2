using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using Xunit.Abstractions;

namespace LambdaRecon.Api.Tests.BadInput;

/// <summary>The API over a database of its own with the accounts the corpus names and one posted transaction to refund.</summary>
public sealed class BadInputFixture : IAsyncLifetime
{
    public ApiFixture Api { get; } = new();

    public Guid Posted { get; private set; }

    public async Task InitializeAsync()
    {
        await Api.InitializeAsync();
        await Api.OpenAccountAsync(BadInputCorpus.Source, overdraftLimit: null);
        await Api.OpenAccountAsync(BadInputCorpus.Destination);
        await Api.OpenAccountAsync(BadInputCorpus.Bank);
        await Api.OpenAccountAsync(BadInputCorpus.Yen, "JPY", overdraftLimit: null);
        await Api.OpenAccountAsync(BadInputCorpus.Yen + "-2", "JPY");
        using var client = Api.Client();
        using var response = await client.PostAsync("/api/v1/transactions", new StringContent(
            $$"""{"transaction":{"source_account_id":"{{BadInputCorpus.Source}}","destination_account_id":"{{BadInputCorpus.Destination}}","amount":"10.00"},"idempotencyKey":"bi-setup"}""",
            Encoding.UTF8, "application/json"));
        Posted = (await ApiFixture.JsonAsync(response)).GetProperty("transactionId").GetGuid();
        await Api.PostQueuedAsync();
    }

    /// <summary>The rows of every table a request could write, as one comparable line.</summary>
    public Task<string> RowsAsync() => Api.Database.ScalarAsync<string>(
        """
        SELECT concat_ws(' ',
            'accounts', (SELECT count(*) FROM accounts), 'account_events', (SELECT count(*) FROM account_events),
            'transactions', (SELECT count(*) FROM transactions), 'ledger_entries', (SELECT count(*) FROM ledger_entries),
            'idempotency_keys', (SELECT count(*) FROM idempotency_keys), 'statements', (SELECT count(*) FROM statements),
            'external_records', (SELECT count(*) FROM external_records), 'api_keys', (SELECT count(*) FROM api_keys),
            'reconciliation_runs', (SELECT count(*) FROM reconciliation_runs), 'reconciliation_breaks', (SELECT count(*) FROM reconciliation_breaks))
        """);

    public async Task<List<Message>> QueuedAsync() =>
        (await Api.Resources.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = Api.Queues.QueueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 0 })).Messages ?? [];

    public Task DisposeAsync() => Api.DisposeAsync();
}

/// <summary>
/// Every case of <see cref="BadInputCorpus"/>: a 4xx (never a 5xx) with the expected status, an
/// application/problem+json body with type, title, detail and the field at fault, and no write: the
/// same rows in every table before and after, and no message on the queue.
/// </summary>
public sealed class BadInputTests(BadInputFixture fixture, ITestOutputHelper output) : IClassFixture<BadInputFixture>
{
    public static TheoryData<string> Cases => new(BadInputCorpus.All.Select(c => c.ToString()));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_input_gets_its_4xx_problem_and_changes_nothing(string name)
    {
        var input = BadInputCorpus.All.Single(c => c.ToString() == name);
        var before = await fixture.RowsAsync();

        using var response = await SendAsync(input);
        var body = await response.Content.ReadAsStringAsync();
        var after = await fixture.RowsAsync();
        var queued = await fixture.QueuedAsync();

        // Every expectation at once, under the case's full name (xunit shortens it in the test's display name).
        var faults = new List<string>();
        if ((int)response.StatusCode != input.Status)
        {
            faults.Add($"status {(int)response.StatusCode}, expected {input.Status}");
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            faults.Add($"Content-Type {response.Content.Headers.ContentType}, expected application/problem+json");
        }
        else
        {
            var problem = JsonDocument.Parse(body).RootElement;
            string? Text(string name) => problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            faults.AddRange(new[]
            {
                Text("type") == input.Type ? null : $"type {Text("type")}, expected {input.Type}",
                problem.TryGetProperty("status", out var status) && status.GetInt32() == input.Status ? null : "status member missing or different",
                string.IsNullOrWhiteSpace(Text("title")) ? "no title" : null,
                string.IsNullOrWhiteSpace(Text("detail")) ? "no detail" : null,
                input.Field is null || Text("field") == input.Field ? null : $"field '{Text("field")}', expected '{input.Field}'",
            }.OfType<string>());
        }

        if (before != after)
        {
            faults.Add($"rows changed: before {before}, after {after}");
        }

        if (queued.Count > 0)
        {
            faults.Add($"{queued.Count} message(s) published");
        }

        Assert.True(faults.Count == 0, $"{name}: {string.Join("; ", faults)}\n{body[..Math.Min(body.Length, 2000)]}");
    }

    [Fact]
    public void The_corpus_holds_at_least_200_distinct_cases_across_every_post_endpoint()
    {
        var all = BadInputCorpus.All;
        foreach (var group in all.GroupBy(c => c.Class))
        {
            var answers = group.GroupBy(c => (c.Status, c.Type[(c.Type.LastIndexOf('/') + 1)..])).Select(a => $"{a.Key.Status} {a.Key.Item2} ×{a.Count()}");
            output.WriteLine($"{group.Key,-28} {group.Count(),4}  {string.Join(", ", answers)}");
        }

        output.WriteLine($"{"total",-28} {all.Count,4}");
        Assert.True(all.Count >= 200, $"{all.Count} cases");
        Assert.Equal(all.Count, all.Select(c => c.ToString()).Distinct().Count());
        string[] endpoints = ["/api/v1/accounts", "/api/v1/transactions", "/refund", "/statements?", "/resolve", "/reconcile", "/api/v1/admin/keys"];
        Assert.All(endpoints, e => Assert.Contains(all, c => c.Path.Contains(e, StringComparison.Ordinal)));
    }

    private async Task<HttpResponseMessage> SendAsync(BadInput input)
    {
        using var client = fixture.Api.Client();
        var content = input.Chunked ? (HttpContent)new ChunkedContent(input.Body) : new ByteArrayContent(input.Body);
        if (input.ContentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(input.ContentType);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, input.Path.Replace("{posted}", fixture.Posted.ToString(), StringComparison.Ordinal)) { Content = content };
        foreach (var (header, value) in input.Headers)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        return await client.SendAsync(request);
    }

    /// <summary>A body of unknown length, so that it goes as chunks and only reading it finds its size.</summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
