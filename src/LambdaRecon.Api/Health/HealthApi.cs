using System.Diagnostics;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.OpenApi;
using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Auth;
using LambdaRecon.Infrastructure.Health;
using LambdaRecon.Infrastructure.Queue;
using LambdaRecon.Infrastructure.Transactions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using StackExchange.Redis;

namespace LambdaRecon.Api.Health;

public static class HealthApi
{
    // Short enough that a load balancer or orchestrator gets an answer well inside its own timeout.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Monitoring");
        api.MapGet("/health", Health).WithName("Health")
            .WithSummary("Liveness")
            .WithDescription("Answers without touching any dependency: the process serves requests.")
            .ResponseExample(200, """{"status":"ok","time":"2026-11-24T15:02:11.5306362+00:00"}""");
        api.MapGet("/ready", ReadyAsync).WithName("Ready")
            .WithSummary("Readiness")
            .WithDescription("PostgreSQL, Redis and SQS each checked concurrently with a 2 s timeout (and, beside the local poller, the worker): 200 when all are up, 503 naming those that are not.")
            .ResponseExample(200, """{"status":"ready","dependencies":{"postgres":{"status":"up","latency_ms":2,"error":null},"redis":{"status":"up","latency_ms":1,"error":null},"sqs":{"status":"up","latency_ms":14,"error":null}}}""")
            .ProblemExample(503, "dependency-unavailable", "A dependency is unavailable", "redis is down: It was not possible to connect to the redis server(s)");
        api.MapGet("/queue/stats", QueueStatsAsync).WithName("QueueStats").RequireScope(ApiScopes.LedgerRead)
            .WithSummary("Queue depths")
            .WithDescription("Visible, in-flight and delayed messages of the transactions queue and its DLQ, as SQS reports them, and the age of the oldest transaction not yet posted.")
            .Produces<PipelineStats>()
            .ProblemExample(503, "queue-unavailable", "The queue is unavailable", "the queue cannot be reached");
        api.MapGet("/cache/stats", CacheStatsAsync).WithName("CacheStats").RequireScope(ApiScopes.LedgerRead)
            .WithSummary("Idempotency cache figures")
            .WithDescription("Redis as the idempotency fast path sees it: reachable or not (a Redis that is down is reported here, not fatal), keys, hits, misses, memory, TTL.");
        api.MapPost("/queue/dlq/redrive", RedriveAsync).WithName("RedriveDeadLetters").RequireScope(ApiScopes.Admin)
            .WithSummary("Redrive the dead-letter queue")
            .WithDescription("Moves every DLQ message back to the transactions queue; the worker posts each transaction at most once. `./run.sh dlq-redrive` does the same.")
            .Produces<RedriveResult>().ResponseExample(200, """{"moved":3,"by_move_task":true}""");
    }

    /// <summary>Moves every DLQ message back to the transactions queue; the worker posts each at most once.</summary>
    public static async Task<IResult> RedriveAsync(DeadLetterRedrive redrive, CancellationToken cancellationToken)
    {
        return TypedResults.Ok(await redrive.RedriveAsync(cancellationToken));
    }

    /// <summary>Approximate depths of the transactions queue and its DLQ, as SQS reports them.</summary>
    public static async Task<IResult> QueueStatsAsync(QueueStatsReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await reader.ReadAsync(cancellationToken));
        }
        catch (QueueUnavailableException e)
        {
            return Problems.Problem.Of(StatusCodes.Status503ServiceUnavailable, "queue-unavailable", "The queue is unavailable", e.Message);
        }
    }

    /// <summary>Redis as the idempotency fast path sees it; a Redis that is down is reported, not fatal.</summary>
    public static async Task<Ok<CacheStatsResponse>> CacheStatsAsync(EngineResources resources, IdempotencyCache cache)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var redis = await resources.RedisAsync();
            await redis.GetDatabase().PingAsync();
            var latency = watch.ElapsedMilliseconds;
            var server = redis.GetServers()[0];
            long keys = 0;
            await foreach (var _ in server.KeysAsync(pattern: IdempotencyCache.KeyPrefix + "*", pageSize: 1000))
            {
                keys++;
            }

            var memory = (await server.InfoAsync("memory")).SelectMany(g => g).FirstOrDefault(p => p.Key == "used_memory").Value;
            return TypedResults.Ok(new CacheStatsResponse(true, latency, keys, cache.Hits, cache.Misses,
                long.TryParse(memory, out var bytes) ? bytes : null, (long)cache.Ttl.TotalSeconds, null));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return TypedResults.Ok(new CacheStatsResponse(false, watch.ElapsedMilliseconds, null, cache.Hits, cache.Misses, null, (long)cache.Ttl.TotalSeconds, e.Message));
        }
    }

    public sealed record CacheStatsResponse(
        bool Reachable, long LatencyMs, long? Keys, long Hits, long Misses, long? UsedMemoryBytes, long TtlSeconds, string? Error);

    /// <summary>Liveness: answers without touching any dependency.</summary>
    public static Ok<HealthResponse> Health() => TypedResults.Ok(new HealthResponse("ok", DateTimeOffset.UtcNow));

    /// <summary>
    /// Readiness: PostgreSQL, Redis and SQS each answered within the probe timeout, and, where a queue poller
    /// runs in this process (the local runner's `start`), the worker makes progress (WorkerHeartbeat).
    /// </summary>
    public static async Task<Results<Ok<ReadyResponse>, ProblemHttpResult>> ReadyAsync(
        EngineResources resources, CancellationToken cancellationToken, [FromServices] WorkerHeartbeat? worker = null)
    {
        var statuses = (await DependencyProbe.CheckAllAsync(resources, ProbeTimeout, cancellationToken)).ToList();
        if (worker is not null)
        {
            var problem = worker.Problem();
            statuses.Add(new DependencyStatus("worker", problem is null, 0, problem));
        }

        var dependencies = statuses.ToDictionary(
            s => s.Name,
            s => new DependencyReport(s.Up ? "up" : "down", s.LatencyMs, s.Error));
        var failed = statuses.Where(s => !s.Up).Select(s => s.Name).ToArray();
        if (failed.Length == 0)
        {
            return TypedResults.Ok(new ReadyResponse("ready", dependencies));
        }

        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            type: "https://lambdarecon.dev/problems/dependency-unavailable",
            title: "A dependency is unavailable",
            detail: string.Join("; ", statuses.Where(s => !s.Up).Select(s => $"{s.Name} is down: {s.Error}")),
            extensions: new Dictionary<string, object?> { ["failed"] = failed, ["dependencies"] = dependencies });
    }

    public sealed record HealthResponse(string Status, DateTimeOffset Time);

    public sealed record ReadyResponse(string Status, IReadOnlyDictionary<string, DependencyReport> Dependencies);

    public sealed record DependencyReport(string Status, long LatencyMs, string? Error);
}
