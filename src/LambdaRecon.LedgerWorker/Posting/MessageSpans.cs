using System.Diagnostics;
using LambdaRecon.Infrastructure.Tracing;
using LambdaRecon.Lambda.Sqs;

namespace LambdaRecon.LedgerWorker.Posting;

/// <summary>
/// The worker's spans, as OpenTelemetry's messaging conventions lay out a batch: one span for the batch,
/// linked to every message's trace, and one span per message whose parent is the context its publisher
/// put on it, so the API's trace goes on through the queue to the posting. All null when tracing is off.
/// </summary>
internal static class MessageSpans
{
    public static Activity? StartBatch(IReadOnlyList<SqsMessage> messages)
    {
        if (!EngineTracing.Source.HasListeners())
        {
            return null;
        }

        var links = messages.Select(ContextOf).OfType<ActivityContext>().Select(c => new ActivityLink(c));
        return EngineTracing.Source.StartActivity(ActivityKind.Consumer, tags:
        [
            new("messaging.system", "aws_sqs"),
            new("messaging.operation.type", "process"),
            new("messaging.destination.name", QueueOf(messages)),
            new("messaging.batch.message_count", messages.Count),
        ], links: links, name: "process " + QueueOf(messages));
    }

    /// <summary>
    /// One span per message, started with the batch and ended with it (the batch posts in one database
    /// transaction, so no message has a time of its own). They are not made current: the database spans
    /// that follow belong to the batch.
    /// </summary>
    public static Activity?[] StartEach(IReadOnlyList<SqsMessage> messages, Activity? batch)
    {
        var spans = new Activity?[messages.Count];
        if (batch is null)
        {
            return spans;
        }

        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            spans[i] = EngineTracing.Source.StartActivity(
                ActivityKind.Consumer, ContextOf(message) ?? batch.Context,
                [
                    new("messaging.system", "aws_sqs"),
                    new("messaging.operation.type", "process"),
                    new("messaging.destination.name", QueueOf(messages)),
                    new("messaging.message.id", message.MessageId),
                    new("lambdarecon.message_group_id", message.MessageGroupId),
                    new("lambdarecon.receive_count", message.ApproximateReceiveCount),
                ],
                [new ActivityLink(batch.Context)], name: "process " + QueueOf(messages));
            Activity.Current = batch;
        }

        return spans;
    }

    /// <summary>What became of the message's transaction: POSTED, FAILED (with its code) or already final.</summary>
    public static void Outcome(Activity? span, Guid transactionId, string outcome, string? failureCode = null)
    {
        span?.SetTag("lambdarecon.transaction_id", transactionId.ToString());
        span?.SetTag("lambdarecon.outcome", outcome);
        span?.SetTag("lambdarecon.failure_code", failureCode);
    }

    /// <summary>Reported failed to SQS, which delivers it again (then to the DLQ).</summary>
    public static void Failed(Activity? span)
    {
        span?.SetTag("lambdarecon.outcome", "retry");
        span?.SetStatus(ActivityStatusCode.Error, "reported failed: SQS delivers the message again");
    }

    public static void End(Activity?[] spans)
    {
        foreach (var span in spans)
        {
            span?.Stop();
        }
    }

    private static ActivityContext? ContextOf(SqsMessage message) => TraceHeaders.Extract(
        message.MessageAttributes.GetValueOrDefault(TraceHeaders.TraceParent)?.StringValue,
        message.MessageAttributes.GetValueOrDefault(TraceHeaders.TraceState)?.StringValue,
        message.Attributes.GetValueOrDefault(TraceHeaders.AwsTraceHeader));

    // arn:aws:sqs:<region>:<account>:<name>
    private static string QueueOf(IReadOnlyList<SqsMessage> messages) =>
        (messages.Count > 0 ? messages[0].EventSourceArn?.Split(':')[^1] : null) ?? "sqs";
}
