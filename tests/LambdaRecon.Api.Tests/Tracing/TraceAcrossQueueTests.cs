using System.Diagnostics;
using System.Net.Http.Json;
using LambdaRecon.Infrastructure.Ledger;
using LambdaRecon.Infrastructure.Observability;
using LambdaRecon.Infrastructure.Tracing;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using LambdaRecon.LedgerWorker.Local;
using LambdaRecon.LedgerWorker.Posting;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace LambdaRecon.Api.Tests.Tracing;

/// <summary>
/// A listener sees every span of the process: this collection runs alone, so that the in-memory exporter
/// holds this test's spans only and no other test pays for tracing.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingAlone
{
    public const string Name = "tracing";
}

/// <summary>One trace from POST to POSTED: the API's request, through the real queue, to the worker's posting.</summary>
[Collection(TracingAlone.Name)]
public sealed class TraceAcrossQueueTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task The_workers_span_for_a_transfer_continues_the_trace_of_the_api_request_that_accepted_it()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddLambdaReconTracing("trace-test")
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        var p = "tr" + Guid.NewGuid().ToString("N")[..10];
        await api.OpenAccountAsync(p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(p + "-to");
        using var client = api.Client();
        using var accepted = await client.PostAsJsonAsync("/api/v1/transactions", new
        {
            transaction = new { source_account_id = p + "-from", destination_account_id = p + "-to", amount = "12.00" },
            idempotencyKey = p,
        });
        var transactionId = (await ApiFixture.JsonAsync(accepted)).GetProperty("transactionId").GetString();

        // What Lambda's event source mapping does, on the fixture's own queue; the event is kept to read its attributes.
        var handler = new SqsBatchHandler(
            new LedgerStore(api.Database.DataSource), new EmbeddedMetrics("LedgerWorkerFunction", "test", () => TextWriter.Null), NullLogger<SqsBatchHandler>.Instance);
        var delivered = new List<SqsMessage>();
        var poller = new SqsPoller(api.Resources.Sqs, api.Queues.QueueUrl, async input =>
        {
            var sqsEvent = await LambdaPayload.ReadAsync(input, LambdaJsonContext.Default.SqsEvent);
            delivered.AddRange(sqsEvent.Records);
            return LambdaPayload.Write(await handler.HandleAsync(sqsEvent, CancellationToken.None), LambdaJsonContext.Default.SqsBatchResponse);
        }, NullLogger<SqsPoller>.Instance) { WaitTimeSeconds = 1 };
        for (var poll = 0; poll < 20 && delivered.Count == 0; poll++)
        {
            await poller.PollOnceAsync(CancellationToken.None);
        }

        // The request's span ends when ASP.NET Core disposes the request, which may follow the response.
        Activity? request = null;
        for (var wait = 0; wait < 100 && request is null; wait++)
        {
            request = Snapshot(spans).SingleOrDefault(s => s.Kind == ActivityKind.Server && Tag(s, "lambdarecon.transaction_id") == transactionId);
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        var all = Snapshot(spans);
        var publish = Assert.Single(all, s => s.Kind == ActivityKind.Producer && Tag(s, "lambdarecon.transaction_id") == transactionId);
        var processed = Assert.Single(all, s => s.Kind == ActivityKind.Consumer && Tag(s, "lambdarecon.transaction_id") == transactionId);
        Assert.NotNull(request);
        var traceId = request.TraceId;

        Assert.Equal(System.Net.HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(traceId, publish.TraceId);
        Assert.Equal(traceId, processed.TraceId);
        Assert.Equal(publish.SpanId, processed.ParentSpanId);
        Assert.Equal("POSTED", Tag(processed, "lambdarecon.outcome"));
        // The accept path's PostgreSQL and Redis calls are spans of the same trace.
        Assert.Contains(all, s => s.Source.Name == "Npgsql" && s.TraceId == traceId);
        Assert.Contains(all, s => Tag(s, "db.system.name") == "redis" && s.TraceId == traceId);
        // The context travelled as the W3C message attribute and as X-Ray's system attribute.
        var message = Assert.Single(delivered);
        var trace = traceId.ToHexString();
        Assert.Equal($"00-{trace}-{publish.SpanId.ToHexString()}-01", message.MessageAttributes["traceparent"].StringValue);
        Assert.Equal($"Root=1-{trace[..8]}-{trace[8..]};Parent={publish.SpanId.ToHexString()};Sampled=1", message.Attributes["AWSTraceHeader"]);
    }

    [Fact]
    public async Task Without_a_listener_no_span_is_made_and_the_message_carries_no_trace_context()
    {
        var p = "tr" + Guid.NewGuid().ToString("N")[..10];
        await api.OpenAccountAsync(p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(p + "-to");
        using var client = api.Client();
        using var accepted = await client.PostAsJsonAsync("/api/v1/transactions", new
        {
            transaction = new { source_account_id = p + "-from", destination_account_id = p + "-to", amount = "1.00" },
            idempotencyKey = p,
        });

        var message = Assert.Single(await api.DrainQueueAsync());
        Assert.Equal(System.Net.HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.False(EngineTracing.Source.HasListeners());
        Assert.False((message.MessageAttributes ?? []).ContainsKey("traceparent"));
    }

    [Fact]
    public async Task A_new_transfer_costs_three_postgresql_round_trips_one_durable_commit_and_one_redis_get_and_set()
    {
        // The accept path's cost as docs/accept-path.md counts it; a change to it changes both.
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddLambdaReconTracing("trace-test")
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        var p = "rt" + Guid.NewGuid().ToString("N")[..10];
        await api.OpenAccountAsync(p + "-from", overdraftLimit: null);
        await api.OpenAccountAsync(p + "-to");
        using var client = api.Client();
        using var accepted = await client.PostAsJsonAsync("/api/v1/transactions", new
        {
            transaction = new { source_account_id = p + "-from", destination_account_id = p + "-to", amount = "3.00" },
            idempotencyKey = p,
        });
        var transactionId = (await ApiFixture.JsonAsync(accepted)).GetProperty("transactionId").GetString();
        Activity? request = null;
        for (var wait = 0; wait < 100 && request is null; wait++)
        {
            request = Snapshot(spans).SingleOrDefault(s => s.Kind == ActivityKind.Server && Tag(s, "lambdarecon.transaction_id") == transactionId);
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        Assert.NotNull(request);
        var inTrace = Snapshot(spans).Where(s => s.TraceId == request.TraceId).ToArray();
        var statements = inTrace.Where(s => s.Source.Name == "Npgsql")
            .Select(s => Tag(s, "db.query.text") ?? Tag(s, "db.statement") ?? "").ToArray();
        // Each span is one round trip (a statement or a batch) in its own implicit transaction: one that writes
        // commits, durably unless it turns synchronous_commit off for itself.
        var writes = statements.Where(q => q.Contains("INSERT", StringComparison.Ordinal) || q.Contains("UPDATE", StringComparison.Ordinal)).ToArray();
        var durable = writes.Count(q => !q.Contains("SET LOCAL synchronous_commit = off", StringComparison.Ordinal));
        var redis = inTrace.Where(s => Tag(s, "db.system.name") == "redis").Select(s => s.DisplayName).ToArray();

        Assert.Equal(System.Net.HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.True(statements.Length == 3 && writes.Length == 2 && durable == 1, string.Join("\n---\n", statements));
        Assert.Equal(2, redis.Length);
        Assert.Single(inTrace, s => s.Kind == ActivityKind.Producer);
    }

    // The exporter adds under its processor's lock; a copy is what the assertions read.
    private static Activity[] Snapshot(List<Activity> spans) => [.. spans];

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();
}
