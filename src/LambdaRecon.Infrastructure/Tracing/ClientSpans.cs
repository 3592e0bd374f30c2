using System.Diagnostics;

namespace LambdaRecon.Infrastructure.Tracing;

/// <summary>The spans of calls to SQS and Redis, named and tagged as OpenTelemetry's semantic conventions say.</summary>
public static class ClientSpans
{
    /// <summary>The producer span of one SendMessage; null when tracing is off.</summary>
    public static Activity? StartPublish(string queueUrl, Guid transactionId)
    {
        if (!EngineTracing.Source.HasListeners())
        {
            return null;
        }

        var queue = queueUrl[(queueUrl.LastIndexOf('/') + 1)..];
        return EngineTracing.Source.StartActivity(ActivityKind.Producer, tags:
        [
            new("messaging.system", "aws_sqs"),
            new("messaging.operation.type", "send"),
            new("messaging.destination.name", queue),
            new("lambdarecon.transaction_id", transactionId.ToString()),
        ], name: "send " + queue);
    }

    /// <summary>The client span of one Redis command; null when tracing is off.</summary>
    public static Activity? StartRedis(string command) =>
        EngineTracing.Source.StartActivity(ActivityKind.Client, tags:
        [
            new("db.system.name", "redis"),
            new("db.operation.name", command),
        ], name: command);
}
