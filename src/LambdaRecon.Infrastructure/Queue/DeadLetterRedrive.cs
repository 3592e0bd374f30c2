using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LambdaRecon.Infrastructure.Queue;

/// <param name="Moved">How many messages went back to the queue.</param>
/// <param name="ByMoveTask">True when SQS moved them (StartMessageMoveTask); false when they were received and sent again.</param>
public sealed record RedriveResult(long Moved, bool ByMoveTask);

/// <summary>
/// Moves the messages of the dead-letter queue back to the transactions queue, once what made them fail
/// is fixed. Safe however often it runs: the worker posts a transaction once, whatever the deliveries.
/// </summary>
public sealed class DeadLetterRedrive(IAmazonSQS sqs, string dlqUrl, string queueUrl)
{
    private static readonly TimeSpan MoveTaskPollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Moves what the DLQ holds now: with SQS's own move task where the server has one (SQS itself,
    /// the emulator, recent LocalStack), by receiving and sending again otherwise. Returns when done.
    /// </summary>
    /// <exception cref="InvalidOperationException">The move task failed; the messages it had not moved stay in the DLQ.</exception>
    public async Task<RedriveResult> RedriveAsync(CancellationToken cancellationToken)
    {
        var dlqArn = await ArnAsync(dlqUrl, cancellationToken);
        var queueArn = await ArnAsync(queueUrl, cancellationToken);
        try
        {
            await sqs.StartMessageMoveTaskAsync(new StartMessageMoveTaskRequest { SourceArn = dlqArn, DestinationArn = queueArn }, cancellationToken);
        }
        catch (AmazonSQSException e) when (IsUnsupported(e))
        {
            return new RedriveResult(await ReceiveAndSendAsync(cancellationToken), ByMoveTask: false);
        }

        return new RedriveResult(await AwaitMoveTaskAsync(dlqArn, cancellationToken), ByMoveTask: true);
    }

    private static bool IsUnsupported(AmazonSQSException e) =>
        e is UnsupportedOperationException
        || e.StatusCode == HttpStatusCode.NotImplemented
        || e.ErrorCode is "InvalidAction" or "UnknownOperationException" or "UnsupportedOperation" or "NotImplemented";

    // SQS lists a source queue's tasks newest first, and runs one at a time per source: the newest is ours.
    private async Task<long> AwaitMoveTaskAsync(string dlqArn, CancellationToken cancellationToken)
    {
        while (true)
        {
            var tasks = await sqs.ListMessageMoveTasksAsync(new ListMessageMoveTasksRequest { SourceArn = dlqArn, MaxResults = 1 }, cancellationToken);
            var task = tasks.Results?.FirstOrDefault()
                ?? throw new InvalidOperationException($"The move task started on {dlqArn} is not listed.");
            switch (task.Status)
            {
                case "COMPLETED" or "CANCELLED":
                    return task.ApproximateNumberOfMessagesMoved ?? 0;
                case "FAILED":
                    throw new InvalidOperationException(
                        $"Moving the messages of {dlqArn} back failed after {task.ApproximateNumberOfMessagesMoved ?? 0}: {task.FailureReason}");
                default:
                    await Task.Delay(MoveTaskPollInterval, cancellationToken);
                    break;
            }
        }
    }

    /// <summary>
    /// The move by hand, for servers without move tasks: receive from the DLQ, send to the queue in the
    /// same group and order, delete from the DLQ. Only as many as the DLQ held at the start, so that a
    /// message failing again on its way back is not moved round and round.
    /// </summary>
    internal async Task<long> ReceiveAndSendAsync(CancellationToken cancellationToken)
    {
        var fifo = queueUrl.EndsWith(".fifo", StringComparison.Ordinal);
        var toMove = await VisibleMessagesAsync(dlqUrl, cancellationToken);
        long moved = 0;
        while (moved < toMove)
        {
            var received = (await sqs.ReceiveMessageAsync(
                new ReceiveMessageRequest
                {
                    QueueUrl = dlqUrl,
                    MaxNumberOfMessages = (int)Math.Min(10, toMove - moved),
                    // A long poll, however short, asks every SQS server; a short poll may miss messages.
                    WaitTimeSeconds = 1,
                    MessageSystemAttributeNames = ["MessageGroupId"],
                    MessageAttributeNames = ["All"],
                },
                cancellationToken)).Messages ?? [];
            if (received.Count == 0)
            {
                break;
            }

            var sent = await sqs.SendMessageBatchAsync(
                new SendMessageBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = received.Select((m, i) => new SendMessageBatchRequestEntry
                    {
                        Id = i.ToString(CultureInfo.InvariantCulture),
                        MessageBody = m.Body,
                        MessageAttributes = m.MessageAttributes,
                        MessageGroupId = fifo ? m.Attributes?.GetValueOrDefault("MessageGroupId") : null,
                        // Not the original deduplication id: within SQS's five minutes it would drop the message
                        // as a repeat. One id per receive: the SDK retrying this send is still de-duplicated.
                        MessageDeduplicationId = fifo ? Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(m.ReceiptHandle))) : null,
                    }).ToList(),
                },
                cancellationToken);
            var sentIndexes = (sent.Successful ?? []).Select(s => int.Parse(s.Id, CultureInfo.InvariantCulture)).ToHashSet();
            if (sentIndexes.Count > 0)
            {
                await sqs.DeleteMessageBatchAsync(
                    new DeleteMessageBatchRequest
                    {
                        QueueUrl = dlqUrl,
                        Entries = received.Where((_, i) => sentIndexes.Contains(i))
                            .Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
                    },
                    cancellationToken);
                moved += sentIndexes.Count;
            }

            if (sent.Failed is [var failure, ..])
            {
                throw new InvalidOperationException(
                    $"{moved} messages moved back from {dlqUrl}, then {sent.Failed.Count} could not be sent: {failure.Code} {failure.Message}");
            }
        }

        return moved;
    }

    private async Task<string> ArnAsync(string url, CancellationToken cancellationToken) =>
        (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["QueueArn"] }, cancellationToken)).QueueARN;

    private async Task<long> VisibleMessagesAsync(string url, CancellationToken cancellationToken) =>
        (await sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["ApproximateNumberOfMessages"] },
            cancellationToken)).ApproximateNumberOfMessages;
}
