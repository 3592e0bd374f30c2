using System.Diagnostics;
using Amazon.SQS.Model;

namespace LambdaRecon.Infrastructure.Health;

public sealed record DependencyStatus(string Name, bool Up, long LatencyMs, string? Error);

/// <summary>Readiness: one cheap round trip to each dependency, all at once, each under its own deadline.</summary>
public static class DependencyProbe
{
    public static async Task<IReadOnlyList<DependencyStatus>> CheckAllAsync(
        EngineResources resources, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var checks = new[]
        {
            CheckAsync("postgres", timeout, async ct =>
            {
                await using var command = resources.DataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(ct);
            }, cancellationToken),
            CheckAsync("redis", timeout, async ct =>
            {
                var redis = await resources.RedisAsync().WaitAsync(ct);
                await redis.GetDatabase().PingAsync().WaitAsync(ct);
            }, cancellationToken),
            CheckAsync("sqs", timeout, async ct =>
            {
                // Asking for the queue's ARN proves both the endpoint and the configured queue exist.
                await resources.Sqs.GetQueueAttributesAsync(
                    new GetQueueAttributesRequest { QueueUrl = resources.Settings.QueueUrl, AttributeNames = ["QueueArn"] },
                    ct);
            }, cancellationToken),
        };
        return await Task.WhenAll(checks);
    }

    private static async Task<DependencyStatus> CheckAsync(
        string name, TimeSpan timeout, Func<CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var watch = Stopwatch.StartNew();
        try
        {
            // WaitAsync as well as the token: a server that accepts and never answers keeps Npgsql's open
            // waiting for its own connection Timeout (15 s by default) whatever the token says.
            await check(deadline.Token).WaitAsync(deadline.Token);
            return new DependencyStatus(name, true, watch.ElapsedMilliseconds, null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var error = deadline.IsCancellationRequested ? $"no answer within {timeout.TotalMilliseconds:0} ms" : e.Message;
            return new DependencyStatus(name, false, watch.ElapsedMilliseconds, error);
        }
    }
}
