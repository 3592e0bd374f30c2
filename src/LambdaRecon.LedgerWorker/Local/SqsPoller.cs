using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LambdaRecon.Lambda;
using LambdaRecon.Lambda.Sqs;
using Microsoft.Extensions.Logging;

namespace LambdaRecon.LedgerWorker.Local;

/// <summary>What one receive did: how many messages came, went to the function, were deleted, were held back.</summary>
public sealed record PollResult(int Received, int Invoked, int Deleted, int HeldBack);

/// <summary>
/// The local runner's stand-in for Lambda's SQS event source mapping: long-polls the queue, hands each
/// batch to the function as the SQS event JSON Lambda would send, deletes the messages the function did
/// not report failed and leaves the failed ones to come again after their visibility timeout (then to the
/// DLQ, by the queue's redrive policy). One receive at a time, so that batches never overlap.
/// </summary>
public sealed partial class SqsPoller(IAmazonSQS sqs, string queueUrl, Func<Stream, Task<Stream>> function, ILogger<SqsPoller> logger)
{
    private static readonly TimeSpan PauseAfterError = TimeSpan.FromSeconds(1);

    private QueueFacts? _queue;

    /// <summary>Messages per batch, 1 to 10: the event source mapping's BatchSize for a FIFO queue.</summary>
    public int BatchSize { get; init; } = 10;

    /// <summary>Long polling, 0 to 20 seconds, as the event source mapping does.</summary>
    public int WaitTimeSeconds { get; init; } = 20;

    /// <summary>How long a received message stays hidden; null for the queue's own VisibilityTimeout.</summary>
    public int? VisibilityTimeout { get; init; }

    /// <summary>Polls until cancelled. An error (the queue unreachable) is logged and polling resumes a second later.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                try
                {
                    var result = await PollOnceAsync(cancellationToken);
                    if (result.Received > 0)
                    {
                        Log.Polled(logger, result.Received, result.Invoked, result.Deleted, result.HeldBack);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    Log.PollFailed(logger, e, queueUrl);
                    await Task.Delay(PauseAfterError, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped. A batch cut short is not deleted: it comes again after its visibility timeout.
        }
    }

    /// <summary>One receive, one invocation of the function with what may go to it, one delete of what succeeded.</summary>
    public async Task<PollResult> PollOnceAsync(CancellationToken cancellationToken)
    {
        var queue = _queue ??= await DescribeQueueAsync(cancellationToken);
        var received = (await sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = BatchSize,
                WaitTimeSeconds = WaitTimeSeconds,
                VisibilityTimeout = VisibilityTimeout,
                // MessageGroupId, MessageDeduplicationId, SequenceNumber, ApproximateReceiveCount…: what Lambda puts in each record.
                MessageSystemAttributeNames = ["All"],
                MessageAttributeNames = ["All"],
            },
            cancellationToken)).Messages ?? [];
        if (received.Count == 0)
        {
            return new PollResult(0, 0, 0, 0);
        }

        var admitted = queue.Gate.Admit(received);
        if (admitted.Count == 0)
        {
            return new PollResult(received.Count, 0, 0, received.Count);
        }

        var failedIds = await InvokeAsync(admitted, queue, cancellationToken);
        var succeeded = admitted.Where(m => !failedIds.Contains(m.MessageId)).ToList();
        var deleted = await DeleteAsync(succeeded, cancellationToken);
        queue.Gate.Settle(deleted, admitted.Where(m => failedIds.Contains(m.MessageId)));
        return new PollResult(received.Count, admitted.Count, deleted.Count, received.Count - admitted.Count);
    }

    private sealed record QueueFacts(string Arn, string Region, FifoOrderGate Gate);

    private async Task<QueueFacts> DescribeQueueAsync(CancellationToken cancellationToken)
    {
        var attributes = (await sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest { QueueUrl = queueUrl, AttributeNames = ["QueueArn", "RedrivePolicy"] },
            cancellationToken)).Attributes ?? [];
        var arn = attributes.GetValueOrDefault("QueueArn")
            ?? throw new InvalidOperationException($"The queue {queueUrl} did not tell its ARN.");
        // arn:aws:sqs:<region>:<account>:<name>
        return new QueueFacts(arn, arn.Split(':')[3], new FifoOrderGate(MaxReceiveCount(attributes.GetValueOrDefault("RedrivePolicy"))));
    }

    // {"deadLetterTargetArn": "…", "maxReceiveCount": 5}; SQS may write the count as a string.
    private static int? MaxReceiveCount(string? redrivePolicy)
    {
        if (redrivePolicy is null)
        {
            return null;
        }

        using var policy = JsonDocument.Parse(redrivePolicy);
        var count = policy.RootElement.GetProperty("maxReceiveCount");
        return count.ValueKind == JsonValueKind.String ? int.Parse(count.GetString()!, CultureInfo.InvariantCulture) : count.GetInt32();
    }

    // Lambda treats an invocation that throws, or a response it cannot read or that names a message not
    // in the batch, as the failure of the whole batch.
    private async Task<HashSet<string>> InvokeAsync(IReadOnlyList<Message> messages, QueueFacts queue, CancellationToken cancellationToken)
    {
        var all = messages.Select(m => m.MessageId).ToHashSet(StringComparer.Ordinal);
        var sqsEvent = new SqsEvent { Records = messages.Select(m => ToRecord(m, queue)).ToArray() };
        try
        {
            await using var input = LambdaPayload.Write(sqsEvent, LambdaJsonContext.Default.SqsEvent);
            await using var output = await function(input);
            var response = await LambdaPayload.ReadAsync(output, LambdaJsonContext.Default.SqsBatchResponse, cancellationToken);
            var failed = response.BatchItemFailures.Select(f => f.ItemIdentifier).ToHashSet(StringComparer.Ordinal);
            if (failed.IsSubsetOf(all))
            {
                return failed;
            }

            Log.UnknownItemIdentifier(logger, string.Join(',', failed.Except(all)));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.InvocationFailed(logger, e, messages.Count);
        }

        return all;
    }

    private static SqsMessage ToRecord(Message message, QueueFacts queue) => new()
    {
        MessageId = message.MessageId,
        ReceiptHandle = message.ReceiptHandle,
        Body = message.Body,
        Md5OfBody = message.MD5OfBody,
        Md5OfMessageAttributes = message.MD5OfMessageAttributes,
        Attributes = message.Attributes ?? [],
        MessageAttributes = (message.MessageAttributes ?? []).ToDictionary(
            a => a.Key,
            a => new SqsMessageAttributeValue
            {
                DataType = a.Value.DataType,
                StringValue = a.Value.StringValue,
                BinaryValue = a.Value.BinaryValue is { } binary ? Convert.ToBase64String(binary.ToArray()) : null,
                StringListValues = a.Value.StringListValues ?? [],
                BinaryListValues = (a.Value.BinaryListValues ?? []).Select(b => Convert.ToBase64String(b.ToArray())).ToArray(),
            }),
        EventSource = "aws:sqs",
        EventSourceArn = queue.Arn,
        AwsRegion = queue.Region,
    };

    /// <returns>The messages actually deleted; one whose delete failed comes again, and the ledger reports its outcome again.</returns>
    private async Task<List<Message>> DeleteAsync(List<Message> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return messages;
        }

        var response = await sqs.DeleteMessageBatchAsync(
            new DeleteMessageBatchRequest
            {
                QueueUrl = queueUrl,
                Entries = messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
            },
            cancellationToken);
        foreach (var failure in response.Failed ?? [])
        {
            Log.DeleteFailed(logger, messages[int.Parse(failure.Id, CultureInfo.InvariantCulture)].MessageId, failure.Code, failure.Message);
        }

        var deleted = (response.Successful ?? []).Select(s => int.Parse(s.Id, CultureInfo.InvariantCulture)).ToHashSet();
        return messages.Where((_, i) => deleted.Contains(i)).ToList();
    }

    private static partial class Log
    {
        [LoggerMessage(101, LogLevel.Debug, "Received {Received}: {Invoked} handed to the function, {Deleted} deleted, {HeldBack} held back behind an earlier message of their group")]
        public static partial void Polled(ILogger logger, int received, int invoked, int deleted, int heldBack);

        [LoggerMessage(102, LogLevel.Error, "Polling {QueueUrl} failed; trying again in a second")]
        public static partial void PollFailed(ILogger logger, Exception exception, string queueUrl);

        [LoggerMessage(103, LogLevel.Error, "The function failed on a batch of {Count}: every message of it comes again")]
        public static partial void InvocationFailed(ILogger logger, Exception exception, int count);

        [LoggerMessage(104, LogLevel.Error, "The function reported failed messages that were not in its batch ({ItemIdentifiers}): every message of it comes again")]
        public static partial void UnknownItemIdentifier(ILogger logger, string itemIdentifiers);

        [LoggerMessage(105, LogLevel.Warning, "Message {MessageId} could not be deleted ({Code}: {Reason}): it comes again")]
        public static partial void DeleteFailed(ILogger logger, string messageId, string code, string reason);
    }
}
