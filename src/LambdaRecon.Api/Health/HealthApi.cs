using LambdaRecon.Infrastructure;
using LambdaRecon.Infrastructure.Health;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LambdaRecon.Api.Health;

public static class HealthApi
{
    // Short enough that a load balancer or orchestrator gets an answer well inside its own timeout.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Monitoring");
        api.MapGet("/health", Health).WithName("Health");
        api.MapGet("/ready", ReadyAsync).WithName("Ready");
    }

    /// <summary>Liveness: answers without touching any dependency.</summary>
    public static Ok<HealthResponse> Health() => TypedResults.Ok(new HealthResponse("ok", DateTimeOffset.UtcNow));

    /// <summary>Readiness: PostgreSQL, Redis and SQS each answered within the probe timeout.</summary>
    public static async Task<Results<Ok<ReadyResponse>, ProblemHttpResult>> ReadyAsync(
        EngineResources resources, CancellationToken cancellationToken)
    {
        var statuses = await DependencyProbe.CheckAllAsync(resources, ProbeTimeout, cancellationToken);
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
