namespace LambdaRecon.Lambda.Sqs;

/// <summary>
/// A function's answer to an SQS batch under ReportBatchItemFailures: SQS deletes every message of the
/// batch except the ones listed, which become visible again and are retried (or go to the DLQ).
/// An empty list means the whole batch succeeded.
/// </summary>
public sealed record SqsBatchResponse
{
    public required IReadOnlyList<SqsBatchItemFailure> BatchItemFailures { get; init; }
}

/// <param name="ItemIdentifier">The failed message's <see cref="SqsMessage.MessageId"/>.</param>
public sealed record SqsBatchItemFailure(string ItemIdentifier);
